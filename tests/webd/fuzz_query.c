/*
 * libFuzzer target: the history's query parameters (webd/query.c) as a
 * URL or gkctl gives them, over a small store with two devices. The
 * input is lines: client, remote, from, to, step, points (an empty line:
 * the parameter is absent). An accepted query is run, its rows must sum
 * to its totals and be no more than the points asked for, and its JSON
 * and CSV are made.
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

#define T0		1800000000000ULL
/* Two hours kept: a query may span three (the history and an hour), so
 * three chunks of 3,600 s and more rows than QUERY_MAX_ROWS are in reach;
 * with a day kept every default query walked 900,000 ticks. */
#define HISTORY_S	7200
#define NFIELDS		6

static void	*mem;
static struct hist hs;

static void
init(void)
{
	struct hist_rec	 r;
	int		 i;

	if ((mem = calloc(1, HIST_MIN_SIZE)) == NULL)
		abort();
	hist_attach(&hs, mem, HIST_MIN_SIZE, HISTORY_S);
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 2000; i++) {
		r.ms = T0 + (uint64_t)i * 1730;
		r.mac[0] = 0x52;
		r.mac[5] = (uint8_t)(i & 1);
		r.lan_ip = htonl(0x0a2a0064 + (i & 1));
		r.remote = htonl(0xc0000201 + (uint32_t)(i % 7));
		r.up = (i / 2) & 1;
		r.proto = i % 3 ? 6 : 17;
		r.remote_port = 443;
		r.bytes = 60 + (uint32_t)i;
		r.packets = 1;
		hist_add(&hs, &r);
	}
	hist_tick(&hs, T0 + 2000 * 1730 + 5000);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct query	 q;
	struct query_result res;
	char		*copy, *field[NFIELDS], *p, *nl, err[256];
	uint64_t	 sum;
	size_t		 i;
	json_t		*o;

	if (mem == NULL)
		init();
	if ((copy = malloc(len + 1)) == NULL)
		return 0;
	memcpy(copy, data, len);
	copy[len] = '\0';
	for (p = copy, i = 0; i < NFIELDS; i++) {
		field[i] = p;
		if ((nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			p = nl + 1;
		} else
			p += strlen(p);
		if (field[i][0] == '\0')
			field[i] = NULL;
	}
	if (query_parse(&hs, &q, field[0], field[1], field[2], field[3],
	    field[4], T0 + 3600 * 1000, err, sizeof(err)) == 0 &&
	    (field[5] == NULL || query_points(&q, field[5], err,
	    sizeof(err)) == 0) && query_traffic(&hs, &q, &res) == 0) {
		if (field[5] != NULL && res.nrows > strtoull(field[5], NULL, 10))
			abort();
		for (sum = 0, i = 0; i < res.nrows; i++)
			sum += res.rows[i].c[HIST_BU] + res.rows[i].c[HIST_BD];
		if (sum != res.total[HIST_BU] + res.total[HIST_BD])
			abort();
		json_decref(query_traffic_json(&q, &res));
		free(query_traffic_csv(&res));
		if ((o = query_remotes_json(&hs, &q)) != NULL)
			json_decref(o);
		query_result_free(&res);
	}
	free(copy);
	return 0;
}
