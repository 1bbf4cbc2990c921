/*
 * natd's capture: every packet natd passes is copied into the ring of
 * the device it belongs to, as that device saw it: a packet from the
 * LAN before its source is translated (the copy is taken before
 * nat_packet() rewrites it, recorded only once it is accepted, so a
 * dropped or forged packet makes no ring), a reply after it is
 * translated back. The device is the frame's source MAC for the first,
 * the MAC natd learnt for the client for the second.
 *
 * A GSO super-packet is one record: the packet natd was handed, IP
 * length and all, flagged CAP_F_GSO. Cutting it into the segments the
 * wire carried would cost a checksum pass per segment on the packet
 * path for every such packet, capture or not read; Wireshark shows the
 * super-packet as tcpdump on the router shows it.
 *
 * Hot path: no allocation, no system call (clock_gettime is the vDSO's,
 * once per batch), no logging; with capture off, one test per packet.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <linux/netfilter.h>

#include <string.h>
#include <time.h>

#include <jansson.h>

#include "capring.h"
#include "capture.h"
#include "child.h"
#include "natd.h"
#include "layout.h"
#include "log.h"

static struct cap_writer w;
static uint8_t		*mem;
static size_t		 mem_size;
static uint64_t		 cur_size = UINT64_MAX;	/* laid out for */
static uint64_t		 now_us;
/* The LAN packet as it came, until nat_packet's verdict. */
static uint8_t		 stage[CAP_SNAP_MAX];
static size_t		 stage_len;
static uint8_t		 stage_ok;

void
capture_init(void)
{
	struct stat	 st;
	void		*p;

	if (fstat(FD_NATD_CAPTURE, &st) == -1 || st.st_size <= 0) {
		log_warnx("no capture memory: packets are not captured");
		return;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, FD_NATD_CAPTURE, 0);
	if (p == MAP_FAILED) {
		log_warn("mmap capture memory");
		return;
	}
	mem = p;
	mem_size = (size_t)st.st_size;
}

/* Gives the pages back: nothing of a ring outlives its layout. */
static void
punch(size_t off)
{
	off = (off + 4095) & ~(size_t)4095;
	if (off < mem_size &&
	    madvise(mem + off, mem_size - off, MADV_REMOVE) == -1)
		log_warn("capture memory: MADV_REMOVE");
}

void
capture_config(uint64_t ring_size)
{
	int	 r;

	if (mem == NULL || ring_size == cur_size)
		return;
	cur_size = ring_size;
	r = cap_attach(&w, mem, mem_size, ring_size, 0);
	if (r == -1) {
		/* Off: every device's packets go, not just the header. */
		punch(0);
		log_info("capture off%s", ring_size != 0 ?
		    ": capture-total holds no ring of capture-size" : "");
		return;
	}
	if (r == 0)
		punch((size_t)(w.data - mem));
	log_info("capture: %u rings of %llu bytes, %s", w.nslots,
	    (unsigned long long)w.ring_size, r == 1 ?
	    "kept from before" : "new");
}

int
capture_on(void)
{
	return w.h != NULL;
}

void
capture_batch(void)
{
	struct timespec	 ts;

	if (w.h == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	now_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
capture_before(const struct nfq_pkt *p, int hook)
{
	stage_ok = 0;
	if (w.h == NULL || hook != NF_INET_FORWARD || !p->has_hwaddr ||
	    p->payload == NULL)
		return;
	stage_len = p->len < w.snaplen ? p->len : w.snaplen;
	memcpy(stage, p->payload, stage_len);
	stage_ok = 1;
}

void
capture_after(const struct nfq_pkt *p, const struct nat_result *res)
{
	uint8_t		 mac[6];
	uint8_t		 flags;
	int		 slot;

	if (w.h == NULL)
		return;
	flags = (p->skbinfo & NAT_SKB_GSO) ? CAP_F_GSO : 0;
	if (res->dir == NAT_DIR_UP && stage_ok) {
		if ((slot = cap_slot(&w, p->hwaddr, now_us)) >= 0) {
			cap_set_ip(&w, slot, res->lan_ip);
			cap_write(&w, slot, now_us, CAP_DIR_UP, flags, stage,
			    p->len);
		}
	} else if (res->dir == NAT_DIR_DOWN &&
	    nat_client_mac(&nat, res->client, mac)) {
		if ((slot = cap_slot(&w, mac, now_us)) >= 0)
			cap_write(&w, slot, now_us, CAP_DIR_DOWN, flags,
			    p->payload, p->len);
	}
	stage_ok = 0;
}

int
capture_clear(const uint8_t mac[6])
{
	return cap_clear(&w, mac);
}
