/*
 * From an upstream response to the answer we store and send, and from a
 * stored answer to the reply a client gets. Pure logic.
 */
#ifndef GK_DNSD_ANSWER_H
#define GK_DNSD_ANSWER_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "dns.h"

/* An answer in our own form: id 0, question lowercased, the answer
 * section, for negative answers the SOA, no additional section. */
struct ans_build {
	size_t		 len;
	int		 nttl;
	uint32_t	 min_ttl;	/* the entry's life in the cache */
	int		 rcode;
	int		 cacheable;
	uint16_t	 ttl_offs[DNS_MAX_RR];
	uint8_t		 msg[DNS_MAX_MSG];
};

/*
 * Builds b from a checked response: every RRset's TTL is the smallest of
 * its records, clamped (cache.h); a negative answer lives as long as
 * RFC 2308 says (SOA TTL and minimum, clamped) and is not cacheable
 * without an SOA. Returns NULL, or why the response cannot be used (an
 * rcode other than NOERROR/NXDOMAIN: the caller tries another upstream).
 */
const char *ans_from_resp(const struct dns_resp *, struct ans_build *);

/*
 * The reply for query q (its message qmsg) from a stored answer: the
 * client's id, flags and spelling of the question, TTLs minus elapsed
 * (or all stale_ttl when serving stale), an OPT when the client sent one.
 * When the reply is over max bytes, a TC reply instead. Returns its
 * length (0 only when out is smaller than a TC reply).
 */
size_t	ans_render(const uint8_t *stored, size_t len,
	    const uint16_t *ttl_offs, int nttl, uint32_t elapsed,
	    uint32_t stale_ttl, const uint8_t *qmsg, const struct dns_query *q,
	    uint8_t *out, size_t max);

/* The UDP reply size limit for a query: 512, or its EDNS size capped at
 * what we advertise. */
size_t	ans_udp_max(const struct dns_query *);

/* Rebinding protection: the names that may resolve to private addresses. */
#define REBIND_ALLOW_MAX	16
struct rebind_policy {
	int		 enabled;
	struct in_addr	 lan_net, lan_mask;
	int		 nallow;
	uint8_t		 allow[REBIND_ALLOW_MAX][DNS_MAX_NAME];
	uint8_t		 allowlen[REBIND_ALLOW_MAX];
};

/* Is the address private, loopback, link-local or on the LAN? */
int	rebind_private4(const struct rebind_policy *, const uint8_t *a);
int	rebind_private6(const struct rebind_policy *, const uint8_t *a);
/* Adds a domain (and everything under it) to the allowlist; -1 if full
 * or not a name. */
int	rebind_allow(struct rebind_policy *, const char *domain);
/* Must the response be refused? A private address in its answer for a
 * question outside the allowlist. */
int	rebind_check(const struct rebind_policy *, const struct dns_resp *);

/* Up to max A/AAAA addresses of a reply's answer section: family
 * (AF_INET, AF_INET6), bytes and, when ttl is not NULL, TTL. Returns how
 * many. */
int	ans_addrs(const uint8_t *msg, size_t len, uint8_t *af,
	    uint8_t (*addr)[16], uint32_t *ttl, int max);

#endif
