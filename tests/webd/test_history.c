/*
 * Unit tests of the history store (webd/history.c): exact bucket
 * placement, the cost of sparse data, coarsening and dropping under the
 * memory cap, expiry, a clock step, attaching to kept, stale and
 * corrupted regions, the slots' encoding, and what a pair costs: a short
 * one no more than its records once quiet, its blocks moved and grown
 * again without a sample changing.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "history.h"

#define T0		1800000000000ULL	/* ms, 2027-01-15 */

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
	inet_pton(AF_INET, "10.42.0.100", &r.lan_ip);
	inet_pton(AF_INET, remote, &r.remote);
	r.remote_port = 443;
	r.bytes = bytes;
	r.packets = 1;
	hist_add(hs, &r);
}

static uint32_t
find(struct hist *hs, const uint8_t mac[6], const char *remote)
{
	uint32_t	 a;

	inet_pton(AF_INET, remote, &a);
	return hist_find(hs, mac, a);
}

struct collect {
	struct hist_sample s[4096];
	size_t		 n;
	uint64_t	 sum[HIST_NC];
	int		 levels[HIST_LEVELS];
	uint32_t	 min_l0_sec;
};

static void
collect(const struct hist_sample *s, void *arg)
{
	struct collect	*c = arg;
	int		 i;

	if (c->n < 4096)
		c->s[c->n] = *s;
	c->n++;
	for (i = 0; i < HIST_NC; i++)
		c->sum[i] += s->c[i];
	c->levels[s->level]++;
	if (s->level == 0 && s->sec < c->min_l0_sec)
		c->min_l0_sec = s->sec;
}

static void
samples(struct hist *hs, uint32_t p, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	c->min_l0_sec = UINT32_MAX;
	hist_samples(hs, p, 0, UINT32_MAX, collect, c);
}

static void
test_varint(void)
{
	static const uint64_t v[] = { 0, 1, 127, 128, 16383, 16384,
	    UINT32_MAX, UINT64_MAX };
	uint8_t		 buf[10];
	uint64_t	 got;
	size_t		 i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = hist_put_varint(buf, sizeof(buf), v[i]);
		CHECK(n > 0);
		CHECK(hist_get_varint(buf, n, &got) == n && got == v[i]);
		CHECK(hist_get_varint(buf, n - 1, &got) == 0);
	}
	CHECK(hist_put_varint(buf, 1, 128) == 0);
	memset(buf, 0xff, sizeof(buf));
	CHECK(hist_get_varint(buf, sizeof(buf), &got) == 0);
}

/* Each packet lands in the 100 ms slot of its time, nowhere else. */
static void
test_placement(void *mem, size_t size)
{
	struct hist	 hs;
	struct collect	 c;
	uint32_t	 p;

	CHECK(hist_attach(&hs, mem, size, 86400) == 0);
	add(&hs, mac_a, "192.0.2.1", T0 + 0, 1, 100);
	add(&hs, mac_a, "192.0.2.1", T0 + 99, 1, 50);
	add(&hs, mac_a, "192.0.2.1", T0 + 100, 0, 1500);
	add(&hs, mac_a, "192.0.2.1", T0 + 999, 0, 60);
	add(&hs, mac_a, "192.0.2.1", T0 + 5250, 1, 40);
	add(&hs, mac_b, "192.0.2.1", T0 + 5250, 1, 7);
	p = find(&hs, mac_a, "192.0.2.1");
	CHECK(p != HIST_NONE);
	/* the open second is visible before it is closed */
	samples(&hs, p, &c);
	CHECK(c.n == 4);
	hist_tick(&hs, T0 + 7000);
	samples(&hs, p, &c);
	CHECK(c.n == 4);
	CHECK(c.s[0].sec == T0 / 1000 && c.s[0].slot == 0 &&
	    c.s[0].c[HIST_BU] == 150 && c.s[0].c[HIST_PU] == 2 &&
	    c.s[0].c[HIST_BD] == 0);
	CHECK(c.s[1].sec == T0 / 1000 && c.s[1].slot == 1 &&
	    c.s[1].c[HIST_BD] == 1500 && c.s[1].c[HIST_PD] == 1);
	CHECK(c.s[2].sec == T0 / 1000 && c.s[2].slot == 9 &&
	    c.s[2].c[HIST_BD] == 60);
	CHECK(c.s[3].sec == T0 / 1000 + 5 && c.s[3].slot == 2 &&
	    c.s[3].c[HIST_BU] == 40);
	CHECK(hs.pairs[p].total[HIST_BU] == 190);
	CHECK(hs.pairs[p].total[HIST_BD] == 1560);
	CHECK(hs.pairs[p].ports[0].port == 443 &&
	    hs.pairs[p].ports[0].proto == 17);
	/* the other device's pair is its own */
	samples(&hs, find(&hs, mac_b, "192.0.2.1"), &c);
	CHECK(c.n == 1 && c.sum[HIST_BU] == 7);
	/* a window selects by time */
	memset(&c, 0, sizeof(c));
	hist_samples(&hs, p, T0 / 1000 + 1, T0 / 1000 + 10, collect, &c);
	CHECK(c.n == 1 && c.sum[HIST_BU] == 40);
	/* a packet older than the pair's newest second is counted late */
	add(&hs, mac_a, "192.0.2.1", T0 + 1000, 1, 1);
	CHECK(hs.h->st.late == 1);
	CHECK(hs.h->st.records == 6);
}

