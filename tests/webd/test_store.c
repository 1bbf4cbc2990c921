/*
 * Unit tests of the history's checkpoints (webd/ckpt.c, webd/store.c)
 * and the daily totals (webd/usage.c), over SQLite in memory: a store
 * rebuilt from its checkpoints gives back every sample and the same
 * query answers; a minute written short is written again whole and
 * counted once in the day; days are local dates; rows older than the
 * history and days older than 400 days go; damaged rows and blobs are
 * skipped and counted, never trusted; each pair's checkpoint cursor
 * changes nothing written, even damaged, and skips the chain's old
 * blocks; a rebuild that waited for a clock behind the file gives the
 * history before and the traffic since where they belong.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "ckpt.h"
#include "query.h"
#include "store.h"
#include "usage.h"

#define T0		1800000000000ULL	/* 2027-01-15 08:00:00 UTC */
#define SIZE		(HIST_MIN_SIZE * 4)

static const uint8_t mac_a[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x57 };

static void
add(struct hist *hs, const uint8_t mac[6], const char *remote, uint64_t ms,
    int up, uint32_t bytes)
{
	struct hist_rec	 r;

	memset(&r, 0, sizeof(r));
	r.ms = ms;
	memcpy(r.mac, mac, 6);
	r.proto = 17;
	r.up = (uint8_t)up;
	inet_pton(AF_INET, mac == mac_a ? "10.42.0.100" : "10.42.0.101",
	    &r.lan_ip);
	inet_pton(AF_INET, remote, &r.remote);
	r.remote_port = 443;
	r.bytes = bytes;
	r.packets = 1 + bytes / 1500;
	hist_add(hs, &r);
}

static uint32_t
find(struct hist *hs, const uint8_t mac[6], const char *remote)
{
	uint32_t	 a;

	inet_pton(AF_INET, remote, &a);
	return hist_find(hs, mac, a);
}

static sqlite3 *
memdb(struct store *st)
{
	sqlite3		*db;
	char		 err[256];

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		abort();
	if (store_init(st, db, err, sizeof(err)) == -1) {
		fprintf(stderr, "store_init: %s\n", err);
		abort();
	}
	return db;
}

/* Three minutes of a chatty pair, a bulk burst, another device. */
static uint64_t
fill(struct hist *hs)
{
	uint64_t	 ms, sent = 0;
	uint32_t	 b;

	for (ms = T0; ms < T0 + 180000; ms += 1700) {
		b = 60 + (uint32_t)(ms % 1000);
		add(hs, mac_a, "192.0.2.1", ms, (ms / 1700) & 1, b);
		sent += b;
	}
	for (ms = T0 + 61000; ms < T0 + 65000; ms += 20) {
		add(hs, mac_a, "198.51.100.7", ms, 0, 1500);
		sent += 1500;
	}
	add(hs, mac_b, "192.0.2.1", T0 + 5000, 1, 77);
	hist_tick(hs, T0 + 181000);
	return sent;
}

struct samples {
	struct hist_sample s[8192];
	size_t		 n;
};

static void
collect(const struct hist_sample *s, void *arg)
{
	struct samples	*c = arg;

	if (c->n < 8192)
		c->s[c->n++] = *s;
}

/* Pair (mac, remote) gives the same samples in both stores. */
static void
same_samples(struct hist *a, struct hist *b, const uint8_t mac[6],
    const char *remote)
{
	static struct samples x, y;
	uint32_t	 pa = find(a, mac, remote), pb = find(b, mac, remote);

	CHECK(pa != HIST_NONE && pb != HIST_NONE);
	if (pa == HIST_NONE || pb == HIST_NONE)
		return;
	x.n = y.n = 0;
	hist_samples(a, pa, 0, UINT32_MAX, collect, &x);
	hist_samples(b, pb, 0, UINT32_MAX, collect, &y);
	CHECK(x.n > 0 && x.n == y.n);
	CHECK(memcmp(x.s, y.s, x.n * sizeof(x.s[0])) == 0);
	CHECK(a->pairs[pa].lan_ip == b->pairs[pb].lan_ip);
	CHECK(memcmp(a->pairs[pa].ports, b->pairs[pb].ports,
	    sizeof(a->pairs[pa].ports)) == 0);
	CHECK_STR(a->pairs[pa].name, b->pairs[pb].name);
}

static void
same_query(struct hist *a, struct hist *b, uint64_t now)
{
	struct query	 q;
	struct query_result ra, rb;
	char		 err[256];

	CHECK(query_parse(a, &q, "52:54:00:12:34:56", NULL, "1799999999000",
	    NULL, "100", now, err, sizeof(err)) == 0);
	CHECK(query_traffic(a, &q, &ra) == 0 && query_traffic(b, &q, &rb) == 0);
	CHECK(ra.nrows == rb.nrows && ra.total[HIST_BD] > 0);
	CHECK(memcmp(ra.total, rb.total, sizeof(ra.total)) == 0);
	CHECK(memcmp(ra.rows, rb.rows, ra.nrows * sizeof(ra.rows[0])) == 0);
	CHECK(ra.peak_down == rb.peak_down && ra.active_s == rb.active_s);
	query_result_free(&ra);
	query_result_free(&rb);
}

