/*
 * The names LAN devices reached remote hosts by, from dnsd's observations
 * (MSG_DNS_OBS): (client, remote address) -> name, so the dashboard can
 * label a remote address with the name the device itself asked for.
 * A fixed table: no allocation after start, least recently used entry
 * evicted when full, entries expire. Pure logic: the caller gives the
 * time (monotonic seconds).
 */
#ifndef GK_WEBD_NAMES_H
#define GK_WEBD_NAMES_H

#include <netinet/in.h>

#include <stdint.h>

#include "proto.h"

#define NAMES_MAX		8192
#define NAMES_BUCKETS		16384	/* power of two */
/* A label outlives the DNS TTL (often a minute): connections to the
 * address go on long after it, and the history shows a day. */
#define NAMES_MIN_LIFE		3600
#define NAMES_MAX_LIFE		86400

struct names_entry {
	struct in_addr	 client;
	uint8_t		 family;	/* 4 or 6; 0: free */
	uint8_t		 pad[3];
	uint8_t		 addr[16];
	uint32_t	 expiry;
	uint32_t	 seen;		/* last observation */
	int32_t		 hnext;		/* hash chain */
	int32_t		 prev, next;	/* LRU list, most recent first */
	char		 name[DNS_OBS_NAME];
};

/*
 * Remote addresses no device resolved: webd asks dnsd for the PTR (it
 * has no network access itself). A found name is kept in the table
 * above under the client 0.0.0.0 (NAMES_PTR_CLIENT), for the answer's
 * TTL but at least NAMES_MIN_LIFE like any other; what was asked, is
 * out, found nothing or failed is in a direct-mapped table of
 * NAMES_PTR_SLOTS addresses (a collision forgets the older one, which
 * may then be asked again). Questions are rate-limited (a token bucket
 * of NAMES_PTR_RATE a second, NAMES_PTR_BURST at once) and at most
 * NAMES_PTR_INFLIGHT are out.
 */
#define NAMES_PTR_SLOTS		4096	/* power of two */
#define NAMES_PTR_RATE		10	/* questions a second */
#define NAMES_PTR_BURST		20
#define NAMES_PTR_INFLIGHT	8
#define NAMES_PTR_WAIT		10	/* s: unanswered, it may go again */
#define NAMES_PTR_NONE_MIN	600	/* s: no PTR, not asked again */
#define NAMES_PTR_FAILED	60	/* s: failed, not asked again */
#define NAMES_PTR_CLIENT	0	/* the client of a PTR name */

enum names_ptr_state {
	PTR_UNKNOWN, PTR_ASKED, PTR_NAMED, PTR_NONE, PTR_FAILED
};

struct names_ptr_slot {
	uint32_t	 addr;		/* network order; 0: free */
	uint32_t	 until;		/* mono s: the state holds until */
	uint8_t		 state;		/* enum names_ptr_state */
	uint8_t		 pad[3];
};

struct names_stats {
	uint64_t	 observations;	/* taken in */
	uint64_t	 added, renamed, refreshed;
	uint64_t	 evicted;	/* made room when full */
	uint64_t	 expired;
	uint64_t	 rejected;	/* not an observation we can keep */
	uint64_t	 batches;
	uint64_t	 ptr_asked;	/* questions sent to dnsd */
	uint64_t	 ptr_named, ptr_none, ptr_failed;	/* answers */
	uint64_t	 ptr_limited;	/* not asked: rate or in flight */
	uint64_t	 ptr_unasked;	/* answers nobody asked for */
};

struct names {
	int32_t		 bucket[NAMES_BUCKETS];
	int32_t		 head, tail;	/* LRU list */
	int32_t		 free;		/* free list through hnext */
	int32_t		 unused;	/* e[unused..] never used yet */
	uint32_t	 count;
	struct names_stats st;
	uint32_t	 ptr_tokens;	/* x NAMES_PTR_RATE per second */
	uint32_t	 ptr_refill;	/* mono s of the last refill */
	uint32_t	 ptr_inflight;
	struct names_ptr_slot ptr[NAMES_PTR_SLOTS];
	struct names_entry e[NAMES_MAX];
};

void	names_init(struct names *);
/* One observation: client resolved name to addr (family 4 or 6), ttl
 * seconds, at now. Returns 0, or -1 when it cannot be kept. */
int	names_observe(struct names *, struct in_addr client, int family,
	    const uint8_t *addr, const char *name, uint32_t ttl, uint32_t now);
/* A batch as dnsd sends it (already checked by proto_check). */
void	names_observe_batch(struct names *, const struct msg_dns_obs *,
	    uint32_t now);
/* The name client reached addr by, or NULL; a hit counts as use. */
const char *names_lookup(struct names *, struct in_addr client, int family,
	    const uint8_t *addr, uint32_t now);
/*
 * The name for remote as client sees it: the one client resolved it by,
 * else its PTR. With neither, and the PTR not asked lately, 1 in *ask
 * when a question to dnsd should go now (it is then counted as out);
 * remote is IPv4, network order.
 */
const char *names_remote(struct names *, struct in_addr client,
	    uint32_t remote, uint32_t now, int *ask);
/* dnsd's answer (checked by proto_check). */
void	names_ptr_answer(struct names *, const struct msg_dns_ptr *,
	    uint32_t now);

/* Drops the expired entries; returns how many. The live ones are the
 * list from head through next, most recent first (-1 ends it). */
uint32_t names_expire(struct names *, uint32_t now);

#endif