/* A silent pair costs nothing per bucket; an active second a few bytes. */
static void
test_sparse(void *mem, size_t size)
{
	struct hist	 hs;
	struct collect	 c;
	uint32_t	 used0, i, p;

	memset(mem, 0, size);
	CHECK(hist_attach(&hs, mem, size, 86400) == 0);
	CHECK(hist_units_used(&hs) == 0);
	add(&hs, mac_a, "192.0.2.1", T0, 1, 100);
	add(&hs, mac_a, "192.0.2.1", T0 + 3600 * 1000, 1, 100);
	add(&hs, mac_a, "192.0.2.1", T0 + 18 * 3600 * 1000, 1, 100);
	hist_tick(&hs, T0 + 18 * 3600 * 1000 + 2000);
	/* eighteen hours of silence between three packets: one block (a
	 * block spans 65,535 s at most) */
	p = find(&hs, mac_a, "192.0.2.1");
	CHECK(hs.pairs[p].head != HIST_NONE &&
	    hs.pairs[p].head == hs.pairs[p].tail);
	used0 = hist_units_used(&hs);
	/* 1000 active seconds, one slot each: under 12 bytes a second */
	for (i = 0; i < 1000; i++)
		add(&hs, mac_b, "192.0.2.9", T0 + i * 1000ULL + 300, 0, 1400);
	hist_tick(&hs, T0 + 1001 * 1000);
	CHECK((hist_units_used(&hs) - used0) * HIST_UNIT < 1000 * 12);
	samples(&hs, find(&hs, mac_b, "192.0.2.9"), &c);
	CHECK(c.n == 1000 && c.sum[HIST_BD] == 1400000 &&
	    c.sum[HIST_PD] == 1000 && c.levels[0] == 1000);
}

/*
 * Under the cap: a day of busy traffic in a small region. The oldest
 * hours are coarsened before anything is dropped, the newest hour keeps
 * 100 ms, and while nothing is dropped every byte is still there.
 */
static void
test_cap(void *mem, size_t size)
{
	struct hist	 hs;
	struct collect	 c;
	uint64_t	 ms, end = T0 + 24 * 3600 * 1000ULL, sent = 0;
	uint32_t	 p;

	memset(mem, 0, size);
	CHECK(hist_attach(&hs, mem, size, 86400) == 0);
	for (ms = T0; ms < end && hs.h->st.dropped == 0; ms += 250) {
		add(&hs, mac_a, "198.51.100.7", ms, (ms / 250) & 1,
		    1000 + (uint32_t)(ms % 7));
		sent += 1000 + ms % 7;
		if (ms % 60000 == 0)
			hist_tick(&hs, ms);
	}
	p = find(&hs, mac_a, "198.51.100.7");
	CHECK(hs.h->st.coarsened[0] > 0);
	CHECK(hs.h->st.dropped == 0 || hs.h->st.coarsened[1] > 0);
	if (hs.h->st.dropped == 0) {
		samples(&hs, p, &c);
		CHECK(c.sum[HIST_BU] + c.sum[HIST_BD] == sent);
	}
	/* keep going: now the oldest goes, the newest hour stays fine */
	for (; ms < end; ms += 250)
		add(&hs, mac_a, "198.51.100.7", ms, 1, 1000);
	hist_tick(&hs, end);
	samples(&hs, p, &c);
	CHECK(hs.h->st.dropped > 0);
	CHECK(c.levels[2] > 0);
	CHECK(c.min_l0_sec <= (end / 1000) - HIST_NEWEST_S);
	CHECK(hist_units_free(&hs) > 0);
	/* the region is still whole */
	CHECK(hist_attach(&hs, mem, size, 86400) == 1);
	CHECK(hs.h->st.salvaged == 0);
}