/* Everything closed comes back from SQLite alone, whatever its level. */
static void
test_rebuild(void *ma, void *mb)
{
	static uint64_t	 c[HIST_SLOTS][HIST_NC];
	struct hist	 a, b;
	struct store	 st;
	sqlite3		*db = memdb(&st);
	char		 err[256];
	uint32_t	 p, s0 = (uint32_t)(T0 / 1000) + 240;
	uint64_t	 now = T0 + 400000;

	memset(ma, 0, SIZE);
	memset(mb, 0, SIZE);
	hist_attach(&a, ma, SIZE, 86400);
	fill(&a);
	hist_set_name(&a, find(&a, mac_a, "192.0.2.1"), "example.org");
	/* a pair at every level, as the cap leaves them */
	add(&a, mac_b, "203.0.113.9", (uint64_t)(s0 - 1) * 1000, 1, 5);
	hist_tick(&a, (uint64_t)s0 * 1000);
	p = find(&a, mac_b, "203.0.113.9");
	c[0][HIST_BU] = 123456;
	c[0][HIST_PU] = 90;
	CHECK(hist_restore_second(&a, p, s0, 2, 0, c) == 0);
	CHECK(hist_restore_second(&a, p, s0 + 13, 1, 0, c) == 0);
	c[3][HIST_BD] = 999;
	c[3][HIST_PD] = 1;
	CHECK(hist_restore_second(&a, p, s0 + 20, 0, 1U << 3, c) == 0);
	/* neither older nor the same second again */
	CHECK(hist_restore_second(&a, p, s0 + 20, 0, 1U << 3, c) == -1);
	CHECK(hist_restore_second(&a, p, s0 + 5, 1, 0, c) == -1);
	hist_tick(&a, now);

	CHECK(store_checkpoint(&st, &a, (uint32_t)(now / 1000), now, err,
	    sizeof(err)) == 0);
	CHECK(st.st.minutes_written >= 6);
	hist_attach(&b, mb, SIZE, 86400);
	CHECK(store_load(&st, &b, now, err, sizeof(err)) > 0);
	CHECK(st.st.rows_rejected == 0);
	same_samples(&a, &b, mac_a, "192.0.2.1");
	same_samples(&a, &b, mac_a, "198.51.100.7");
	same_samples(&a, &b, mac_b, "192.0.2.1");
	same_samples(&a, &b, mac_b, "203.0.113.9");
	same_query(&a, &b, now);
	/* and the rebuilt store is a store: it attaches whole */
	CHECK(hist_attach(&b, mb, SIZE, 86400) == 1 && b.h->st.salvaged == 0);
	store_fini(&st);
	sqlite3_close(db);
}

/* A history longer than a day comes back whole before the config says
 * how long it is (the rebuild comes first). */
static void
test_long_history(void *ma, void *mb)
{
	struct hist	 a, b;
	struct store	 st;
	sqlite3		*db = memdb(&st);
	char		 err[256];
	uint64_t	 now = T0 + 40 * 3600 * 1000ULL;

	memset(ma, 0, SIZE);
	memset(mb, 0, SIZE);
	hist_attach(&a, ma, SIZE, 2 * 86400);
	add(&a, mac_a, "192.0.2.1", T0, 1, 111);
	add(&a, mac_a, "192.0.2.1", now - 1000, 1, 222);
	hist_tick(&a, now);
	CHECK(store_checkpoint(&st, &a, (uint32_t)(now / 1000), now, err,
	    sizeof(err)) == 0);
	store_fini(&st);
	CHECK(store_init(&st, db, err, sizeof(err)) == 0);
	CHECK(st.history_s == 2 * 86400);
	hist_attach(&b, mb, SIZE, 86400);
	CHECK(store_load(&st, &b, now, err, sizeof(err)) == 2);
	CHECK(b.h->history_s == 2 * 86400);
	same_samples(&a, &b, mac_a, "192.0.2.1");
	store_fini(&st);
	sqlite3_close(db);
}

static void
sum_day(const struct store_usage_row *r, void *arg)
{
	struct store_usage_row *t = arg;
	int		 i;

	for (i = 0; i < HIST_NC; i++)
		t->c[i] += r->c[i];
	t->minutes += r->minutes;
	strlcpy(t->day, r->day, sizeof(t->day));
}

/*
 * A minute written short (webd stopping) is written again whole; its day
 * counts each byte once, and each active minute once.
 */
