/*
 * Unit tests of the history's queries (webd/query.c): rows at a step
 * with exact sums and min/max, totals, peak and active seconds, the
 * remotes by bytes, the parameters, and CSV that parses back to the
 * JSON's numbers.
 */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "query.h"

#define T0		1800000000000ULL

static const uint8_t mac_a[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x57 };

static void
add(struct hist *hs, const uint8_t mac[6], const char *lan,
    const char *remote, uint64_t ms, int up, uint32_t bytes)
{
	struct hist_rec	 r;

	memset(&r, 0, sizeof(r));
	r.ms = ms;
	memcpy(r.mac, mac, 6);
	r.proto = 6;
	r.up = (uint8_t)up;
	inet_pton(AF_INET, lan, &r.lan_ip);
	inet_pton(AF_INET, remote, &r.remote);
	r.remote_port = 443;
	r.bytes = bytes;
	r.packets = 1;
	hist_add(hs, &r);
}

/*
 * Device a: to 192.0.2.1, 100 up at T0+50, 300 down at T0+150, 500 down
 * at T0+1250 (the next second); to 192.0.2.2, 1000 up at T0+2950.
 * Device b, with another IP, 7 up.
 */
static void
fill(struct hist *hs)
{
	add(hs, mac_a, "10.42.0.100", "192.0.2.1", T0 + 50, 1, 100);
	add(hs, mac_a, "10.42.0.100", "192.0.2.1", T0 + 150, 0, 300);
	add(hs, mac_a, "10.42.0.100", "192.0.2.1", T0 + 1250, 0, 500);
	add(hs, mac_a, "10.42.0.100", "192.0.2.2", T0 + 2950, 1, 1000);
	add(hs, mac_b, "10.42.0.101", "192.0.2.1", T0 + 50, 1, 7);
	hist_tick(hs, T0 + 10000);
}

static void
test_rows(struct hist *hs)
{
	struct query	 q;
	struct query_result res;
	char		 err[256];

	CHECK(query_parse(hs, &q, "52:54:00:12:34:56", NULL, "1800000000000",
	    "1800000004000", "100", T0 + 10000, err, sizeof(err)) == 0);
	CHECK(query_traffic(hs, &q, &res) == 0);
	CHECK(res.nrows == 40);
	CHECK(res.rows[0].t_ms == T0 && res.rows[0].c[HIST_BU] == 100 &&
	    res.rows[0].c[HIST_PU] == 1 && res.rows[0].c[HIST_BD] == 0);
	CHECK(res.rows[1].c[HIST_BD] == 300 && res.rows[1].c[HIST_PD] == 1);
	CHECK(res.rows[12].c[HIST_BD] == 500);
	CHECK(res.rows[29].t_ms == T0 + 2900 &&
	    res.rows[29].c[HIST_BU] == 1000);
	CHECK(res.rows[2].c[HIST_BU] == 0 && res.rows[39].c[HIST_BD] == 0);
	CHECK(res.total[HIST_BU] == 1100 && res.total[HIST_BD] == 800 &&
	    res.total[HIST_PU] == 2 && res.total[HIST_PD] == 2);
	CHECK(res.peak_up == 1000 && res.peak_up_ms == T0 + 2900);
	CHECK(res.peak_down == 500 && res.peak_down_ms == T0 + 1200);
	CHECK(res.active_s == 3);
	query_result_free(&res);

	/* one second a row: sums and the 100 ms extremes within */
	CHECK(query_parse(hs, &q, "10.42.0.100", NULL, "1800000000000",
	    "1800000004000", "1s", T0 + 10000, err, sizeof(err)) == 0);
	CHECK(memcmp(q.mac, mac_a, 6) == 0);
	CHECK(query_traffic(hs, &q, &res) == 0);
	CHECK(res.nrows == 4);
	CHECK(res.rows[0].c[HIST_BU] == 100 && res.rows[0].c[HIST_BD] == 300);
	CHECK(res.rows[0].max_up == 100 && res.rows[0].min_up == 0 &&
	    res.rows[0].max_down == 300);
	CHECK(res.rows[1].c[HIST_BD] == 500 && res.rows[2].c[HIST_BU] == 1000);
	CHECK(res.rows[3].c[HIST_BU] == 0 && res.rows[3].max_up == 0);
	query_result_free(&res);

	/* one remote only */
	CHECK(query_parse(hs, &q, "10.42.0.100", "192.0.2.2", "1800000000000",
	    "1800000004000", "4000", T0 + 10000, err, sizeof(err)) == 0);
	CHECK(query_traffic(hs, &q, &res) == 0);
	CHECK(res.nrows == 1 && res.rows[0].c[HIST_BU] == 1000 &&
	    res.rows[0].c[HIST_BD] == 0);
	query_result_free(&res);
}

