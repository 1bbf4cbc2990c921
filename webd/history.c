/*
 * The traffic history store (history.h). Pure logic over one region;
 * every index read from the region is checked before use, since the
 * region outlives the process that wrote it.
 */
#include <stdlib.h>
#include <string.h>

#include "history.h"

#define HIST_TARGET_FREE(h)	((h)->nblocks / 64 + 8)
#define HIST_MAX_RUN		64	/* blocks recoded at once */

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
	uint32_t	 npairs, nbuckets, nblocks;
	size_t		 pairs_off, buckets_off, blocks_off;
};

static int
layout(size_t size, struct layout *l)
{
	size_t	 off;

	if (size < HIST_MIN_SIZE || size > (size_t)1 << 40)
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
	l->blocks_off = (off + 63) & ~(size_t)63;
	l->nblocks = (uint32_t)((size - l->blocks_off) / HIST_BLOCK);
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
	h->block_size = HIST_BLOCK;
	h->npairs = l->npairs;
	h->nbuckets = l->nbuckets;
	h->nblocks = l->nblocks;
	h->st.resets = resets;
	h->magic = HIST_MAGIC;
}

static int
header_ok(const struct hist_hdr *h, size_t size, const struct layout *l)
{
	return h->magic == HIST_MAGIC && h->version == HIST_VERSION &&
	    h->hdr_size == sizeof(*h) && h->size == size &&
	    h->pair_size == sizeof(struct hist_pair) &&
	    h->block_size == HIST_BLOCK && h->npairs == l->npairs &&
	    h->nbuckets == l->nbuckets && h->nblocks == l->nblocks &&
	    h->bhwm <= l->nblocks && h->phwm <= l->npairs;
}

/* Gives back the blocks marked as p's by a failed chain walk. */
static void
unmark(struct hist *hs, uint32_t p)
{
	uint32_t	 b, n = 0, bhwm = hs->h->bhwm;

	for (b = hs->pairs[p].head; b < bhwm && n <= bhwm; n++) {
		if (hs->blocks[b].owner != p)
			break;
		hs->blocks[b].owner = HIST_NONE;
		b = hs->blocks[b].next;
	}
}

/* Walks p's chain, claiming each block; 0 when it is whole. */
static int
claim_chain(struct hist *hs, uint32_t p)
{
	struct hist_pair *e = &hs->pairs[p];
	struct hist_block *blk;
	uint32_t	 b = e->head, last = HIST_NONE, n = 0;
	uint32_t	 bhwm = hs->h->bhwm;

	while (b != HIST_NONE) {
		if (b >= bhwm || n++ > bhwm)
			return -1;
		blk = &hs->blocks[b];
		if (blk->owner != HIST_NONE || blk->used > HIST_DATA ||
		    blk->level >= HIST_LEVELS || blk->base_sec > blk->last_sec)
			return -1;
		blk->owner = p;
		last = b;
		b = blk->next;
	}
	return last == e->tail ? 0 : -1;
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
drop_pair_salvage(struct hist *hs, uint32_t p, int claimed)
{
	if (claimed)
		unmark(hs, p);
	memset(&hs->pairs[p], 0, sizeof(hs->pairs[p]));
	hs->h->st.salvaged++;
}

static void
salvage(struct hist *hs)
{
	struct hist_hdr	*h = hs->h;
	struct hist_pair *e;
	uint32_t	 b, p;

	for (b = 0; b < h->bhwm; b++)
		hs->blocks[b].owner = HIST_NONE;
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
		if (!pair_ok(e) || claim_chain(hs, p) == -1)
			drop_pair_salvage(hs, p, pair_ok(e));
		else if (hist_find(hs, e->mac, e->remote) != HIST_NONE)
			drop_pair_salvage(hs, p, 1);
		else {
			e->name[HIST_NAME - 1] = '\0';
			hash_insert(hs, p);
			h->pairs_used++;
			continue;
		}
		e->hnext = h->free_pair;
		h->free_pair = p;
	}
	h->free_head = HIST_NONE;
	h->nfree = 0;
	for (b = h->bhwm; b-- > 0; ) {
		if (hs->blocks[b].owner != HIST_NONE)
			continue;
		hs->blocks[b].next = h->free_head;
		h->free_head = b;
		h->nfree++;
	}
}

