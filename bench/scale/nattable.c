/*
 * bench/scale's table driver: natd's translation core (natd/nat_*.c,
 * the very code natd runs per packet), without the queue, on a region
 * mapped as natd maps its memfd. No reference: it says what the table
 * itself costs, which the run through the queue (flows.c) cannot tell
 * apart from the queue's and the kernel's work.
 *
 * Prints, as "key value" lines for bench/scale/run:
 *  - per level of flows (flows.h) L: the ns per packet of a pass of
 *    outbound packets over the L flows already made (lookups of the
 *    mapping and the session: natd's path for every packet of a known
 *    flow), best of three passes; and the region's resident KiB;
 *  - the sweep: a whole pass of nat_sweep over every slot (what natd's
 *    100 ms tick does in slices of 16,384) with nothing to expire, then
 *    with every flow expired; the slowest slice of 16,384;
 *  - capacity: ENDPOINTS distinct LAN endpoints (one flow each): how
 *    many mappings the table holds, why the others went, and what a new
 *    mapping costs while ports are free and once they are all taken.
 *
 * All times are this thread's CPU time.
 *
 * usage: nattable FLOWS ENDPOINTS   (FLOWS the top level, 1,000 and
 *        50,000 below it)
 */
#include <sys/mman.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flows.h"
#include "nat_impl.h"

#define SLICE		16384		/* natd.c's NATD_SWEEP */
#define SWEEP_ALL	(NAT_MAX_MAPS + NAT_MAX_SESS + NAT_MAX_CLIENTS)

static struct nat	 n;
static uint8_t		*region;
static size_t		 region_size;