static void
test_expiry(void *mem, size_t size)
{
	struct hist	 hs;
	struct collect	 c;

	memset(mem, 0, size);
	CHECK(hist_attach(&hs, mem, size, 3600) == 0);
	add(&hs, mac_a, "192.0.2.1", T0, 1, 10);
	add(&hs, mac_a, "192.0.2.2", T0 + 1800 * 1000, 1, 20);
	hist_tick(&hs, T0 + 3000 * 1000);
	CHECK(hs.h->pairs_used == 2);
	hist_tick(&hs, T0 + 3700 * 1000);
	CHECK(hs.h->st.expired == 1);
	CHECK(find(&hs, mac_a, "192.0.2.1") == HIST_NONE);
	samples(&hs, find(&hs, mac_a, "192.0.2.2"), &c);
	CHECK(c.n == 1 && c.sum[HIST_BU] == 20);
	hist_tick(&hs, T0 + 5500 * 1000);
	CHECK(hs.h->pairs_used == 0 && hist_units_used(&hs) == 0);
}

/* The wall clock steps: the history moves with it, nothing is late. */
static void
test_shift(void *mem, size_t size)
{
	struct hist	 hs;
	struct collect	 c;
	uint32_t	 p;

	memset(mem, 0, size);
	CHECK(hist_attach(&hs, mem, size, 86400) == 0);
	add(&hs, mac_a, "192.0.2.1", T0 + 100, 1, 10);
	hist_tick(&hs, T0 + 2000);
	add(&hs, mac_a, "192.0.2.1", T0 + 2100, 1, 20);
	hist_shift(&hs, 3600);
	add(&hs, mac_a, "192.0.2.1", T0 + 3600 * 1000 + 3100, 1, 30);
	p = find(&hs, mac_a, "192.0.2.1");
	samples(&hs, p, &c);
	CHECK(hs.h->st.late == 0);
	CHECK(c.n == 3 && c.s[0].sec == T0 / 1000 + 3600 &&
	    c.s[0].slot == 1 && c.s[1].sec == T0 / 1000 + 3602 &&
	    c.s[2].sec == T0 / 1000 + 3603);
}