static void
test_partial(void *ma)
{
	struct hist	 a;
	struct store	 st;
	struct store_usage_row t;
	sqlite3		*db = memdb(&st);
	char		 err[256];
	uint64_t	 sent = 0, ms;
	uint32_t	 cut = (uint32_t)(T0 / 1000) + 30;

	memset(ma, 0, SIZE);
	hist_attach(&a, ma, SIZE, 86400);
	for (ms = T0; ms < T0 + 20000; ms += 500) {
		add(&a, mac_a, "192.0.2.1", ms, 1, 1000);
		sent += 1000;
	}
	hist_tick(&a, (uint64_t)cut * 1000);
	CHECK(store_checkpoint(&st, &a, cut, (uint64_t)cut * 1000, err,
	    sizeof(err)) == 0);
	CHECK(st.done_min == cut / 60);
	for (ms = T0 + 40000; ms < T0 + 130000; ms += 500) {
		add(&a, mac_a, "192.0.2.2", ms, 0, 300);
		sent += 300;
	}
	hist_tick(&a, T0 + 131000);
	CHECK(store_checkpoint(&st, &a, (uint32_t)(T0 / 1000) + 120,
	    T0 + 131000, err, sizeof(err)) == 0);
	/* the same again writes nothing new */
	CHECK(store_checkpoint(&st, &a, (uint32_t)(T0 / 1000) + 120,
	    T0 + 131000, err, sizeof(err)) == 0);
	CHECK(store_checkpoint(&st, &a, (uint32_t)(T0 / 1000) + 131,
	    T0 + 131000, err, sizeof(err)) == 0);
	memset(&t, 0, sizeof(t));
	CHECK(store_usage(&st, mac_a, "2027-01-01", "2027-01-31", sum_day, &t,
	    err, sizeof(err)) == 0);
	CHECK(t.c[HIST_BU] + t.c[HIST_BD] == sent);
	CHECK(t.c[HIST_PU] == 40 && t.c[HIST_PD] == 180);
	CHECK(t.minutes == 3);		/* 08:00, 08:01, 08:02 */
	store_fini(&st);
	sqlite3_close(db);
}

