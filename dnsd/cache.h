/*
 * The answer cache: one entry per question (name, type, class) holding the
 * answer as a ready message whose RRsets each carry their own TTL, counted
 * down from the moment of storage. Negative answers (NXDOMAIN, NODATA)
 * are entries too, with the TTL of RFC 2308 (SOA minimum). Everything is
 * preallocated at start (mmap, touched as it fills): storing and looking
 * up never allocate. Entries are evicted least recently used first when
 * the entry table or the data arena is full. An expired entry is kept for
 * serve-stale (RFC 8767) until evicted or CACHE_STALE_MAX has passed.
 */
#ifndef GK_DNSD_CACHE_H
#define GK_DNSD_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_TTL_MIN		5	/* clamp: shorter TTLs are raised */
#define CACHE_TTL_MAX		86400	/* clamp: longer ones are lowered */
#define CACHE_NEG_TTL_MAX	3600	/* RFC 2308 5: one to three hours */
#define CACHE_STALE_MAX		86400	/* RFC 8767: 1 to 3 days */
#define CACHE_STALE_TTL		30	/* RFC 8767 4: TTL of a stale answer */
#define CACHE_MAX_DATA		4096	/* larger answers are not cached */

struct cache;

struct cache_entry {
	uint32_t	 hnext;		/* hash chain: index + 1, 0 ends */
	uint32_t	 lprev, lnext;	/* LRU list: index + 1 */
	uint32_t	 hash;
	uint32_t	 stored;	/* clock (s) at storage */
	uint32_t	 expire;	/* when the shortest TTL runs out */
	uint32_t	 slot;		/* offset of its data in the arena */
	uint32_t	 touched;	/* clock (s) of its last LRU move */
	/* observe.c's: the client this answer was last found all told to
	 * webd for, and when (0: never), so a repeat skips its table */
	uint32_t	 seen_client;
	uint32_t	 seen_s;
	uint16_t	 len;		/* message bytes */
	uint16_t	 nttl;		/* TTL fields, offsets after the data */
	uint8_t		 cls;		/* slot size class */
	uint8_t		 inuse;
	uint8_t		 qnamelen;
	uint8_t		 pad;
};

struct cache_stats {
	uint64_t	 entries, bytes;	/* now */
	uint64_t	 max_entries, arena_size;
	uint64_t	 stores, evictions, too_large, no_room, expired_drop;
};

/* max_entries entries and arena bytes of answers; NULL when mmap fails. */
struct cache *cache_new(uint32_t max_entries, size_t arena);
void	cache_free(struct cache *);
void	cache_flush(struct cache *);
void	cache_get_stats(const struct cache *, struct cache_stats *);

/*
 * The entry for the question, or NULL. *fresh says whether its TTLs are
 * still running; an expired one is returned only while it may serve
 * stale. A hit moves the entry to the head of the LRU list (once per
 * second at most: recency is kept to the second).
 */
struct cache_entry *cache_lookup(struct cache *, const uint8_t *qname,
	    size_t qnamelen, uint16_t qtype, uint16_t qclass, uint32_t now,
	    int *fresh);

/*
 * Stores msg (a complete answer: id 0, question lowercased, TTLs already
 * clamped) with the offsets of its TTL fields; ttl is the shortest of
 * them. Replaces an entry for the same question. 0, or -1 when not
 * stored (too large, no room: counted).
 */
int	cache_store(struct cache *, const uint8_t *msg, size_t len,
	    const uint16_t *ttl_offs, int nttl, uint32_t ttl, uint32_t now);

/* The stored message and its TTL offsets. */
const uint8_t *cache_data(const struct cache *, const struct cache_entry *);
const uint16_t *cache_ttl_offs(const struct cache *,
	    const struct cache_entry *);

#endif
