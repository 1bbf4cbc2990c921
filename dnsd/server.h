/*
 * dnsd's decisions, without sockets: what to do with a client's query
 * (drop, answer now, forward), which upstream to ask, what to make of its
 * response, the counters and the per-device query log. dnsd.c does the
 * I/O around it; the unit tests and fuzzers call it directly.
 */
#ifndef GK_DNSD_SERVER_H
#define GK_DNSD_SERVER_H

#include <netinet/in.h>

#include <stdint.h>

#include "answer.h"
#include "cache.h"
#include "conf.h"
#include "dns.h"
#include "local.h"

#define SRV_UP_TIMEOUT_MS	1000	/* one attempt at one upstream */
#define SRV_UP_PENALTY_MS	5000	/* a silent upstream is skipped */
#define SRV_DOWN_MS		10000	/* all silent: serve stale at once */

struct upstream {
	struct in_addr	 addr;
	uint32_t	 srtt_us;	/* smoothed response time, 0 = none */
	uint64_t	 penalty_until;	/* ms; after a timeout */
	uint64_t	 queries, answers, timeouts, failures, mismatched;
	uint64_t	 malformed, tc;
};

struct srv_stats {
	uint64_t	 queries_udp, queries_tcp;
	uint64_t	 cache_hits, cache_misses, stale_served, local_answers;
	uint64_t	 forwarded, coalesced;
	uint64_t	 dropped_outside_lan, dropped_short_or_response;
	uint64_t	 formerr, notimp, badvers, refused, not_configured;
	uint64_t	 servfail_sent, truncated, rebind_refused;
	uint64_t	 upstream_malformed, upstream_mismatched;
	uint64_t	 upstream_timeouts, upstream_failures, upstream_tc;
	uint64_t	 pending_full, tcp_accepted, tcp_refused;
	uint64_t	 tcp_idle_closed, tcp_malformed, send_errors;
	uint64_t	 tcp_client_limit;	/* one address's connections */
	uint64_t	 tcp_lifetime_closed;	/* TCP_LIFETIME_S reached */
	uint64_t	 udp_naps;	/* waits under load, dnsd.c */
};

#define QLOG_DEVICES		256
#define QLOG_PER_DEVICE		64
#define QLOG_ADDRS		4

struct qlog_entry {
	uint32_t	 time;		/* unix */
	uint32_t	 latency_us;
	uint16_t	 qtype;
	uint8_t		 rcode, cached, qnamelen, naddr;
	uint8_t		 af[QLOG_ADDRS];
	uint8_t		 addr[QLOG_ADDRS][16];
	uint8_t		 qname[DNS_MAX_NAME];
};

struct qlog_dev {
	struct in_addr	 ip;		/* 0: unused */
	uint32_t	 last;
	uint16_t	 head, count;
	struct qlog_entry e[QLOG_PER_DEVICE];
};

/*
 * The outages the LAN saw: from the first query every upstream left
 * unanswered (all attempts timed out) to the next answer from any
 * upstream. The last SRV_OUTAGES, in wall ms; memory only.
 */
#define SRV_OUTAGES		32

struct srv_outage {
	uint64_t	 start_ms;	/* wall */
	uint64_t	 end_ms;	/* 0: going on */
	uint64_t	 failed;	/* queries no upstream answered */
};

struct server {
	int		 configured;
	char		 domain[CONF_MAX_DOMAIN + 1];	/* as configured */
	struct cache	*cache;
	struct local_zone local;
	struct rebind_policy rebind;
	struct in_addr	 lan_net, lan_mask;
	int		 nupstream;
	struct upstream	 up[CONF_MAX_UPSTREAM];
	uint64_t	 all_down_until;	/* ms */
	struct srv_outage outages[SRV_OUTAGES];	/* a ring */
	uint64_t	 noutages;	/* ever; the newest is (n - 1) % max */
	int		 in_outage;
	struct srv_stats st;
	struct qlog_dev	 qlog[QLOG_DEVICES];
	/* the entry the last srv_query answered from, else NULL */
	struct cache_entry *hit;
};