int
hist_attach(struct hist *hs, void *base, size_t size, uint32_t history_s)
{
	struct layout	 l;
	uint64_t	 resets;
	int		 kept;

	if (layout(size, &l) == -1)
		return -1;
	hs->h = base;
	hs->pairs = (struct hist_pair *)((char *)base + l.pairs_off);
	hs->buckets = (uint32_t *)((char *)base + l.buckets_off);
	hs->blocks = (struct hist_block *)((char *)base + l.blocks_off);
	kept = header_ok(hs->h, size, &l);
	if (!kept) {
		resets = hs->h->magic == HIST_MAGIC ? hs->h->st.resets + 1 :
		    (hs->h->magic != 0 ? 1 : 0);
		init_region(hs, size, &l, resets);
	}
	hs->h->history_s = history_s;
	salvage(hs);
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
	salvage(hs);
}

/* ---- the block pool ---- */

uint32_t
hist_blocks_free(const struct hist *hs)
{
	return hs->h->nfree + (hs->h->nblocks - hs->h->bhwm);
}

uint32_t
hist_blocks_used(const struct hist *hs)
{
	return hs->h->nblocks - hist_blocks_free(hs);
}

/* A block, or HIST_NONE; reclaiming is reserve()'s, before a write. */
static uint32_t
block_alloc(struct hist *hs)
{
	struct hist_hdr	*h = hs->h;
	uint32_t	 b = HIST_NONE;

	if ((b = h->free_head) != HIST_NONE) {
		h->free_head = hs->blocks[b].next;
		h->nfree--;
	} else if (h->bhwm < h->nblocks)
		b = h->bhwm++;
	return b;
}

