/*
 * The drain: natd's summary ring into the traffic history and the live
 * frames' counts (live.c), on a timer, and at once before each frame.
 *
 * Latency: a live frame, the second's tick, an HTTP request and `gkctl
 * traffic` drain the ring first, so they see every summary natd had
 * written then (up to DRAIN_MAX_TICK of them: a backlog after a stall
 * takes a few turns). Between them a summary waits at most DRAIN_MS
 * plus the drain of the records before it (DRAIN_MAX_TICK records a
 * turn, a few ms). 20 ms, not less: each wake-up costs webd ~25 us of
 * kernel time on a small VM, which at 5 ms was most of its CPU under
 * load. The ring holds NATD_RING_SIZE / 40 records
 * (about 420,000): natd runs that far ahead before it drops (counted in
 * the ring, shown in status).
 *
 * Time: natd stamps CLOCK_MONOTONIC; wall time is that plus an offset
 * kept in the history's own header, so a restarted webd goes on with
 * the same one. When the wall clock steps (a router without a real-time
 * clock meets NTP), the whole history moves with the offset, keeping its
 * place relative to now instead of being scattered or expired.
 *
 * Devices: a record's MAC is the device. Until natd fills it (issue 13),
 * the device is the MAC natd last gave with the record's LAN address, or
 * else a stand-in ff:fe:A:B:C:D made of the address: a source MAC never
 * has the group bit set, so it cannot be a real device's.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "checkpoint.h"
#include "drain.h"
#include "layout.h"
#include "log.h"
#include "devices.h"
#include "names.h"
#include "ring.h"
#include "util.h"
#include "webd.h"

#define DRAIN_MS		20
#define DRAIN_BATCH		512
#define DRAIN_MAX_TICK		(64 * DRAIN_BATCH)
#define CLOCK_STEP_MS		2000	/* a smaller drift is not a step */
#define IPMAC_SIZE		4096	/* power of two */
#define PEND_MAX		8	/* records of one slot held together */

struct ipmac {
	uint32_t	 ip;
	uint8_t		 mac[6];
};

static struct {
	struct hist		 hist;
	int			 ok;
	struct gk_ring_cons	 ring;
	int			 ring_ok;
	struct event		 ev_drain, ev_second;
	struct ipmac		 ipmac[IPMAC_SIZE];
	struct drain_stats	 st;
	struct hist_rec		 pend[PEND_MAX];	/* this slot's records */
	int			 npend;
} d;

/* The device of a record: its MAC, or the one natd gave with its IP. */
static void
device_of(const struct gk_ring_rec *r, uint8_t mac[6])
{
	static const uint8_t zero[6];
	struct ipmac	*e;

	e = &d.ipmac[(ntohl(r->lan_ip) * 2654435761U) & (IPMAC_SIZE - 1)];
	if (memcmp(r->mac, zero, 6) != 0) {
		e->ip = r->lan_ip;
		memcpy(e->mac, r->mac, 6);
		memcpy(mac, r->mac, 6);
		return;
	}
	d.st.no_mac++;
	if (e->ip == r->lan_ip && r->lan_ip != 0) {
		memcpy(mac, e->mac, 6);
		return;
	}
	mac[0] = 0xff;
	mac[1] = 0xfe;
	memcpy(mac + 2, &r->lan_ip, 4);
}

/* The live frames first: they ask whether the history knew the device. */
static void
take_live(const struct hist_rec *h)
{
	struct live_rec	 l;

	memcpy(l.mac, h->mac, 6);
	l.proto = h->proto;
	l.up = h->up;
	l.lan_ip = h->lan_ip;
	l.remote = h->remote;
	l.port = h->remote_port;
	l.bytes = h->bytes;
	l.records = h->records;
	live_add(&webd.live, &l);
}

/* The record's consumers: the live counts, the history, the registry. */
static void
take(const struct hist_rec *h)
{
	take_live(h);
	hist_add(&d.hist, h);
	devices_count(webd.devices, h->mac, h->lan_ip, h->up, h->bytes, h->ms);
}

/*
 * A bulk flow's summaries come by the hundred in each 100 ms slot (a TCP
 * upload at 10 Gbit/s: its data and its ACKs, interleaved). The summaries
 * of one slot with the same device, remote, port, protocol and direction
 * are one record to the consumers, with their sums: the buckets and
 * totals are the same as for each summary alone, for a fraction of the
 * drain's work. The records of a slot wait in pend, in the order they
 * began, and go on when a summary of another slot comes, when pend is
 * full, and at the end of every drain, so a frame or a query never
 * misses any, and a pair's seconds reach the history in order.
 */
