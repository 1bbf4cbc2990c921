/*
 * bench/telemetry's query figure: /api/traffic's work (query.c) for a
 * busy device's full day at 1,000 points, in a 64 MiB store. Not a test.
 *
 * The day: one bulk remote busy in every 100 ms of 24 hours, up and
 * down, and 40 chattering remotes, each a packet or two every 7 to 47
 * seconds. Prints the query's time (best and median of 9 runs, parse,
 * spread, rows and JSON text included) and the store's bytes per active
 * (pair, second).
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query.h"

#define T0		1800000000000ULL
#define DAY_MS		(86400 * 1000ULL)
#define SIZE		(64UL * 1024 * 1024)
#define RUNS		9

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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

static int
cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	struct hist	 hs;
	struct query	 q;
	struct query_result res;
	double		 t[RUNS], t0;
	char		 err[256], *text;
	void		*mem = calloc(1, SIZE);
	uint64_t	 active;
	json_t		*o;
	int		 i;

	if (mem == NULL || hist_attach(&hs, mem, SIZE, 86400) == -1)
		return 1;
	active = fill(&hs);
	for (i = 0; i < RUNS; i++) {
		t0 = now_ms();
		if (query_parse(&hs, &q, "10.42.0.100", NULL, NULL, NULL, NULL,
		    T0 + DAY_MS, err, sizeof(err)) == -1 ||
		    query_traffic(&hs, &q, &res) == -1)
			return 1;
		o = query_traffic_json(&q, &res);
		text = json_dumps(o, JSON_COMPACT);
		t[i] = now_ms() - t0;
		free(text);
		json_decref(o);
		query_result_free(&res);
	}
	qsort(t, RUNS, sizeof(t[0]), cmp);
	printf("rows: %zu (step %llu ms)\n", res.nrows,
	    (unsigned long long)q.step_ms);
	printf("active pair-seconds: %llu; blocks used: %u of %u; "
	    "coarsened: %llu, dropped: %llu\n", (unsigned long long)active,
	    hist_blocks_used(&hs), hs.h->nblocks,
	    (unsigned long long)hs.h->st.coarsened[0],
	    (unsigned long long)hs.h->st.dropped);
	printf("bytes per active pair-second: %.1f\n",
	    (double)hist_blocks_used(&hs) * HIST_BLOCK / (double)active);
	printf("query, full day at 1000 points: best %.1f ms, median %.1f "
	    "ms (target <= 50 ms)\n", t[0], t[RUNS / 2]);
	free(mem);
	return 0;
}
