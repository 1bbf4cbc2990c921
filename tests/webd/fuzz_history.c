/*
 * libFuzzer target: attaching to a hostile history region and decoding
 * it (webd/history.c). A valid region with a few pairs is made once;
 * each input patches it (6 bytes a patch: a little-endian 32-bit offset,
 * the first 64 KiB when its top bit is set, and 2 bytes to write there),
 * then the store attaches, decodes every pair, walks a minute of each
 * from its checkpoint cursor (history.h: a patched cursor must be
 * refused or be a place the walk may start, never a way out of the
 * pair's chain) and keeps the cursor where the walk ended, as webd's
 * checkpoint does, takes in more data (40 records, 300 when the length
 * is 5 modulo 8), and must leave a region that attaches again whole:
 * anything else aborts. For one input length in 32 (3 modulo 32) the
 * region patched is another, its pool nearly full of two hours' data,
 * and the data taken in comes two hours later: the pool reclaims, and
 * hostile blocks are coarsened (review: sums of a repeated second once
 * overflowed the encoder's buffer there). Such an input decodes two
 * hours of 100 ms samples, some 20 times the work of another: at one
 * in 8 it was most of each run's time (docs/reliability.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

#define T0		1800000000000ULL
#define SIZE		HIST_MIN_SIZE
#define FULL_POOL(len)	((len) % 32 == 3)

static uint8_t	*template, *full, *work;

static void
feed(struct hist *hs, uint64_t t0, int n)
{
	struct hist_rec	 r;
	int		 i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < n; i++) {
		r.ms = t0 + (uint64_t)i * 370;
		r.mac[0] = 0x52;
		r.mac[5] = (uint8_t)(i % 3);
		r.remote = 0x010200c0 + (uint32_t)(i % 5 << 24);
		r.up = i & 1;
		r.proto = 6;
		r.remote_port = 443;
		r.bytes = 40 + (uint32_t)i * 97;
		r.packets = 1 + (uint32_t)(i % 4);
		hist_add(hs, &r);
	}
	hist_tick(hs, t0 + (uint64_t)n * 370 + 2000);
}

/* The template with a bulk pair's two hours after it, until the pool
 * is nearly full: the next second's data makes it reclaim. */
static void
init_full(void)
{
	struct hist	 hs;
	struct hist_rec	 r;
	uint64_t	 ms;

	if ((full = malloc(SIZE)) == NULL)
		abort();
	memcpy(full, template, SIZE);
	hist_attach(&hs, full, SIZE, 86400);
	memset(&r, 0, sizeof(r));
	r.mac[0] = 0x52;
	r.mac[5] = 9;
	r.remote = 0x090200c0;
	r.proto = 17;
	r.remote_port = 4500;
	for (ms = T0 + 300000; ms < T0 + 7200000 &&
	    hist_units_free(&hs) > 90; ms += 100) {
		r.ms = ms;
		r.up = (ms / 100) & 1;
		r.bytes = 60 + (uint32_t)(ms % 1400);
		r.packets = 1 + (uint32_t)(ms % 3);
		hist_add(&hs, &r);
		if (ms % 1000 == 0)
			hist_tick(&hs, ms);
	}
}

static void
init(void)
{
	struct hist	 hs;

	template = calloc(1, SIZE);
	work = malloc(SIZE);
	if (template == NULL || work == NULL)
		abort();
	struct hist_cursor cur;
	uint32_t	 p;

	hist_attach(&hs, template, SIZE, 86400);
	feed(&hs, T0, 600);
	hist_set_name(&hs, 0, "example.org");
	/* cursors as a checkpoint leaves them, for the patches to spoil */
	for (p = 0; p < hs.h->phwm; p++) {
		hist_cursor_resume(&hs, p, 0, &cur);
		hist_cursor_keep(&hs, p, &cur, (uint32_t)(T0 / 1000) + 120);
	}
	init_full();
}

static void
count(const struct hist_sample *s, void *arg)
{
	*(uint64_t *)arg += s->c[HIST_BU] + s->level;
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hist	 hs;
	struct hist_cursor cur;
	uint64_t	 sum = 0, salvaged;
	uint32_t	 off, p, from = (uint32_t)(T0 / 1000) + 150;
	size_t		 i;

	if (template == NULL)
		init();
	memcpy(work, FULL_POOL(len) ? full : template, SIZE);
	for (i = 0; i + 6 <= len; i += 6) {
		memcpy(&off, data + i, 4);
		off = off & 0x80000000U ? off % 65536 : off % (SIZE - 1);
		memcpy(work + off, data + i + 4, 2);
	}
	if (hist_attach(&hs, work, SIZE, 86400) == -1)
		abort();
	for (p = 0; p < hs.h->phwm; p++)
		if (hs.pairs[p].used) {
			hist_samples(&hs, p, 0, UINT32_MAX, count, &sum);
			hist_cursor_resume(&hs, p, from, &cur);
			if (cur.b != hs.pairs[p].head &&
			    (!hist_block_start(&hs, cur.b) ||
			    HIST_BLK(&hs, cur.b)->owner != p))
				abort();
			/* a minute, as a checkpoint walks: further on the
			 * walk is the whole one's again (a full pool's two
			 * hours, decoded twice, were half of the run's time) */
			hist_samples_next(&hs, p, &cur, from, from + 60, count,
			    &sum);
			hist_cursor_keep(&hs, p, &cur, from + 60);
		}
	/* 40 records flush a few seconds and reuse blocks; 300, for one
	 * input length in eight, fill whole blocks as before (300 for every
	 * input was most of each run's time). */
	feed(&hs, FULL_POOL(len) ? T0 + 7500000 : T0 + 400000,
	    len % 8 == 5 ? 300 : 40);
	if (len % 7 == 0)
		hist_shift(&hs, (int64_t)(len % 5) - 2);
	salvaged = hs.h->st.salvaged;
	if (hist_attach(&hs, work, SIZE, 86400) != 1 ||
	    hs.h->st.salvaged != salvaged)
		abort();
	return sum == 1 ? 1 : 0;
}