static void
test_attach(void *mem, size_t size)
{
	struct hist	 hs;
	struct collect	 c;
	uint32_t	 p, q;

	memset(mem, 0, size);
	CHECK(hist_attach(&hs, mem, size - 1, 86400) == -1 ||
	    hist_attach(&hs, mem, size - 1, 86400) == 0);
	CHECK(hist_attach(&hs, mem, 1000, 86400) == -1);
	memset(mem, 0, size);
	CHECK(hist_attach(&hs, mem, size, 86400) == 0);
	CHECK(hs.h->st.resets == 0);
	add(&hs, mac_a, "192.0.2.1", T0, 1, 10);
	add(&hs, mac_a, "192.0.2.1", T0 + 1000, 1, 11);
	add(&hs, mac_b, "192.0.2.2", T0, 0, 12);
	add(&hs, mac_b, "192.0.2.2", T0 + 1000, 0, 13);
	hist_tick(&hs, T0 + 5000);
	hist_set_name(&hs, find(&hs, mac_a, "192.0.2.1"), "example.org");
	/* kept: a restarted webd finds everything */
	CHECK(hist_attach(&hs, mem, size, 86400) == 1);
	p = find(&hs, mac_a, "192.0.2.1");
	q = find(&hs, mac_b, "192.0.2.2");
	CHECK(p != HIST_NONE && q != HIST_NONE);
	CHECK(strcmp(hs.pairs[p].name, "example.org") == 0);
	samples(&hs, p, &c);
	CHECK(c.n == 2 && c.sum[HIST_BU] == 21);
	/* a chain that loops: that pair goes, the other stays */
	HIST_BLK(&hs, hs.pairs[p].head)->next = hs.pairs[p].head;
	CHECK(hist_attach(&hs, mem, size, 86400) == 1);
	CHECK(hs.h->st.salvaged == 1);
	CHECK(find(&hs, mac_a, "192.0.2.1") == HIST_NONE);
	samples(&hs, find(&hs, mac_b, "192.0.2.2"), &c);
	CHECK(c.n == 2 && c.sum[HIST_BD] == 25);
	/* the freed block is reused, not lost */
	q = find(&hs, mac_b, "192.0.2.2");
	CHECK(hist_units_used(&hs) ==
	    HIST_BLK_UNITS(HIST_BLK(&hs, hs.pairs[q].head)));
	/* garbage inside a block ends that block's samples, no more */
	memset(HIST_BLK(&hs, hs.pairs[q].head)->data, 0xff,
	    HIST_BLK_ROOM(HIST_BLK(&hs, hs.pairs[q].head)));
	samples(&hs, q, &c);
	CHECK(c.n == 0);
	/* a bad header: rebuilt, counted */
	hs.h->nunits++;
	CHECK(hist_attach(&hs, mem, size, 86400) == 0);
	CHECK(hs.h->st.resets == 1 && hs.h->pairs_used == 0);
}

/*
 * The slots' encoding gives back every count exactly, whatever they are:
 * a steady bulk second, falling and rising bytes, packets the bytes do
 * not predict (an ACK stream, empty packets), the largest counts; and a
 * busy second fills the rest of the tail block before starting one.
 */
static void
test_encoding(void *mem, size_t size)
{
	static uint64_t	 c[HIST_SLOTS][HIST_NC];
	static const uint64_t cases[][HIST_NC] = {
		{ 1500, 64000, 1, 43 },		/* full-size packets */
		{ 1400, 63000, 1, 42 },		/* a little less */
		{ 20800, 9000000, 400, 6000 },	/* 400 ACKs up */
		{ 0, 0, 0, 7 },			/* packets of no length */
		{ 5, UINT32_MAX, 9, UINT32_MAX },	/* the largest */
		{ UINT32_MAX, 1, UINT32_MAX, 0 },
		{ 100, 200, 1, 1 },
		{ 90, 150000, 0, 99 },
		{ 0, 0, 0, 0 },
		{ 1, 1, 1, 1 },
	};
	struct hist	 hs;
	struct collect	 got;
	uint32_t	 p, sec = (uint32_t)(T0 / 1000), k, used = 0, room = 0;
	uint64_t	 want = 0;
	int		 s, i;

	memset(mem, 0, size);
	hist_attach(&hs, mem, size, 86400);
	add(&hs, mac_a, "192.0.2.3", T0 - 5000, 1, 1);
	hist_tick(&hs, T0);
	p = find(&hs, mac_a, "192.0.2.3");
	for (s = 0; s < HIST_SLOTS; s++)
		for (i = 0; i < HIST_NC; i++)
			c[s][i] = cases[s][i];
	CHECK(hist_restore_second(&hs, p, sec, 0, 0x3ff, c) == 0);
	samples(&hs, p, &got);
	CHECK(got.n == 11);
	for (s = 0; s < HIST_SLOTS && got.n == 11; s++) {
		CHECK(got.s[s + 1].sec == sec && got.s[s + 1].slot == s);
		CHECK(memcmp(got.s[s + 1].c, cases[s],
		    sizeof(cases[s])) == 0);
	}
	/* a minute of a busy pair: blocks filled to the brim */
	for (k = 1; k <= 60; k++) {
		for (s = 0; s < HIST_SLOTS; s++) {
			c[s][HIST_BU] = 1500 + (k * 37 + s * 11) % 400;
			c[s][HIST_BD] = 60000 + (k * 101 + s * 997) % 9000;
			c[s][HIST_PU] = 2;
			c[s][HIST_PD] = 1 + c[s][HIST_BD] / 1448;
			want += c[s][HIST_BU] + c[s][HIST_BD];
		}
		CHECK(hist_restore_second(&hs, p, sec + k, 0, 0x3ff, c) == 0);
	}
	samples(&hs, p, &got);
	CHECK(got.n == 11 + 600);
	for (k = 0; k < hs.h->uhwm; k += HIST_BLK_UNITS(HIST_BLK(&hs, k)))
		if (HIST_BLK(&hs, k)->owner != HIST_NONE) {
			used += HIST_BLK(&hs, k)->used;
			room += HIST_BLK_ROOM(HIST_BLK(&hs, k));
		}
	CHECK(got.sum[HIST_BU] + got.sum[HIST_BD] == want + 1 +
	    UINT32_MAX * 2ULL + 20800 + 9000000 + 1500 + 64000 + 1400 +
	    63000 + 5 + 1 + 100 + 200 + 90 + 150000 + 2);
	/* blocks hold data, not air: over 95 % of what they could */
	CHECK((uint64_t)used * 100 > (uint64_t)room * 95);
	printf("a busy second, all ten slots: %.1f bytes in blocks\n",
	    (double)hist_units_used(&hs) * HIST_UNIT / 61);
	CHECK(hist_units_used(&hs) * HIST_UNIT < 61 * 66);
}

