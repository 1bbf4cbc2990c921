/*
 * White-box unit test of the history's block pool (webd/history.c,
 * compiled in here for its static functions): the pool stays tiled by
 * blocks, each start marked and every free unit counted, while blocks
 * of 2 and 3 units fill it to the last unit, half of them are freed in
 * no order, and blocks bigger than any free one are asked for: the
 * free neighbours are joined (coalesce()) and a request that no run of
 * free units can meet is refused, not met by a block that overlaps,
 * and without walking the pool again until a block is freed.
 */
#include "../../webd/history.c"

#include <stdio.h>

#include "check.h"

/* 1 when the pool below uhwm is tiled by blocks whose starts are marked
 * and whose free units are what nfree says. */
static int
tiled(const struct hist *hs)
{
	uint32_t	 b, n, u, freeu = 0;

	for (b = 0; b < hs->h->uhwm; b += n) {
		n = HIST_BLK_UNITS(HIST_BLK(hs, b));
		if (n < 1 || n > HIST_BLOCK_UNITS || !is_start(hs->starts, b))
			return 0;
		for (u = b + 1; u < b + n; u++)
			if (is_start(hs->starts, u))
				return 0;
		if (HIST_BLK(hs, b)->owner == HIST_NONE)
			freeu += n;
	}
	return b == hs->h->uhwm && freeu == hs->h->nfree;
}

/* The longest run of free units. */
static uint32_t
longest_free(const struct hist *hs)
{
	uint32_t	 b, n, run = 0, best = 0;

	for (b = 0; b < hs->h->uhwm; b += n) {
		n = HIST_BLK_UNITS(HIST_BLK(hs, b));
		run = HIST_BLK(hs, b)->owner == HIST_NONE ? run + n : 0;
		best = run > best ? run : best;
	}
	return best;
}

static uint32_t
take(struct hist *hs, uint32_t min, int first)
{
	uint32_t	 b = block_alloc(hs, min, first);

	if (b != HIST_NONE)
		HIST_BLK(hs, b)->owner = 0;	/* pair 0's, say */
	return b;
}

int
main(void)
{
	static uint32_t	 blk[8192];
	size_t		 size = HIST_MIN_SIZE;
	void		*mem = calloc(1, size);
	struct hist	 hs;
	uint32_t	 n = 0, i, b, u, keep, want;
	uint64_t	 joins;

	CHECK(mem != NULL && hist_attach(&hs, mem, size, 86400) == 0);
	/* blocks cut to 2 or 3 units as quiet pairs' are, to the pool's
	 * last unit, then every piece left taken too */
	while (n < 8192 && (b = take(&hs, 2, 0)) != HIST_NONE) {
		u = HIST_BLK_UNITS(HIST_BLK(&hs, b));
		keep = 2 + n % 2;
		if (u > keep) {
			HIST_BLK(&hs, b)->info = (uint8_t)(keep << 2);
			free_put(&hs, b + keep, u - keep);
		}
		blk[n++] = b;
	}
	CHECK(n < 8192 && hs.h->uhwm == hs.h->nunits);
	CHECK(tiled(&hs));
	while (take(&hs, 2, 1) != HIST_NONE)
		;
	/* what is left: lone units, no two side by side */
	CHECK(longest_free(&hs) < 2 && tiled(&hs));
	/* enough of them, but never two together: refused, and without
	 * walking the pool again while nothing is freed (review: two walks
	 * for each refusal) */
	CHECK(hs.h->nfree >= 2 && hs.joined);
	joins = hs.joins;
	for (i = 0; i < 100; i++)
		CHECK(take(&hs, 2, i & 1) == HIST_NONE);
	CHECK(hs.joins == joins && tiled(&hs));
	/* half of them freed, in no order: pieces of 2 and 3 units */
	for (i = 0; i < n; i += 2)
		block_free(&hs, blk[i]);
	for (i = 1; i < n; i += 4)
		block_free(&hs, blk[i]);
	CHECK(tiled(&hs) && !hs.joined);
	CHECK(hs.h->nfree > hs.h->nunits / 4);
	/* as big as the longest run of free units: joined, and granted */
	want = longest_free(&hs);
	want = want > HIST_BLOCK_UNITS ? HIST_BLOCK_UNITS : want;
	CHECK(want > 3);
	b = take(&hs, want, 0);
	CHECK(b != HIST_NONE && HIST_BLK_UNITS(HIST_BLK(&hs, b)) >= want);
	CHECK(hs.joins == joins + 1);
	CHECK(tiled(&hs));
	/* bigger than any run: refused */
	if (longest_free(&hs) < HIST_BLOCK_UNITS)
		CHECK(take(&hs, longest_free(&hs) + 1, 0) == HIST_NONE);
	CHECK(tiled(&hs));
	/* a block freed: the next refusal may join again */
	block_free(&hs, blk[3]);
	CHECK(!hs.joined && tiled(&hs));
	/* and the pool attaches again, every block a pair's or free */
	CHECK(hist_attach(&hs, mem, size, 86400) == 1);
	CHECK(tiled(&hs));
	free(mem);
	return check_result();
}