static int
same_run(const struct hist_rec *a, const struct hist_rec *b)
{
	return a->remote == b->remote && a->lan_ip == b->lan_ip &&
	    a->remote_port == b->remote_port && a->proto == b->proto &&
	    a->up == b->up && memcmp(a->mac, b->mac, 6) == 0 &&
	    a->bytes <= UINT32_MAX - b->bytes &&
	    a->packets <= UINT32_MAX - b->packets;
}

static void
pend_out(void)
{
	int	 i;

	for (i = 0; i < d.npend; i++)
		take(&d.pend[i]);
	d.npend = 0;
}

static void
pend_in(const struct hist_rec *h)
{
	struct hist_rec	*e;
	int		 i;

	if (d.npend > 0 && d.pend[0].ms / 100 != h->ms / 100)
		pend_out();
	for (i = 0; i < d.npend; i++) {
		e = &d.pend[i];
		if (same_run(e, h)) {
			e->bytes += h->bytes;
			e->packets += h->packets;
			e->records++;
			return;
		}
	}
	if (d.npend == PEND_MAX)
		pend_out();
	d.pend[d.npend++] = *h;
}

static void
summary_in(const struct gk_ring_rec *r)
{
	struct hist_rec	 h;

	memset(&h, 0, sizeof(h));
	h.ms = r->mono_us / 1000 + (uint64_t)d.hist.h->wall_offset_ms;
	device_of(r, h.mac);
	h.proto = r->proto;
	h.up = r->dir == GK_RING_UP;
	h.lan_ip = r->lan_ip;
	h.remote = r->remote_ip;
	h.remote_port = r->remote_port;
	h.bytes = r->bytes;
	h.packets = r->packets;
	h.records = 1;
	pend_in(&h);
}

static void
drain(evutil_socket_t fd, short what, void *arg)
{
	drain_now();
}

void
drain_now(void)
{
	static struct gk_ring_rec buf[DRAIN_BATCH];
	size_t		 n, i, total = 0;

	if (!d.ring_ok)
		return;
	do {
		n = gk_ring_pop(&d.ring, buf, DRAIN_BATCH);
		for (i = 0; i < n; i++)
			summary_in(&buf[i]);
		total += n;
	} while (n == DRAIN_BATCH && total < DRAIN_MAX_TICK);
	pend_out();
	d.st.drained += total;
	if (total > 0)
		d.st.turns++;
}

/* Wall = monotonic + offset; a step moves the history with it. */
static void
check_clock(void)
{
	struct hist_hdr	*h = d.hist.h;
	int64_t		 diff, shift;

	if (!h->offset_set) {
		h->wall_offset_ms = (int64_t)wall_ms() - (int64_t)mono_ms();
		h->offset_set = 1;
		return;
	}
	diff = (int64_t)wall_ms() - ((int64_t)mono_ms() + h->wall_offset_ms);
	if (diff > -CLOCK_STEP_MS && diff < CLOCK_STEP_MS)
		return;
	shift = diff / 1000;
	hist_shift(&d.hist, shift);
	h->wall_offset_ms += shift * 1000;
	d.st.clock_steps++;
	log_info("the wall clock stepped by %lld s: the history moved with it",
	    (long long)shift);
}

/* The names the devices resolved (else the PTRs dnsd found), for the
 * pairs active this second. */
static void
label(uint64_t now_ms)
{
	struct hist_pair *e;
	struct in_addr	 client;
	const char	*name;
	uint32_t	 p;

	for (p = 0; p < d.hist.h->phwm; p++) {
		e = &d.hist.pairs[p];
		if (!e->used || e->last_ms + 2000 < now_ms)
			continue;
		/* a device seen: the registry (a stand-in MAC is refused) */
		devices_see(webd.devices, e->mac, e->lan_ip, e->last_ms,
		    DEVICES_TRAFFIC);
		client.s_addr = e->lan_ip;
		name = webd_remote_name(client, e->remote);
		if (name != NULL && strncmp(name, e->name, HIST_NAME - 1) != 0)
			hist_set_name(&d.hist, p, name);
	}
}

static void
second(evutil_socket_t fd, short what, void *arg)
{
	/* first: the tick closes the second before, and a summary of it
	 * still in the ring would then come late (review); and before a
	 * clock step, so what was stamped before it keeps the old offset */
	drain_now();
	check_clock();
	hist_tick(&d.hist, mono_ms() + (uint64_t)d.hist.h->wall_offset_ms);
	label(d.hist.h->now_ms);
}