/*
 * What a short pair costs: a page fetch (a request, then 100 ms of
 * response over two seconds) takes a whole block while it is active;
 * quiet for HIST_TRIM_IDLE_S, its block moves to one of just the units
 * its records fill. Its samples are the same after the move, the
 * checkpoint cursor follows the block, and the pair goes on in a new
 * block when it comes back.
 */
static void
test_quiet(void *mem, size_t size)
{
	static struct collect before, after;
	struct hist	 hs;
	struct hist_block *blk;
	char		 ip[32];
	uint64_t	 t;
	uint32_t	 p, q, max = 0;
	int		 i;

	memset(mem, 0, size);
	CHECK(hist_attach(&hs, mem, size, 86400) == 0);
	for (i = 0; i < 40; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		t = T0 + (uint64_t)i * 1000;
		add(&hs, mac_a, ip, t, 1, 600 + (uint32_t)i);
		add(&hs, mac_a, ip, t + 150, 0, 28000 + (uint32_t)i * 7);
		add(&hs, mac_a, ip, t + 250, 0, 43400);
		add(&hs, mac_a, ip, t + 260, 1, 52);
		add(&hs, mac_a, ip, t + 1150, 0, 9000 + (uint32_t)i);
		add(&hs, mac_a, ip, t + 1160, 1, 52 * 8);
	}
	hist_tick(&hs, T0 + 102 * 1000);
	p = find(&hs, mac_a, "198.51.100.7");
	samples(&hs, p, &before);
	CHECK(before.n == 4);
	/* active: a whole block */
	CHECK(HIST_BLK_UNITS(HIST_BLK(&hs, hs.pairs[p].tail)) ==
	    HIST_BLOCK_UNITS);
	hs.pairs[p].ckpt_block = hs.pairs[p].tail;
	hist_tick(&hs, T0 + (102 + HIST_TRIM_IDLE_S) * 1000ULL);
	samples(&hs, p, &after);
	CHECK(after.n == before.n && memcmp(after.s, before.s,
	    before.n * sizeof(before.s[0])) == 0);
	CHECK(hs.pairs[p].ckpt_block == hs.pairs[p].tail);
	/* quiet: one block each, of the units its records fill */
	for (i = 0; i < 40; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		q = find(&hs, mac_a, ip);
		CHECK(q != HIST_NONE && hs.pairs[q].head == hs.pairs[q].tail);
		if (q == HIST_NONE)
			continue;
		blk = HIST_BLK(&hs, hs.pairs[q].head);
		CHECK(HIST_BLK_UNITS(blk) * HIST_UNIT < HIST_HDR + blk->used +
		    HIST_UNIT);
		max = HIST_BLK_UNITS(blk) > max ? HIST_BLK_UNITS(blk) : max;
	}
	printf("a short pair (two seconds, six 100 ms slots) once quiet: %u "
	    "bytes at most, %.1f on average\n", max * HIST_UNIT,
	    (double)hist_units_used(&hs) * HIST_UNIT / 40);
	CHECK(max * HIST_UNIT <= 48);
	/* back again, busy: the chain grows on from the moved block into
	 * new ones, nothing lost */
	for (t = T0 + 2000 * 1000ULL; t < T0 + 2030 * 1000ULL; t += 100)
		add(&hs, mac_a, "198.51.100.7", t, 0, 70000 + (uint32_t)(t *
		    7919 % 9000));
	hist_tick(&hs, T0 + 2031 * 1000ULL);
	samples(&hs, p, &after);
	CHECK(after.n == before.n + 300 && memcmp(after.s, before.s,
	    before.n * sizeof(before.s[0])) == 0);
	CHECK(after.s[before.n].c[HIST_BD] == 70000 + (T0 + 2000 * 1000ULL) *
	    7919 % 9000);
	CHECK(hs.pairs[p].head != hs.pairs[p].tail);
	/* and the region attaches again whole */
	CHECK(hist_attach(&hs, mem, size, 86400) == 1);
	CHECK(hs.h->st.salvaged == 0);
	samples(&hs, p, &before);
	CHECK(before.n == after.n && memcmp(after.s, before.s,
	    before.n * sizeof(before.s[0])) == 0);
}

