/*
 * bench/telemetry's query figure: /api/traffic's work (query.c) for a
 * busy device's full day at 1,000 points, in a 64 MiB store. Not a test.
 *
 * The day: one bulk remote busy in every 100 ms of 24 hours, up and
 * down, and 40 chattering remotes, each a packet or two every 7 to 47
 * seconds. Prints the query's time as /api/traffic?points=1000 runs it
 * (query_request: parse, the rows, the JSON object and its text), best
 * and median of 9 runs, in wall-clock and in CPU time (this machine is
 * shared: the CPU time is what the query costs, the wall clock what a
 * loaded machine adds), and the store's bytes per active (pair, second).
 *
 * Then the durable half (webd/store.c) on a file in /tmp, WAL and
 * synchronous=FULL as webd runs it: the day checkpointed a minute at a
 * time as webd does (each minute's transaction timed), the file's size,
 * and the rebuild of a fresh region from it (timed), whose answer to the
 * same query must be the very same JSON.
 */
#include <arpa/inet.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include <sqlite3.h>

#include "layout.h"
#include "query.h"
#include "ring.h"
#include "store.h"
#include "util.h"

#define T0		1800000000000ULL
#define DAY_MS		(86400 * 1000ULL)
#define SIZE		(64UL * 1024 * 1024)
#define RUNS		9