enum srv_action {
	SRV_DROP,		/* no reply */
	SRV_REPLY,		/* out holds the reply */
	SRV_FORWARD,		/* ask upstream (cache miss) */
};

/* The times a decision needs: a monotonic clock in seconds (the cache)
 * and ms (upstreams), and unix time (leases, the log). */
struct srv_time {
	uint32_t	 mono_s;
	uint64_t	 mono_ms;
	uint32_t	 unix_s;
};

void	srv_init(struct server *, struct cache *);
/* Takes a configuration: LAN, domain, names, upstreams. */
void	srv_configure(struct server *, const struct gk_config *);
/* Is the client on the LAN subnet? */
int	srv_client_ok(const struct server *, struct in_addr);

/*
 * One client query. On SRV_REPLY out holds *outlen bytes (max: the size
 * of out; over UDP also what the client takes, beyond which the reply is
 * TC); *cached says the answer came from the cache. q is filled (for
 * SRV_FORWARD: the question to ask).
 */
enum srv_action srv_query(struct server *, const uint8_t *msg, size_t len,
	    int tcp, const struct srv_time *, struct dns_query *q,
	    uint8_t *out, size_t max, size_t *outlen, int *cached);

/* After every upstream failed: a stale answer (RFC 8767) or SERVFAIL. */
size_t	srv_fail_reply(struct server *, const uint8_t *qmsg,
	    const struct dns_query *, const struct srv_time *, uint8_t *out,
	    size_t max, int *stale);

/* The upstream to ask next: the fastest not penalized and not in tried
 * (bitmask), else the fastest not tried; -1 when none is left. */
int	srv_pick_upstream(struct server *, uint32_t tried, uint64_t now_ms);
void	srv_upstream_rtt(struct server *, int i, uint32_t rtt_us);
void	srv_upstream_timeout(struct server *, int i, uint64_t now_ms);
/* It refused the connection or broke it: skipped for a while too. */
void	srv_upstream_failed(struct server *, int i, uint64_t now_ms);
/* Every attempt for a query failed: serve stale at once for a while;
 * an outage starts (or goes on). */
void	srv_all_failed(struct server *, const struct srv_time *);
/* The i-th newest outage (0: the newest), or NULL. */
const struct srv_outage *srv_outage(const struct server *, int i);

enum srv_resp {
	SRV_RESP_IGNORE,	/* not ours or malformed: keep waiting */
	SRV_RESP_TC,		/* truncated: ask again over TCP */
	SRV_RESP_FAIL,		/* SERVFAIL, REFUSED...: try another */
	SRV_RESP_REBIND,	/* refused by rebinding protection */
	SRV_RESP_OK,		/* b holds the answer (and it is cached) */
};

/*
 * An upstream's response to our query (id, question). Checks the id and
 * question (RFC 5452: the address and port are the socket's), builds the
 * answer into b and caches it. r is scratch space.
 */
enum srv_resp srv_upstream_response(struct server *, int up,
	    const uint8_t *msg, size_t len, uint16_t id,
	    const uint8_t *qname, size_t qnamelen, uint16_t qtype,
	    uint16_t qclass, const struct srv_time *, struct dns_resp *r,
	    struct ans_build *b);

/* Records one answered query in the client's log (no allocation). */
void	srv_log(struct server *, struct in_addr client, const uint8_t *qname,
	    size_t qnamelen, uint16_t qtype, const uint8_t *reply,
	    size_t replylen, uint32_t latency_us, int cached, uint32_t unix_s);
/* The device's log, or NULL. */
const struct qlog_dev *srv_log_dev(const struct server *, struct in_addr);

/* Forgets the cache; returns how many entries it held. */
uint64_t srv_flush(struct server *);

#endif