/*
 * The room quiet pairs gave back is used again: pairs busy at once
 * (their blocks interleaved in the pool) go quiet (their last blocks
 * moved to small ones) and every other one expires, leaving free
 * pieces of every size; a busy pair then fills the pool without a
 * drop or a coarsening while free units remain, its blocks taken from
 * the pieces and their neighbours joined.
 */
static void
test_pieces(void *mem, size_t size)
{
	static struct collect c;
	struct hist	 hs;
	char		 ip[32];
	uint64_t	 t, sent = 0, ms, end;
	uint32_t	 i, p, k;

	memset(mem, 0, size);
	CHECK(hist_attach(&hs, mem, size, 2 * 3600) == 0);
	for (k = 0; k < 30; k++) {
		for (i = 0; i < 60; i++) {
			snprintf(ip, sizeof(ip), "10.1.%u.1", i);
			t = T0 + (i % 2 ? 0 : 3600 * 1000ULL) + k * 1000ULL +
			    i * 7;
			add(&hs, mac_b, ip, t, 1, 500 + i * k);
			add(&hs, mac_b, ip, t + 300, 0, 30000 + i * 3 + k);
			add(&hs, mac_b, ip, t + 500, 0, 1000 + i * 3 * k);
		}
		hist_tick(&hs, T0 + k * 1000ULL + 999);
	}
	for (k = 0; k < 30; k++)
		hist_tick(&hs, T0 + 3600 * 1000ULL + k * 1000ULL + 999);
	hist_tick(&hs, T0 + (3600 + 40 + HIST_TRIM_IDLE_S) * 1000ULL);
	/* the odd ones expire: free pieces between the even ones' blocks */
	hist_tick(&hs, T0 + (2 * 3600 + 100) * 1000ULL);
	CHECK(hs.h->pairs_used == 30);
	CHECK(hist_units_free(&hs) > hs.h->nunits / 2);
	/* a busy pair until the pool is nearly full (a bound, in case),
	 * none of it old enough to expire */
	hs.h->history_s = 12 * 3600;
	end = T0 + (8 * 3600) * 1000ULL;
	for (ms = T0 + (2 * 3600 + 200) * 1000ULL; ms < end &&
	    hist_units_free(&hs) > hs.h->nunits / 16; ms += 100) {
		add(&hs, mac_a, "203.0.113.9", ms, 0, 14000 + (uint32_t)(ms *
		    7919 % 70000));
		add(&hs, mac_a, "203.0.113.9", ms + 1, 1, 9000 + (uint32_t)(ms *
		    31 % 7000));
		sent += 23000 + ms * 7919 % 70000 + ms * 31 % 7000;
		if (ms % 1000 == 0)
			hist_tick(&hs, ms);
	}
	hist_tick(&hs, ms + 1000);
	CHECK(ms < end);
	CHECK(hs.h->st.dropped == 0 && hs.h->st.coarsened[0] == 0);
	p = find(&hs, mac_a, "203.0.113.9");
	samples(&hs, p, &c);
	CHECK(c.sum[HIST_BD] + c.sum[HIST_BU] == sent);
	CHECK(hist_attach(&hs, mem, size, 12 * 3600) == 1);
	CHECK(hs.h->st.salvaged == 0);
}