/* CSV parses back to the very numbers of the JSON. */
static void
test_csv(struct hist *hs)
{
	struct query	 q;
	struct query_result res;
	char		 err[256], *csv, *line, *save, *f, *fsave;
	json_t		*o, *rows;
	size_t		 r = 0, c;
	int		 same = 1;

	CHECK(query_parse(hs, &q, "10.42.0.100", NULL, "1800000000000",
	    "1800000004000", "500", T0 + 10000, err, sizeof(err)) == 0);
	CHECK(query_traffic(hs, &q, &res) == 0);
	o = query_traffic_json(&q, &res);
	rows = json_object_get(o, "rows");
	CHECK(json_array_size(rows) == 8);
	CHECK(json_integer_value(json_object_get(json_object_get(o,
	    "totals"), "bytes_up")) == 1100);
	csv = query_traffic_csv(&res);
	CHECK(csv != NULL);
	line = strtok_r(csv, "\n", &save);
	CHECK_STR(line, "time_ms,bytes_up,bytes_down,packets_up,"
	    "packets_down,min_up,max_up,min_down,max_down");
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		c = 0;
		for (f = strtok_r(line, ",", &fsave); f != NULL;
		    f = strtok_r(NULL, ",", &fsave), c++)
			if ((json_int_t)strtoull(f, NULL, 10) !=
			    json_integer_value(json_array_get(
			    json_array_get(rows, r), c)))
				same = 0;
		CHECK(c == 9);
		r++;
	}
	CHECK(r == 8 && same);
	free(csv);
	json_decref(o);
	query_result_free(&res);
}

static void
test_remotes(struct hist *hs)
{
	struct query	 q;
	char		 err[256];
	json_t		*o, *a, *e;

	hist_set_name(hs, hist_find(hs, mac_a, htonl(0xc0000201)),
	    "one.example");
	CHECK(query_parse(hs, &q, "52:54:00:12:34:56", NULL, "1800000000000",
	    "1800000004000", NULL, T0 + 10000, err, sizeof(err)) == 0);
	o = query_remotes_json(hs, &q);
	a = json_object_get(o, "remotes");
	CHECK(json_array_size(a) == 2);
	e = json_array_get(a, 0);
	CHECK_STR(json_string_value(json_object_get(e, "addr")), "192.0.2.2");
	CHECK(json_integer_value(json_object_get(e, "bytes_up")) == 1000);
	CHECK(json_is_null(json_object_get(e, "name")));
	e = json_array_get(a, 1);
	CHECK_STR(json_string_value(json_object_get(e, "addr")), "192.0.2.1");
	CHECK_STR(json_string_value(json_object_get(e, "name")),
	    "one.example");
	CHECK(json_integer_value(json_object_get(e, "bytes_down")) == 800);
	CHECK(json_integer_value(json_object_get(e, "first_ms")) ==
	    (json_int_t)T0);
	CHECK(json_integer_value(json_object_get(e, "last_ms")) ==
	    (json_int_t)(T0 + 1200));
	CHECK_STR(json_string_value(json_object_get(json_array_get(
	    json_object_get(e, "ports"), 0), "proto")), "tcp");
	json_decref(o);
}