/* Days are local dates (here UTC+2), kept 400 days. */
static void
test_days(void *ma)
{
	struct hist	 a;
	struct store	 st;
	struct store_usage_row t;
	sqlite3		*db = memdb(&st);
	char		 err[256], day[11];
	/* 2027-01-15 21:59:30 and 22:00:30 UTC: 23:59:30 and 00:00:30 */
	uint64_t	 t1 = T0 + (13 * 3600 + 59 * 60 + 30) * 1000ULL;
	uint64_t	 t2 = t1 + 60000, now = t2 + 120000;

	setenv("TZ", "UTC-2", 1);
	tzset();
	store_day(t1 / 1000, day);
	CHECK_STR(day, "2027-01-15");
	store_day(t2 / 1000, day);
	CHECK_STR(day, "2027-01-16");
	memset(ma, 0, SIZE);
	hist_attach(&a, ma, SIZE, 86400);
	add(&a, mac_a, "192.0.2.1", t1, 1, 1000);
	add(&a, mac_a, "192.0.2.1", t2, 0, 2000);
	add(&a, mac_b, "192.0.2.1", t2, 0, 5);
	hist_tick(&a, now);
	/* a day from long ago, to be pruned, and one just kept */
	CHECK(sqlite3_exec(db, "INSERT INTO usage VALUES(x'525400123456',"
	    " '2025-12-11', 1, 1, 1, 1, 1), (x'525400123456', '2025-12-12',"
	    " 2, 0, 1, 0, 1)", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(store_checkpoint(&st, &a, (uint32_t)(now / 1000), now, err,
	    sizeof(err)) == 0);
	memset(&t, 0, sizeof(t));
	CHECK(store_usage(&st, mac_a, "2027-01-15", "2027-01-15", sum_day, &t,
	    err, sizeof(err)) == 0);
	CHECK(t.c[HIST_BU] == 1000 && t.c[HIST_BD] == 0 && t.minutes == 1);
	memset(&t, 0, sizeof(t));
	CHECK(store_usage(&st, mac_a, "2027-01-16", "2027-01-16", sum_day, &t,
	    err, sizeof(err)) == 0);
	CHECK(t.c[HIST_BD] == 2000 && t.c[HIST_BU] == 0 && t.minutes == 1);
	/* today is 2027-01-16: 400 days back is 2025-12-12 */
	memset(&t, 0, sizeof(t));
	CHECK(store_usage(&st, mac_a, "2020-01-01", "2025-12-31", sum_day, &t,
	    err, sizeof(err)) == 0);
	CHECK_STR(t.day, "2025-12-12");
	CHECK(t.c[HIST_BU] == 2);
	CHECK(st.st.rows_pruned >= 1);
	store_fini(&st);
	sqlite3_close(db);
	setenv("TZ", "UTC0", 1);
	tzset();
}

static void
test_day_parse(void)
{
	char	 d[11];

	CHECK(store_day_add("2026-12-06", -400, d) == 0);
	CHECK_STR(d, "2025-11-01");
	CHECK(store_day_add("2028-02-28", 1, d) == 0);
	CHECK_STR(d, "2028-02-29");
	CHECK(store_day_add("2027-02-29", 0, d) == -1);
	CHECK(store_day_add("2027-13-01", 0, d) == -1);
	CHECK(store_day_add("2027-1-05", 0, d) == -1);
	CHECK(store_day_add("2027-01-05x", 0, d) == -1);
	CHECK(store_day_add("", 0, d) == -1);
	CHECK(store_day_add("1969-12-31", 0, d) == -1);
}

/* /api/usage and gkctl usage: JSON, CSV that parses back, errors. */
static void
test_request(void *ma)
{
	struct hist	 a;
	struct store	 st;
	struct query_reply rep;
	sqlite3		*db = memdb(&st);
	const char	*v[UP_MAX] = { "10.42.0.100", "2027-01-15",
	    "2027-01-15" };
	char		 err[256], *line;
	unsigned long long bu = 0, bd = 0, pu = 0, pd = 0, mins = 0;
	uint64_t	 sent, now = T0 + 200000;
	json_t		*day;

	memset(ma, 0, SIZE);
	hist_attach(&a, ma, SIZE, 86400);
	sent = fill(&a);
	hist_tick(&a, now);
	CHECK(store_checkpoint(&st, &a, (uint32_t)(now / 1000), now, err,
	    sizeof(err)) == 0);
	usage_request(&st, &a, 0, v, now, &rep);
	CHECK(rep.status == 200);
	day = json_array_get(json_object_get(rep.json, "days"), 0);
	CHECK(json_array_size(json_object_get(rep.json, "days")) == 1);
	CHECK_STR(json_string_value(json_object_get(day, "day")),
	    "2027-01-15");
	CHECK((uint64_t)json_integer_value(json_object_get(day, "bytes_up")) +
	    (uint64_t)json_integer_value(json_object_get(day, "bytes_down")) ==
	    sent);
	CHECK(json_integer_value(json_object_get(day, "active_minutes")) == 3);
	CHECK_STR(json_string_value(json_object_get(rep.json, "client")),
	    "52:54:00:12:34:56");
	bu = (unsigned long long)json_integer_value(json_object_get(day,
	    "bytes_up"));
	json_decref(rep.json);

	usage_request(&st, &a, 1, v, now, &rep);
	CHECK(rep.status == 200 && rep.csv != NULL);
	if (rep.csv != NULL) {
		line = strchr(rep.csv, '\n');
		CHECK(strncmp(rep.csv, "day,bytes_up,", 13) == 0);
		CHECK(line != NULL && sscanf(line + 1,
		    "2027-01-15,%llu,%llu,%llu,%llu,%llu\n", &bu, &bd, &pu, &pd,
		    &mins) == 5);
		CHECK(bu + bd == sent && mins == 3);
		free(rep.csv);
	}

	/* defaults: the 400 days up to today */
	v[UP_FROM] = v[UP_TO] = NULL;
	usage_request(&st, &a, 0, v, now, &rep);
	CHECK(rep.status == 200);
	CHECK_STR(json_string_value(json_object_get(rep.json, "from")),
	    "2025-12-11");
	CHECK_STR(json_string_value(json_object_get(rep.json, "to")),
	    "2027-01-15");
	json_decref(rep.json);
	v[UP_FROM] = "2027-02-30";
	usage_request(&st, &a, 0, v, now, &rep);
	CHECK(rep.status == 422);
	json_decref(rep.json);
	v[UP_FROM] = "2027-01-16";
	v[UP_TO] = "2027-01-15";
	usage_request(&st, &a, 0, v, now, &rep);
	CHECK(rep.status == 422);
	json_decref(rep.json);
	v[UP_FROM] = v[UP_TO] = NULL;
	v[UP_CLIENT] = "10.42.0.99";
	usage_request(&st, &a, 0, v, now, &rep);
	CHECK(rep.status == 422);
	json_decref(rep.json);
	v[UP_CLIENT] = "02:00:00:00:00:01";	/* a MAC: no days, no error */
	usage_request(&st, NULL, 0, v, now, &rep);
	CHECK(rep.status == 200 &&
	    json_array_size(json_object_get(rep.json, "days")) == 0);
	json_decref(rep.json);
	store_fini(&st);
	st.db = NULL;
	usage_request(&st, &a, 0, v, now, &rep);
	CHECK(rep.status == 503);
	json_decref(rep.json);
	sqlite3_close(db);
}

struct got {
	int	 n;
	struct ckpt_rec r[8];
};

static int
got_rec(const struct ckpt_rec *r, void *arg)
{
	struct got	*g = arg;

	if (g->n < 8)
		g->r[g->n] = *r;
	g->n++;
	return 0;
}

static int
decode(const uint8_t *b, size_t len, struct got *g)
{
	memset(g, 0, sizeof(*g));
	return ckpt_decode(b, len, 30000000, got_rec, g);
}

/* The decoder takes nothing it could not have written. */
static void
test_decode(void)
{
	struct got	 g;
	/* second 5, level 0, slots 0 and 2; then +10 s, level 1 */
	const uint8_t	 ok[] = { 5, 5 << 2, 1, 2, 3, 4, 5, 6, 7, 8,
	    10, 1, 9, 9, 9, 9 };
	const uint8_t	 zero_delta[] = { 5, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1 };
	const uint8_t	 past_minute[] = { 60, 1, 1, 1, 1, 1 };
	const uint8_t	 level3[] = { 0, 3, 1, 1, 1, 1 };
	const uint8_t	 mask_on_1s[] = { 0, 1 | 4, 1, 1, 1, 1 };
	const uint8_t	 no_mask[] = { 0, 0, 1, 1, 1, 1 };
	const uint8_t	 unaligned_10s[] = { 5, 2, 1, 1, 1, 1 };
	const uint8_t	 short_counts[] = { 0, 1, 1, 1, 1 };
	const uint8_t	 big_mask[] = { 0, 0x80, 0x80, 0x01, 1, 1, 1, 1 };
	const uint8_t	 huge[] = { 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0x7f, 1, 1, 1 };

	CHECK(decode(ok, sizeof(ok), &g) == 2);
	CHECK(g.r[0].sec == 30000000U * 60 + 5 && g.r[0].level == 0 &&
	    g.r[0].mask == 5 && g.r[0].c[0][0] == 1 && g.r[0].c[2][3] == 8);
	CHECK(g.r[1].sec == 30000000U * 60 + 15 && g.r[1].level == 1 &&
	    g.r[1].c[0][0] == 9);
	CHECK(decode(ok, sizeof(ok) - 1, &g) == -1 && g.n == 1);
	CHECK(decode(zero_delta, sizeof(zero_delta), &g) == -1);
	CHECK(decode(past_minute, sizeof(past_minute), &g) == -1);
	CHECK(decode(level3, sizeof(level3), &g) == -1);
	CHECK(decode(mask_on_1s, sizeof(mask_on_1s), &g) == -1);
	CHECK(decode(no_mask, sizeof(no_mask), &g) == -1);
	CHECK(decode(unaligned_10s, sizeof(unaligned_10s), &g) == -1);
	CHECK(decode(short_counts, sizeof(short_counts), &g) == -1);
	CHECK(decode(big_mask, sizeof(big_mask), &g) == -1);
	CHECK(decode(huge, sizeof(huge), &g) == -1);
	CHECK(decode(ok, 0, &g) == -1);
	CHECK(ckpt_decode(ok, sizeof(ok), UINT32_MAX, got_rec, &g) == -1);
}

/* Rows that do not check are skipped and counted; the rest is kept. */
static void
test_damaged(void *ma, void *mb)
{
	struct hist	 a, b;
	struct store	 st;
	sqlite3		*db = memdb(&st);
	char		 err[256];
	uint64_t	 now = T0 + 200000;

	memset(ma, 0, SIZE);
	memset(mb, 0, SIZE);
	hist_attach(&a, ma, SIZE, 86400);
	fill(&a);
	hist_tick(&a, now);
	CHECK(store_checkpoint(&st, &a, (uint32_t)(now / 1000), now, err,
	    sizeof(err)) == 0);
	/* 198.51.100.7's one minute says second 60; a pair row has a
	 * 5-byte MAC; b's name has a newline */
	CHECK(sqlite3_exec(db,
	    "UPDATE minutes SET data = x'3c01010101' WHERE pair ="
	    " (SELECT id FROM pairs WHERE remote & 255 = 198);"
	    "INSERT INTO pairs(mac, remote, lan_ip, first_ms, last_ms)"
	    " VALUES(x'0102030405', 5, 0, 1, 2000000000000);"
	    "UPDATE pairs SET name = 'a' || char(10) || 'b'"
	    " WHERE mac = x'525400123457';",
	    NULL, NULL, NULL) == SQLITE_OK);
	hist_attach(&b, mb, SIZE, 86400);
	CHECK(store_load(&st, &b, now, err, sizeof(err)) > 0);
	CHECK(st.st.rows_rejected == 2);
	CHECK(find(&b, mac_a, "192.0.2.1") != HIST_NONE);
	CHECK(find(&b, mac_b, "192.0.2.1") != HIST_NONE &&
	    b.pairs[find(&b, mac_b, "192.0.2.1")].name[0] == '\0');
	same_samples(&a, &b, mac_a, "192.0.2.1");
	CHECK(hist_attach(&b, mb, SIZE, 86400) == 1 && b.h->st.salvaged == 0);
	store_fini(&st);
	sqlite3_close(db);

	/* a file of another version is refused, not misread */
	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE meta(key TEXT PRIMARY KEY,"
	    " value INTEGER); INSERT INTO meta VALUES('version', 7)", NULL,
	    NULL, NULL) == SQLITE_OK);
	CHECK(store_init(&st, db, err, sizeof(err)) == -1);
	CHECK(strstr(err, "version 7") != NULL);
	sqlite3_close(db);
}

/* ---- the checkpoint's cursor ---- */

#define CUR_REGIONS	3	/* the cursor, none, a damaged one */
#define CUR_HOURS	5
#define CUR_CHATTY	16

/* Every row of the minutes and days, and where the file is done, as
 * text: two checkpoint runs wrote the same when their texts are. */
static char *
db_text(sqlite3 *db)
{
	static const char *const q[] = {
		("SELECT hex(p.mac), p.remote, m.minute, m.bu, m.bd, m.pu,"
		" m.pd, hex(m.data) FROM minutes m JOIN pairs p"
		" ON p.id = m.pair ORDER BY 1, 2, 3"),
		("SELECT hex(mac), day, bu, bd, pu, pd, minutes FROM usage"
		" ORDER BY 1, 2"),
		"SELECT value FROM meta WHERE key = 'done'",
	};
	sqlite3_str	*s = sqlite3_str_new(db);
	sqlite3_stmt	*st;
	size_t		 i;
	int		 k;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		CHECK(sqlite3_prepare_v2(db, q[i], -1, &st, NULL) == SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (k = 0; k < sqlite3_column_count(st); k++)
				sqlite3_str_appendf(s, "%s ",
				    sqlite3_column_text(st, k));
			sqlite3_str_appendall(s, "\n");
		}
		sqlite3_finalize(st);
	}
	return sqlite3_str_finish(s);
}

