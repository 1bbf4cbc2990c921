/*
 * The traffic history store (history.h). Pure logic over one region;
 * every index read from the region is checked before use, since the
 * region outlives the process that wrote it.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

/* units: a second's records take two blocks at most */
#define HIST_RESERVE		(4 * HIST_BLOCK_UNITS)
#define HIST_TARGET_FREE(h)	((h)->nunits / 64 + 2 * HIST_RESERVE)
#define HIST_MAX_RUN		64	/* blocks recoded at once */
#define HIST_MAX_SPAN		65535	/* seconds a block covers at most */

static void	reclaim(struct hist *);

/* ---- varints ---- */

size_t
hist_put_varint(uint8_t *p, size_t room, uint64_t v)
{
	size_t	 n = 0;

	do {
		if (n >= room)
			return 0;
		p[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return n;
}

size_t
hist_get_varint(const uint8_t *p, size_t len, uint64_t *v)
{
	size_t	 n;
	uint64_t r = 0;

	for (n = 0; n < len && n < 10; n++) {
		if (n == 9 && p[n] > 1)
			return 0;	/* more than 64 bits */
		r |= (uint64_t)(p[n] & 0x7f) << (7 * n);
		if ((p[n] & 0x80) == 0) {
			*v = r;
			return n + 1;
		}
	}
	return 0;
}

static size_t
varint_len(uint64_t v)
{
	size_t	 n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* ---- layout ---- */

struct layout {
	uint32_t	 npairs, nbuckets, nunits;
	size_t		 pairs_off, buckets_off, starts_off, pool_off;
};

static int
layout(size_t size, struct layout *l)
{
	size_t	 off;

	/* units are counted in 32 bits */
	if (size < HIST_MIN_SIZE || size > (size_t)1 << 36)
		return -1;
	/* One pair per 4 KiB of region: about 7 % of it. */
	l->npairs = (uint32_t)(size / 4096);
	if (l->npairs > 1 << 20)
		l->npairs = 1 << 20;
	for (l->nbuckets = 64; l->nbuckets < l->npairs; l->nbuckets <<= 1)
		;
	l->pairs_off = (sizeof(struct hist_hdr) + 63) & ~(size_t)63;
	off = l->pairs_off + (size_t)l->npairs * sizeof(struct hist_pair);
	l->buckets_off = off;
	off += (size_t)l->nbuckets * sizeof(uint32_t);
	/* a bit per unit for the starts, 1/128 of what is left */
	l->starts_off = off;
	l->nunits = (uint32_t)((size - off - 128) * 8 / (8 * HIST_UNIT + 1));
	off += ((size_t)l->nunits + 7) / 8;
	l->pool_off = (off + 63) & ~(size_t)63;
	if ((size - l->pool_off) / HIST_UNIT < l->nunits)
		l->nunits = (uint32_t)((size - l->pool_off) / HIST_UNIT);
	return 0;
}

static uint32_t
hash(const uint8_t mac[6], uint32_t remote, uint32_t nbuckets)
{
	uint64_t x = remote;
	int	 i;

	for (i = 0; i < 6; i++)
		x = (x << 8 | x >> 56) ^ mac[i];
	x *= 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(x >> 32) & (nbuckets - 1);
}

static void
hash_insert(struct hist *hs, uint32_t p)
{
	struct hist_pair *e = &hs->pairs[p];
	uint32_t	 b = hash(e->mac, e->remote, hs->h->nbuckets);

	e->hnext = hs->buckets[b];
	hs->buckets[b] = p;
}

static void
hash_remove(struct hist *hs, uint32_t p)
{
	struct hist_pair *e = &hs->pairs[p];
	uint32_t	*link = &hs->buckets[hash(e->mac, e->remote,
	    hs->h->nbuckets)];

	while (*link != HIST_NONE) {
		if (*link == p) {
			*link = e->hnext;
			return;
		}
		link = &hs->pairs[*link].hnext;
	}
}

uint32_t
hist_find(const struct hist *hs, const uint8_t mac[6], uint32_t remote)
{
	uint32_t	 p = hs->buckets[hash(mac, remote, hs->h->nbuckets)];

	for (; p != HIST_NONE; p = hs->pairs[p].hnext)
		if (hs->pairs[p].remote == remote &&
		    memcmp(hs->pairs[p].mac, mac, 6) == 0)
			return p;
	return HIST_NONE;
}

/* ---- the block pool ----
 *
 * Below uhwm the pool is tiled by blocks of 1 to 16 units, used or free,
 * each starting with its header, and the starts bitmap has a bit for
 * each; so the unit after a block is another block's start, and a unit
 * index read from the region is a block only when its bit says so.
 * Free blocks are on a list per size (free_head[units]).
 */

static int
is_start(const uint8_t *starts, uint32_t u)
{
	return (starts[u >> 3] >> (u & 7)) & 1;
}

static void
set_start(uint8_t *starts, uint32_t u, int on)
{
	if (on)
		starts[u >> 3] |= (uint8_t)(1U << (u & 7));
	else
		starts[u >> 3] &= (uint8_t)~(1U << (u & 7));
}

int
hist_block_start(const struct hist *hs, uint32_t b)
{
	return b < hs->h->uhwm && is_start(hs->starts, b);
}

uint32_t
hist_units_free(const struct hist *hs)
{
	return hs->h->nfree + (hs->h->nunits - hs->h->uhwm);
}

uint32_t
hist_units_used(const struct hist *hs)
{
	return hs->h->nunits - hist_units_free(hs);
}

/* Puts a free block of n units at b, on its list. */
static void
free_put(struct hist *hs, uint32_t b, uint32_t n)
{
	struct hist_block *blk = HIST_BLK(hs, b);

	memset(blk, 0, sizeof(*blk));
	blk->owner = HIST_NONE;
	blk->info = (uint8_t)(n << 2);
	blk->next = hs->h->free_head[n];
	hs->h->free_head[n] = b;
	hs->h->nfree += n;
	set_start(hs->starts, b, 1);
	hs->joined = 0;
}

/* Cuts [b, b + n) into free blocks of 16 units at most. */
static void
free_run(struct hist *hs, uint32_t b, uint32_t n)
{
	uint32_t	 k;

	for (; n > 0; b += k, n -= k) {
		k = n < HIST_BLOCK_UNITS ? n : HIST_BLOCK_UNITS;
		free_put(hs, b, k);
	}
}

static uint32_t
free_take(struct hist *hs, uint32_t n)
{
	uint32_t	 b = hs->h->free_head[n];

	hs->h->free_head[n] = HIST_BLK(hs, b)->next;
	hs->h->nfree -= n;
	return b;
}

/*
 * Joins neighbouring free blocks (the pool is dry, or a block of the
 * size asked for is missing): one walk of the tiling, the lists made
 * anew.
 */
static void
coalesce(struct hist *hs)
{
	struct hist_hdr	*h = hs->h;
	uint32_t	 b, n, run = 0, start = 0;

	for (n = 0; n <= HIST_BLOCK_UNITS; n++)
		h->free_head[n] = HIST_NONE;
	h->nfree = 0;
	for (b = 0; b < h->uhwm; b += n) {
		/* never 0: the tiling is this process's own since attach */
		if ((n = HIST_BLK_UNITS(HIST_BLK(hs, b))) == 0)
			n = 1;
		if (HIST_BLK(hs, b)->owner != HIST_NONE) {
			free_run(hs, start, run);
			run = 0;
			continue;
		}
		set_start(hs->starts, b, 0);
		if (run == 0)
			start = b;
		run += n;
	}
	free_run(hs, start, run);
	hs->joined = 1;
	hs->joins++;
}

/*
 * A block of at least min units (2 or more), 16 where it can. A pair's
 * first block takes the largest free one, so what trimming gave back
 * is used again before fresh pool; a chain that grows takes a whole
 * free one, else fresh pool (smaller ones would cost a busy pair more
 * headers), else the largest free one. HIST_NONE when none is big
 * enough, even with neighbours joined; reclaiming is reserve()'s,
 * before a write.
 */
static uint32_t
block_alloc(struct hist *hs, uint32_t min, int first)
{
	struct hist_hdr	*h = hs->h;
	uint32_t	 n, b, pass;

	for (pass = 0; pass < 2; pass++) {
		for (n = HIST_BLOCK_UNITS; n >= min; n--)
			if (h->free_head[n] != HIST_NONE)
				return free_take(hs, n);
			else if (!first)
				break;
		if (h->nunits - h->uhwm >= min) {
			b = h->uhwm;
			n = h->nunits - b < HIST_BLOCK_UNITS ?
			    h->nunits - b : HIST_BLOCK_UNITS;
			h->uhwm += n;
			HIST_BLK(hs, b)->info = (uint8_t)(n << 2);
			set_start(hs->starts, b, 1);
			return b;
		}
		for (n = HIST_BLOCK_UNITS - 1; n >= min; n--)
			if (h->free_head[n] != HIST_NONE)
				return free_take(hs, n);
		/* joined already, and nothing freed since: no use walking
		 * the pool again (review: two walks for every refusal) */
		if (h->nfree < min || hs->joined)
			break;
		coalesce(hs);
	}
	return HIST_NONE;
}

static void
block_free(struct hist *hs, uint32_t b)
{
	struct hist_block *blk = HIST_BLK(hs, b);
	uint32_t	 p = blk->owner;

	/* a checkpoint cursor never names a block that is gone */
	if (p < hs->h->phwm && hs->pairs[p].ckpt_block == b)
		hs->pairs[p].ckpt_block = HIST_NONE;
	free_put(hs, b, HIST_BLK_UNITS(blk));
}

/*
 * A block of exactly n units for a quiet pair's last block: one of that
 * size, else the bottom of a larger free one (the rest stays free and
 * big enough for a block), else fresh pool; HIST_NONE when none.
 */
static uint32_t
block_fit(struct hist *hs, uint32_t n)
{
	struct hist_hdr	*h = hs->h;
	uint32_t	 m, b;

	if (h->free_head[n] != HIST_NONE)
		return free_take(hs, n);
	for (m = n + 2; m <= HIST_BLOCK_UNITS; m++)
		if (h->free_head[m] != HIST_NONE) {
			b = free_take(hs, m);
			free_put(hs, b + n, m - n);
			HIST_BLK(hs, b)->info = (uint8_t)(n << 2);
			return b;
		}
	if (h->nunits - h->uhwm < n)
		return HIST_NONE;
	b = h->uhwm;
	h->uhwm += n;
	HIST_BLK(hs, b)->info = (uint8_t)(n << 2);
	set_start(hs->starts, b, 1);
	return b;
}

/* The block before b in p's chain, HIST_NONE when b is the head. */
static uint32_t
chain_before(const struct hist *hs, uint32_t p, uint32_t b)
{
	const struct hist_pair *e = &hs->pairs[p];
	uint32_t	 x, n;

	/* the checkpoint's cursor is near the end of the chain */
	x = e->ckpt_block != b && hist_block_start(hs, e->ckpt_block) &&
	    HIST_BLK(hs, e->ckpt_block)->owner == p ? e->ckpt_block : e->head;
	for (n = 0; x != HIST_NONE && n <= hs->h->uhwm; n++) {
		if (HIST_BLK(hs, x)->next == b)
			return x;
		x = HIST_BLK(hs, x)->next;
	}
	return HIST_NONE;
}

/*
 * A pair gone quiet gives back its last block's unused room: the block
 * moves to one of just the units it fills, so a pair seen for a few
 * seconds costs what its records take and the pool keeps no holes.
 */
static void
quiet_pair(struct hist *hs, uint32_t p)
{
	struct hist_pair *e = &hs->pairs[p];
	struct hist_block *old = HIST_BLK(hs, e->tail), *blk;
	uint32_t	 b, prev, keep;

	keep = (HIST_HDR + old->used + HIST_UNIT - 1) / HIST_UNIT;
	keep = keep < 2 ? 2 : keep;
	if (keep >= HIST_BLK_UNITS(old))
		return;
	prev = e->head == e->tail ? HIST_NONE : chain_before(hs, p, e->tail);
	if ((e->head != e->tail && prev == HIST_NONE) ||
	    (b = block_fit(hs, keep)) == HIST_NONE)
		return;
	blk = HIST_BLK(hs, b);
	memcpy(blk, old, HIST_HDR + old->used);
	blk->info = (uint8_t)(HIST_BLK_LEVEL(old) | keep << 2);
	if (prev == HIST_NONE)
		e->head = b;
	else
		HIST_BLK(hs, prev)->next = b;
	if (e->ckpt_block == e->tail)
		e->ckpt_block = b;
	block_free(hs, e->tail);
	e->tail = b;
}

/* ---- attach: keep what is valid, rebuild the rest ---- */

static void
init_region(struct hist *hs, size_t size, const struct layout *l,
    uint64_t resets)
{
	struct hist_hdr	*h = hs->h;

	memset(h, 0, sizeof(*h));
	h->version = HIST_VERSION;
	h->hdr_size = sizeof(*h);
	h->size = size;
	h->pair_size = sizeof(struct hist_pair);
	h->unit_size = HIST_UNIT;
	h->npairs = l->npairs;
	h->nbuckets = l->nbuckets;
	h->nunits = l->nunits;
	h->st.resets = resets;
	h->magic = HIST_MAGIC;
}

static int
header_ok(const struct hist_hdr *h, size_t size, const struct layout *l)
{
	return h->magic == HIST_MAGIC && h->version == HIST_VERSION &&
	    h->hdr_size == sizeof(*h) && h->size == size &&
	    h->pair_size == sizeof(struct hist_pair) &&
	    h->unit_size == HIST_UNIT && h->npairs == l->npairs &&
	    h->nbuckets == l->nbuckets && h->nunits == l->nunits &&
	    h->uhwm <= l->nunits && h->phwm <= l->npairs;
}

/* Marks or clears the units of block b in the claim map. */
static void
mark(uint8_t *map, uint32_t b, uint32_t n, int on)
{
	for (; n > 0; n--, b++)
		set_start(map, b, on);
}

/* Gives back the first n blocks of p's chain, claimed by a failed walk. */
static void
unmark(struct hist *hs, uint8_t *map, uint32_t p, uint32_t n)
{
	uint32_t	 b;

	for (b = hs->pairs[p].head; n > 0 && b != HIST_NONE; n--) {
		mark(map, b, HIST_BLK_UNITS(HIST_BLK(hs, b)), 0);
		b = HIST_BLK(hs, b)->next;
	}
}

/* 1 when the header of a block at b, claimed by nobody yet, is sound. */
static int
block_ok(const struct hist *hs, const uint8_t *map, uint32_t b)
{
	const struct hist_block *blk = HIST_BLK(hs, b);
	uint32_t	 n = HIST_BLK_UNITS(blk), u;

	if (n < 2 || n > HIST_BLOCK_UNITS || (blk->info & 0x80) != 0 ||
	    n > hs->h->uhwm - b || blk->used > HIST_BLK_ROOM(blk) ||
	    HIST_BLK_LEVEL(blk) >= HIST_LEVELS ||
	    blk->base_sec > UINT32_MAX - HIST_MAX_SPAN)
		return 0;
	for (u = b; u < b + n; u++)
		if (is_start(map, u))
			return 0;
	return 1;
}

/* Walks p's chain, claiming each block in map; 0 when it is whole. */
static int
claim_chain(struct hist *hs, uint8_t *map, uint32_t p)
{
	struct hist_pair *e = &hs->pairs[p];
	struct hist_block *blk;
	uint32_t	 b = e->head, last = HIST_NONE, n = 0, ckpt = 0;

	while (b != HIST_NONE) {
		if (b >= hs->h->uhwm || !block_ok(hs, map, b)) {
			unmark(hs, map, p, n);
			return -1;
		}
		blk = HIST_BLK(hs, b);
		mark(map, b, HIST_BLK_UNITS(blk), 1);
		blk->owner = p;
		ckpt |= b == e->ckpt_block;
		n++;
		last = b;
		b = blk->next;
	}
	if (last != e->tail) {
		unmark(hs, map, p, n);
		return -1;
	}
	if (!ckpt)
		e->ckpt_block = HIST_NONE;
	return 0;
}

static int
pair_ok(const struct hist_pair *e)
{
	int	 i;

	if (e->used != 1 || e->open_mask >= 1U << HIST_SLOTS ||
	    (e->open_sec == 0 && e->open_mask != 0))
		return 0;
	for (i = 0; i < HIST_PORTS; i++)
		if (e->ports[i].pad != 0)
			return 0;
	return 1;
}

static void
drop_pair_salvage(struct hist *hs, uint32_t p)
{
	memset(&hs->pairs[p], 0, sizeof(hs->pairs[p]));
	hs->h->st.salvaged++;
}

/*
 * Keeps every pair whose chain is whole, each block its own and inside
 * the pool, then tiles the rest of the pool with free blocks. map is
 * the claim map, a bit per unit (the starts bitmap, rebuilt after).
 */
static void
salvage(struct hist *hs, uint8_t *map)
{
	struct hist_hdr	*h = hs->h;
	struct hist_pair *e;
	uint32_t	 b, n, p;

	for (b = 0; b < h->nbuckets; b++)
		hs->buckets[b] = HIST_NONE;
	h->free_pair = HIST_NONE;
	h->pairs_used = 0;
	for (p = h->phwm; p-- > 0; ) {
		e = &hs->pairs[p];
		if (e->used == 0) {
			memset(e, 0, sizeof(*e));
			e->hnext = h->free_pair;
			h->free_pair = p;
			continue;
		}
		if (!pair_ok(e) || claim_chain(hs, map, p) == -1)
			drop_pair_salvage(hs, p);
		else if (hist_find(hs, e->mac, e->remote) != HIST_NONE) {
			unmark(hs, map, p, UINT32_MAX);
			drop_pair_salvage(hs, p);
		} else {
			e->name[HIST_NAME - 1] = '\0';
			hash_insert(hs, p);
			h->pairs_used++;
			continue;
		}
		e->hnext = h->free_pair;
		h->free_pair = p;
	}
	/* the claimed blocks' starts, then free blocks in the gaps */
	for (n = 0; n <= HIST_BLOCK_UNITS; n++)
		h->free_head[n] = HIST_NONE;
	h->nfree = 0;
	memset(hs->starts, 0, ((size_t)h->nunits + 7) / 8);
	for (b = 0; b < h->uhwm; ) {
		if (is_start(map, b)) {
			set_start(hs->starts, b, 1);
			b += HIST_BLK_UNITS(HIST_BLK(hs, b));
			continue;
		}
		for (n = 0; b + n < h->uhwm && !is_start(map, b + n); n++)
			;
		free_run(hs, b, n);
		b += n;
	}
}

int
hist_attach(struct hist *hs, void *base, size_t size, uint32_t history_s)
{
	struct layout	 l;
	uint64_t	 resets;
	uint8_t		*map;
	int		 kept;

	if (layout(size, &l) == -1 ||
	    (map = calloc(1, ((size_t)l.nunits + 7) / 8)) == NULL)
		return -1;
	hs->h = base;
	hs->joined = 0;
	hs->joins = 0;
	hs->pairs = (struct hist_pair *)((char *)base + l.pairs_off);
	hs->buckets = (uint32_t *)((char *)base + l.buckets_off);
	hs->starts = (uint8_t *)base + l.starts_off;
	hs->pool = (uint8_t *)base + l.pool_off;
	kept = header_ok(hs->h, size, &l);
	if (!kept) {
		resets = hs->h->magic == HIST_MAGIC ? hs->h->st.resets + 1 :
		    (hs->h->magic != 0 ? 1 : 0);
		init_region(hs, size, &l, resets);
	}
	hs->h->history_s = history_s;
	salvage(hs, map);
	free(map);
	return kept;
}

void
hist_reset(struct hist *hs)
{
	struct hist_hdr	 keep = *hs->h;
	struct layout	 l;

	if (layout(keep.size, &l) == -1)
		return;		/* not reached: it attached */
	init_region(hs, keep.size, &l, keep.st.resets);
	hs->h->history_s = keep.history_s;
	hs->h->now_ms = keep.now_ms;
	hs->h->wall_offset_ms = keep.wall_offset_ms;
	hs->h->offset_set = keep.offset_set;
	hs->h->st = keep.st;
	salvage(hs, NULL);	/* no pair, no block: no claim to map */
}

/* ---- encoding ---- */

/*
 * Appends records to a chain under construction: the pair's own (live
 * data) or a recoded run. Blocks come from reuse first, then the pool.
 */
struct emit {
	struct hist	*hs;
	uint32_t	 p;
	uint8_t		 level;
	uint32_t	 first, last;	/* the chain built so far */
	const uint32_t	*reuse;
	size_t		 nreuse, ireuse;
};

/* A new tail block with room for len bytes of data, or NULL. */
static struct hist_block *
emit_block(struct emit *e, uint32_t sec, size_t len)
{
	struct hist	*hs = e->hs;
	struct hist_block *blk;
	uint32_t	 b, min = (uint32_t)((HIST_HDR + len + HIST_UNIT - 1) /
	    HIST_UNIT);

	min = min < 2 ? 2 : min;
	for (b = HIST_NONE; b == HIST_NONE && e->ireuse < e->nreuse; ) {
		b = e->reuse[e->ireuse++];
		if (HIST_BLK_UNITS(HIST_BLK(hs, b)) < min) {
			block_free(hs, b);
			b = HIST_NONE;
		}
	}
	if (b == HIST_NONE && (b = block_alloc(hs, min, e->last ==
	    HIST_NONE)) == HIST_NONE)
		return NULL;
	blk = HIST_BLK(hs, b);
	blk->owner = e->p;
	blk->next = HIST_NONE;
	blk->info = (uint8_t)(e->level | HIST_BLK_UNITS(blk) << 2);
	blk->base_sec = sec;
	blk->span = 0;
	blk->used = 0;
	if (e->last != HIST_NONE)
		HIST_BLK(hs, e->last)->next = b;
	else
		e->first = b;
	e->last = b;
	return blk;
}

/* The tail block when a record for sec may go on in it, else NULL. */
static struct hist_block *
emit_tail(const struct emit *e, uint32_t sec)
{
	struct hist_block *blk;

	if (e->last == HIST_NONE)
		return NULL;
	blk = HIST_BLK(e->hs, e->last);
	if (HIST_BLK_LEVEL(blk) != e->level || sec < HIST_BLK_LAST(blk) ||
	    sec - blk->base_sec > HIST_MAX_SPAN)
		return NULL;
	return blk;
}

/* The block a record of len bytes for sec goes into, or NULL. */
static struct hist_block *
emit_room(struct emit *e, uint32_t sec, size_t len)
{
	struct hist_block *blk = emit_tail(e, sec);

	if (blk == NULL || blk->used + varint_len(sec - HIST_BLK_LAST(blk)) +
	    len > HIST_BLK_ROOM(blk))
		blk = emit_block(e, sec, 1 + len);
	return blk;
}

static void
put(struct hist_block *blk, uint64_t v)
{
	blk->used += (uint8_t)hist_put_varint(blk->data + blk->used,
	    HIST_BLK_ROOM(blk) - blk->used, v);
}

/* The record's second: its delta from the block's last. */
static void
put_sec(struct hist_block *blk, uint32_t sec)
{
	put(blk, sec - HIST_BLK_LAST(blk));
	blk->span = (uint16_t)(sec - blk->base_sec);
}

/* ---- a 100 ms slot (level 0) ----
 *
 * A record's slots are one bit stream (most significant bit first,
 * padded to a byte at the record's end), each value an exp-Golomb code
 * of order k: (v >> k) + 1 in binary after as many zeros as it has bits
 * less one, then v's low k bits. Per slot, bytes up then bytes down:
 * the first slot's as they are (k = 8), the next ones' as the zigzag
 * difference from the slot before (a steady flow moves little from one
 * 100 ms to the next), k being the bit length less one of the value
 * coded before for the same direction, so the codes follow the flow's
 * own scale. Then packets up and down (k = 0): the zigzag difference
 * from the packets the bytes make at the record's packet size, which
 * starts at 1500 and becomes bytes / packets of a direction's last slot
 * that it did not predict: 0 for a bulk flow of full-size packets, and
 * for an ACK stream from its second slot on.
 */
#define EG_FIRST_K	8
#define EG_MAX_BITS	48	/* a value's bits, checked when decoding */
/* a slot's bits at most: values below 2^47 (a 10 s sum of 100 ms
 * counts of HIST_SLOT_MAX), each 2 x 48 - 1 + 8 bits at most */
#define SLOT_BITS	(4 * (2 * 48 + 8))
#define REC_MAX		(HIST_SLOTS * SLOT_BITS / 8 + 8)
/* The decoder's steps (some the encoder's too), inlined into the two
 * walks, hist_samples_next() and decode_block(), in every build: the
 * cursor then stays in registers. clang with ASan at -O2 (the fuzz
 * build) left them calls, each loading and checking the cursor in
 * memory: a full pool decoded 2.6 times slower (docs/reliability.md). */
#define DECODE_STEP	static inline __attribute__((always_inline))

struct slot_state {
	int		 first;
	uint64_t	 prev[2];	/* bytes up, down of the slot before */
	uint32_t	 k[2];
	uint64_t	 size[2];	/* the packet size predicting packets */
	uint64_t	 inv[2];	/* 2^32 / size, rounded down */
};

DECODE_STEP void
slot_state_init(struct slot_state *st)
{
	st->first = 1;
	st->prev[0] = st->prev[1] = 0;
	st->k[0] = st->k[1] = EG_FIRST_K;
	st->size[0] = st->size[1] = 1500;
	st->inv[0] = st->inv[1] = (1ULL << 32) / 1500;
}

static uint64_t
zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

DECODE_STEP int64_t
unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

DECODE_STEP uint32_t
bit_len(uint64_t v)
{
	return v == 0 ? 0 : 64 - (uint32_t)__builtin_clzll(v);
}

/* The order of the next code after value v. */
DECODE_STEP uint32_t
next_k(uint64_t v)
{
	uint32_t	 n = bit_len(v);

	return n > 1 ? n - 1 : 0;
}

/* Packets that bytes make at direction d's size, rounded up: by the
 * size's inverse, not a division per slot (a query decodes a million). */
DECODE_STEP uint64_t
packets_for(const struct slot_state *st, int d, uint64_t bytes)
{
	uint64_t	 q, r, size = st->size[d];

	if (bytes >> 32 != 0)
		return (bytes + size - 1) / size;
	/* q is bytes / size, or one or two less */
	q = bytes * st->inv[d] >> 32;
	for (r = bytes - q * size; r >= size; r -= size)
		q++;
	return q + (r != 0);
}

DECODE_STEP void
learn_size(struct slot_state *st, int d, uint64_t bytes, uint64_t packets,
    uint64_t predicted)
{
	if (packets != predicted && packets != 0) {
		st->size[d] = bytes / packets > 0 ? bytes / packets : 1;
		st->inv[d] = (1ULL << 32) / st->size[d];
	}
}

struct bitw {
	uint8_t		*buf;
	size_t		 bits;
};

static void
put_bits(struct bitw *w, uint64_t v, uint32_t n)
{
	uint32_t	 i;

	for (i = n; i-- > 0; w->bits++) {
		if ((w->bits & 7) == 0)
			w->buf[w->bits >> 3] = 0;
		if ((v >> i) & 1)
			w->buf[w->bits >> 3] |= (uint8_t)(0x80 >> (w->bits & 7));
	}
}

static void
put_eg(struct bitw *w, uint64_t v, uint32_t k)
{
	uint64_t	 q = (v >> k) + 1;
	uint32_t	 n = bit_len(q);

	put_bits(w, 0, n - 1);
	put_bits(w, q, n);
	put_bits(w, v, k);
}

/* Slot c after the state st, appended to w (SLOT_BITS at most). */
static void
slot_encode(struct bitw *w, struct slot_state *st, const uint64_t c[HIST_NC])
{
	uint64_t	 v, pred;
	int		 d;

	for (d = 0; d < 2; d++) {
		v = st->first ? c[HIST_BU + d] :
		    zigzag((int64_t)(c[HIST_BU + d] - st->prev[d]));
		put_eg(w, v, st->k[d]);
		st->k[d] = next_k(v);
		st->prev[d] = c[HIST_BU + d];
	}
	for (d = 0; d < 2; d++) {
		pred = packets_for(st, d, c[HIST_BU + d]);
		put_eg(w, zigzag((int64_t)(c[HIST_PU + d] - pred)), 0);
		learn_size(st, d, c[HIST_BU + d], c[HIST_PU + d], pred);
	}
	st->first = 0;
}

/* One coarse record (level 1 or 2): the delta, then its counts coded
 * as a record's first slot is. */
static int
emit_coarse(struct emit *e, uint32_t sec, const uint64_t c[HIST_NC])
{
	struct hist_block *blk;
	struct slot_state st;
	uint8_t		 buf[SLOT_BITS / 8 + 1];
	struct bitw	 w = { buf, 0 };

	slot_state_init(&st);
	slot_encode(&w, &st, c);
	if ((blk = emit_room(e, sec, (w.bits + 7) / 8)) == NULL)
		return -1;
	put_sec(blk, sec);
	memcpy(blk->data + blk->used, buf, (w.bits + 7) / 8);
	blk->used += (uint8_t)((w.bits + 7) / 8);
	return 0;
}

/*
 * One second at 100 ms: the slots of mask, filling the tail block's
 * room with as many as fit before starting a block, so a busy second
 * does not leave most of a block empty; the rest follows as another
 * record for the same second (a delta of 0).
 */
static int
emit_second(struct emit *e, uint32_t sec, uint32_t mask,
    const uint64_t c[HIST_SLOTS][HIST_NC])
{
	struct hist_block *blk;
	struct slot_state st;
	uint8_t		 buf[REC_MAX];
	struct bitw	 w;
	size_t		 hdr, room, nbits, first;
	uint32_t	 part;
	int		 s;

	while (mask != 0) {
		blk = emit_tail(e, sec);
		room = blk == NULL ? 0 : HIST_BLK_ROOM(blk) - blk->used;
		/* the header: the delta, and the mask (2 bytes at most) */
		hdr = blk == NULL ? 0 : varint_len(sec - HIST_BLK_LAST(blk)) +
		    2;
		slot_state_init(&st);
		w = (struct bitw){ buf, 0 };
		part = 0;
		nbits = first = 0;
		for (s = 0; s < HIST_SLOTS; s++) {
			if (!(mask & 1U << s))
				continue;
			slot_encode(&w, &st, c[s]);
			if (first == 0)
				first = w.bits;
			if (hdr + (w.bits + 7) / 8 > room)
				break;
			nbits = w.bits;
			part |= 1U << s;
		}
		if (part == 0) {
			/* not one slot fits: on to a block of its own */
			if (emit_block(e, sec, 1 + 2 + (first + 7) / 8) ==
			    NULL)
				return -1;
			continue;
		}
		put_sec(blk, sec);
		put(blk, part);
		memcpy(blk->data + blk->used, buf, (nbits + 7) / 8);
		if (nbits & 7)	/* the next slot's bits, not this record's */
			blk->data[blk->used + nbits / 8] &=
			    (uint8_t)(0xff00 >> (nbits & 7));
		blk->used += (uint8_t)((nbits + 7) / 8);
		mask &= ~part;
	}
	return 0;
}

/* ---- decoding ---- */

struct cursor {
	const struct hist_block *blk;
	size_t		 pos;		/* bytes read */
	uint32_t	 sec;
	uint32_t	 mask;		/* level 0: slots left of this record */
	/* level 0: the record's bit stream */
	struct slot_state st;
	uint64_t	 acc;		/* bits not used yet, at the top */
	uint32_t	 nacc;
};

DECODE_STEP int
get(struct cursor *c, uint64_t *v)
{
	size_t	 n;

	const uint8_t	*d = c->blk->data + c->pos;

	/* most counts take one or two bytes: no loop for those */
	if (c->pos + 2 <= c->blk->used) {
		if (d[0] < 0x80) {
			*v = d[0];
			c->pos++;
			return 0;
		}
		if (d[1] < 0x80) {
			*v = (uint64_t)(d[0] & 0x7f) | (uint64_t)d[1] << 7;
			c->pos += 2;
			return 0;
		}
	} else if (c->pos < c->blk->used && d[0] < 0x80) {
		*v = d[0];
		c->pos++;
		return 0;
	}
	n = hist_get_varint(c->blk->data + c->pos, c->blk->used - c->pos, v);
	c->pos += n;
	return n == 0 ? -1 : 0;
}

/* Fills the bit buffer from the block's bytes, 57 bits or more. Eight
 * bytes at once where the block has them: the bits past nacc are then
 * the next bytes' own, which a later refill writes again in place. */
DECODE_STEP void
refill(struct cursor *c)
{
	uint64_t	 w;
	uint32_t	 n;

	if (c->nacc > 56)
		return;
	if (c->pos + 8 <= c->blk->used) {
		memcpy(&w, c->blk->data + c->pos, 8);
		c->acc |= be64toh(w) >> c->nacc;
		n = (63 - c->nacc) >> 3;
		c->pos += n;
		c->nacc += n << 3;
		return;
	}
	while (c->nacc <= 56 && c->pos < c->blk->used) {
		c->acc |= (uint64_t)c->blk->data[c->pos++] << (56 - c->nacc);
		c->nacc += 8;
	}
}

DECODE_STEP uint64_t
take_bits(struct cursor *c, uint32_t n)
{
	uint64_t	 v = n == 0 ? 0 : c->acc >> (64 - n);

	c->acc = n == 64 ? 0 : c->acc << n;
	c->nacc -= n;
	return v;
}

/* An exp-Golomb code of order k (put_eg()'s); -1 past the record's
 * bytes or beyond EG_MAX_BITS. */
DECODE_STEP int
get_eg(struct cursor *c, uint32_t k, uint64_t *v)
{
	uint32_t	 z;
	uint64_t	 q;

	refill(c);
	if (c->acc == 0 || (z = (uint32_t)__builtin_clzll(c->acc)) >=
	    c->nacc || z + k >= EG_MAX_BITS)
		return -1;
	if (2 * z + 1 + k > c->nacc) {
		take_bits(c, z);
		refill(c);
		if (z + 1 + k > c->nacc)
			return -1;
		q = take_bits(c, z + 1);
	} else
		q = c->acc >> (63 - 2 * z) & ((2ULL << z) - 1),
		take_bits(c, 2 * z + 1);
	*v = (q - 1) << k | take_bits(c, k);
	return 0;
}

/* Bytes after prev (a zigzag difference); -1 below 0 or too large. */
DECODE_STEP int
add_diff(uint64_t prev, uint64_t z, uint64_t *v)
{
	int64_t	 d = unzigzag(z);

	if (d < 0 && (uint64_t)-d > prev)
		return -1;
	*v = prev + (uint64_t)d;
	return *v >> EG_MAX_BITS != 0 ? -1 : 0;
}

/* A level 0 slot (slot_encode()'s). */
DECODE_STEP int
get_slot(struct cursor *c, uint64_t v[HIST_NC])
{
	struct slot_state *st = &c->st;
	uint64_t	 z, pred;
	int		 d;

	for (d = 0; d < 2; d++) {
		if (get_eg(c, st->k[d], &z) == -1)
			return -1;
		st->k[d] = next_k(z);
		if (st->first)
			v[HIST_BU + d] = z;
		else if (add_diff(st->prev[d], z, &v[HIST_BU + d]) == -1)
			return -1;
		st->prev[d] = v[HIST_BU + d];
	}
	for (d = 0; d < 2; d++) {
		pred = packets_for(st, d, v[HIST_BU + d]);
		if (get_eg(c, 0, &z) == -1 ||
		    add_diff(pred, z, &v[HIST_PU + d]) == -1)
			return -1;
		learn_size(st, d, v[HIST_BU + d], v[HIST_PU + d], pred);
	}
	st->first = 0;
	return 0;
}

/* The next sample of the block; 0, or -1 at its end or a bad byte. */
DECODE_STEP int
next_sample(struct cursor *c, struct hist_sample *s)
{
	uint64_t	 v;
	int		 level = HIST_BLK_LEVEL(c->blk);

	if (c->mask == 0) {
		if (c->pos >= c->blk->used || c->pos >= HIST_DATA ||
		    get(c, &v) == -1 || v > UINT32_MAX - c->sec)
			return -1;
		c->sec += (uint32_t)v;
		if (level == 0) {
			if (get(c, &v) == -1 || v == 0 ||
			    v >= 1U << HIST_SLOTS)
				return -1;
			c->mask = (uint32_t)v;
		}
		slot_state_init(&c->st);
		c->acc = 0;
		c->nacc = 0;
	}
	s->sec = c->sec;
	s->level = (uint8_t)level;
	s->slot = 0;
	if (level == 0) {
		s->slot = (uint8_t)__builtin_ctz(c->mask);
		c->mask &= c->mask - 1;
	}
	if (get_slot(c, s->c) == -1)
		return -1;
	/* the record ends at a byte: the next one starts after it */
	if (c->mask == 0)
		c->pos -= c->nacc / 8;
	return 0;
}

static uint32_t
sample_span(uint8_t level)
{
	return level == 2 ? 10 : 1;
}

static void
open_samples(const struct hist_pair *e, uint32_t from, uint32_t to,
    hist_sample_fn fn, void *arg)
{
	struct hist_sample s;
	int		 slot, i;

	if (e->open_sec == 0 || e->open_sec < from || e->open_sec > to)
		return;
	for (slot = 0; slot < HIST_SLOTS; slot++) {
		if (!(e->open_mask & 1U << slot))
			continue;
		s.sec = e->open_sec;
		s.slot = (uint8_t)slot;
		s.level = 0;
		for (i = 0; i < HIST_NC; i++)
			s.c[i] = e->open[slot][i];
		fn(&s, arg);
	}
}

void
hist_cursor_init(const struct hist *hs, uint32_t p, struct hist_cursor *cur)
{
	cur->b = hs->pairs[p].head;
	cur->n = 0;
}

void
hist_samples_next(const struct hist *hs, uint32_t p, struct hist_cursor *cur,
    uint32_t from, uint32_t to, hist_sample_fn fn, void *arg)
{
	const struct hist_block *blk;
	struct cursor	 c;
	struct hist_sample s;
	uint32_t	 b = cur->b, n = cur->n;
	int		 stay = 0;

	for (; b < hs->h->uhwm && n <= hs->h->uhwm; n++, b = blk->next) {
		blk = HIST_BLK(hs, b);
		if (blk->base_sec > to)
			break;		/* later blocks are later still */
		if ((uint64_t)HIST_BLK_LAST(blk) + 9 >= from) {
			c = (struct cursor){ .blk = blk, .sec = blk->base_sec };
			while (next_sample(&c, &s) == 0)
				if ((uint64_t)s.sec + sample_span(s.level) >
				    from && s.sec <= to)
					fn(&s, arg);
		}
		/* the next call starts at the first block that may hold
		 * samples after to */
		stay |= (uint64_t)HIST_BLK_LAST(blk) + 9 > to;
		if (!stay) {
			cur->b = blk->next;
			cur->n = n + 1;
		}
	}
	open_samples(&hs->pairs[p], from, to, fn, arg);
}

/* 1 when block b may start a walk of p's chain for samples from from_sec
 * on (history.h, hist_cursor_resume). */
static int
resumable(const struct hist *hs, uint32_t p, uint32_t b, uint32_t from)
{
	return hist_block_start(hs, b) && HIST_BLK(hs, b)->owner == p &&
	    (uint64_t)HIST_BLK(hs, b)->base_sec + 10 <= from;
}

void
hist_cursor_resume(const struct hist *hs, uint32_t p, uint32_t from,
    struct hist_cursor *cur)
{
	hist_cursor_init(hs, p, cur);
	if (resumable(hs, p, hs->pairs[p].ckpt_block, from))
		cur->b = hs->pairs[p].ckpt_block;
}

void
hist_cursor_keep(struct hist *hs, uint32_t p, const struct hist_cursor *cur,
    uint32_t next)
{
	uint32_t	 b, n, keep = HIST_NONE;

	for (b = cur->b, n = 0; resumable(hs, p, b, next) &&
	    n <= hs->h->uhwm; b = HIST_BLK(hs, b)->next, n++)
		keep = b;
	hs->pairs[p].ckpt_block = keep;
}

void
hist_samples(const struct hist *hs, uint32_t p, uint32_t from, uint32_t to,
    hist_sample_fn fn, void *arg)
{
	struct hist_cursor cur;

	hist_cursor_init(hs, p, &cur);
	hist_samples_next(hs, p, &cur, from, to, fn, arg);
}

/* ---- coarsening, expiry, dropping ---- */

struct run {
	struct hist_sample *s;
	size_t		 n, max;
	uint8_t		 level;		/* what the samples become */
};

/* A coarse sum, saturated: a hostile region may repeat a second in many
 * blocks, and the sum must stay codable (SLOT_BITS). Legitimate sums
 * stay far below (a 10 s sum of HIST_SLOT_MAX slots). */
static uint64_t
coarse_add(uint64_t a, uint64_t b)
{
	a = a < HIST_COARSE_MAX ? a : HIST_COARSE_MAX;
	b = b < HIST_COARSE_MAX ? b : HIST_COARSE_MAX;
	return a + b < HIST_COARSE_MAX ? a + b : HIST_COARSE_MAX;
}

static void
run_add(const struct hist_sample *s, void *arg)
{
	struct run	*r = arg;
	uint32_t	 sec = s->sec;
	int		 i;

	if (r->level == 2)
		sec -= sec % 10;
	if (r->n > 0 && r->s[r->n - 1].sec == sec) {
		for (i = 0; i < HIST_NC; i++)
			r->s[r->n - 1].c[i] = coarse_add(r->s[r->n - 1].c[i],
			    s->c[i]);
		return;
	}
	if (r->n == r->max)
		return;		/* cannot happen: bounded by the bytes */
	r->s[r->n] = *s;
	for (i = 0; i < HIST_NC; i++)
		r->s[r->n].c[i] = coarse_add(0, s->c[i]);
	r->s[r->n].sec = sec;
	r->s[r->n].level = r->level;
	r->s[r->n].slot = 0;
	r->n++;
}

static void
decode_block(const struct hist_block *blk, struct run *r)
{
	struct cursor	 c = { .blk = blk, .sec = blk->base_sec };
	struct hist_sample s;

	while (next_sample(&c, &s) == 0)
		run_add(&s, r);
}

/*
 * Recodes blocks[0..n) (consecutive in p's chain after prev) at level,
 * relinking the chain. Output is not larger than input in practice: a
 * sum's code is no longer than its parts' (an exp-Golomb code grows by 2
 * bits when its value doubles), merged records share one delta, and a
 * coarse record has no mask; what does not fit the run's own blocks
 * takes free ones, else is dropped and counted.
 */
static void
recode(struct hist *hs, uint32_t p, uint32_t prev, const uint32_t *blocks,
    size_t n, uint8_t level)
{
	/* a level 0 slot takes 4 bytes at least */
	/* a record takes 2 bytes at least, and the samples of a second
	 * are summed as they come */
	static struct hist_sample buf[HIST_MAX_RUN * HIST_DATA / 2];
	struct run	 r = { buf, 0, HIST_MAX_RUN * HIST_DATA / 2, level };
	struct emit	 e = { hs, p, level, HIST_NONE, HIST_NONE, blocks, n,
	    0 };
	struct hist_pair *pe = &hs->pairs[p];
	uint32_t	 after = HIST_BLK(hs, blocks[n - 1])->next;
	size_t		 i;

	for (i = 0; i < n; i++) {
		hs->h->st.coarsened[level - 1] +=
		    HIST_BLK_LEVEL(HIST_BLK(hs, blocks[i])) < level;
		decode_block(HIST_BLK(hs, blocks[i]), &r);
	}
	for (i = 0; i < r.n; i++)
		if (emit_coarse(&e, r.s[i].sec, r.s[i].c) == -1) {
			hs->h->st.dropped++;
			break;
		}
	for (i = e.ireuse; i < n; i++)
		block_free(hs, blocks[i]);
	if (e.last != HIST_NONE)
		HIST_BLK(hs, e.last)->next = after;
	if (prev == HIST_NONE)
		pe->head = e.first != HIST_NONE ? e.first : after;
	else
		HIST_BLK(hs, prev)->next = e.first != HIST_NONE ? e.first :
		    after;
	if (after == HIST_NONE)
		pe->tail = e.last != HIST_NONE ? e.last : prev;
}

/* Coarsens to level p's blocks that end before cutoff. */
static void
coarsen_pair(struct hist *hs, uint32_t p, uint8_t level, uint32_t cutoff)
{
	uint32_t	 run[HIST_MAX_RUN];
	uint32_t	 b, prev = HIST_NONE, before = HIST_NONE, next;
	size_t		 n = 0;
	int		 finer = 0;

	for (b = hs->pairs[p].head; b != HIST_NONE; b = next) {
		next = HIST_BLK(hs, b)->next;
		if (HIST_BLK_LAST(HIST_BLK(hs, b)) < cutoff &&
		    HIST_BLK_LEVEL(HIST_BLK(hs, b)) <= level &&
		    n < HIST_MAX_RUN) {
			if (n == 0)
				before = prev;
			run[n++] = b;
			finer |= HIST_BLK_LEVEL(HIST_BLK(hs, b)) < level;
			prev = b;
			continue;
		}
		if (n > 0 && finer)
			recode(hs, p, before, run, n, level);
		if (n > 0 && finer)
			return;		/* the chain changed: next call */
		n = 0;
		finer = 0;
		prev = b;
	}
	if (n > 0 && finer)
		recode(hs, p, before, run, n, level);
}

/* Frees p's oldest blocks that end before cutoff; counts them in *count. */
static void
trim_pair(struct hist *hs, uint32_t p, uint32_t cutoff, uint64_t *count)
{
	struct hist_pair *e = &hs->pairs[p];
	uint32_t	 b;

	while ((b = e->head) != HIST_NONE &&
	    (uint64_t)HIST_BLK_LAST(HIST_BLK(hs, b)) + 10 <= cutoff) {
		e->head = HIST_BLK(hs, b)->next;
		if (e->head == HIST_NONE)
			e->tail = HIST_NONE;
		block_free(hs, b);
		(*count)++;
	}
}

static uint32_t
oldest_sec(const struct hist *hs)
{
	uint32_t	 p, old = UINT32_MAX;

	for (p = 0; p < hs->h->phwm; p++)
		if (hs->pairs[p].used && hs->pairs[p].head != HIST_NONE &&
		    HIST_BLK(hs, hs->pairs[p].head)->base_sec < old)
			old = HIST_BLK(hs, hs->pairs[p].head)->base_sec;
	return old;
}

/* Frees what is older than the history. */
static void
expire(struct hist *hs, uint32_t now)
{
	uint32_t	 p, cut;

	cut = now > hs->h->history_s ? now - hs->h->history_s : 0;
	for (p = 0; p < hs->h->phwm; p++)
		if (hs->pairs[p].used)
			trim_pair(hs, p, cut, &hs->h->st.expired);
}

static int
enough(const struct hist *hs)
{
	return hist_units_free(hs) >= HIST_TARGET_FREE(hs->h);
}

/*
 * The pool is dry: expire, then coarsen hour by hour from the oldest
 * (100 ms -> 1 s, then 1 s -> 10 s), never the newest hour, and only
 * then drop the oldest blocks, until a reserve is free.
 */
static void
reclaim(struct hist *hs)
{
	uint32_t	 now = (uint32_t)(hs->h->now_ms / 1000);
	uint32_t	 old, cut, p, floor;
	uint64_t	 end;	/* wide: a hostile now near 2^32 s must not
				 * wrap it into an endless loop */
	uint8_t		 level;

	expire(hs, now);
	if (enough(hs) || (old = oldest_sec(hs)) == UINT32_MAX)
		return;
	/* older data is expired: a hostile time must not make us spin */
	floor = now > hs->h->history_s + 3600 ?
	    now - hs->h->history_s - 3600 : 0;
	old = old < floor ? floor : old;
	for (level = 1; level < HIST_LEVELS; level++)
		for (end = (uint64_t)old + 3600; ; end += 3600) {
			cut = now > HIST_NEWEST_S ? now - HIST_NEWEST_S : 0;
			cut = end < cut ? (uint32_t)end : cut;
			for (p = 0; p < hs->h->phwm && !enough(hs); p++)
				if (hs->pairs[p].used)
					coarsen_pair(hs, p, level, cut);
			if (enough(hs))
				return;
			if (end >= now)
				break;
		}
	for (end = (uint64_t)old + 600; !enough(hs); end += 600) {
		for (p = 0; p < hs->h->phwm && !enough(hs); p++)
			if (hs->pairs[p].used)
				trim_pair(hs, p, end < UINT32_MAX ?
				    (uint32_t)end : UINT32_MAX,
				    &hs->h->st.dropped);
		if (end > (uint64_t)now + 600)
			break;
	}
}

/* ---- taking data in ---- */

static void
free_pair(struct hist *hs, uint32_t p)
{
	uint64_t	 n = 0;

	trim_pair(hs, p, UINT32_MAX, &n);
	hash_remove(hs, p);
	memset(&hs->pairs[p], 0, sizeof(hs->pairs[p]));
	hs->pairs[p].hnext = hs->h->free_pair;
	hs->h->free_pair = p;
	hs->h->pairs_used--;
}

static uint32_t
new_pair(struct hist *hs, const struct hist_rec *r)
{
	struct hist_hdr	*h = hs->h;
	struct hist_pair *e;
	uint32_t	 p;

	if ((p = h->free_pair) != HIST_NONE)
		h->free_pair = hs->pairs[p].hnext;
	else if (h->phwm < h->npairs)
		p = h->phwm++;
	else
		return HIST_NONE;
	e = &hs->pairs[p];
	memset(e, 0, sizeof(*e));
	memcpy(e->mac, r->mac, 6);
	e->remote = r->remote;
	e->used = 1;
	e->head = e->tail = e->ckpt_block = HIST_NONE;
	e->first_ms = r->ms;
	hash_insert(hs, p);
	h->pairs_used++;
	return p;
}

/* A reserve for one second's records, taken before writing any. */
static int
reserve(struct hist *hs)
{
	if (hist_units_free(hs) < HIST_RESERVE)
		reclaim(hs);
	return hist_units_free(hs) >= HIST_RESERVE ? 0 : -1;
}

static void
flush_open(struct hist *hs, uint32_t p)
{
	struct hist_pair *e = &hs->pairs[p];
	uint64_t	 c[HIST_SLOTS][HIST_NC];
	struct emit	 em;
	int		 s, i;

	if (e->open_mask != 0) {
		for (s = 0; s < HIST_SLOTS; s++)
			for (i = 0; i < HIST_NC; i++)
				c[s][i] = e->open[s][i];
		if (reserve(hs) == -1) {
			hs->h->st.dropped++;
		} else {
			em = (struct emit){ hs, p, 0, e->head, e->tail, NULL,
			    0, 0 };
			if (emit_second(&em, e->open_sec, e->open_mask, c) ==
			    -1)
				hs->h->st.dropped++;
			e->head = em.first;
			e->tail = em.last;
		}
	}
	e->open_sec = 0;
	e->open_mask = 0;
	memset(e->open, 0, sizeof(e->open));
}

static void
sat_add(uint32_t *a, uint32_t v)
{
	*a = *a > UINT32_MAX - v ? UINT32_MAX : *a + v;
}

static void
note_port(struct hist_pair *e, uint8_t proto, uint16_t port)
{
	struct hist_port np = { port, proto, 0 };
	int		 i;

	for (i = 0; i < HIST_PORTS - 1; i++)
		if (e->ports[i].proto == proto && e->ports[i].port == port)
			break;
	memmove(&e->ports[1], &e->ports[0], i * sizeof(e->ports[0]));
	e->ports[0] = np;
}

void
hist_add(struct hist *hs, const struct hist_rec *r)
{
	struct hist_pair *e;
	uint32_t	 p, sec = (uint32_t)(r->ms / 1000);
	uint32_t	 n = r->records > 1 ? r->records : 1;	/* summaries */
	int		 slot = (int)(r->ms % 1000 / 100), up = r->up != 0;

	if (r->ms < 1000 || r->ms / 1000 > UINT32_MAX - 10) {
		hs->h->st.late += n;
		return;
	}
	if ((p = hist_find(hs, r->mac, r->remote)) == HIST_NONE &&
	    (p = new_pair(hs, r)) == HIST_NONE) {
		hs->h->st.pairs_full += n;
		return;
	}
	e = &hs->pairs[p];
	if ((e->open_sec != 0 && sec < e->open_sec) || (e->tail !=
	    HIST_NONE && sec <= HIST_BLK_LAST(HIST_BLK(hs, e->tail)))) {
		hs->h->st.late += n;
		return;
	}
	if (e->open_sec != sec)
		flush_open(hs, p);
	e = &hs->pairs[p];
	e->open_sec = sec;
	e->open_mask |= 1U << slot;
	sat_add(&e->open[slot][up ? HIST_BU : HIST_BD], r->bytes);
	sat_add(&e->open[slot][up ? HIST_PU : HIST_PD], r->packets);
	e->total[up ? HIST_BU : HIST_BD] += r->bytes;
	e->total[up ? HIST_PU : HIST_PD] += r->packets;
	if (e->first_ms == 0 || r->ms < e->first_ms)
		e->first_ms = r->ms;
	if (r->ms > e->last_ms)
		e->last_ms = r->ms;
	e->lan_ip = r->lan_ip;
	note_port(e, r->proto, r->remote_port);
	if (r->ms > hs->h->now_ms)
		hs->h->now_ms = r->ms;
	hs->h->st.records += n;
}

void
hist_tick(struct hist *hs, uint64_t now_ms)
{
	struct hist_hdr	*h = hs->h;
	uint32_t	 p, now = (uint32_t)(now_ms / 1000), cut;
	struct hist_pair *e;

	h->now_ms = now_ms;
	cut = now > h->history_s ? now - h->history_s : 0;
	for (p = 0; p < h->phwm; p++) {
		e = &hs->pairs[p];
		if (!e->used)
			continue;
		if (e->open_sec != 0 && e->open_sec < now)
			flush_open(hs, p);
		trim_pair(hs, p, cut, &h->st.expired);
		if (e->head == HIST_NONE && e->open_sec == 0 &&
		    e->last_ms / 1000 < cut)
			free_pair(hs, p);
		else if (e->tail != HIST_NONE && e->open_sec == 0 &&
		    e->last_ms / 1000 + HIST_TRIM_IDLE_S <= now)
			quiet_pair(hs, p);
	}
}

uint32_t
hist_restore_pair(struct hist *hs, const struct hist_pair *m)
{
	struct hist_rec	 r;
	struct hist_pair *e;
	uint32_t	 p;

	memset(&r, 0, sizeof(r));
	memcpy(r.mac, m->mac, 6);
	r.remote = m->remote;
	r.ms = m->first_ms;
	if ((p = hist_find(hs, m->mac, m->remote)) == HIST_NONE &&
	    (p = new_pair(hs, &r)) == HIST_NONE) {
		hs->h->st.pairs_full++;
		return HIST_NONE;
	}
	e = &hs->pairs[p];
	e->lan_ip = m->lan_ip;
	if (e->first_ms == 0 || m->first_ms < e->first_ms)
		e->first_ms = m->first_ms;
	if (m->last_ms > e->last_ms)
		e->last_ms = m->last_ms;
	memcpy(e->ports, m->ports, sizeof(e->ports));
	memcpy(e->name, m->name, sizeof(e->name));
	e->name[HIST_NAME - 1] = '\0';
	return p;
}

int
hist_restore_second(struct hist *hs, uint32_t p, uint32_t sec,
    uint8_t level, uint32_t mask, const uint64_t c[HIST_SLOTS][HIST_NC])
{
	struct hist_pair *e = &hs->pairs[p];
	struct emit	 em;
	int		 rc, s, i;

	if (level >= HIST_LEVELS || (level == 0 && (mask == 0 ||
	    mask >= 1U << HIST_SLOTS)) || sec == 0 || sec > UINT32_MAX - 10 ||
	    e->open_sec != 0 || (e->tail != HIST_NONE &&
	    sec <= HIST_BLK_LAST(HIST_BLK(hs, e->tail))))
		return -1;
	/* a 100 ms slot's counts are 32-bit when live; the checkpoints'
	 * bound is below this one's */
	for (s = 0; level == 0 && s < HIST_SLOTS; s++)
		for (i = 0; i < HIST_NC; i++)
			if ((mask & 1U << s) && c[s][i] > HIST_SLOT_MAX)
				return -1;
	for (i = 0; level != 0 && i < HIST_NC; i++)
		if (c[0][i] > HIST_COARSE_MAX)
			return -1;
	if (reserve(hs) == -1) {
		hs->h->st.dropped++;
		return -1;
	}
	e = &hs->pairs[p];	/* reclaiming may have freed p's oldest */
	em = (struct emit){ hs, p, level, e->head, e->tail, NULL, 0, 0 };
	if (level == 0)
		rc = emit_second(&em, sec, mask, c);
	else
		rc = emit_coarse(&em, sec, c[0]);
	e->head = em.first;
	e->tail = em.last;
	for (s = 0; s < HIST_SLOTS; s++)
		if (level != 0 ? s == 0 : (mask & 1U << s) != 0)
			for (i = 0; i < HIST_NC; i++)
				e->total[i] += c[s][i];
	return rc;
}

void
hist_set_name(struct hist *hs, uint32_t p, const char *name)
{
	strlcpy(hs->pairs[p].name, name, HIST_NAME);
}

void
hist_shift(struct hist *hs, int64_t d)
{
	struct hist_block *blk;
	struct hist_pair *e;
	uint32_t	 i;

	/* v + d units, kept within [1, top - 20] units */
#define SHIFT(v, unit, top) do {					\
	int64_t nv_ = (int64_t)(v) + d * (unit);			\
	int64_t top_ = (int64_t)(top) * (unit) - 20 * (unit);		\
	if (nv_ < (unit))						\
		nv_ = (unit);						\
	if (nv_ > top_)							\
		nv_ = top_;						\
	(v) = nv_;							\
} while (0)
	for (i = 0; i < hs->h->uhwm; i += HIST_BLK_UNITS(blk)) {
		blk = HIST_BLK(hs, i);
		if (HIST_BLK_UNITS(blk) == 0)
			break;		/* not reached: the tiling is whole */
		/* a block's seconds stay below 2^32 with its span */
		if (blk->owner != HIST_NONE)
			SHIFT(blk->base_sec, 1, UINT32_MAX - HIST_MAX_SPAN);
	}
	for (i = 0; i < hs->h->phwm; i++) {
		e = &hs->pairs[i];
		if (!e->used)
			continue;
		if (e->open_sec != 0)
			SHIFT(e->open_sec, 1, UINT32_MAX);
		SHIFT(e->first_ms, 1000, UINT32_MAX);
		SHIFT(e->last_ms, 1000, UINT32_MAX);
	}
	SHIFT(hs->h->now_ms, 1000, UINT32_MAX);
#undef SHIFT
}