/*
 * Level 0 gives back every count exactly, whatever it is, up to the
 * largest a checkpoint may hold (HIST_SLOT_MAX); a larger one is
 * refused, not mangled.
 */
static void
test_roundtrip(void *mem, size_t size)
{
	static uint64_t	 c[HIST_SLOTS][HIST_NC], want[600][HIST_NC];
	static struct collect got;
	struct hist	 hs;
	uint32_t	 p, sec = (uint32_t)(T0 / 1000), k, mask;
	uint64_t	 rnd = 88172645463325252ULL, v;
	size_t		 n = 0, i;
	int		 s, j, bad = 0;

	memset(mem, 0, size);
	hist_attach(&hs, mem, size, 86400);
	add(&hs, mac_a, "192.0.2.50", T0 - 5000, 1, 1);
	hist_tick(&hs, T0);
	p = find(&hs, mac_a, "192.0.2.50");
	for (k = 1; k <= 60; k++) {
		for (mask = 0; mask == 0; ) {
			rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
			mask = (uint32_t)(rnd & 0x3ff);
		}
		for (s = 0; s < HIST_SLOTS; s++)
			for (j = 0; j < HIST_NC; j++) {
				rnd ^= rnd << 13, rnd ^= rnd >> 7,
				    rnd ^= rnd << 17;
				/* scales from 0 to the largest */
				v = rnd >> (rnd % 64);
				c[s][j] = k % 7 == 0 ? HIST_SLOT_MAX - v % 3 :
				    v % (HIST_SLOT_MAX + 1);
				if (k % 5 == 0)
					c[s][j] %= 2000;
			}
		CHECK(hist_restore_second(&hs, p, sec + k, 0, mask, c) == 0);
		for (s = 0; s < HIST_SLOTS; s++)
			if (mask & 1U << s)
				memcpy(want[n++], c[s], sizeof(want[0]));
	}
	c[3][HIST_PD] = HIST_SLOT_MAX + 1;
	CHECK(hist_restore_second(&hs, p, sec + 61, 0, 1U << 3, c) == -1);
	samples(&hs, p, &got);
	CHECK(got.n == n + 1);
	for (i = 0; i < n && got.n == n + 1; i++)
		bad |= memcmp(got.s[i + 1].c, want[i], sizeof(want[i])) != 0;
	CHECK(!bad);
}

/*
 * Coarse counts at their bounds: a restored 1 s record of the largest
 * legitimate sum (10 slots of HIST_SLOT_MAX) is kept, one past
 * HIST_COARSE_MAX refused (the encoder's buffer is sized for it; sums
 * of a hostile region saturate there), and ten such seconds coarsened to
 * 10 s under a full pool keep every byte.
 */