/* A damaged cursor: nothing, out of range, the pair's newest block (too
 * late to start from), another pair's, any block, or left alone. */
static void
spoil_cursors(struct hist *hs)
{
	uint32_t	 p, q;

	for (p = 0; p < hs->h->phwm; p++) {
		q = (p + 1) % hs->h->phwm;
		switch (random() % 6) {
		case 0:
			hs->pairs[p].ckpt_block = HIST_NONE;
			break;
		case 1:
			hs->pairs[p].ckpt_block = hs->h->nunits +
			    (uint32_t)(random() % 1000);
			break;
		case 2:
			hs->pairs[p].ckpt_block = hs->pairs[p].tail;
			break;
		case 3:
			hs->pairs[p].ckpt_block = hs->pairs[q].head;
			break;
		case 4:
			hs->pairs[p].ckpt_block = (uint32_t)random() %
			    (hs->h->uhwm + 1);
			break;
		}
	}
}

/* One second's summaries: a bulk pair busy in some slots, chatty pairs
 * now and then, a pair that comes and goes. */
static int
second_recs(uint32_t sec, struct hist_rec *r)
{
	int	 n = 0, k;

	memset(r, 0, sizeof(*r) * 16);
	for (k = 0; k < 10; k++) {
		/* busy in two slots of three: enough to fill the region
		 * to its 10 s level in three hours */
		if (random() % 3 == 0)
			continue;
		r[n].ms = (uint64_t)sec * 1000 + (uint64_t)k * 100 + 7;
		memcpy(r[n].mac, mac_a, 6);
		r[n].remote = htonl(0xc6336407);
		r[n].up = k & 1;
		r[n].bytes = 40 + (uint32_t)(random() % 1460);
		r[n].packets = 1;
		n++;
	}
	for (k = random() % 2; k < 1; k++) {
		r[n].ms = (uint64_t)sec * 1000 + (uint64_t)(random() % 1000);
		memcpy(r[n].mac, (random() & 1) ? mac_a : mac_b, 6);
		r[n].remote = htonl(0xc0000200 + (uint32_t)(random() %
		    CUR_CHATTY));
		if ((sec / 600) % 3 == 2)	/* one that comes and goes */
			r[n].remote = htonl(0xcb007100 + sec / 600);
		r[n].up = (uint8_t)(random() & 1);
		r[n].bytes = 40 + (uint32_t)(random() % 1400);
		r[n].packets = 1;
		n++;
	}
	for (k = 0; k < n; k++) {
		r[k].proto = 6;
		r[k].remote_port = 443;
	}
	return n;
}

