/*
 * The traffic history: per (device MAC, remote IPv4 address) 100 ms
 * buckets of bytes and packets up and down, kept in one fixed region
 * (a memfd the parent owns, so a webd restart loses nothing). Pure
 * logic: no I/O, no clock; the caller gives times in wall-clock
 * milliseconds.
 *
 * Everything in the region is an index or an offset, never a pointer,
 * and nothing in it is trusted on attach: the header must match the
 * region's size, every pair's block chain is walked and a pair whose
 * chain is broken is dropped, and the hash table and the free list are
 * rebuilt from what survived.
 *
 * Layout (docs/telemetry.md):
 *
 *   struct hist_hdr
 *   npairs x struct hist_pair	(device, remote, totals, the open second)
 *   nbuckets x int32_t		(hash of (mac, remote) -> pair)
 *   starts: a bit per unit	(a block starts there; derived)
 *   nunits x 16 bytes		(the block pool)
 *
 * A pair's data is a chain of blocks, oldest first. A block is 2 to 16
 * units of 16 bytes (32 to 256 bytes, its header included): new blocks
 * take 256 where they can, and a pair quiet for HIST_TRIM_IDLE_S gives
 * back the unused room of its last block, so a pair seen for a few
 * seconds costs what its records take, not a whole block. Each block
 * holds records at one resolution (level): level 0 is per active second
 * a varint delta of seconds, a varint mask of the 100 ms slots that saw
 * traffic and the slots' counts as a bit stream (exp-Golomb codes, see
 * history.c); level 1 (1 s) and level 2 (10 s) are a delta and four
 * varints. A silent second costs nothing.
 *
 * When the pool runs dry the oldest data is coarsened, 100 ms -> 1 s ->
 * 10 s, oldest hour first and never the newest hour; only then are the
 * oldest blocks dropped.
 */
#ifndef GK_WEBD_HISTORY_H
#define GK_WEBD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#define HIST_MAGIC		0x3154534948524b47ULL	/* "GKRHIST1" */
#define HIST_VERSION		3		/* 3: blocks of 2-16 units */
#define HIST_UNIT		16		/* bytes: the pool's grain */
#define HIST_BLOCK_UNITS	16		/* the largest block, in units */
#define HIST_BLOCK		(HIST_BLOCK_UNITS * HIST_UNIT)
#define HIST_TRIM_IDLE_S	600		/* then a last block is trimmed */
#define HIST_SLOT_MAX		((1ULL << 39) - 1)	/* a 100 ms count */
/* a coarse (1 s, 10 s) count: sums saturate here, what the encoder's
 * buffer is sized for */
#define HIST_COARSE_MAX		((1ULL << 47) - 1)
#define HIST_SLOTS		10		/* 100 ms slots a second */
#define HIST_LEVELS		3		/* 100 ms, 1 s, 10 s */
#define HIST_NAME		64		/* a label, truncated */
#define HIST_PORTS		4		/* (proto, port) kept per pair */
#define HIST_NEWEST_S		3600		/* never coarsened */
#define HIST_MIN_SIZE		(256 * 1024)
#define HIST_NONE		UINT32_MAX

enum { HIST_BU, HIST_BD, HIST_PU, HIST_PD, HIST_NC };

struct hist_stats {
	uint64_t	 records;	/* summaries taken in */
	uint64_t	 late;		/* older than the pair's open second */
	uint64_t	 pairs_full;	/* a new pair found no room */
	uint64_t	 coarsened[HIST_LEVELS - 1];	/* blocks, per level */
	uint64_t	 dropped;	/* blocks dropped under the cap */
	uint64_t	 expired;	/* blocks older than the history */
	uint64_t	 salvaged;	/* pairs dropped on attach: broken */
	uint64_t	 resets;	/* regions found invalid and rebuilt */
};

struct hist_hdr {
	uint64_t	 magic;
	uint32_t	 version;
	uint32_t	 hdr_size;	/* sizeof(struct hist_hdr) */
	uint64_t	 size;		/* the region's */
	uint32_t	 pair_size, unit_size;
	uint32_t	 npairs, nbuckets, nunits;
	uint32_t	 history_s;	/* how long data is kept */
	/*
	 * High-water marks: units and pairs at or above them were never
	 * used, so a fresh 64 MiB region costs only the pages touched.
	 * Below uhwm the pool is tiled by blocks, used or free, each
	 * starting with its header.
	 */
	uint32_t	 uhwm, phwm;
	/* derived on attach, kept up to date after */
	uint32_t	 free_head[HIST_BLOCK_UNITS + 1];	/* by units */
	uint32_t	 nfree;		/* units on those lists */
	uint32_t	 free_pair;	/* freed pairs below phwm, via hnext */
	uint32_t	 pairs_used;
	uint64_t	 now_ms;	/* the newest time taken in */
	/* the drain's: wall ms = monotonic ms + offset, kept here so a
	 * restarted webd goes on with the same one */
	int64_t		 wall_offset_ms;
	uint32_t	 offset_set;
	uint32_t	 pad;
	struct hist_stats st;
};