static void
test_params(struct hist *hs)
{
	struct query	 q;
	char		 err[256];
	uint64_t	 ms;

	CHECK(query_time("1800000000000", &ms) == 0 && ms == T0);
	CHECK(query_time("2027-01-15T08:00:00Z", &ms) == 0 &&
	    ms == T0);
	CHECK(query_time("2027-01-15T08:00:00.25Z", &ms) == 0 &&
	    ms == T0 + 250);
	CHECK(query_time("2027-01-15T10:00:00+02:00", &ms) == 0 &&
	    ms == T0);
	CHECK(query_time("2027-01-15T08:00:00", &ms) == 0 && ms == T0);
	CHECK(query_time("2027-01-15T08:00:00.Z", &ms) == -1);
	CHECK(query_time("2027-01-15T08:00:00+25:00", &ms) == -1);
	CHECK(query_time("2027-01-15", &ms) == -1);
	CHECK(query_time("yesterday", &ms) == -1);
	CHECK(query_time("", &ms) == -1);
	CHECK(query_time("12345678901234567890", &ms) == -1);

	/* defaults: the whole history to now, about 1000 points */
	CHECK(query_parse(hs, &q, "52:54:00:12:34:56", NULL, NULL, NULL,
	    NULL, T0 + 10000, err, sizeof(err)) == 0);
	CHECK(q.to_ms == T0 + 10000 && q.from_ms == T0 + 10000 - 86400000);
	CHECK(q.step_ms == 86400);
	CHECK(query_parse(hs, &q, NULL, NULL, NULL, NULL, NULL, T0, err,
	    sizeof(err)) == -1);
	CHECK_STR(err, "client: required");
	CHECK(query_parse(hs, &q, "10.42.0.200", NULL, NULL, NULL, NULL, T0,
	    err, sizeof(err)) == -1);
	CHECK(query_parse(hs, &q, "52:54:00:12:34", NULL, NULL, NULL, NULL,
	    T0, err, sizeof(err)) == -1);
	CHECK(query_parse(hs, &q, "10.42.0.100", "example.org", NULL, NULL,
	    NULL, T0, err, sizeof(err)) == -1);
	CHECK(query_parse(hs, &q, "10.42.0.100", NULL, NULL, NULL, "150",
	    T0, err, sizeof(err)) == -1);
	CHECK(query_parse(hs, &q, "10.42.0.100", NULL, NULL, NULL, "5x",
	    T0, err, sizeof(err)) == -1);
	CHECK(query_parse(hs, &q, "10.42.0.100", NULL, NULL, NULL, "100",
	    T0, err, sizeof(err)) == -1);
	CHECK(strstr(err, "too small") != NULL);
	CHECK(query_parse(hs, &q, "10.42.0.100", NULL, "1800000004000",
	    "1800000000000", NULL, T0, err, sizeof(err)) == -1);
	CHECK(query_parse(hs, &q, "10.42.0.100", NULL, "0", NULL, NULL,
	    T0, err, sizeof(err)) == -1);
	CHECK(query_parse(hs, &q, "10.42.0.100", NULL, NULL, NULL, "2h",
	    T0, err, sizeof(err)) == 0 && q.step_ms == 7200000);
}

/* Coarsened samples are spread exactly: every step sums the same. */
static void
test_coarse(void)
{
	struct hist	 hs;
	struct query	 q;
	struct query_result res;
	size_t		 size = HIST_MIN_SIZE;
	void		*mem = calloc(1, size);
	uint64_t	 ms, end = T0 + 20 * 3600 * 1000ULL, sum, total;
	static const char *const steps[] = { "900", "1s", "10s", "1h" };
	char		 err[256];
	size_t		 i, r;
	uint32_t	 p;

	hist_attach(&hs, mem, size, 86400);
	for (ms = T0; ms < end && hs.h->st.dropped == 0; ms += 250)
		add(&hs, mac_a, "10.42.0.100", "198.51.100.7", ms, 1,
		    1000 + (uint32_t)(ms % 13));
	hist_tick(&hs, ms + 2000);
	CHECK(hs.h->st.coarsened[0] > 0);
	p = hist_find(&hs, mac_a, htonl(0xc6336407));
	total = hs.pairs[p].total[HIST_BU];
	for (i = 0; i < 4; i++) {
		CHECK(query_parse(&hs, &q, "10.42.0.100", NULL, "1800000000000",
		    NULL, steps[i], ms + 2000, err, sizeof(err)) == 0);
		CHECK(query_traffic(&hs, &q, &res) == 0);
		for (sum = 0, r = 0; r < res.nrows; r++)
			sum += res.rows[r].c[HIST_BU];
		CHECK(hs.h->st.dropped > 0 || sum == total);
		CHECK(sum == res.total[HIST_BU]);
		query_result_free(&res);
	}
	free(mem);
}

