/*
 * libFuzzer target for everything dnsd reads from the network: each input
 * is taken both as a client's query (parse, then the whole decision:
 * local names, cache, reply building) and as an upstream response (parse,
 * match, the answer we keep, caching, rendering it for a client), and
 * the reply the client gets as an observation for webd.
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe.h"
#include "server.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct server srv;
static struct dns_resp resp;
static struct ans_build ab;
static uint8_t out[DNS_MAX_MSG];
static struct obs obs;

static void
setup(void)
{
	static struct gk_config conf;
	const char *why;

	srv_init(&srv, cache_new(4096, 1 << 20));
	if (srv.cache == NULL)
		abort();
	conf_init(&conf);
	inet_pton(AF_INET, "10.42.0.1", &conf.lan_addr);
	conf.lan_prefix = 24;
	inet_pton(AF_INET, "192.0.2.53", &conf.upstream[0]);
	conf.nupstream = 1;
	srv_configure(&srv, &conf);
	local_add(&srv.local, LOCAL_DHCP, "laptop",
	    (struct in_addr){ htonl(0x0a2a0017) }, 0, &why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 ready;
	struct srv_time	 t = { 1000, 1000000, 1700000000 };
	struct dns_query q;
	size_t		 ol;
	int		 cached;
	enum srv_action	 a;

	if (!ready) {
		setup();
		ready = 1;
	}
	/* as a query, over UDP and TCP limits */
	a = srv_query(&srv, data, size, 0, &t, &q, out, 512, &ol, &cached);
	if (a == SRV_REPLY && (ol > 512 || ol < DNS_HDR_LEN))
		abort();
	if (a == SRV_FORWARD) {
		ol = srv_fail_reply(&srv, data, &q, &t, out, DNS_MAX_MSG,
		    &cached);
		if (ol < DNS_HDR_LEN)
			abort();
	}
	/* as a response to the question it carries */
	if (dns_resp_parse(data, size, &resp) == NULL) {
		uint8_t	 qn[DNS_MAX_NAME];
		size_t	 qnl = resp.qnamelen;

		memcpy(qn, resp.qname, qnl);
		if (srv_upstream_response(&srv, 0, data, size, resp.id, qn,
		    qnl, resp.qtype, resp.qclass, &t, &resp, &ab) ==
		    SRV_RESP_OK) {
			/* what we built must parse again */
			if (dns_resp_parse(ab.msg, ab.len, &resp) != NULL)
				abort();
		}
		/* and a client asking that question gets it from cache */
		a = srv_query(&srv, data, size, 1, &t, &q, out, DNS_MAX_MSG,
		    &ol, &cached);
		if (a == SRV_REPLY) {
			obs_add(&obs, srv.local.lan_addr, q.qname, q.qnamelen,
			    out, ol, t.mono_s);
			if (obs.batch.count > DNS_OBS_MAX)
				abort();
			obs_done(&obs, 0);
		}
	}
	return 0;
}
