/*
 * natd's capture: every packet natd passes is copied into the ring of
 * the device it belongs to, as that device saw it: a packet from the
 * LAN before its source is translated, a reply after it is translated
 * back. The device is the frame's source MAC for the first, the MAC
 * natd learnt for the client for the second.
 *
 * One copy per packet: a LAN packet is copied into its device's ring
 * before nat_packet() rewrites it, as a record readers cannot see yet
 * (cap_reserve), published once natd accepts it and forgotten when it
 * drops it. Only a device's first packet goes through a staging
 * buffer, since its ring is made only when natd passes the packet.
 *
 * A GSO super-packet is one record, flagged CAP_F_GSO with the payload
 * bytes per segment natd estimates from the LAN's MTU
 * (cap_gso_segments); webd cuts it into those segments when it writes
 * the pcap, so the checksum pass per segment costs a download, not
 * the packet path.
 *
 * Hot path: no allocation, no logging, no system call (clock_gettime
 * is the vDSO's, once per batch) but one: while natd writes a ring's
 * first lap, the pages ahead of its head are made in one madvise per
 * up to 64 KiB instead of one page fault per page (capture_ahead);
 * with capture off, one test per packet.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <linux/netfilter.h>

#include <errno.h>
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
/* MADV_POPULATE_WRITE works here (Linux 5.14 and later). */
static int		 populate = 1;
/* A new device's first packet as it came, until nat_packet's verdict. */
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
	uint8_t		*dst;
	uint32_t	 caplen;
	int		 slot;

	stage_ok = 0;
	if (w.h == NULL || hook != NF_INET_FORWARD || !p->has_hwaddr ||
	    p->payload == NULL)
		return;
	/* A known device: straight into its ring, published if it
	 * passes. A new one gets its ring only then: a dropped or forged
	 * frame must not cost a real device its ring. */
	if ((slot = cap_lookup(&w, p->hwaddr)) >= 0 &&
	    (dst = cap_reserve(&w, slot, p->len, &caplen)) != NULL) {
		memcpy(dst, p->payload, caplen);
		return;
	}
	stage_len = p->len < w.snaplen ? p->len : w.snaplen;
	memcpy(stage, p->payload, stage_len);
	stage_ok = 1;
}

/*
 * The pages slot's next records go to, made in one system call while
 * natd writes the ring's first lap, rather than a page fault each in
 * the copy (cap_ahead): a fault costs 20 to 45 us on this VM, 16 of
 * them a 64 KiB packet. Ahead by one packet, so a device that sends
 * little does not hold more memory than its records.
 */
static void
capture_ahead(int slot)
{
	uint8_t		*at;
	uintptr_t	 a, e;
	size_t		 len;

	if (!populate || (len = cap_ahead(&w, slot, &at)) == 0)
		return;
	/* Whole pages; a partial last one comes with the next call. */
	a = (uintptr_t)at & ~(uintptr_t)4095;
	e = ((uintptr_t)at + len) & ~(uintptr_t)4095;
	if (e > a && madvise((void *)a, e - a, MADV_POPULATE_WRITE) == -1 &&
	    errno == EINVAL)
		populate = 0;	/* an older kernel: pages fault in */
}

void
capture_cancel(void)
{
	if (w.h == NULL)
		return;
	cap_cancel(&w);
	stage_ok = 0;
}

void
capture_after(const struct nfq_pkt *p, const struct nat_result *res,
    uint16_t gso_size)
{
	uint8_t		 mac[6];
	uint8_t		 flags;
	int		 slot;

	if (w.h == NULL)
		return;
	flags = (p->skbinfo & NAT_SKB_GSO) ? CAP_F_GSO : 0;
	slot = -1;
	if (res->dir == NAT_DIR_UP && w.pend_slot >= 0) {
		slot = w.pend_slot;
		cap_set_ip(&w, slot, res->lan_ip);
		cap_commit(&w, now_us, CAP_DIR_UP, flags, gso_size);
	} else if (res->dir == NAT_DIR_UP && stage_ok) {
		if ((slot = cap_slot(&w, p->hwaddr, now_us)) >= 0) {
			cap_set_ip(&w, slot, res->lan_ip);
			cap_write(&w, slot, now_us, CAP_DIR_UP, flags,
			    gso_size, stage, p->len);
		}
	} else if (res->dir == NAT_DIR_DOWN &&
	    nat_client_mac(&nat, res->client, mac)) {
		cap_cancel(&w);
		if ((slot = cap_slot(&w, mac, now_us)) >= 0)
			cap_write(&w, slot, now_us, CAP_DIR_DOWN, flags,
			    gso_size, p->payload, p->len);
	}
	capture_cancel();
	if (slot >= 0)
		capture_ahead(slot);
}

int
capture_clear(const uint8_t mac[6])
{
	return cap_clear(&w, mac);
}