/* Blocks from p's head up to its cursor: what a checkpoint skips. */
static uint32_t
skipped(const struct hist *hs, uint32_t p)
{
	uint32_t	 b, n = 0;

	for (b = hs->pairs[p].head; b != HIST_NONE &&
	    b != hs->pairs[p].ckpt_block && n <= hs->h->uhwm;
	    b = HIST_BLK(hs, b)->next)
		n++;
	return n;
}

/*
 * Hours of traffic into a capped store (coarsened, expired, its pool
 * reused), a checkpoint a minute with an hour and a half missed (the
 * cursors then point into blocks recoded since) and a clock step: the
 * rows written with the cursor, without it (walked from the head) and
 * with a cursor damaged before every checkpoint are the same, byte for
 * byte; and the cursor does skip most of a busy pair's chain.
 */
static void
test_cursor(void)
{
	static struct hist_rec r[16];
	struct hist	 hs[CUR_REGIONS];
	struct store	 st[CUR_REGIONS];
	sqlite3		*db[CUR_REGIONS];
	void		*m[CUR_REGIONS];
	char		 err[256], *text[CUR_REGIONS];
	uint32_t	 sec, s0 = (uint32_t)(T0 / 1000), p, most = 0;
	int		 i, k, n;

	srandom(7);
	for (i = 0; i < CUR_REGIONS; i++) {
		CHECK((m[i] = calloc(1, HIST_MIN_SIZE)) != NULL);
		CHECK(hist_attach(&hs[i], m[i], HIST_MIN_SIZE, 3 * 3600) == 0);
		db[i] = memdb(&st[i]);
	}
	for (sec = s0; sec < s0 + CUR_HOURS * 3600; sec++) {
		n = second_recs(sec, r);
		for (i = 0; i < CUR_REGIONS; i++) {
			for (k = 0; k < n; k++)
				hist_add(&hs[i], &r[k]);
			hist_tick(&hs[i], (uint64_t)sec * 1000 + 999);
		}
		if (sec == s0 + 4 * 3600)
			for (i = 0; i < CUR_REGIONS; i++)
				hist_shift(&hs[i], 300);
		if (sec % 60 != 2 || (sec >= s0 + 7200 && sec < s0 + 12600))
			continue;
		for (i = 0; i < CUR_REGIONS; i++) {
			if (i == 1)
				for (p = 0; p < hs[i].h->phwm; p++)
					hs[i].pairs[p].ckpt_block = HIST_NONE;
			if (i == 2)
				spoil_cursors(&hs[i]);
			CHECK(store_checkpoint(&st[i], &hs[i], sec - 2,
			    (uint64_t)sec * 1000, err, sizeof(err)) == 0);
		}
		p = find(&hs[0], mac_a, "198.51.100.7");
		if (p != HIST_NONE && skipped(&hs[0], p) > most)
			most = skipped(&hs[0], p);
	}
	/* it went through the cap's every step */
	CHECK(hs[0].h->st.coarsened[0] > 0 && hs[0].h->st.coarsened[1] > 0);
	CHECK(hs[0].h->st.expired > 0);
	CHECK(st[0].st.minutes_written > 3000);
	/* the busy pair's walk skipped most of its chain */
	CHECK(most > 500);
	for (i = 0; i < CUR_REGIONS; i++)
		text[i] = db_text(db[i]);
	CHECK(strlen(text[0]) > 100000);
	CHECK(strcmp(text[0], text[1]) == 0);
	CHECK(strcmp(text[0], text[2]) == 0);
	for (i = 0; i < CUR_REGIONS; i++) {
		sqlite3_free(text[i]);
		store_fini(&st[i]);
		sqlite3_close(db[i]);
		free(m[i]);
	}
}