struct hist_port {
	uint16_t	 port;		/* remote port; ICMP: 0 */
	uint8_t		 proto;		/* IPPROTO_*; 0: unused */
	uint8_t		 pad;
};

struct hist_pair {
	uint8_t		 mac[6];
	uint8_t		 used;
	uint8_t		 pad;
	uint32_t	 remote;	/* network order */
	uint32_t	 lan_ip;	/* the device's, when last seen */
	uint32_t	 hnext;		/* hash chain; HIST_NONE ends it */
	uint32_t	 head, tail;	/* block chain, oldest first */
	uint32_t	 open_sec;	/* the second being filled; 0: none */
	uint32_t	 open_mask;
	/* where the checkpoint's next walk of the chain may start (in what
	 * was padding: the layout is the same as before it); checked at
	 * each use, never trusted (hist_cursor_resume) */
	uint32_t	 ckpt_block;
	uint64_t	 first_ms, last_ms;
	uint64_t	 total[HIST_NC];
	uint32_t	 open[HIST_SLOTS][HIST_NC];	/* saturating */
	struct hist_port ports[HIST_PORTS];	/* most recent first */
	char		 name[HIST_NAME];	/* what the device resolved */
};

/*
 * A block's header; its data follows, (units - 1) x 16 bytes. A block
 * spans at most 65,535 seconds (span), so the last second fits 16 bits.
 */
struct hist_block {
	uint32_t	 next;		/* in the pair's chain or free list */
	uint32_t	 owner;		/* pair index; HIST_NONE: free */
	uint32_t	 base_sec;	/* the first record's second */
	uint16_t	 span;		/* the last record's, from base_sec */
	uint8_t		 used;		/* bytes of data */
	uint8_t		 info;		/* level | units << 2 */
	uint8_t		 data[];
};

#define HIST_HDR	((uint32_t)sizeof(struct hist_block))
#define HIST_DATA	(HIST_BLOCK - HIST_HDR)	/* in the largest */
#define HIST_BLK(hs, b)	((struct hist_block *)((hs)->pool +		\
			    (size_t)(b) * HIST_UNIT))
#define HIST_BLK_LEVEL(blk)	((blk)->info & 3)
#define HIST_BLK_UNITS(blk)	((uint32_t)(blk)->info >> 2)
#define HIST_BLK_ROOM(blk)	(HIST_BLK_UNITS(blk) * HIST_UNIT - HIST_HDR)
#define HIST_BLK_LAST(blk)	((blk)->base_sec + (uint32_t)(blk)->span)

/* A decoded sample: sec's slot at level 0, else sec's 1 s or 10 s. */
struct hist_sample {
	uint32_t	 sec;
	uint8_t		 slot;
	uint8_t		 level;
	uint64_t	 c[HIST_NC];
};

/* One summary as the drain gives it. */
struct hist_rec {
	uint64_t	 ms;		/* wall clock */
	uint8_t		 mac[6];
	uint8_t		 proto;
	uint8_t		 up;		/* 1: device -> remote */
	uint32_t	 lan_ip, remote;	/* network order */
	uint16_t	 remote_port;
	uint32_t	 bytes, packets;
	uint32_t	 records;	/* the summaries it sums: 0 counts as 1 */
};

struct hist {
	struct hist_hdr		*h;
	struct hist_pair	*pairs;
	uint32_t		*buckets;
	uint8_t			*starts;	/* bit u: a block starts at u */
	uint8_t			*pool;		/* HIST_BLK() */
	/* this process's: no block was freed since the last join of free
	 * neighbours (coalesce()), so another would find nothing; and the
	 * joins made since attach */
	int			 joined;
	uint64_t		 joins;
};

/*
 * Attaches to size bytes at base, keeping what is valid of a region
 * found there, else initialising it for history_s seconds. Returns 1
 * kept, 0 rebuilt, -1 when size is too small.
 */