static double
now_ns(void)
{
	struct timespec ts;

	/* This thread's CPU time: the machine is shared, and time spent
	 * preempted is not the table's. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The region's pages in memory, KiB. */
static unsigned long
resident_kib(void)
{
	size_t		 pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t		 np = (region_size + pg - 1) / pg, i;
	unsigned char	*v;
	unsigned long	 r = 0;

	if ((v = malloc(np)) == NULL || mincore(region, region_size, v) == -1)
		err(1, "mincore");
	for (i = 0; i < np; i++)
		r += v[i] & 1;
	free(v);
	return r * (pg / 1024);
}

/* Sends flow f's packet out through the table; 1 when translated. */
static int
packet(uint32_t f, uint32_t remotes)
{
	struct flow	 fl;
	struct nat_result res;
	uint8_t		 pkt[28];
	uint32_t	 v;

	flow_of(f, remotes, &fl);
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[3] = sizeof(pkt);
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	v = htonl(fl.src);
	memcpy(pkt + 12, &v, 4);
	v = htonl(fl.dst);
	memcpy(pkt + 16, &v, 4);
	st16raw(pkt + 10, 0);
	st16raw(pkt + 10, csum_fold(csum_partial(pkt, 20, 0)));
	pkt[20] = (uint8_t)(fl.sport >> 8);
	pkt[21] = (uint8_t)fl.sport;
	pkt[22] = (uint8_t)(fl.dport >> 8);
	pkt[23] = (uint8_t)fl.dport;
	pkt[25] = 8;			/* UDP length; checksum 0: none */
	nat_frame_mac(&n, fl.mac);
	return nat_packet(&n, pkt, sizeof(pkt), f, NAT_HOOK_FORWARD, 0,
	    &res) == 1 && res.modified;
}

static void
fresh(void)
{
	struct nat_config cf;

	memset(region, 0, region_size);
	/* Give the pages back: resident counts only what the table touches. */
	if (madvise(region, region_size, MADV_REMOVE) == -1)
		err(1, "madvise");
	memset(&n, 0, sizeof(n));
	if (nat_attach(&n, region, region_size, 42) != 0)
		errx(1, "nat_attach");
	memset(&cf, 0, sizeof(cf));
	cf.wan = htonl(0xcb007102);	/* 203.0.113.2 */
	cf.lan_net = htonl(0x0a2a0000);
	cf.lan_mask = htonl(0xffffff00);
	cf.lan_addr = htonl(0x0a2a0001);
	cf.local_min = 32768;
	cf.local_max = 60999;
	cf.web_port = 80;
	cf.filter_udp = NAT_EIF;
	cf.filter_tcp = NAT_ADF;
	nat_default_timeouts(&cf.to);
	nat_set_config(&n, &cf);
	n.rng = 0x9e3779b97f4a7c15ULL;
	n.now = 1000;
}

/* ns per packet of a pass over flows [0, l), best of three. */
static double
lookup_pass(uint32_t l)
{
	uint64_t	 i, passes = l < 100000 ? 200000 / l + 1 : 1;
	double		 t0, best = 1e18, t;
	int		 k;

	for (k = 0; k < 3; k++) {
		t0 = now_ns();
		for (i = 0; i < passes * l; i++)
			if (!packet(flow_visit(i, l), FLOW_REMOTES))
				errx(1, "flow %u refused at level %u",
				    flow_visit(i, l), l);
		t = (now_ns() - t0) / (double)(passes * l);
		if (t < best)
			best = t;
	}
	return best;
}

/* Whole passes of the sweep; the live one (it changes nothing) thrice. */
static void
sweep(const char *what)
{
	double		 t0, t, slowest, all, best_all = 1e18, best_slow = 0;
	uint32_t	 k;
	int		 r, rounds = strcmp(what, "live") == 0 ? 3 : 1;

	for (r = 0; r < rounds; r++) {
		n.sweep_pos = 0;
		slowest = all = 0;
		for (k = 0; k < SWEEP_ALL; k += SLICE) {
			t0 = now_ns();
			nat_sweep(&n, SLICE);
			t = now_ns() - t0;
			all += t;
			if (t > slowest)
				slowest = t;
		}
		if (all < best_all) {
			best_all = all;
			best_slow = slowest;
		}
	}
	all = best_all;
	slowest = best_slow;
	printf("sweep_%s_ms %.2f\nsweep_%s_slice_max_us %.0f\n", what,
	    all / 1e6, what, slowest / 1e3);
	printf("sweep_%s_left_maps %u\nsweep_%s_left_sessions %u\n", what,
	    nat_live_maps(&n), what, nat_live_sessions(&n));
}

/* Creates flows [from, to) with remotes per mapping; ns per flow. */
static double
fill(uint32_t from, uint32_t to, uint32_t remotes, int must)
{
	double		 t0 = now_ns();
	uint32_t	 f;

	for (f = from; f < to; f++)
		if (!packet(f, remotes) && must)
			errx(1, "flow %u refused while filling", f);
	return to > from ? (now_ns() - t0) / (to - from) : 0;
}

int
main(int argc, char *argv[])
{
	uint32_t	 levels[3] = { 1000, 50000, 0 }, made = 0, l, cap;
	double		 t;
	int		 fd, i;

	if (argc != 3 || (levels[2] = (uint32_t)atoi(argv[1])) < 50000 ||
	    (cap = (uint32_t)atoi(argv[2])) < 1000)
		errx(1, "usage: nattable FLOWS ENDPOINTS");
	region_size = nat_region_size();
	/* As natd's region: a memfd, shared. */
	if ((fd = memfd_create("nat-bench", 0)) == -1 ||
	    ftruncate(fd, (off_t)region_size) == -1)
		err(1, "memfd");
	region = mmap(NULL, region_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (region == MAP_FAILED)
		err(1, "mmap");
	fresh();
	printf("region_kib %zu\nempty_resident_kib %lu\n", region_size / 1024,
	    resident_kib());
	for (i = 0; i < 3; i++) {
		l = levels[i];
		t = fill(made, l, FLOW_REMOTES, 1);
		made = l;
		printf("level %u maps %u sessions %u new_ns %.0f "
		    "ns_per_packet %.1f resident_kib %lu\n", l,
		    nat_live_maps(&n), nat_live_sessions(&n), t,
		    lookup_pass(l), resident_kib());
	}
	sweep("live");
	n.now += n.cf.to.udp;
	sweep("expire");

	/*
	 * Capacity: one flow per LAN endpoint: the UDP ports of the WAN
	 * address run out at 36,280 mappings; each one past that evicts
	 * the idlest. What a new mapping costs before and after.
	 */
	fresh();
	t = fill(0, 30000, 1, 1);
	printf("capacity_new_ns_free %.0f\n", t);
	fill(30000, 36280, 1, 1);
	t = fill(36280, cap, 1, 0);
	printf("capacity_tried %u\ncapacity_maps %u\ncapacity_evicted %llu\n"
	    "capacity_ports_exhausted %llu\ncapacity_refused_other %llu\n"
	    "capacity_new_ns_full %.0f\n", cap,
	    nat_live_maps(&n), (unsigned long long)n.st.evicted,
	    (unsigned long long)n.st.ports_exhausted,
	    (unsigned long long)(n.st.mac_limit + n.st.client_limit +
	    n.st.mac_addrs + n.st.clients_full), t);
	printf("capacity_limits max_maps %u ports_per_proto %u\n",
	    NAT_MAX_MAPS, 65536 - PORT_MIN);
	return 0;
}