static double
now_ms(clockid_t clock)
{
	struct timespec	 ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
add(struct hist *hs, uint64_t ms, uint32_t remote, int up, uint32_t bytes)
{
	struct hist_rec	 r;

	memset(&r, 0, sizeof(r));
	r.ms = ms;
	r.mac[0] = 0x52;
	r.mac[5] = 1;
	r.lan_ip = htonl(0x0a2a0064);
	r.remote = htonl(remote);
	r.proto = 6;
	r.up = (uint8_t)up;
	r.remote_port = 443;
	r.bytes = bytes;
	r.packets = 1 + bytes / 1448;
	hist_add(hs, &r);
}

static uint64_t
fill(struct hist *hs)
{
	uint64_t	 ms, active = 0, next[40];
	uint32_t	 i;

	for (i = 0; i < 40; i++)
		next[i] = T0 + i * 997;
	for (ms = T0; ms < T0 + DAY_MS; ms += 100) {
		add(hs, ms + 3, 0xc6336401, 1, 1500 + (uint32_t)(ms % 300));
		add(hs, ms + 7, 0xc6336401, 0, 60000 + (uint32_t)(ms % 9000));
		active += ms % 1000 == 0;
		for (i = 0; i < 40; i++)
			if (next[i] <= ms) {
				add(hs, ms + 50, 0xcb007101 + i, 1, 80 + i);
				add(hs, ms + 60, 0xcb007101 + i, 0, 120 + i);
				next[i] = ms + (7 + (ms / 1000 + i * 13) % 41) *
				    1000;
				active++;
			}
		if (ms % 60000 == 0)
			hist_tick(hs, ms);
	}
	hist_tick(hs, T0 + DAY_MS + 2000);
	return active;
}

/* Bytes per active second of the bulk pair and of the chattering ones:
 * the blocks each owns. */
static void
per_kind(struct hist *hs, uint64_t active)
{
	uint32_t	 b, n, bulk = hist_find(hs, (const uint8_t[6]){ 0x52, 0,
	    0, 0, 0, 1 }, htonl(0xc6336401));
	uint64_t	 nbulk = 0, nchat = 0;

	for (b = 0; b < hs->h->uhwm; b += n) {
		n = HIST_BLK_UNITS(HIST_BLK(hs, b));
		if (HIST_BLK(hs, b)->owner == HIST_NONE)
			continue;
		if (HIST_BLK(hs, b)->owner == bulk)
			nbulk += n;
		else
			nchat += n;
	}
	printf("  the bulk pair: %.1f bytes per active second; the 40 "
	    "chattering pairs: %.1f\n", (double)nbulk * HIST_UNIT / 86400,
	    (double)nchat * HIST_UNIT / (double)(active - 86400));
}

static int
cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *
day_json(struct hist *hs)
{
	const char	*v[QP_MAX] = { "10.42.0.100", NULL, NULL, NULL, NULL,
	    "1000" };
	struct query_reply rep;
	char		*text;

	query_request(hs, 0, 0, v, T0 + DAY_MS, &rep);
	text = json_dumps(rep.json, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(rep.json);
	return text;
}

static void
durable(struct hist *hs, uint64_t active)
{
	static double	 per[1440];
	struct store	 st;
	struct stat	 sb;
	sqlite3		*db;
	struct hist	 b;
	void		*mem = calloc(1, SIZE);
	char		 err[256], *want, *got, db_path[64];
	double		 t0, total = 0, max = 0;
	uint64_t	 m, m0 = T0 / 60000 + 1;
	size_t		 n = 0;
	int		 rc;

	/* a file of this run's own: another run at the same time (several
	 * engineers share this machine) must not write into it */
	snprintf(db_path, sizeof(db_path), "/tmp/gk-bench-history.%ld.db",
	    (long)getpid());
	sqlite_files_unlink(db_path);
	if (mem == NULL || sqlite3_open(db_path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous="
	    "FULL", NULL, NULL, NULL) != SQLITE_OK ||
	    store_init(&st, db, err, sizeof(err)) == -1) {
		printf("durable: cannot open %s\n", db_path);
		return;
	}
	for (m = m0; m <= m0 + 1439; m++) {
		t0 = now_ms(CLOCK_MONOTONIC);
		if (store_checkpoint(&st, hs, (uint32_t)(m * 60), m * 60000 +
		    2000, err, sizeof(err)) == -1) {
			printf("checkpoint: %s\n", err);
			return;
		}
		per[n] = now_ms(CLOCK_MONOTONIC) - t0;
		total += per[n];
		max = per[n] > max ? per[n] : max;
		n++;
	}
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	stat(db_path, &sb);
	qsort(per, n, sizeof(per[0]), cmp);
	printf("checkpoints, one a minute for the day: median %.1f ms, "
	    "max %.1f ms, %.1f s in all; history.db %lld bytes, %.1f per "
	    "active pair-second\n", per[n / 2], max, total / 1000,
	    (long long)sb.st_size, (double)sb.st_size / (double)active);
	hist_attach(&b, mem, SIZE, 86400);
	t0 = now_ms(CLOCK_MONOTONIC);
	rc = store_load(&st, &b, T0 + DAY_MS, err, sizeof(err));
	printf("rebuild of a fresh region from it: %.0f ms, %d seconds "
	    "restored, %llu rows rejected\n", now_ms(CLOCK_MONOTONIC) - t0,
	    rc, (unsigned long long)st.st.rows_rejected);
	want = day_json(hs);
	got = day_json(&b);
	printf("the rebuilt day's answer: %s\n", strcmp(want, got) == 0 ?
	    "the same" : "DIFFERENT");
	free(want);
	free(got);
	store_fini(&st);
	sqlite3_close(db);
	sqlite_files_unlink(db_path);
	free(mem);
}

/*
 * ---- The replayed home day: a household's 24 hours, made up here and
 * fed through the store's own API (hist_add, hist_tick) in accelerated
 * time, as the drain would feed it, to see what the encoding costs on
 * traffic that is neither all bulk nor all idle.
 *
 * Every flow is a list of 100 ms slots (bytes and packets, up and down,
 * IP lengths as natd counts them: a bulk download's ACKs are one 52-byte
 * packet per two 1,500-byte segments). The emissions of every device are
 * generated, sorted by time and replayed; hist_tick runs each minute of
 * the day, as the drain's clock would. A fixed seed: every run replays
 * the same day.
 */
#define HD_EMIT_MAX	(4U * 1024 * 1024)
#define HD_DEVICES	14
#define HD_H(h)		(HD_DAY0 + (uint64_t)((h) * 3600000.0))
#define HD_DAY0		(T0 - T0 % DAY_MS)	/* midnight UTC */

struct hd_emit {
	uint64_t	 ms;
	uint32_t	 remote;
	uint32_t	 bytes, packets;
	uint16_t	 port;
	uint8_t		 dev, up, proto;
};

static struct {
	struct hd_emit	*e;
	size_t		 n;
	uint64_t	 rng;
	uint64_t	 bytes[HD_DEVICES][2];
} hd = { .rng = 0x9e3779b97f4a7c15ULL };

static const char *const hd_names[HD_DEVICES] = { "laptop", "phone A",
	"phone B", "tablet", "TV", "game console", "speaker", "thermostat",
	"plug 1", "plug 2", "doorbell", "printer", "vacuum", "camera hub" };

static uint32_t
hd_rnd(uint32_t n)		/* xorshift64*: 0..n-1 */
{
	hd.rng ^= hd.rng >> 12;
	hd.rng ^= hd.rng << 25;
	hd.rng ^= hd.rng >> 27;
	return (uint32_t)((hd.rng * 2685821657736338717ULL) >> 32) % n;
}

static uint32_t
hd_between(uint32_t lo, uint32_t hi)
{
	return lo + hd_rnd(hi - lo + 1);
}

static void
hd_put(int dev, uint32_t remote, uint16_t port, uint8_t proto, int up,
    uint64_t ms, uint32_t bytes, uint32_t packets)
{
	struct hd_emit	*x;

	if (hd.n == HD_EMIT_MAX || bytes == 0)
		return;
	x = &hd.e[hd.n++];
	x->ms = ms;
	x->remote = remote;
	x->bytes = bytes;
	x->packets = packets;
	x->port = port;
	x->dev = (uint8_t)dev;
	x->up = (uint8_t)up;
	x->proto = proto;
	hd.bytes[dev][!up] += bytes;
}

/* One 100 ms slot of a TCP download of about `down` bytes, with its ACKs. */
static void
hd_down(int dev, uint32_t remote, uint16_t port, uint64_t ms, uint32_t down)
{
	uint32_t	 pd = (down + 1499) / 1500, pu = (pd + 1) / 2;

	hd_put(dev, remote, port, 6, 0, ms + hd_rnd(40), down, pd);
	hd_put(dev, remote, port, 6, 1, ms + 40 + hd_rnd(60), pu * 52, pu);
}

/* A web fetch: a request, then a response over 1 to 20 slots. */
static void
hd_fetch(int dev, uint32_t remote, uint64_t ms)
{
	uint32_t	 slots = 1 + hd_rnd(hd_rnd(4) == 0 ? 20 : 5), i;

	hd_put(dev, remote, 443, 6, 1, ms, hd_between(400, 1800), 1);
	for (i = 0; i < slots; i++)
		if (hd_rnd(4) != 0)
			hd_down(dev, remote, 443, ms + 100 * (i + 1),
			    hd_between(1200, 120000));
}

/* Remotes of the web, shared by the devices, the popular ones oftener. */
static uint32_t
hd_web_remote(void)
{
	return 0x0b000000 + hd_rnd(1 + hd_rnd(2500));
}

/* A page load: 2 to 15 remotes, each fetched once or a few times. */
static void
hd_page(int dev, uint64_t ms)
{
	uint32_t	 n = hd_between(2, 15), i, k;
	uint32_t	 r;

	for (i = 0; i < n; i++) {
		r = hd_web_remote();
		for (k = hd_between(1, 3); k > 0; k--)
			hd_fetch(dev, r, ms + hd_rnd(3000) + k * hd_rnd(2000));
	}
}

/* Browsing from h0 to h1: page loads every lo..hi seconds. */
static void
hd_browse(int dev, double h0, double h1, uint32_t lo, uint32_t hi)
{
	uint64_t	 ms;

	for (ms = HD_H(h0); ms < HD_H(h1); ms += hd_between(lo, hi) * 1000ULL)
		hd_page(dev, ms);
}

/* A phone: sessions of 1 to 6 minutes every 10 to 50, pages every 5-40 s. */
static void
hd_phone(int dev, double h0, double h1)
{
	uint64_t	 ms, end;

	for (ms = HD_H(h0); ms < HD_H(h1);
	    ms += hd_between(600, 3000) * 1000ULL) {
		end = ms + hd_between(60, 360) * 1000ULL;
		hd_browse(dev, (double)(ms - HD_DAY0) / 3600000,
		    (double)(end - HD_DAY0) / 3600000, 5, 40);
	}
}

/* Streaming video: a segment of seg bytes every period s, sent at ~rate
 * bytes per 100 ms, from one CDN address. */
static void
hd_video(int dev, uint32_t cdn, double h0, double h1, uint32_t period,
    uint32_t seg, uint32_t rate)
{
	uint64_t	 ms, t;
	uint32_t	 left, chunk;

	for (ms = HD_H(h0); ms < HD_H(h1); ms += period * 1000ULL) {
		hd_put(dev, cdn, 443, 6, 1, ms, hd_between(500, 900), 1);
		left = seg - seg / 8 + hd_rnd(seg / 4);
		for (t = ms + 100; left > 0; t += 100) {
			chunk = rate - rate / 4 + hd_rnd(rate / 2);
			chunk = chunk < left ? chunk : left;
			hd_down(dev, cdn, 443, t, chunk);
			left -= chunk;
		}
	}
}

/* A bulk download (an update) of about `rate` bytes per 100 ms. */
static void
hd_bulk(int dev, uint32_t remote, double h0, double h1, uint32_t rate)
{
	uint64_t	 ms;

	for (ms = HD_H(h0); ms < HD_H(h1); ms += 100)
		hd_down(dev, remote, 443, ms, rate - rate / 8 +
		    hd_rnd(rate / 4));
}

/* Both ways every 100 ms, UDP: a video call, a game. */
static void
hd_duplex(int dev, uint32_t remote, uint16_t port, double h0, double h1,
    uint32_t psize, uint32_t pkts)
{
	uint64_t	 ms;
	uint32_t	 n;

	for (ms = HD_H(h0); ms < HD_H(h1); ms += 100) {
		n = hd_between(pkts / 2, pkts + pkts / 2);
		hd_put(dev, remote, port, 17, 1, ms + hd_rnd(50),
		    n * hd_between(psize / 2, psize), n);
		n = hd_between(pkts / 2, pkts + pkts / 2);
		hd_put(dev, remote, port, 17, 0, ms + 50 + hd_rnd(50),
		    n * hd_between(psize / 2, psize), n);
	}
}

/* An idle chatterer: a packet up and one down every lo..hi seconds. */
static void
hd_chatter(int dev, uint32_t remote, uint16_t port, double h0, double h1,
    uint32_t lo, uint32_t hi)
{
	uint64_t	 ms;

	for (ms = HD_H(h0) + hd_rnd(hi) * 1000ULL; ms < HD_H(h1);
	    ms += hd_between(lo, hi) * 1000ULL) {
		hd_put(dev, remote, port, 6, 1, ms, hd_between(60, 400), 1);
		hd_put(dev, remote, port, 6, 0, ms + hd_between(20, 300),
		    hd_between(60, 600), 1);
	}
}

static void
hd_generate(void)
{
	int		 d, i;

	/* the laptop: work, an evening; a video call; mail; an update */
	hd_browse(0, 8.5, 12, 20, 120);
	hd_browse(0, 13.5, 17.5, 20, 120);
	hd_browse(0, 20, 23, 30, 180);
	hd_duplex(0, 0x0c000001, 3478, 10, 10.75, 1100, 4);
	hd_chatter(0, 0x0c000002, 993, 8, 23.5, 50, 70);
	hd_bulk(0, 0x0c000003, 3, 3.33, 80000);
	/* two phones: sessions all day, push servers always */
	hd_phone(1, 7, 23.5);
	hd_phone(2, 7.5, 22);
	hd_chatter(1, 0x0c000010, 5223, 0, 24, 240, 600);
	hd_chatter(2, 0x0c000011, 5228, 0, 24, 240, 600);
	/* the tablet: an hour and a half of video, some browsing */
	hd_video(3, 0x0c000020, 17, 18.5, 5, 2000000, 150000);
	hd_browse(3, 18.5, 19.5, 30, 240);
	/* the TV: the evening's film, and its chatter all day */
	hd_video(4, 0x0c000030, 19.5, 22.75, 4, 3000000, 200000);
	for (i = 0; i < 3; i++)
		hd_chatter(4, 0x0c000031 + i, 443, 0, 24, 30, 300);
	/* the game console: an hour of play */
	hd_duplex(5, 0x0c000040, 3074, 21, 22, 120, 6);
	hd_chatter(5, 0x0c000041, 443, 0, 24, 60, 120);
	/* the idle chatterers: one to three remotes each */
	for (d = 6; d < HD_DEVICES; d++)
		for (i = 0; i <= (d % 3); i++)
			hd_chatter(d, 0x0d000000 + (uint32_t)d * 16 + i,
			    i == 0 ? 8883 : 443, 0, 24, 15 + 10 * i,
			    120 + 60 * d);
}

static int
hd_cmp(const void *a, const void *b)
{
	const struct hd_emit *x = a, *y = b;

	return x->ms < y->ms ? -1 : x->ms > y->ms;
}

/* Replays the day into a fresh 64 MiB store; prints what it cost. */
static void
home_day(void)
{
	struct hist	 hs;
	struct hist_rec	 r;
	void		*mem = calloc(1, SIZE);
	uint32_t	*last = NULL, p, b, n, minute;
	uint64_t	*last_slot = NULL, slots = 0, pool;
	uint64_t	 active = 0, dact[HD_DEVICES] = { 0 }, dblk[HD_DEVICES] =
	    { 0 }, dpairs[HD_DEVICES] = { 0 }, data = 0, tails = 0,
	    blocks = 0;
	double		 t0;
	size_t		 i;
	int		 d;

	hd.e = calloc(HD_EMIT_MAX, sizeof(*hd.e));
	if (mem == NULL || hd.e == NULL ||
	    hist_attach(&hs, mem, SIZE, 86400) == -1 ||
	    (last = calloc(hs.h->npairs, sizeof(*last))) == NULL ||
	    (last_slot = calloc(hs.h->npairs, sizeof(*last_slot))) == NULL) {
		printf("home day: out of memory\n");
		return;
	}
	hd_generate();
	qsort(hd.e, hd.n, sizeof(*hd.e), hd_cmp);
	t0 = now_ms(CLOCK_MONOTONIC);
	minute = 0;
	for (i = 0; i < hd.n; i++) {
		if (hd.e[i].ms / 60000 != minute) {
			minute = (uint32_t)(hd.e[i].ms / 60000);
			hist_tick(&hs, (uint64_t)minute * 60000);
		}
		memset(&r, 0, sizeof(r));
		r.ms = hd.e[i].ms;
		r.mac[0] = 0x02;
		r.mac[1] = 0x48;
		r.mac[5] = hd.e[i].dev;
		r.lan_ip = htonl(0x0a2a0080 + hd.e[i].dev);
		r.remote = htonl(hd.e[i].remote);
		r.proto = hd.e[i].proto;
		r.up = hd.e[i].up;
		r.remote_port = hd.e[i].port;
		r.bytes = hd.e[i].bytes;
		r.packets = hd.e[i].packets;
		hist_add(&hs, &r);
		p = hist_find(&hs, r.mac, r.remote);
		if (p != HIST_NONE && last[p] != r.ms / 1000) {
			last[p] = (uint32_t)(r.ms / 1000);
			active++;
			dact[hd.e[i].dev]++;
		}
		if (p != HIST_NONE && last_slot[p] != r.ms / 100) {
			last_slot[p] = r.ms / 100;
			slots++;
		}
	}
	hist_tick(&hs, HD_DAY0 + DAY_MS + 2000);
	printf("home day: %zu summaries replayed in %.0f ms; %u pairs, %llu "
	    "active pair-seconds; late %llu, pairs_full %llu, coarsened "
	    "%llu, dropped %llu\n", hd.n, now_ms(CLOCK_MONOTONIC) - t0,
	    hs.h->pairs_used, (unsigned long long)active,
	    (unsigned long long)hs.h->st.late,
	    (unsigned long long)hs.h->st.pairs_full,
	    (unsigned long long)(hs.h->st.coarsened[0] +
	    hs.h->st.coarsened[1]), (unsigned long long)hs.h->st.dropped);
	for (b = 0; b < hs.h->uhwm; b += n) {
		n = HIST_BLK_UNITS(HIST_BLK(&hs, b));
		if (HIST_BLK(&hs, b)->owner != HIST_NONE) {
			dblk[hs.pairs[HIST_BLK(&hs, b)->owner].mac[5]] += n;
			data += HIST_BLK(&hs, b)->used;
			tails += HIST_BLK(&hs, b)->next == HIST_NONE;
			blocks++;
		}
	}
	pool = (uint64_t)hist_units_used(&hs) * HIST_UNIT;
	for (p = 0; p < hs.h->phwm; p++)
		if (hs.pairs[p].used)
			dpairs[hs.pairs[p].mac[5]]++;
	for (d = 0; d < HD_DEVICES; d++)
		printf("  %-12s %4llu pairs, %7llu active pair-seconds, %6.1f "
		    "MB up, %7.1f MB down: %5.1f bytes per active "
		    "pair-second\n", hd_names[d],
		    (unsigned long long)dpairs[d], (unsigned long long)dact[d],
		    hd.bytes[d][0] / 1e6, hd.bytes[d][1] / 1e6, dact[d] ?
		    (double)dblk[d] * HIST_UNIT / (double)dact[d] : 0);
	printf("home day: bytes per active pair-second: %.1f in blocks "
	    "(target <= 32); %.1f with the pairs' own records (%zu bytes "
	    "each)\n", (double)pool / (double)active, ((double)pool +
	    (double)hs.h->pairs_used * sizeof(struct hist_pair)) /
	    (double)active, sizeof(struct hist_pair));
	/* where the blocks' bytes go: a pair's chain ends in a block it
	 * has not filled yet, and a pair seen for a few seconds has only
	 * that one */
	printf("home day: of the blocks' %llu bytes, records %.0f %%, block "
	    "headers %.0f %% (%llu blocks), room left unused %.0f %% (%llu "
	    "pairs' last blocks)\n", (unsigned long long)pool,
	    100.0 * (double)data / (double)pool,
	    100.0 * (double)(blocks * HIST_HDR) / (double)pool,
	    (unsigned long long)blocks, 100.0 - 100.0 * (double)(data +
	    blocks * HIST_HDR) / (double)pool, (unsigned long long)tails);
	/* what is free below the high-water mark: room trimmed off the
	 * pairs' last blocks that no block has taken again yet */
	printf("home day: the pool's pages touched: %llu bytes (%.1f per "
	    "active pair-second), %llu of them free for any block\n",
	    (unsigned long long)hs.h->uhwm * HIST_UNIT,
	    (double)hs.h->uhwm * HIST_UNIT / (double)active,
	    (unsigned long long)hs.h->uhwm * HIST_UNIT - pool);
	/* the original kept a std::map entry of about 64 bytes per active
	 * 100 ms bucket of a pair (issue 12) */
	printf("home day: %llu active (pair, 100 ms) buckets, %.1f per "
	    "active pair-second; the original's 64 bytes each: %.1f bytes per "
	    "active pair-second\n", (unsigned long long)slots,
	    (double)slots / (double)active, 64.0 * (double)slots /
	    (double)active);
	free(last);
	free(last_slot);
	free(hd.e);
	free(mem);
}

/*
 * natd's own share of the telemetry, which bench/telemetry/run's "off"
 * (webd frozen) keeps: per nfqueue packet, a 40-byte summary built and
 * pushed into the 16 MiB ring. Timed here as natd's summarize() does it
 * (the record zeroed and filled, gk_ring_push), 512 at a time, each batch
 * then read back as webd's drain reads it (not timed), so the pushes
 * always find room and write over records read a ring ago. One thread:
 * the cross-core cost of webd reading the same lines is not in it.
 */
static void
ring_cost(void)
{
	static struct gk_ring_rec buf[512];
	struct gk_ring_prod	 p;
	struct gk_ring_cons	 c;
	struct gk_ring_rec	 r;
	void			*mem = calloc(1, NATD_RING_SIZE);
	void			*tail = calloc(1, NATD_RING_TAIL_SIZE);
	uint64_t		 i, k, n = 16 * 1024 * 1024;
	double			 t = 0, t0;

	if (mem == NULL || tail == NULL || gk_ring_attach(&p, mem,
	    NATD_RING_SIZE, tail, NATD_RING_TAIL_SIZE) == -1 ||
	    gk_ring_open(&c, mem, NATD_RING_SIZE, tail,
	    NATD_RING_TAIL_SIZE) == -1)
		return;
	for (i = 0; i < n; i += 512) {
		t0 = now_ms(CLOCK_MONOTONIC);
		for (k = i; k < i + 512; k++) {
			memset(&r, 0, sizeof(r));
			r.mono_us = 1000000 + k;
			r.lan_ip = htonl(0x0a2a0032);
			r.remote_ip = htonl(0xcb007101);
			r.lan_port = (uint16_t)(40000 + k % 4);
			r.remote_port = 5201;
			r.wan_port = (uint16_t)(1024 + k % 4);
			r.proto = 6;
			r.dir = k % 3 ? GK_RING_UP : GK_RING_DOWN;
			r.bytes = (uint32_t)(1500 + k % 64000);
			r.packets = 1 + r.bytes / 1500;
			r.mac[0] = 0x02;
			r.mac[5] = 1;
			gk_ring_push(&p, &r);
		}
		t += now_ms(CLOCK_MONOTONIC) - t0;
		while (gk_ring_pop(&c, buf, 512) > 0)
			;
	}
	printf("natd's summary, built and pushed into the ring: %.1f ns each "
	    "(%llu pushes, %llu dropped)\n", t * 1e6 / (double)n,
	    (unsigned long long)n, (unsigned long long)p.drops);
	free(mem);
	free(tail);
}

int
main(void)
{
	const char	*v[QP_MAX] = { "10.42.0.100", NULL, NULL, NULL, NULL,
	    "1000" };
	struct hist	 hs;
	struct query_reply rep;
	double		 t[RUNS], cpu[RUNS], t0, c0;
	char		*text;
	void		*mem = calloc(1, SIZE);
	uint64_t	 active;
	size_t		 rows = 0;
	int		 i;

	if (mem == NULL || hist_attach(&hs, mem, SIZE, 86400) == -1)
		return 1;
	active = fill(&hs);
	for (i = 0; i < RUNS; i++) {
		t0 = now_ms(CLOCK_MONOTONIC);
		c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		query_request(&hs, 0, 0, v, T0 + DAY_MS, &rep);
		if (rep.status != 200)
			return 1;
		text = json_dumps(rep.json, JSON_COMPACT);
		t[i] = now_ms(CLOCK_MONOTONIC) - t0;
		cpu[i] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
		rows = json_array_size(json_object_get(rep.json, "rows"));
		free(text);
		json_decref(rep.json);
	}
	qsort(t, RUNS, sizeof(t[0]), cmp);
	qsort(cpu, RUNS, sizeof(cpu[0]), cmp);
	printf("rows: %zu\n", rows);
	printf("active pair-seconds: %llu; pool used: %u of %u units of "
	    "%d bytes; coarsened: %llu, dropped: %llu\n",
	    (unsigned long long)active, hist_units_used(&hs), hs.h->nunits,
	    HIST_UNIT,
	    (unsigned long long)hs.h->st.coarsened[0],
	    (unsigned long long)hs.h->st.dropped);
	printf("bytes per active pair-second: %.1f (target <= 32)\n",
	    (double)hist_units_used(&hs) * HIST_UNIT / (double)active);
	per_kind(&hs, active);
	printf("query, full day at points=1000: wall best %.1f ms, median "
	    "%.1f ms; CPU best %.1f ms, median %.1f ms (target <= 50 ms)\n",
	    t[0], t[RUNS / 2], cpu[0], cpu[RUNS / 2]);
	durable(&hs, active);
	free(mem);
	home_day();
	ring_cost();
	return 0;
}