int	hist_attach(struct hist *, void *base, size_t size, uint32_t history_s);
/* Empties the region (every pair and block gone) for a rebuild, keeping
 * its clock (the wall offset, now), history and counters. */
void	hist_reset(struct hist *);
/* Takes in one summary. */
void	hist_add(struct hist *, const struct hist_rec *);
/* Closes every open second before now_ms and expires what is older
 * than the history. */
void	hist_tick(struct hist *, uint64_t now_ms);
/* Labels a pair with the name its device resolved the remote by. */
void	hist_set_name(struct hist *, uint32_t pair, const char *name);
/* The pair of (mac, remote), or HIST_NONE. */
uint32_t hist_find(const struct hist *, const uint8_t mac[6],
	    uint32_t remote);
/* Units (HIST_UNIT bytes) in use and free (the pool's whole). */
uint32_t hist_units_used(const struct hist *);
uint32_t hist_units_free(const struct hist *);
/* 1 when a block of the pool starts at unit b. */
int	hist_block_start(const struct hist *, uint32_t b);
/*
 * Moves all history by delta_s seconds: the wall clock stepped (a router
 * without a real-time clock meeting NTP), and the data keeps its place
 * relative to now instead of being scattered or expired.
 */
void	hist_shift(struct hist *, int64_t delta_s);

/*
 * Calls fn for every sample of pair p overlapping [from_sec, to_sec],
 * closed blocks first, then the open second. Decoding checks every
 * bound; a block that does not decode ends its own samples.
 */
typedef void (*hist_sample_fn)(const struct hist_sample *, void *);
void	hist_samples(const struct hist *, uint32_t p, uint32_t from_sec,
	    uint32_t to_sec, hist_sample_fn, void *);

/*
 * Rebuilding from the checkpoints (store.c): the pair of (mac, remote),
 * made when missing, with what the checkpoint kept of it (address,
 * first and last seen, ports, name); HIST_NONE when the pairs are full.
 */
uint32_t hist_restore_pair(struct hist *, const struct hist_pair *meta);
/*
 * Appends one record to pair p's chain: at level 0 the slots of mask
 * (c[slot]), else c[0] for the 1 s or 10 s from sec. It must be newer
 * than everything the pair holds; -1 (nothing written) otherwise, or
 * when the pool has no room even after reclaiming.
 */
int	hist_restore_second(struct hist *, uint32_t p, uint32_t sec,
	    uint8_t level, uint32_t mask,
	    const uint64_t c[HIST_SLOTS][HIST_NC]);

/*
 * The same in pieces, oldest first, for a query that goes through a long
 * window a chunk at a time: the cursor keeps where the pair's chain is
 * at, so each call starts where the last left off. Calls must come with
 * increasing windows; a sample that overlaps two is given to both.
 */
struct hist_cursor {
	uint32_t	 b;		/* the next block to look at */
	uint32_t	 n;		/* blocks walked: a cycle ends it */
};
void	hist_cursor_init(const struct hist *, uint32_t p,
	    struct hist_cursor *);
void	hist_samples_next(const struct hist *, uint32_t p,
	    struct hist_cursor *, uint32_t from_sec, uint32_t to_sec,
	    hist_sample_fn, void *);

/*
 * The checkpoint's cursor (store.c), kept in the pair so a restarted
 * webd goes on with it: a checkpoint walks only the blocks of the
 * minutes it writes, not the whole chain (a bulk pair's day is some
 * 30,000 blocks).
 *
 * hist_cursor_resume starts cur where the cursor says when that still
 * holds (the block is p's, and starts at least 10 s before from_sec, so
 * every block before it in the chain ends before from_sec: a block's
 * samples are never more than 9 s after a later block's start, a 10 s
 * record being its second rounded down), else at the head: a cursor
 * made stale by coarsening, expiry or a damaged region costs one walk
 * from the head, never a sample.
 *
 * hist_cursor_keep moves the cursor, from the block cur started at, to
 * the last block that starts at least 10 s before next_sec (the next
 * walk's from_sec).
 */
void	hist_cursor_resume(const struct hist *, uint32_t p, uint32_t from_sec,
	    struct hist_cursor *);
void	hist_cursor_keep(struct hist *, uint32_t p,
	    const struct hist_cursor *, uint32_t next_sec);

/* Varints (LEB128), bounded; exposed for the tests. */
size_t	hist_put_varint(uint8_t *, size_t room, uint64_t);
size_t	hist_get_varint(const uint8_t *, size_t len, uint64_t *);

#endif
