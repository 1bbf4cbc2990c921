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

#include "query.h"
#include "store.h"

#define T0		1800000000000ULL
#define DAY_MS		(86400 * 1000ULL)
#define SIZE		(64UL * 1024 * 1024)
#define RUNS		9
#define DB		"/tmp/gk-bench-history.db"

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
	uint32_t	 b, bulk = hist_find(hs, (const uint8_t[6]){ 0x52, 0,
	    0, 0, 0, 1 }, htonl(0xc6336401));
	uint64_t	 nbulk = 0, nchat = 0;

	for (b = 0; b < hs->h->bhwm; b++) {
		if (hs->blocks[b].owner == HIST_NONE)
			continue;
		if (hs->blocks[b].owner == bulk)
			nbulk++;
		else
			nchat++;
	}
	printf("  the bulk pair: %.1f bytes per active second; the 40 "
	    "chattering pairs: %.1f\n", (double)nbulk * HIST_BLOCK / 86400,
	    (double)nchat * HIST_BLOCK / (double)(active - 86400));
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
	char		 err[256], *want, *got;
	double		 t0, total = 0, max = 0;
	uint64_t	 m, m0 = T0 / 60000 + 1;
	size_t		 n = 0;
	int		 rc;

	unlink(DB);
	unlink(DB "-wal");
	unlink(DB "-shm");
	if (mem == NULL || sqlite3_open(DB, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous="
	    "FULL", NULL, NULL, NULL) != SQLITE_OK ||
	    store_init(&st, db, err, sizeof(err)) == -1) {
		printf("durable: cannot open %s\n", DB);
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
	stat(DB, &sb);
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
	unlink(DB);
	unlink(DB "-wal");
	unlink(DB "-shm");
	free(mem);
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
	printf("active pair-seconds: %llu; blocks used: %u of %u; "
	    "coarsened: %llu, dropped: %llu\n", (unsigned long long)active,
	    hist_blocks_used(&hs), hs.h->nblocks,
	    (unsigned long long)hs.h->st.coarsened[0],
	    (unsigned long long)hs.h->st.dropped);
	printf("bytes per active pair-second: %.1f (target <= 32)\n",
	    (double)hist_blocks_used(&hs) * HIST_BLOCK / (double)active);
	per_kind(&hs, active);
	printf("query, full day at points=1000: wall best %.1f ms, median "
	    "%.1f ms; CPU best %.1f ms, median %.1f ms (target <= 50 ms)\n",
	    t[0], t[RUNS / 2], cpu[0], cpu[RUNS / 2]);
	durable(&hs, active);
	free(mem);
	return 0;
}