static void
block_free(struct hist *hs, uint32_t b)
{
	struct hist_block *blk = &hs->blocks[b];

	memset(blk, 0, offsetof(struct hist_block, data));
	blk->owner = HIST_NONE;
	blk->next = hs->h->free_head;
	hs->h->free_head = b;
	hs->h->nfree++;
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

static struct hist_block *
emit_block(struct emit *e, uint32_t sec)
{
	struct hist_block *blk;
	uint32_t	 b;

	if (e->ireuse < e->nreuse)
		b = e->reuse[e->ireuse++];
	else if ((b = block_alloc(e->hs)) == HIST_NONE)
		return NULL;
	blk = &e->hs->blocks[b];
	memset(blk, 0, offsetof(struct hist_block, data));
	blk->owner = e->p;
	blk->next = HIST_NONE;
	blk->level = e->level;
	blk->base_sec = blk->last_sec = sec;
	if (e->last != HIST_NONE)
		e->hs->blocks[e->last].next = b;
	else
		e->first = b;
	e->last = b;
	return blk;
}

/* The block a record of len bytes for sec goes into, or NULL. */
static struct hist_block *
emit_room(struct emit *e, uint32_t sec, size_t len)
{
	struct hist_block *blk = NULL;

	if (e->last != HIST_NONE)
		blk = &e->hs->blocks[e->last];
	if (blk == NULL || blk->level != e->level || sec < blk->last_sec ||
	    blk->used + varint_len(sec - blk->last_sec) + len > HIST_DATA)
		blk = emit_block(e, sec);
	return blk;
}

static void
put(struct hist_block *blk, uint64_t v)
{
	blk->used += (uint16_t)hist_put_varint(blk->data + blk->used,
	    HIST_DATA - blk->used, v);
}

/* One coarse record (level 1 or 2). */
static int
emit_coarse(struct emit *e, uint32_t sec, const uint64_t c[HIST_NC])
{
	struct hist_block *blk;
	size_t		 len = 0;
	int		 i;

	for (i = 0; i < HIST_NC; i++)
		len += varint_len(c[i]);
	if ((blk = emit_room(e, sec, len)) == NULL)
		return -1;
	put(blk, sec - blk->last_sec);
	blk->last_sec = sec;
	for (i = 0; i < HIST_NC; i++)
		put(blk, c[i]);
	return 0;
}

/* ---- a 100 ms slot (level 0) ----
 *
 * Bytes up and down: a varint in the record's first slot, then the
 * zigzag difference from the slot before (a steady flow moves little
 * from one 100 ms to the next). Packets: one byte of two nibbles, each
 * the zigzag difference from the packets the bytes make at 1500 bytes a
 * packet, which is 0 for a bulk flow of full-size packets; a nibble of
 * 15 says the count follows as a varint.
 */
#define SLOT_MAX	(4 * 10 + 1)	/* bytes one slot takes at most */
#define NIBBLE_ESC	15

static uint64_t
zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t
unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static uint64_t
packets_for(uint64_t bytes)
{
	return bytes / 1500 + (bytes % 1500 != 0);
}

static uint64_t
diff(uint64_t v, uint64_t from)
{
	return zigzag((int64_t)(v - from));
}

/* The nibble for n packets of b bytes, NIBBLE_ESC when it does not fit. */
static unsigned int
nibble(uint64_t n, uint64_t b)
{
	uint64_t	 z = diff(n, packets_for(b));

	return n > INT64_MAX || b > INT64_MAX || z >= NIBBLE_ESC ?
	    NIBBLE_ESC : (unsigned int)z;
}

/* Slot c into buf (SLOT_MAX bytes), after prev (NULL: the first of its
 * record); its length. */
static size_t
slot_encode(uint8_t *buf, const uint64_t c[HIST_NC], const uint64_t *prev)
{
	unsigned int	 hi = nibble(c[HIST_PU], c[HIST_BU]);
	unsigned int	 lo = nibble(c[HIST_PD], c[HIST_BD]);
	size_t		 n = 0;

	/* counts are far below 2^63 (a 100 ms slot's are 32-bit) */
	n += hist_put_varint(buf + n, SLOT_MAX - n, prev == NULL ?
	    c[HIST_BU] : diff(c[HIST_BU], prev[HIST_BU]));
	n += hist_put_varint(buf + n, SLOT_MAX - n, prev == NULL ?
	    c[HIST_BD] : diff(c[HIST_BD], prev[HIST_BD]));
	buf[n++] = (uint8_t)(hi << 4 | lo);
	if (hi == NIBBLE_ESC)
		n += hist_put_varint(buf + n, SLOT_MAX - n, c[HIST_PU]);
	if (lo == NIBBLE_ESC)
		n += hist_put_varint(buf + n, SLOT_MAX - n, c[HIST_PD]);
	return n;
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
	uint8_t		 buf[HIST_SLOTS][SLOT_MAX];
	size_t		 len[HIST_SLOTS], room, total;
	uint32_t	 part;
	int		 s, prev, fresh;

	while (mask != 0) {
		blk = e->last != HIST_NONE ? &e->hs->blocks[e->last] : NULL;
		fresh = blk == NULL || blk->level != e->level ||
		    sec < blk->last_sec;
		room = fresh ? HIST_DATA : HIST_DATA - blk->used;
		/* the header: the delta, and the mask (2 bytes at most) */
		total = varint_len(fresh ? 0 : sec - blk->last_sec) + 2;
		part = 0;
		for (s = 0, prev = -1; s < HIST_SLOTS; s++) {
			if (!(mask & 1U << s))
				continue;
			len[s] = slot_encode(buf[s], c[s], prev < 0 ? NULL :
			    c[prev]);
			if (total + len[s] > room)
				break;
			total += len[s];
			part |= 1U << s;
			prev = s;
		}
		if (part == 0 && !fresh) {
			/* not one slot fits: on to a block of its own */
			if (emit_block(e, sec) == NULL)
				return -1;
			continue;
		}
		if (fresh && emit_block(e, sec) == NULL)
			return -1;
		blk = &e->hs->blocks[e->last];
		put(blk, sec - blk->last_sec);
		blk->last_sec = sec;
		put(blk, part);
		for (s = 0; s < HIST_SLOTS; s++)
			if (part & 1U << s) {
				memcpy(blk->data + blk->used, buf[s], len[s]);
				blk->used += (uint16_t)len[s];
			}
		mask &= ~part;
	}
	return 0;
}

/* ---- decoding ---- */

struct cursor {
	const struct hist_block *blk;
	size_t		 pos;
	uint32_t	 sec;
	uint32_t	 mask;		/* level 0: slots left of this record */
	int		 slots;		/* level 0: slots read of this record */
	uint64_t	 prev[2];	/* and the last one's bytes */
};

static inline int
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

/* Bytes after prev, as slot_encode() wrote them; -1 when they would
 * go below 0 or past 64 bits. */
static inline int
get_bytes(struct cursor *c, int first, uint64_t prev, uint64_t *v)
{
	int64_t	 d;

	if (get(c, v) == -1)
		return -1;
	if (first)
		return 0;
	if (prev > INT64_MAX)
		return -1;
	d = unzigzag(*v);
	if ((d < 0 && (uint64_t)-d > prev) || (d > 0 && (uint64_t)d >
	    INT64_MAX - prev))
		return -1;
	*v = prev + (uint64_t)d;
	return 0;
}

static inline int
get_packets(struct cursor *c, unsigned int nib, uint64_t bytes, uint64_t *v)
{
	int64_t	 d = unzigzag(nib);

	if (nib == NIBBLE_ESC)
		return get(c, v);
	if (bytes > INT64_MAX || (d < 0 && (uint64_t)-d > packets_for(bytes)))
		return -1;
	*v = packets_for(bytes) + (uint64_t)d;
	return 0;
}

/* A level 0 slot (slot_encode()'s). */
static inline int
get_slot(struct cursor *c, uint64_t v[HIST_NC])
{
	int	 first = c->slots++ == 0;
	uint8_t	 p;

	if (get_bytes(c, first, c->prev[0], &v[HIST_BU]) == -1 ||
	    get_bytes(c, first, c->prev[1], &v[HIST_BD]) == -1 ||
	    c->pos >= c->blk->used)
		return -1;
	p = c->blk->data[c->pos++];
	if (get_packets(c, p >> 4, v[HIST_BU], &v[HIST_PU]) == -1 ||
	    get_packets(c, p & 15, v[HIST_BD], &v[HIST_PD]) == -1)
		return -1;
	/* what slot_encode() wrote as it is, it diffs nothing against */
	c->prev[0] = v[HIST_BU];
	c->prev[1] = v[HIST_BD];
	return 0;
}

/* The next sample of the block; 0, or -1 at its end or a bad byte. */
static int
next_sample(struct cursor *c, struct hist_sample *s)
{
	uint64_t	 v;
	int		 i;

	if (c->mask == 0) {
		if (c->pos >= c->blk->used || c->pos >= HIST_DATA ||
		    get(c, &v) == -1 || v > UINT32_MAX - c->sec)
			return -1;
		c->sec += (uint32_t)v;
		if (c->blk->level == 0) {
			if (get(c, &v) == -1 || v == 0 ||
			    v >= 1U << HIST_SLOTS)
				return -1;
			c->mask = (uint32_t)v;
			c->slots = 0;
		}
	}
	s->sec = c->sec;
	s->level = c->blk->level;
	s->slot = 0;
	if (s->level == 0) {
		s->slot = (uint8_t)__builtin_ctz(c->mask);
		c->mask &= c->mask - 1;
		return get_slot(c, s->c);
	}
	for (i = 0; i < HIST_NC; i++)
		if (get(c, &s->c[i]) == -1)
			return -1;
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

	for (; b < hs->h->bhwm && n <= hs->h->bhwm; n++, b = blk->next) {
		blk = &hs->blocks[b];
		if (blk->base_sec > to)
			break;		/* later blocks are later still */
		if (blk->used <= HIST_DATA && (uint64_t)blk->last_sec + 9 >=
		    from) {
			c = (struct cursor){ .blk = blk, .sec = blk->base_sec };
			while (next_sample(&c, &s) == 0)
				if ((uint64_t)s.sec + sample_span(s.level) >
				    from && s.sec <= to)
					fn(&s, arg);
		}
		/* the next call starts at the first block that may hold
		 * samples after to */
		stay |= (uint64_t)blk->last_sec + 9 > to;
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
	return b < hs->h->bhwm && hs->blocks[b].owner == p &&
	    (uint64_t)hs->blocks[b].base_sec + 10 <= from;
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
	    n <= hs->h->bhwm; b = hs->blocks[b].next, n++)
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
			r->s[r->n - 1].c[i] += s->c[i];
		return;
	}
	if (r->n == r->max)
		return;		/* cannot happen: bounded by the bytes */
	r->s[r->n] = *s;
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
 * relinking the chain. Output is never larger than input: a sum's varint
 * is no longer than its parts', and merged records share one delta.
 */
static void
recode(struct hist *hs, uint32_t p, uint32_t prev, const uint32_t *blocks,
    size_t n, uint8_t level)
{
	/* a level 0 slot takes 4 bytes at least */
	static struct hist_sample buf[HIST_MAX_RUN * HIST_DATA / 4];
	struct run	 r = { buf, 0, HIST_MAX_RUN * HIST_DATA / 4, level };
	struct emit	 e = { hs, p, level, HIST_NONE, HIST_NONE, blocks, n,
	    0 };
	struct hist_pair *pe = &hs->pairs[p];
	uint32_t	 after = hs->blocks[blocks[n - 1]].next;
	size_t		 i;

	for (i = 0; i < n; i++) {
		hs->h->st.coarsened[level - 1] +=
		    hs->blocks[blocks[i]].level < level;
		decode_block(&hs->blocks[blocks[i]], &r);
	}
	for (i = 0; i < r.n; i++)
		if (emit_coarse(&e, r.s[i].sec, r.s[i].c) == -1) {
			hs->h->st.dropped++;
			break;
		}
	for (i = e.ireuse; i < n; i++)
		block_free(hs, blocks[i]);
	if (e.last != HIST_NONE)
		hs->blocks[e.last].next = after;
	if (prev == HIST_NONE)
		pe->head = e.first != HIST_NONE ? e.first : after;
	else
		hs->blocks[prev].next = e.first != HIST_NONE ? e.first : after;
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
		next = hs->blocks[b].next;
		if (hs->blocks[b].last_sec < cutoff &&
		    hs->blocks[b].level <= level && n < HIST_MAX_RUN) {
			if (n == 0)
				before = prev;
			run[n++] = b;
			finer |= hs->blocks[b].level < level;
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
	    (uint64_t)hs->blocks[b].last_sec + 10 <= cutoff) {
		e->head = hs->blocks[b].next;
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
		    hs->blocks[hs->pairs[p].head].base_sec < old)
			old = hs->blocks[hs->pairs[p].head].base_sec;
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
	return hist_blocks_free(hs) >= HIST_TARGET_FREE(hs->h);
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
	uint32_t	 old, end, cut, p, floor;
	uint8_t		 level;

	expire(hs, now);
	if (enough(hs) || (old = oldest_sec(hs)) == UINT32_MAX)
		return;
	/* older data is expired: a hostile time must not make us spin */
	floor = now > hs->h->history_s + 3600 ?
	    now - hs->h->history_s - 3600 : 0;
	old = old < floor ? floor : old;
	for (level = 1; level < HIST_LEVELS; level++)
		for (end = old + 3600; ; end += 3600) {
			cut = now > HIST_NEWEST_S ? now - HIST_NEWEST_S : 0;
			cut = end < cut ? end : cut;
			for (p = 0; p < hs->h->phwm && !enough(hs); p++)
				if (hs->pairs[p].used)
					coarsen_pair(hs, p, level, cut);
			if (enough(hs))
				return;
			if (end >= now)
				break;
		}
	for (end = old + 600; !enough(hs); end += 600) {
		for (p = 0; p < hs->h->phwm && !enough(hs); p++)
			if (hs->pairs[p].used)
				trim_pair(hs, p, end, &hs->h->st.dropped);
		if (end > now + 600)
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
	if (hist_blocks_free(hs) < 4)
		reclaim(hs);
	return hist_blocks_free(hs) >= 4 ? 0 : -1;
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
	int		 slot = (int)(r->ms % 1000 / 100), up = r->up != 0;

	if (r->ms < 1000 || r->ms / 1000 > UINT32_MAX - 10) {
		hs->h->st.late++;
		return;
	}
	if ((p = hist_find(hs, r->mac, r->remote)) == HIST_NONE &&
	    (p = new_pair(hs, r)) == HIST_NONE) {
		hs->h->st.pairs_full++;
		return;
	}
	e = &hs->pairs[p];
	if ((e->open_sec != 0 && sec < e->open_sec) || (e->tail !=
	    HIST_NONE && sec <= hs->blocks[e->tail].last_sec)) {
		hs->h->st.late++;
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
	hs->h->st.records++;
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
	    sec <= hs->blocks[e->tail].last_sec))
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
	struct hist_pair *e;
	uint32_t	 i;

#define SHIFT(v, unit) do {						\
	int64_t nv_ = (int64_t)(v) + d * (unit);			\
	if (nv_ < (unit))						\
		nv_ = (unit);						\
	if (nv_ > (int64_t)UINT32_MAX * (unit) - 20 * (unit))		\
		nv_ = (int64_t)UINT32_MAX * (unit) - 20 * (unit);	\
	(v) = nv_;							\
} while (0)
	for (i = 0; i < hs->h->bhwm; i++)
		if (hs->blocks[i].owner != HIST_NONE) {
			SHIFT(hs->blocks[i].base_sec, 1);
			SHIFT(hs->blocks[i].last_sec, 1);
		}
	for (i = 0; i < hs->h->phwm; i++) {
		e = &hs->pairs[i];
		if (!e->used)
			continue;
		if (e->open_sec != 0)
			SHIFT(e->open_sec, 1);
		SHIFT(e->first_ms, 1000);
		SHIFT(e->last_ms, 1000);
	}
	SHIFT(hs->h->now_ms, 1000);
#undef SHIFT
}
