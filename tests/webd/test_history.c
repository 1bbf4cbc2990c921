/*
 * Unit tests of the history store (webd/history.c): exact bucket
 * placement, the cost of sparse data, coarsening and dropping under the
 * memory cap, expiry, a clock step, and attaching to kept, stale and
 * corrupted regions.
 */
#include <arpa/inet.h>

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
	uint32_t	 used0, i;

	memset(mem, 0, size);
	CHECK(hist_attach(&hs, mem, size, 86400) == 0);
	CHECK(hist_blocks_used(&hs) == 0);
	add(&hs, mac_a, "192.0.2.1", T0, 1, 100);
	add(&hs, mac_a, "192.0.2.1", T0 + 3600 * 1000, 1, 100);
	add(&hs, mac_a, "192.0.2.1", T0 + 20 * 3600 * 1000, 1, 100);
	hist_tick(&hs, T0 + 20 * 3600 * 1000 + 2000);
	/* twenty hours of silence between three packets: one block */
	CHECK(hist_blocks_used(&hs) == 1);
	used0 = hist_blocks_used(&hs);
	/* 1000 active seconds, one slot each: under 12 bytes a second */
	for (i = 0; i < 1000; i++)
		add(&hs, mac_b, "192.0.2.9", T0 + i * 1000ULL + 300, 0, 1400);
	hist_tick(&hs, T0 + 1001 * 1000);
	CHECK((hist_blocks_used(&hs) - used0) * HIST_BLOCK < 1000 * 12);
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
	CHECK(hist_blocks_free(&hs) > 0);
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
	CHECK(hs.h->pairs_used == 0 && hist_blocks_used(&hs) == 0);
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
	hs.blocks[hs.pairs[p].head].next = hs.pairs[p].head;
	CHECK(hist_attach(&hs, mem, size, 86400) == 1);
	CHECK(hs.h->st.salvaged == 1);
	CHECK(find(&hs, mac_a, "192.0.2.1") == HIST_NONE);
	samples(&hs, find(&hs, mac_b, "192.0.2.2"), &c);
	CHECK(c.n == 2 && c.sum[HIST_BD] == 25);
	/* the freed block is reused, not lost */
	CHECK(hist_blocks_used(&hs) == 1);
	/* garbage inside a block ends that block's samples, no more */
	q = find(&hs, mac_b, "192.0.2.2");
	memset(hs.blocks[hs.pairs[q].head].data, 0xff, HIST_DATA);
	samples(&hs, q, &c);
	CHECK(c.n == 0);
	/* a bad header: rebuilt, counted */
	hs.h->nblocks++;
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
	uint32_t	 p, sec = (uint32_t)(T0 / 1000), k, used = 0;
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
	for (k = 0; k < hs.h->bhwm; k++)
		used += hs.blocks[k].used;
	CHECK(got.sum[HIST_BU] + got.sum[HIST_BD] == want + 1 +
	    UINT32_MAX * 2ULL + 20800 + 9000000 + 1500 + 64000 + 1400 +
	    63000 + 5 + 1 + 100 + 200 + 90 + 150000 + 2);
	/* blocks hold data, not air: over 95 % of what they could */
	CHECK(used * 100 > (uint64_t)hist_blocks_used(&hs) * HIST_DATA * 95);
	/* under 60 bytes a busy second, all ten slots */
	CHECK(hist_blocks_used(&hs) * HIST_BLOCK < 60 * 66);
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
	free(mem);
	return check_result();
}
