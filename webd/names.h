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

struct names_stats {
	uint64_t	 observations;	/* taken in */
	uint64_t	 added, renamed, refreshed;
	uint64_t	 evicted;	/* made room when full */
	uint64_t	 expired;
	uint64_t	 rejected;	/* not an observation we can keep */
	uint64_t	 batches;
};

struct names {
	int32_t		 bucket[NAMES_BUCKETS];
	int32_t		 head, tail;	/* LRU list */
	int32_t		 free;		/* free list through hnext */
	uint32_t	 count;
	struct names_stats st;
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
/* Drops the expired entries; returns how many. The live ones are the
 * list from head through next, most recent first (-1 ends it). */
uint32_t names_expire(struct names *, uint32_t now);

#endif