/*
 * A long window goes an hour of ticks at a time: a 10 s sample across
 * the boundary between two hours of the window, and 100 ms ones on both
 * sides of it, land whole, in the right rows, with the right extremes.
 */
static void
test_chunks(void)
{
	static uint64_t	 c[HIST_SLOTS][HIST_NC];
	struct hist	 hs;
	struct query	 q;
	struct query_result res;
	void		*mem = calloc(1, HIST_MIN_SIZE);
	uint32_t	 p, s0 = (uint32_t)(T0 / 1000);
	char		 err[256];

	hist_attach(&hs, mem, HIST_MIN_SIZE, 86400);
	add(&hs, mac_a, "10.42.0.100", "192.0.2.9", T0 + 5000, 1, 1);
	hist_tick(&hs, T0 + 6000);
	p = hist_find(&hs, mac_a, htonl(0xc0000209));
	/* the window starts at T0 + 5 s: its second hour at s0 + 3605 */
	c[0][HIST_BU] = 1000;
	CHECK(hist_restore_second(&hs, p, s0 + 3600, 2, 0, c) == 0);
	c[0][HIST_BU] = 0;
	c[9][HIST_BD] = 70;	/* s0 + 3610.9 */
	CHECK(hist_restore_second(&hs, p, s0 + 3610, 0, 1U << 9, c) == 0);
	hist_tick(&hs, T0 + 4000 * 1000);
	CHECK(query_parse(&hs, &q, "10.42.0.100", NULL, "1800000005000",
	    "1800003905000", "100", T0 + 4000 * 1000, err, sizeof(err)) == 0);
	CHECK(query_traffic(&hs, &q, &res) == 0);
	CHECK(res.nrows == 39000);
	CHECK(res.total[HIST_BU] == 1001 && res.total[HIST_BD] == 70);
	/* 10 bytes in each of the 100 ticks from s0 + 3600 */
	CHECK(res.rows[35950].c[HIST_BU] == 10 &&
	    res.rows[35999].c[HIST_BU] == 10 &&
	    res.rows[36000].c[HIST_BU] == 10 &&
	    res.rows[36049].c[HIST_BU] == 10 &&
	    res.rows[36050].c[HIST_BU] == 0 && res.rows[35949].c[HIST_BU] == 0);
	CHECK(res.rows[36059].c[HIST_BD] == 70);
	CHECK(res.peak_down == 70 && res.peak_down_ms == T0 + 3610900);
	CHECK(res.active_s == 12);
	query_result_free(&res);
	/* one row for all: its extremes */
	CHECK(query_parse(&hs, &q, "10.42.0.100", NULL, "1800000005000",
	    "1800003905000", "1h", T0 + 4000 * 1000, err, sizeof(err)) == 0);
	CHECK(query_traffic(&hs, &q, &res) == 0);
	CHECK(res.nrows == 2 && res.rows[0].c[HIST_BU] == 501 &&
	    res.rows[1].c[HIST_BU] == 500 && res.rows[1].max_down == 70 &&
	    res.rows[0].max_up == 10 && res.rows[0].min_up == 0);
	query_result_free(&res);
	free(mem);
}

