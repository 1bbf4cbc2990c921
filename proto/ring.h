/*
 * The packet-summary ring natd writes and webd reads: one memfd
 * (FD_NATD_RING / FD_WEBD_RING, NATD_RING_SIZE bytes) the parent creates
 * and keeps, so both survive each other's restarts.
 *
 * Single producer (natd), single consumer (webd), lock-free and lossy:
 * natd never waits. When the consumer is a whole ring behind, a new
 * record is not written and `drops` counts it. Positions are 64-bit
 * counters that never wrap in practice; a record's slot is its position
 * modulo nrecs. The producer publishes with a release store of `head`
 * after writing the record; the consumer reads `head` with acquire, the
 * records from `tail` to `head`, then releases `tail`.
 *
 * Layout, version 2 (all fields host order, one cache line each for the
 * header, the producer's and the consumer's counters):
 *
 *   offset 0    struct gk_ring_hdr (192 bytes)
 *   offset 192  nrecs x struct gk_ring_rec (40 bytes each)
 */
#ifndef GK_RING_H
#define GK_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GK_RING_MAGIC	0x31474e4952524b47ULL	/* "GKRRING1" */
#define GK_RING_VERSION	2

struct gk_ring_hdr {
	uint64_t	 magic;
	uint32_t	 version;
	uint32_t	 rec_size;	/* sizeof(struct gk_ring_rec) */
	uint64_t	 nrecs;
	uint64_t	 resets;	/* layouts natd found invalid */
	uint8_t		 pad0[32];
	_Atomic uint64_t head;		/* written by natd only */
	_Atomic uint64_t drops;		/* written by natd only */
	uint8_t		 pad1[48];
	_Atomic uint64_t tail;		/* written by webd only */
	uint8_t		 pad2[56];
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

_Static_assert(sizeof(struct gk_ring_hdr) == 192, "ring header size");
_Static_assert(sizeof(struct gk_ring_rec) == 40, "ring record size");

static inline struct gk_ring_rec *
gk_ring_recs(struct gk_ring_hdr *h)
{
	return (struct gk_ring_rec *)(h + 1);
}

/*
 * Producer side: checks the header of a ring of size bytes and resets it
 * when it is not a valid version 1 ring. Returns 1 kept, 0 reset, -1 when
 * size is too small for any ring.
 */
static inline int
gk_ring_attach(struct gk_ring_hdr *h, size_t size)
{
	uint64_t	 n, head, tail, resets;

	if (size < sizeof(*h) + 2 * sizeof(struct gk_ring_rec))
		return -1;
	n = (size - sizeof(*h)) / sizeof(struct gk_ring_rec);
	head = atomic_load(&h->head);
	tail = atomic_load(&h->tail);
	if (h->magic == GK_RING_MAGIC && h->version == GK_RING_VERSION &&
	    h->rec_size == sizeof(struct gk_ring_rec) && h->nrecs == n &&
	    head - tail <= n)
		return 1;
	resets = h->magic == GK_RING_MAGIC ? h->resets + 1 :
	    (h->magic != 0 ? 1 : 0);
	memset(h, 0, sizeof(*h));
	h->version = GK_RING_VERSION;
	h->rec_size = sizeof(struct gk_ring_rec);
	h->nrecs = n;
	h->resets = resets;
	atomic_store_explicit(&h->head, 0, memory_order_relaxed);
	atomic_store_explicit(&h->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&h->drops, 0, memory_order_relaxed);
	/* The magic last: a consumer sees a ring only once it is whole. */
	atomic_thread_fence(memory_order_release);
	h->magic = GK_RING_MAGIC;
	return 0;
}

/* Producer: appends r, or counts a drop when the consumer lags. */
static inline void
gk_ring_push(struct gk_ring_hdr *h, const struct gk_ring_rec *r)
{
	uint64_t	 head, tail;

	head = atomic_load_explicit(&h->head, memory_order_relaxed);
	tail = atomic_load_explicit(&h->tail, memory_order_acquire);
	if (head - tail >= h->nrecs) {
		atomic_store_explicit(&h->drops,
		    atomic_load_explicit(&h->drops, memory_order_relaxed) + 1,
		    memory_order_relaxed);
		return;
	}
	gk_ring_recs(h)[head % h->nrecs] = *r;
	atomic_store_explicit(&h->head, head + 1, memory_order_release);
}

/*
 * Consumer: copies up to max records into out; returns how many. A
 * consumer that finds tail ahead of head or too far behind (a producer
 * reset) resynchronises to head.
 */
static inline size_t
gk_ring_pop(struct gk_ring_hdr *h, struct gk_ring_rec *out, size_t max)
{
	uint64_t	 head, tail;
	size_t		 i;

	if (h->magic != GK_RING_MAGIC || h->nrecs == 0)
		return 0;
	head = atomic_load_explicit(&h->head, memory_order_acquire);
	tail = atomic_load_explicit(&h->tail, memory_order_relaxed);
	if (head - tail > h->nrecs) {
		atomic_store_explicit(&h->tail, head, memory_order_release);
		return 0;
	}
	for (i = 0; i < max && tail + i < head; i++)
		out[i] = gk_ring_recs(h)[(tail + i) % h->nrecs];
	atomic_store_explicit(&h->tail, tail + i, memory_order_release);
	return i;
}

#endif
