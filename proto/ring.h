/*
 * The packet-summary ring natd writes and webd reads: two memfds the
 * parent creates and keeps, so both sides survive each other's restarts.
 *
 *   the ring (FD_NATD_RING read-write, FD_WEBD_RING read-only,
 *     NATD_RING_SIZE bytes): the header and the records, written by
 *     natd only;
 *   the tail (FD_WEBD_RING_TAIL read-write, FD_NATD_RING_TAIL read-only,
 *     NATD_RING_TAIL_SIZE bytes): how far webd has read, written by
 *     webd only.
 *
 * Every field has one writer, and each side keeps its own position in
 * private memory and only publishes it: neither reads back from shared
 * memory a value it then trusts. What a side reads from the other is
 * clamped: the producer's slot is its private head modulo its private
 * record count, whatever the tail says (a wild tail only makes natd drop
 * summaries, which are webd's to lose); the consumer copies only records
 * inside the mapping it measured itself. The parent seals both memfds
 * against shrinking and growing, so no side can cut the other's mapping
 * (SIGBUS), and gives each reader a descriptor opened O_RDONLY, so a
 * reader cannot write what it only reads. See docs/security.md.
 *
 * Single producer, single consumer, lock-free and lossy: natd never
 * waits. When the consumer is a whole ring behind, a new record is not
 * written and `drops` counts it. Positions are 64-bit counters that never
 * wrap in practice; a record's slot is its position modulo nrecs. The
 * producer publishes with a release store of `head` after writing the
 * record; the consumer reads `head` with acquire, the records from its
 * tail to head, then releases its tail.
 *
 * Layout, version 3 (all fields host order):
 *
 *   ring:  offset 0    struct gk_ring_hdr (128 bytes)
 *          offset 128  nrecs x struct gk_ring_rec (40 bytes each)
 *   tail:  offset 0    struct gk_ring_tail (64 bytes)
 */
#ifndef GK_RING_H
#define GK_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GK_RING_MAGIC	0x31474e4952524b47ULL	/* "GKRRING1" */
#define GK_RING_VERSION	3

struct gk_ring_hdr {
	uint64_t	 magic;
	uint32_t	 version;
	uint32_t	 rec_size;	/* sizeof(struct gk_ring_rec) */
	uint64_t	 nrecs;
	uint64_t	 resets;	/* layouts natd found invalid */
	uint8_t		 pad0[32];
	_Atomic uint64_t head;		/* published by natd */
	_Atomic uint64_t drops;		/* published by natd */
	uint8_t		 pad1[48];
};

/* The consumer's region: its own memfd, so the ring can be read-only. */
struct gk_ring_tail {
	_Atomic uint64_t tail;		/* published by webd */
	uint8_t		 pad[56];
};

#define GK_RING_UP	1	/* LAN -> WAN */
#define GK_RING_DOWN	2	/* WAN -> LAN */

/*
 * One packet as it crossed the boundary (addresses as on the wire). The
 * time is CLOCK_MONOTONIC, so a wall-clock step (a router without a
 * real-time clock meeting NTP) does not scatter it; the reader keeps the
 * offset to wall time. The device is its MAC (zero while natd does not
 * know it): an IP may pass to another device.
 */
struct gk_ring_rec {
	uint64_t	 mono_us;	/* CLOCK_MONOTONIC, microseconds */
	uint32_t	 lan_ip;	/* network order */
	uint32_t	 remote_ip;	/* network order */
	uint16_t	 lan_port;	/* host order; ICMP: echo id */
	uint16_t	 remote_port;
	uint16_t	 wan_port;
	uint8_t		 proto;		/* IPPROTO_* */
	uint8_t		 dir;		/* GK_RING_UP or GK_RING_DOWN */
	uint32_t	 bytes;		/* IP length (a GSO packet: all) */
	uint32_t	 packets;	/* 1; a GSO packet: its segments */
	uint8_t		 mac[6];	/* the LAN device */
	uint16_t	 flags;		/* 0 */
};

_Static_assert(sizeof(struct gk_ring_hdr) == 128, "ring header size");
_Static_assert(sizeof(struct gk_ring_tail) == 64, "ring tail size");
_Static_assert(sizeof(struct gk_ring_rec) == 40, "ring record size");

/* The producer's private view: nothing here lives in shared memory. */
struct gk_ring_prod {
	struct gk_ring_hdr		*hdr;	/* shared, ours to write */
	struct gk_ring_rec		*recs;
	const struct gk_ring_tail	*tail;	/* shared, the consumer's */
	uint64_t			 nrecs;	/* from our own fstat */
	uint64_t			 head;
	uint64_t			 drops;
};

/* The consumer's private view. */
struct gk_ring_cons {
	const struct gk_ring_hdr	*hdr;	/* shared, the producer's */
	const struct gk_ring_rec	*recs;
	struct gk_ring_tail		*tail;	/* shared, ours to write */
	uint64_t			 nrecs;	/* from our own fstat */
	uint64_t			 pos;	/* our tail */
	uint64_t			 lost;	/* records skipped on resync */
};