/* Scribbles over the minutes table's first leaf, as a disk error
 * would: the file opens, its quick check fails. (Without the check,
 * the catch-up's own checkpoint meets this damage here, before it
 * empties the region; damage that only the rebuild's reads meet is
 * what the check is for.) */
static void
damage_minutes(struct store *st, sqlite3 *db)
{
	sqlite3_stmt	*q;
	sqlite3_int64	 size;
	unsigned char	*img;
	int		 root, pgsz;
	char		 err[256];

	CHECK(sqlite3_prepare_v2(db, "SELECT pageno, pgsize FROM dbstat"
	    " WHERE name = 'minutes' AND pagetype = 'leaf' ORDER BY path"
	    " LIMIT 1", -1, &q, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(q) == SQLITE_ROW);
	root = sqlite3_column_int(q, 0);
	pgsz = sqlite3_column_int(q, 1);
	sqlite3_finalize(q);
	store_fini(st);
	img = sqlite3_serialize(db, "main", &size, 0);
	CHECK(img != NULL && root > 1 && (sqlite3_int64)root * pgsz <= size);
	if (img == NULL || root <= 1 || (sqlite3_int64)root * pgsz > size)
		abort();
	memset(img + (size_t)(root - 1) * (size_t)pgsz + 8, 0xa5,
	    (size_t)pgsz - 8);
	CHECK(sqlite3_deserialize(db, "main", img, size, size,
	    SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) ==
	    SQLITE_OK);
	CHECK(store_init(st, db, err, sizeof(err)) == 0);
}

/* A summary of (mac, remote) at ms into both regions given. */
static void
traffic_at(struct hist *a, struct hist *b, uint64_t ms_a, uint64_t ms_b,
    uint32_t i)
{
	static const char *const remote[] = { "192.0.2.1", "198.51.100.7",
	    "203.0.113.9" };

	add(a, i % 4 == 3 ? mac_b : mac_a, remote[i % 3], ms_a, i & 1,
	    60 + i % 1400);
	if (b != NULL)
		add(b, i % 4 == 3 ? mac_b : mac_a, remote[i % 3], ms_b, i & 1,
		    60 + i % 1400);
}

/*
 * A router without a real-time clock reboots: its clock says 2024 until
 * NTP. The rebuild waits (nothing in the file's window then: it would
 * find nothing, and did), the region takes in traffic at the wrong time,
 * checkpoints write nothing; the clock steps (the drain moves the region
 * with it), and the rebuild that waited gives the history before the
 * reboot and the traffic since, both where they belong: the same samples
 * and answers as a router whose clock was right all along.
 * With damaged set, the file is found damaged when the rebuild comes:
 * the region, the only whole copy then, is left exactly as it was.
 */
static void
test_clock_behind(void *ma, void *mb, int damaged)
{
	struct hist	 a, ref, c;
	struct store	 st;
	sqlite3		*db = memdb(&st);
	void		*mc = calloc(1, SIZE);
	char		 err[256];
	uint64_t	 ms, bad = 1704067200000ULL;	/* 2024-01-01 */
	uint64_t	 boot = T0 + 1800000 + 45000;	/* the real time */
	uint64_t	 written;
	uint32_t	 i = 0;

	memset(ma, 0, SIZE);
	memset(mb, 0, SIZE);
	hist_attach(&ref, mb, SIZE, 86400);
	/* half an hour before the reboot, checkpointed, the last at exit */
	hist_attach(&a, ma, SIZE, 86400);
	for (ms = T0; ms < T0 + 1800000; ms += 730) {
		traffic_at(&a, &ref, ms, ms, i++);
		if (ms % 60000 < 730)
			CHECK(store_checkpoint(&st, &a, (uint32_t)(ms / 1000) -
			    2, ms, err, sizeof(err)) == 0);
	}
	hist_tick(&a, T0 + 1800000);
	CHECK(store_checkpoint(&st, &a, (uint32_t)(T0 / 1000) + 1800,
	    T0 + 1800000, err, sizeof(err)) == 0);
	store_fini(&st);

	/* the reboot: a new region, the file opened again, the clock in
	 * 2024 */
	CHECK(store_init(&st, db, err, sizeof(err)) == 0);
	memset(ma, 0, SIZE);
	CHECK(hist_attach(&a, ma, SIZE, 86400) == 0);
	CHECK(store_clock_behind(&st, bad));
	/* what a rebuild would find then: nothing */
	CHECK(hist_attach(&c, mc, SIZE, 86400) == 0);
	CHECK(store_load(&st, &c, bad, err, sizeof(err)) == 0);
	/* five minutes of traffic at 2024's time (the other region gets it
	 * at the real one); checkpoints write nothing */
	written = st.st.minutes_written;
	for (ms = 0; ms < 300000; ms += 410) {
		traffic_at(&a, &ref, bad + ms, boot + ms, i++);
		if (ms % 60000 < 410) {
			hist_tick(&a, bad + ms);
			CHECK(store_checkpoint(&st, &a, (uint32_t)((bad + ms) /
			    1000) - 2, bad + ms, err, sizeof(err)) == 0);
		}
	}
	CHECK(st.st.minutes_written == written);
	CHECK(store_clock_behind(&st, bad + 300000));
	/* NTP: the clock steps to the real time, the region with it */
	hist_shift(&a, (int64_t)(boot - bad) / 1000);
	CHECK(!store_clock_behind(&st, boot + 300000));
	if (damaged) {
		damage_minutes(&st, db);
		hist_tick(&a, boot + 301000);
		memcpy(mc, ma, SIZE);
		CHECK(store_catch_up(&st, &a, boot + 300000, err,
		    sizeof(err)) == STORE_DAMAGED);
		CHECK(strstr(err, "quick check") != NULL);
		CHECK(memcmp(mc, ma, SIZE) == 0);
		store_fini(&st);
		sqlite3_close(db);
		free(mc);
		return;
	}
	CHECK(store_catch_up(&st, &a, boot + 300000, err, sizeof(err)) > 0);
	CHECK(st.st.rows_rejected == 0);
	hist_tick(&ref, boot + 301000);
	same_samples(&a, &ref, mac_a, "192.0.2.1");
	same_samples(&a, &ref, mac_a, "198.51.100.7");
	same_samples(&a, &ref, mac_b, "203.0.113.9");
	same_query(&a, &ref, boot + 301000);
	/* and it is a store: it attaches whole, and goes on */
	CHECK(hist_attach(&a, ma, SIZE, 86400) == 1 && a.h->st.salvaged == 0);
	traffic_at(&a, NULL, boot + 302000, 0, i);
	CHECK(a.h->st.late == 0);
	store_fini(&st);
	sqlite3_close(db);
	free(mc);
}

int
main(void)
{
	void	*ma = malloc(SIZE), *mb = malloc(SIZE);

	if (ma == NULL || mb == NULL)
		return 1;
	setenv("TZ", "UTC0", 1);
	tzset();
	test_rebuild(ma, mb);
	test_long_history(ma, mb);
	test_partial(ma);
	test_days(ma);
	test_day_parse();
	test_request(ma);
	test_decode();
	test_damaged(ma, mb);
	test_cursor();
	test_clock_behind(ma, mb, 0);
	test_clock_behind(ma, mb, 1);
	free(ma);
	free(mb);
	return check_result();
}
