/*
 * dnsd's observations for webd (DESIGN.md: "dnsd tells webd which names
 * each client resolved to which addresses"): the A and AAAA records of
 * each answer a LAN client gets from the upstreams or the cache, as
 * (client, name, address, TTL), gathered into one preallocated batch
 * (struct msg_dns_obs) that dnsd.c sends once per event-loop round or
 * when it is full. A fixed table of recently sent (client, address,
 * name) suppresses repeats, so a busy client does not flood webd: set
 * associative, because in a direct-mapped one two triples a client keeps
 * asking for that land on one slot evict each other and are both sent
 * again at every answer (a fifth of 1,000 names in 4,096 slots did: a
 * message and a wakeup of webd per event-loop round). Pure logic: no
 * sockets, no allocation, the caller's clock.
 */
#ifndef GK_DNSD_OBSERVE_H
#define GK_DNSD_OBSERVE_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define OBS_PER_ANSWER		16	/* addresses taken from one answer */
#define OBS_RECENT		16384	/* remembered sends (512 KiB), */
#define OBS_WAYS		4	/* in sets of this many */
/* webd keeps a name an hour at least (NAMES_MIN_LIFE): telling it again
 * within 10 minutes adds nothing. */
#define OBS_REPEAT_S		600

struct obs_recent {
	struct in_addr	 client;
	uint32_t	 sent;		/* monotonic s; 0: free */
	uint32_t	 namehash;
	uint8_t		 family;
	uint8_t		 addr[16];
};

struct obs_stats {
	uint64_t	 sent;		/* observations that went out */
	uint64_t	 dropped;	/* lost: webd's channel was full */
	uint64_t	 suppressed;	/* repeats not sent */
	uint64_t	 unnamed;	/* names that would need escaping */
	uint64_t	 batches;
};

struct obs {
	struct msg_dns_obs batch;
	uint16_t	 slot[DNS_OBS_MAX];	/* each entry's recent[] */
	struct obs_recent recent[OBS_RECENT];
	struct obs_stats st;
};

void	obs_init(struct obs *);
/*
 * An answer (a reply message, as sent to the client) for client's
 * question qname (lowercased wire form). Adds its A and AAAA records that
 * were not sent recently. Returns 1 when the batch has no room left for
 * another answer: the caller sends it now.
 */
int	obs_add(struct obs *, struct in_addr client, const uint8_t *qname,
	    size_t qnamelen, const uint8_t *reply, size_t replylen,
	    uint32_t now);
/*
 * obs_add for an answer from the cache, with its entry's stamp
 * (seen_client, seen_s: struct cache_entry). When the stamp says this
 * client was told all of this answer within OBS_REPEAT_S, nothing is
 * looked up (the table's set is a cache miss per answer; the entry is
 * already at hand) and it counts as suppressed; when obs_add leaves
 * nothing pending, every address of it went out in a batch that was sent
 * (or none can go), and the stamp is set. A repeat may then wait up to
 * twice OBS_REPEAT_S; webd keeps a name an hour.
 */
int	obs_add_cached(struct obs *, uint32_t *seen_client, uint32_t *seen_s,
	    struct in_addr client, const uint8_t *qname, size_t qnamelen,
	    const uint8_t *reply, size_t replylen, uint32_t now);
/* The batch's payload size (0: nothing to send). */
size_t	obs_len(const struct obs *);
/* The batch went out (ok) or was lost; it starts empty again. What was
 * lost may be sent again at the next answer. */
void	obs_done(struct obs *, int ok);

#endif