static inline uint64_t
gk_ring_nrecs(size_t size)
{
	if (size < sizeof(struct gk_ring_hdr) + 2 * sizeof(struct gk_ring_rec))
		return 0;
	return (size - sizeof(struct gk_ring_hdr)) / sizeof(struct gk_ring_rec);
}

/*
 * Producer side: mem is the ring's mapping of size bytes (read-write),
 * tail the consumer's region (read-only, tsize bytes). Keeps a valid
 * ring of exactly this size, with the head natd published before a
 * restart (its own value: the consumer cannot write the ring), and
 * resets anything else. Returns 1 kept, 0 reset, -1 when a region is too small.
 */
static inline int
gk_ring_attach(struct gk_ring_prod *p, void *mem, size_t size,
    const void *tail, size_t tsize)
{
	struct gk_ring_hdr	*h = mem;
	uint64_t		 n, resets;

	memset(p, 0, sizeof(*p));
	if ((n = gk_ring_nrecs(size)) == 0 || tail == NULL ||
	    tsize < sizeof(struct gk_ring_tail))
		return -1;
	p->hdr = h;
	p->recs = (struct gk_ring_rec *)(h + 1);
	p->tail = tail;
	p->nrecs = n;
	if (h->magic == GK_RING_MAGIC && h->version == GK_RING_VERSION &&
	    h->rec_size == sizeof(struct gk_ring_rec) && h->nrecs == n) {
		p->head = atomic_load(&h->head);
		p->drops = atomic_load(&h->drops);
		return 1;
	}
	resets = h->magic == GK_RING_MAGIC ? h->resets + 1 :
	    (h->magic != 0 ? 1 : 0);
	memset(h, 0, sizeof(*h));
	h->version = GK_RING_VERSION;
	h->rec_size = sizeof(struct gk_ring_rec);
	h->nrecs = n;
	h->resets = resets;
	atomic_store_explicit(&h->head, 0, memory_order_relaxed);
	atomic_store_explicit(&h->drops, 0, memory_order_relaxed);
	/* The magic last: a consumer sees a ring only once it is whole. */
	atomic_thread_fence(memory_order_release);
	h->magic = GK_RING_MAGIC;
	return 0;
}

/*
 * Producer: appends r, or counts a drop when the consumer lags. The slot
 * comes from private values only; the tail decides only whether to write,
 * and one that is ahead of head or absurdly behind reads as "full".
 */
static inline void
gk_ring_push(struct gk_ring_prod *p, const struct gk_ring_rec *r)
{
	uint64_t	 tail;

	tail = atomic_load_explicit(&p->tail->tail, memory_order_acquire);
	if (p->head - tail >= p->nrecs) {
		p->drops++;
		atomic_store_explicit(&p->hdr->drops, p->drops,
		    memory_order_relaxed);
		return;
	}
	p->recs[p->head % p->nrecs] = *r;
	p->head++;
	atomic_store_explicit(&p->hdr->head, p->head, memory_order_release);
}

/*
 * Consumer side: mem is the ring's read-only mapping of size bytes,
 * tail our region. Starts where our region says we were (our own
 * value, from before a restart). Returns -1 when a region is too
 * small.
 */
static inline int
gk_ring_open(struct gk_ring_cons *c, const void *mem, size_t size,
    void *tail, size_t tsize)
{
	const struct gk_ring_hdr *h = mem;

	memset(c, 0, sizeof(*c));
	if ((c->nrecs = gk_ring_nrecs(size)) == 0 || tail == NULL ||
	    tsize < sizeof(struct gk_ring_tail))
		return -1;
	c->hdr = h;
	c->recs = (const struct gk_ring_rec *)(h + 1);
	c->tail = tail;
	c->pos = atomic_load_explicit(&c->tail->tail, memory_order_relaxed);
	return 0;
}

/*
 * Consumer: copies up to max records into out; returns how many. A head
 * behind our position or more than a ring ahead (a producer reset, or a
 * producer gone wrong) resynchronises to it; the records skipped count
 * in lost. Slots come from our position modulo our record count.
 */
static inline size_t
gk_ring_pop(struct gk_ring_cons *c, struct gk_ring_rec *out, size_t max)
{
	uint64_t	 head;
	size_t		 i;

	if (c->nrecs == 0 || c->hdr->magic != GK_RING_MAGIC ||
	    c->hdr->nrecs != c->nrecs)
		return 0;
	head = atomic_load_explicit(&c->hdr->head, memory_order_acquire);
	if (head - c->pos > c->nrecs) {
		if (head > c->pos)
			c->lost += head - c->pos;
		c->pos = head;
		atomic_store_explicit(&c->tail->tail, c->pos,
		    memory_order_release);
		return 0;
	}
	for (i = 0; i < max && c->pos + i < head; i++)
		out[i] = c->recs[(c->pos + i) % c->nrecs];
	c->pos += i;
	atomic_store_explicit(&c->tail->tail, c->pos, memory_order_release);
	return i;
}

#endif