/* fd's memory of its own measured size; prot PROT_READ, or also
 * PROT_WRITE for what webd writes. */
static void *
map(int fd, int prot, const char *what, size_t *size)
{
	struct stat	 st;
	void		*mem;

	if (fstat(fd, &st) == -1 || st.st_size <= 0) {
		log_warn("%s", what);
		return NULL;
	}
	mem = mmap(NULL, (size_t)st.st_size, prot, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		log_warn("mmap %s", what);
		return NULL;
	}
	*size = (size_t)st.st_size;
	return mem;
}

void
drain_init(struct event_base *base)
{
	struct timeval	 tick = { 0, DRAIN_MS * 1000 }, one = { 1, 0 };
	size_t		 size, tsize;
	void		*mem, *tail;
	int		 kept;

	if ((mem = map(FD_WEBD_HISTORY, PROT_READ | PROT_WRITE,
	    "history memory", &size)) == NULL ||
	    (kept = hist_attach(&d.hist, mem, size, 86400)) == -1) {
		log_warnx("no traffic history");
		return;
	}
	d.ok = 1;
	webd.srv.hist = &d.hist;
	log_info("traffic history: %s, %u pairs, %llu resets, %llu pairs "
	    "dropped as broken", kept ? "kept" : "new", d.hist.h->pairs_used,
	    (unsigned long long)d.hist.h->st.resets,
	    (unsigned long long)d.hist.h->st.salvaged);
	check_clock();
	checkpoint_init(base, &d.hist, kept);
	webd.srv.store = checkpoint_store();
	event_assign(&d.ev_second, base, -1, EV_PERSIST, second, NULL);
	event_add(&d.ev_second, &one);
	if ((mem = map(FD_WEBD_RING, PROT_READ, "summary ring", &size)) ==
	    NULL || (tail = map(FD_WEBD_RING_TAIL, PROT_READ | PROT_WRITE,
	    "summary ring tail", &tsize)) == NULL ||
	    gk_ring_open(&d.ring, mem, size, tail, tsize) == -1) {
		log_warnx("no summary ring: no traffic is recorded");
		return;
	}
	d.ring_ok = 1;
	event_assign(&d.ev_drain, base, -1, EV_PERSIST, drain, NULL);
	event_add(&d.ev_drain, &tick);
}

void
drain_flush(void)
{
	if (d.ring_ok)
		drain(-1, 0, NULL);
	if (d.ok)
		hist_tick(&d.hist, mono_ms() +
		    (uint64_t)d.hist.h->wall_offset_ms);
}

void
drain_config(uint32_t history_s)
{
	if (d.ok && history_s > 0)
		d.hist.h->history_s = history_s;
}

static void
add_today(const struct hist_sample *s, void *arg)
{
	const struct hist_pair *e = arg;
	uint64_t	 ms = (uint64_t)s->sec * 1000 + s->slot * 100;

	/* known devices only: a forgotten one stays forgotten */
	devices_count(webd.devices, e->mac, 0, 1, s->c[HIST_BU], ms);
	devices_count(webd.devices, e->mac, 0, 0, s->c[HIST_BD], ms);
}

void
drain_today(struct devices *devs, uint64_t midnight_ms)
{
	struct hist_pair *e;
	uint32_t	 p;

	if (!d.ok)
		return;
	for (p = 0; p < d.hist.h->phwm; p++) {
		e = &d.hist.pairs[p];
		if (!e->used)
			continue;
		/* seen since the registry was saved (all, when it was
		 * lost): a forgotten device does not come back from here */
		if (e->last_ms > devs->saved_ms) {
			devices_see(devs, e->mac, e->lan_ip, e->first_ms,
			    DEVICES_TRAFFIC);
			devices_see(devs, e->mac, e->lan_ip, e->last_ms,
			    DEVICES_TRAFFIC);
		}
		if (e->last_ms >= midnight_ms)
			hist_samples(&d.hist, p, (uint32_t)(midnight_ms / 1000),
			    UINT32_MAX, add_today, e);
	}
}

const struct drain_stats *
drain_stats(uint64_t *ring_drops)
{
	*ring_drops = d.ring_ok ? atomic_load_explicit(&d.ring.hdr->drops,
	    memory_order_relaxed) : 0;
	d.st.ring_lost = d.ring_ok ? d.ring.lost : 0;
	return &d.st;
}