/*
 * points=N, the dashboard's zoom: at most N rows, the step in whole
 * 100 ms, raw 100 ms when the window is narrow enough; each row keeps
 * its busiest 100 ms.
 */
static void
test_points(struct hist *hs)
{
	const char	*v[QP_MAX] = { "10.42.0.100", NULL, "1800000000000",
	    "1800000004000", NULL, "1000" };
	struct query	 q;
	struct query_result res;
	struct query_reply rep;
	char		 err[256];
	json_t		*rows;

	/* 40 ticks, 1000 points: raw 100 ms */
	CHECK(query_parse(hs, &q, "10.42.0.100", NULL, "1800000000000",
	    "1800000004000", NULL, T0 + 10000, err, sizeof(err)) == 0);
	CHECK(query_points(&q, "1000", err, sizeof(err)) == 0);
	CHECK(q.step_ms == 100);
	/* 7 points: 600 ms steps (500 would give 8 rows) */
	CHECK(query_points(&q, "7", err, sizeof(err)) == 0);
	CHECK(q.step_ms == 600);
	CHECK(query_traffic(hs, &q, &res) == 0);
	CHECK(res.nrows == 7);
	CHECK(res.rows[0].c[HIST_BU] == 100 && res.rows[0].max_up == 100 &&
	    res.rows[0].max_down == 300 && res.rows[0].c[HIST_BD] == 300);
	CHECK(res.rows[2].c[HIST_BD] == 500 && res.rows[2].max_down == 500);
	CHECK(res.rows[4].c[HIST_BU] == 1000 && res.rows[4].max_up == 1000);
	query_result_free(&res);
	/* 1 point: the whole window in one row */
	CHECK(query_points(&q, "1", err, sizeof(err)) == 0);
	CHECK(q.step_ms == 4000);
	/* a day at 1000 points: 86.4 s steps, 1000 rows */
	CHECK(query_parse(hs, &q, "10.42.0.100", NULL, NULL, NULL, NULL,
	    T0 + 86400000, err, sizeof(err)) == 0);
	CHECK(query_points(&q, "1000", err, sizeof(err)) == 0);
	CHECK(q.step_ms == 86400);
	CHECK(query_points(&q, "999", err, sizeof(err)) == 0);
	CHECK((q.to_ms - q.from_ms + q.step_ms - 1) / q.step_ms <= 999 &&
	    q.step_ms % 100 == 0);
	CHECK(query_points(&q, "0", err, sizeof(err)) == -1);
	CHECK(strstr(err, "points") != NULL);
	CHECK(query_points(&q, "100001", err, sizeof(err)) == -1);
	CHECK(query_points(&q, "-5", err, sizeof(err)) == -1);
	CHECK(query_points(&q, "12x", err, sizeof(err)) == -1);
	CHECK(query_points(&q, "", err, sizeof(err)) == -1);

	/* through the request, as /api/traffic gets it */
	query_request(hs, 0, 0, v, T0 + 10000, &rep);
	CHECK(rep.status == 200);
	rows = json_object_get(rep.json, "rows");
	CHECK(json_array_size(rows) == 40);
	CHECK(json_integer_value(json_object_get(rep.json, "step")) == 100);
	json_decref(rep.json);
	v[QP_POINTS] = "3";
	query_request(hs, 0, 0, v, T0 + 10000, &rep);
	CHECK(rep.status == 200 &&
	    json_array_size(json_object_get(rep.json, "rows")) == 3);
	json_decref(rep.json);
	v[QP_STEP] = "100";
	query_request(hs, 0, 0, v, T0 + 10000, &rep);
	CHECK(rep.status == 422);
	json_decref(rep.json);
}

int
main(void)
{
	size_t		 size = HIST_MIN_SIZE;
	void		*mem = calloc(1, size);
	struct hist	 hs;

	hist_attach(&hs, mem, size, 86400);
	fill(&hs);
	test_rows(&hs);
	test_csv(&hs);
	test_remotes(&hs);
	test_params(&hs);
	test_points(&hs);
	test_chunks();
	test_coarse();
	free(mem);
	return check_result();
}