static void
test_coarse_bounds(void *mem, size_t size)
{
	static uint64_t	 c[HIST_SLOTS][HIST_NC];
	static struct collect got;
	struct hist	 hs;
	uint32_t	 p, sec = (uint32_t)(T0 / 1000), k;
	uint64_t	 ms;
	int		 j;

	memset(mem, 0, size);
	hist_attach(&hs, mem, size, 86400);
	add(&hs, mac_a, "192.0.2.60", T0 - 5000, 1, 1);
	hist_tick(&hs, T0);
	p = find(&hs, mac_a, "192.0.2.60");
	for (j = 0; j < HIST_NC; j++)
		c[0][j] = HIST_COARSE_MAX + 1;
	CHECK(hist_restore_second(&hs, p, sec + 1, 1, 0, c) == -1);
	for (k = 1; k <= 10; k++) {
		for (j = 0; j < HIST_NC; j++)
			c[0][j] = 10 * HIST_SLOT_MAX - (k & 1) * j;
		CHECK(hist_restore_second(&hs, p, sec + 10 + k, 1, 0, c) == 0);
	}
	for (ms = T0 + 60000; hs.h->st.coarsened[1] == 0 &&
	    hs.h->st.dropped == 0 && ms < T0 + 86400000ULL; ms += 250) {
		add(&hs, mac_b, "198.51.100.9", ms, (ms / 250) & 1,
		    1000 + (uint32_t)(ms % 977));
		if (ms % 60000 == 0)
			hist_tick(&hs, ms);
	}
	CHECK(hs.h->st.coarsened[1] > 0);
	samples(&hs, p, &got);
	CHECK(got.levels[2] > 0);
	for (j = 0; j < HIST_NC; j++)
		CHECK(got.sum[j] == hs.pairs[p].total[j]);
	CHECK(got.sum[HIST_BU] == 1 + 100 * HIST_SLOT_MAX);
	CHECK(hist_attach(&hs, mem, size, 86400) == 1);
}

/*
 * A clock near 2^32 s (a hostile or damaged region's, or the year 2106):
 * reclaiming must end, not wrap its hour counter round and round
 * (review). One record from two hours before, then bulk within the
 * newest hour until the pool runs short: coarsening the old record does
 * not free enough, the next hour would pass 2^32, and the oldest blocks
 * are dropped instead.
 */
static void
test_late_clock(void *mem, size_t size)
{
	struct hist	 hs;
	uint64_t	 now = (UINT32_MAX - 100ULL) * 1000, ms;
	static const char *const remote[] = { "198.51.100.1",
	    "198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5",
	    "198.51.100.6", "198.51.100.7", "198.51.100.8" };

	memset(mem, 0, size);
	hist_attach(&hs, mem, size, 86400);
	add(&hs, mac_a, "192.0.2.80", now - 7000000, 1, 100);
	for (ms = now - 3400000; hs.h->st.dropped == 0 && ms < now; ms += 25)
		add(&hs, mac_b, remote[(ms / 25) % 8], ms, (ms / 100) & 1,
		    60 + (uint32_t)(ms * 7 % 1400));
	CHECK(hs.h->st.dropped > 0);
	CHECK(hist_attach(&hs, mem, size, 86400) == 1);
}

/*
 * A merged record (the drain's: a slot's summaries of one pair and
 * direction) counts its summaries in `records`, and in `late` when it
 * is refused: a loss counter must not shrink by the merge factor.
 */
static void
test_merged(void *mem, size_t size)
{
	struct hist	 hs;
	struct hist_rec	 r;
	uint64_t	 t = 1800000000000ULL;

	memset(mem, 0, size);
	hist_attach(&hs, mem, size, 86400);
	memset(&r, 0, sizeof(r));
	memcpy(r.mac, mac_a, 6);
	inet_pton(AF_INET, "192.0.2.9", &r.remote);
	r.ms = t + 1150;
	r.up = 1;
	r.bytes = 3000;
	r.packets = 30;
	r.records = 30;
	hist_add(&hs, &r);
	add(&hs, mac_a, "192.0.2.9", t + 1250, 1, 100);
	CHECK(hs.h->st.records == 31 && hs.h->st.late == 0);
	hist_tick(&hs, t + 3000);
	r.ms = t + 1950;	/* a second already closed */
	hist_add(&hs, &r);
	CHECK(hs.h->st.records == 31 && hs.h->st.late == 30);
}

int
main(void)
{
	size_t		 size = HIST_MIN_SIZE;
	void		*mem = calloc(1, size);

	test_varint();
	test_placement(mem, size);
	test_sparse(mem, size);
	test_cap(mem, size);
	test_expiry(mem, size);
	test_shift(mem, size);
	test_attach(mem, size);
	test_encoding(mem, size);
	test_quiet(mem, size);
	test_pieces(mem, size);
	test_roundtrip(mem, size);
	test_coarse_bounds(mem, size);
	test_late_clock(mem, size);
	test_merged(mem, size);
	free(mem);
	return check_result();
}
