/*
 * dhcpd's logic, called directly: every message type in every client
 * state (RFC 2131 4.3), address choice, reservations, names, options,
 * malformed input, the IP/UDP framing and the lease database.
 */
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "csum.h"
#include "util.h"
#include "server.h"
#include "store.h"
#include "wire.h"
#include "writer.h"

/* ------------------------------------------------------------ a client */

struct pkt {
	uint8_t	b[1500];
	size_t	len;
};

static uint32_t
ip(const char *s)
{
	struct in_addr	a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static void
pkt_init(struct pkt *p, int type, const uint8_t mac[6])
{
	struct dhcp_hdr	h;
	uint32_t	cookie = htonl(DHCP_COOKIE);

	memset(&h, 0, sizeof(h));
	h.op = BOOTREQUEST;
	h.htype = 1;
	h.hlen = 6;
	h.xid = 0x12345678;
	memcpy(h.chaddr, mac, 6);
	memset(p->b, 0, sizeof(p->b));
	memcpy(p->b, &h, sizeof(h));
	memcpy(p->b + DHCP_FIXED_LEN, &cookie, 4);
	p->len = DHCP_MIN_LEN;
	if (type) {
		p->b[p->len++] = OPT_MSGTYPE;
		p->b[p->len++] = 1;
		p->b[p->len++] = (uint8_t)type;
	}
}

static void
pkt_opt(struct pkt *p, int code, const void *d, size_t l)
{
	p->b[p->len++] = (uint8_t)code;
	p->b[p->len++] = (uint8_t)l;
	memcpy(p->b + p->len, d, l);
	p->len += l;
}

static void
pkt_addr(struct pkt *p, int code, const char *a)
{
	uint32_t	v = ip(a);

	pkt_opt(p, code, &v, 4);
}

static void
pkt_end(struct pkt *p)
{
	p->b[p->len++] = OPT_END;
	while (p->len < 300)
		p->b[p->len++] = 0;
}

static void
pkt_set(struct pkt *p, size_t off, uint32_t v)
{
	memcpy(p->b + off, &v, 4);
}

#define CIADDR	offsetof(struct dhcp_hdr, ciaddr)
#define YIADDR	offsetof(struct dhcp_hdr, yiaddr)
#define GIADDR	offsetof(struct dhcp_hdr, giaddr)
#define FLAGS	offsetof(struct dhcp_hdr, flags)

/* Finds option code in a reply; its value and length. */
static const uint8_t *
ropt(const struct dhcp_reply *r, int code, size_t *len)
{
	size_t	i = DHCP_MIN_LEN;

	while (i + 1 < r->len) {
		if (r->buf[i] == OPT_PAD) {
			i++;
			continue;
		}
		if (r->buf[i] == OPT_END)
			break;
		if (r->buf[i] == code) {
			*len = r->buf[i + 1];
			return r->buf + i + 2;
		}
		i += 2 + r->buf[i + 1];
	}
	return NULL;
}

static int
rtype(const struct dhcp_reply *r)
{
	const uint8_t	*p;
	size_t		 l;

	if ((p = ropt(r, OPT_MSGTYPE, &l)) == NULL || l != 1)
		return -1;
	return p[0];
}

static uint32_t
ryiaddr(const struct dhcp_reply *r)
{
	uint32_t	v;

	memcpy(&v, r->buf + YIADDR, 4);
	return v;
}

/* The order of option codes in a reply, as a string of numbers. */
static void
rorder(const struct dhcp_reply *r, char *out, size_t outlen)
{
	size_t	i = DHCP_MIN_LEN, n = 0;

	out[0] = '\0';
	while (i + 1 < r->len && r->buf[i] != OPT_END) {
		if (r->buf[i] == OPT_PAD) {
			i++;
			continue;
		}
		n += (size_t)snprintf(out + n, outlen - n, "%s%d",
		    n ? "," : "", r->buf[i]);
		i += 2 + r->buf[i + 1];
	}
}

/* ------------------------------------------------------------ recorders */

static int	npersist, nadd, ndel;
static char	last_add[64], last_del[64];

static void
rec_persist(const struct dhcp_lease *e, void *arg)
{
	npersist++;
}

static char	 last_sent[64];	/* option 12 as sent, for the dashboard */

static void
rec_add(const struct dhcp_lease *e, void *arg)
{
	nadd++;
	strlcpy(last_add, e->hostname, sizeof(last_add));
	strlcpy(last_sent, e->sent_name, sizeof(last_sent));
}

static void
rec_del(const struct dhcp_lease *e, void *arg)
{
	ndel++;
	strlcpy(last_del, e->hostname, sizeof(last_del));
}

static const struct dhcp_ops ops = { rec_persist, rec_add, rec_del, NULL };

static void
conf_with(struct dhcp_conf *c, const char *start, const char *end, int probe,
    uint32_t limit)
{
	memset(c, 0, sizeof(*c));
	c->server = ip("10.42.0.1");
	c->prefix = 24;
	c->start = ip(start);
	c->end = ip(end);
	c->lease_time = 3600;
	strlcpy(c->domain, "lan", sizeof(c->domain));
	c->probe = probe;
	c->mac_limit = limit;
}

static struct dhcp_server *
server_with(const char *start, const char *end, int probe, uint32_t limit)
{
	struct dhcp_conf c;
	struct dhcp_server *s;
	char		 err[256];

	conf_with(&c, start, end, probe, limit);
	s = dhcp_server_new(&c, &ops, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "server: %s\n", err);
		abort();
	}
	return s;
}

/* No dhcp-mac-limit: the messages of most tests carry no frame source. */
static struct dhcp_server *
server(const char *start, const char *end, int probe)
{
	return server_with(start, end, probe, 0);
}

static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t mac2[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t mac3[6] = { 2, 0, 0, 0, 0, 3 };
static const uint8_t mac4[6] = { 2, 0, 0, 0, 0, 4 };

static struct dhcp_rx rx = { .now = 1000000, .broadcast = 1 };
static struct dhcp_reply rep;

static enum dhcp_result
handle(struct dhcp_server *s, struct pkt *p)
{
	return dhcp_handle(s, p->b, p->len, &rx, &rep);
}

/* DISCOVER then REQUEST in SELECTING state; returns the address. */
static uint32_t
dora(struct dhcp_server *s, const uint8_t mac[6])
{
	struct pkt	 p;
	uint32_t	 a;

	pkt_init(&p, DHCPDISCOVER, mac);
	pkt_end(&p);
	if (handle(s, &p) != DHCP_R_REPLY || rtype(&rep) != DHCPOFFER)
		return 0;
	a = ryiaddr(&rep);
	pkt_init(&p, DHCPREQUEST, mac);
	pkt_addr(&p, OPT_SERVER_ID, "10.42.0.1");
	pkt_opt(&p, OPT_REQUESTED_IP, &a, 4);
	pkt_end(&p);
	if (handle(s, &p) != DHCP_R_REPLY || rtype(&rep) != DHCPACK)
		return 0;
	return ryiaddr(&rep);
}

/* ------------------------------------------------------------ tests */

static void
test_discover_offer(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	static const uint8_t prl[] = { 3, 1, 6, 15, 12, 119, 28, 121 };
	const uint8_t	*v;
	struct pkt	 p;
	char		 order[128];
	size_t		 l;
	uint32_t	 u;

	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_opt(&p, OPT_PRL, prl, sizeof(prl));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPOFFER);
	CHECK(rep.buf[0] == BOOTREPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.100"));
	/* no broadcast flag, Ethernet: to the hardware address */
	CHECK(rep.dest == DEST_HWADDR);
	CHECK(rep.ip == ip("10.42.0.100"));
	CHECK(memcmp(rep.hwaddr, mac1, 6) == 0);
	CHECK(rep.len >= DHCP_MIN_REPLY);
	/* 53, 54, lease and timers first, then the list's order, then the
	 * basics it did not ask for; 12 and 121 not sent (no name, no
	 * routes configured) */
	rorder(&rep, order, sizeof(order));
	CHECK_STR(order, "53,54,51,58,59,3,1,6,15,119,28");
	CHECK((v = ropt(&rep, OPT_LEASE_TIME, &l)) != NULL && l == 4);
	memcpy(&u, v, 4);
	/* a new client: the short first lease (test_first_lease) */
	CHECK(ntohl(u) == DHCP_FIRST_LEASE);
	CHECK((v = ropt(&rep, OPT_T1, &l)) != NULL);
	memcpy(&u, v, 4);
	CHECK(ntohl(u) == DHCP_FIRST_LEASE / 2);
	CHECK((v = ropt(&rep, OPT_T2, &l)) != NULL);
	memcpy(&u, v, 4);
	CHECK(ntohl(u) == DHCP_FIRST_LEASE * 7 / 8);
	CHECK((v = ropt(&rep, OPT_SUBNET_MASK, &l)) != NULL && l == 4);
	memcpy(&u, v, 4);
	CHECK(u == ip("255.255.255.0"));
	CHECK((v = ropt(&rep, OPT_DOMAIN, &l)) != NULL && l == 3 &&
	    memcmp(v, "lan", 3) == 0);
	CHECK((v = ropt(&rep, OPT_SEARCH, &l)) != NULL && l == 5 &&
	    memcmp(v, "\3lan\0", 5) == 0);
	CHECK((v = ropt(&rep, OPT_BROADCAST, &l)) != NULL);
	memcpy(&u, v, 4);
	CHECK(u == ip("10.42.0.255"));
	CHECK(npersist == 0);		/* an offer is not a lease */
	CHECK(!rep.durable);		/* ... so it leaves at once */

	/* broadcast flag: broadcast */
	pkt_init(&p, DHCPDISCOVER, mac2);
	p.b[FLAGS] = 0x80;
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rep.dest == DEST_BROADCAST);
	CHECK(ryiaddr(&rep) == ip("10.42.0.101"));

	/* no parameter list: the basics */
	rorder(&rep, order, sizeof(order));
	CHECK_STR(order, "53,54,51,58,59,1,3,6,15,28");

	/* the same client again: the same offer */
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.101"));

	/* a requested address that is free is honoured */
	pkt_init(&p, DHCPDISCOVER, mac3);
	pkt_addr(&p, OPT_REQUESTED_IP, "10.42.0.107");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.107"));
	/* one already offered to another is not */
	pkt_init(&p, DHCPDISCOVER, mac4);
	pkt_addr(&p, OPT_REQUESTED_IP, "10.42.0.107");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.102"));
	CHECK(dhcp_server_stats(s)->offers == 5);
	dhcp_server_free(s);
}

static void
test_selecting(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	struct pkt	 p;
	int		 before;

	npersist = 0;
	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	CHECK(npersist == 1);
	CHECK(rep.dest == DEST_HWADDR);

	/* SELECTING another server: silence, and our offer is let go */
	pkt_init(&p, DHCPDISCOVER, mac2);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.101"));
	pkt_init(&p, DHCPREQUEST, mac2);
	pkt_addr(&p, OPT_SERVER_ID, "10.42.0.254");
	pkt_addr(&p, OPT_REQUESTED_IP, "10.42.0.77");
	pkt_end(&p);
	before = npersist;
	CHECK(handle(s, &p) == DHCP_R_SILENT);
	CHECK(npersist == before);
	CHECK(dhcp_server_stats(s)->other_server == 1);

	/* SELECTING us for an address another client holds: NAK */
	pkt_init(&p, DHCPREQUEST, mac3);
	pkt_addr(&p, OPT_SERVER_ID, "10.42.0.1");
	pkt_addr(&p, OPT_REQUESTED_IP, "10.42.0.100");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPNAK);
	CHECK(rep.dest == DEST_BROADCAST);
	CHECK(ryiaddr(&rep) == 0);
	/* REQUEST with neither address nor server id: dropped, counted */
	pkt_init(&p, DHCPREQUEST, mac3);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_DROP);
	CHECK(dhcp_server_stats(s)->drop_no_address == 1);
	dhcp_server_free(s);
}

static void
test_init_reboot(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	struct pkt	 p;

	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	/* known client, its own address: ACK */
	pkt_init(&p, DHCPREQUEST, mac1);
	pkt_addr(&p, OPT_REQUESTED_IP, "10.42.0.100");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPACK);
	CHECK(ryiaddr(&rep) == ip("10.42.0.100"));
	/* known client, another address of ours: NAK */
	pkt_init(&p, DHCPREQUEST, mac1);
	pkt_addr(&p, OPT_REQUESTED_IP, "10.42.0.105");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPNAK);
	/* any client, another network: NAK */
	pkt_init(&p, DHCPREQUEST, mac2);
	pkt_addr(&p, OPT_REQUESTED_IP, "192.168.7.20");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPNAK);
	/* unknown client, our network: silence (RFC 2131 4.3.2) */
	pkt_init(&p, DHCPREQUEST, mac2);
	pkt_addr(&p, OPT_REQUESTED_IP, "10.42.0.103");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_SILENT);
	CHECK(dhcp_server_stats(s)->unknown_client == 1);
	/* the router's own address is never given */
	pkt_init(&p, DHCPREQUEST, mac1);
	pkt_addr(&p, OPT_REQUESTED_IP, "10.42.0.1");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPNAK);
	dhcp_server_free(s);
}

static void
test_renew_rebind(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	struct pkt	 p;

	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	/* RENEWING: unicast, ciaddr set: ACK to ciaddr */
	pkt_init(&p, DHCPREQUEST, mac1);
	pkt_set(&p, CIADDR, ip("10.42.0.100"));
	pkt_end(&p);
	rx.broadcast = 0;
	rx.now += 1800;
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPACK);
	CHECK(rep.durable);		/* waits for its commit */
	CHECK(rep.dest == DEST_CLIENT);
	CHECK(rep.ip == ip("10.42.0.100"));
	CHECK(memcmp(rep.buf + CIADDR, rep.buf + YIADDR, 4) == 0);
	/* REBINDING: broadcast, same answer */
	rx.broadcast = 1;
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPACK);
	/* renewing an address another client holds: NAK */
	pkt_init(&p, DHCPREQUEST, mac2);
	pkt_set(&p, CIADDR, ip("10.42.0.100"));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPNAK);
	CHECK(!rep.durable);		/* a NAK promises nothing */
	/* renewing a free address of the pool (a lost lease): ACK */
	pkt_set(&p, CIADDR, ip("10.42.0.108"));
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPACK);
	/* renewing an address outside the pool: NAK */
	pkt_init(&p, DHCPREQUEST, mac3);
	pkt_set(&p, CIADDR, ip("10.42.0.20"));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPNAK);
	dhcp_server_free(s);
}

static void
test_release_decline(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	struct pkt	 p;
	int		 before;

	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	/* RELEASE from someone else: nothing */
	pkt_init(&p, DHCPRELEASE, mac2);
	pkt_set(&p, CIADDR, ip("10.42.0.100"));
	pkt_addr(&p, OPT_SERVER_ID, "10.42.0.1");
	pkt_end(&p);
	before = npersist;
	CHECK(handle(s, &p) == DHCP_R_SILENT);
	CHECK(npersist == before);
	CHECK(dhcp_server_stats(s)->release_unknown == 1);
	/* RELEASE from the owner */
	pkt_init(&p, DHCPRELEASE, mac1);
	pkt_set(&p, CIADDR, ip("10.42.0.100"));
	pkt_addr(&p, OPT_SERVER_ID, "10.42.0.1");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_SILENT);
	CHECK(npersist == before + 1);
	/* it comes back to the same address */
	CHECK(dora(s, mac2) == ip("10.42.0.101"));
	CHECK(dora(s, mac1) == ip("10.42.0.100"));

	/* DECLINE: quarantined, the client moves on */
	pkt_init(&p, DHCPDECLINE, mac1);
	pkt_addr(&p, OPT_SERVER_ID, "10.42.0.1");
	pkt_addr(&p, OPT_REQUESTED_IP, "10.42.0.100");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_SILENT);
	CHECK(dhcp_server_stats(s)->declines == 1);
	CHECK(dora(s, mac1) == ip("10.42.0.102"));
	/* nobody gets it during the quarantine */
	CHECK(dora(s, mac3) == ip("10.42.0.103"));
	pkt_init(&p, DHCPREQUEST, mac4);
	pkt_set(&p, CIADDR, ip("10.42.0.100"));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPNAK);
	/* after it, it is free again */
	rx.now += DHCP_DECLINE_HOLD + 1;
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPACK);
	dhcp_server_free(s);
}

static void
test_inform(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	struct pkt	 p;
	size_t		 l;

	pkt_init(&p, DHCPINFORM, mac1);
	pkt_set(&p, CIADDR, ip("10.42.0.50"));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPACK);
	CHECK(ryiaddr(&rep) == 0);
	CHECK(ropt(&rep, OPT_LEASE_TIME, &l) == NULL);
	CHECK(ropt(&rep, OPT_T1, &l) == NULL);
	CHECK(ropt(&rep, OPT_ROUTER, &l) != NULL);
	CHECK(ropt(&rep, OPT_SERVER_ID, &l) != NULL);
	CHECK(!rep.durable);		/* no lease: nothing to commit */
	CHECK(rep.dest == DEST_CLIENT && rep.ip == ip("10.42.0.50"));
	CHECK(dhcp_lease_count(s) == 0);
	/* ciaddr 0: to the packet's source */
	pkt_set(&p, CIADDR, 0);
	rx.src = ip("10.42.0.51");
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rep.dest == DEST_CLIENT && rep.ip == ip("10.42.0.51"));
	rx.src = 0;
	CHECK(handle(s, &p) == DHCP_R_DROP);
	dhcp_server_free(s);
}

static void
test_pool_full(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.102", 0);
	struct pkt	 p;

	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	CHECK(dora(s, mac2) == ip("10.42.0.101"));
	CHECK(dora(s, mac3) == ip("10.42.0.102"));
	pkt_init(&p, DHCPDISCOVER, mac4);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_SILENT);
	CHECK(dhcp_server_stats(s)->pool_full == 1);
	CHECK(dhcp_pool_unused(s) == 0);
	/* The devices that hold a lease are not affected: they renew. */
	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	CHECK(dora(s, mac3) == ip("10.42.0.102"));
	CHECK(handle(s, &p) == DHCP_R_SILENT);
	CHECK(dhcp_server_stats(s)->pool_full == 2);
	/* mac2 renews later than the others; then mac1's and mac3's expire:
	 * the longest expired (mac1's, bound first) is reused */
	rx.now += 10;
	CHECK(dora(s, mac3) == ip("10.42.0.102"));
	rx.now += 100;
	CHECK(dora(s, mac2) == ip("10.42.0.101"));
	rx.now += 3600 - 50;
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.100"));
	/* its old owner, back: the next longest expired */
	CHECK(dora(s, mac4) == ip("10.42.0.100"));
	CHECK(dora(s, mac1) == ip("10.42.0.102"));
	dhcp_server_free(s);
}

static void
test_previous_address(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);

	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	rx.now += 7200;		/* expired */
	CHECK(dora(s, mac2) == ip("10.42.0.101"));
	CHECK(dora(s, mac3) == ip("10.42.0.102"));
	/* still nobody else's: it gets it back */
	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	dhcp_server_free(s);
}

static void
test_client_id(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	static const uint8_t id1[] = { 0xff, 1, 2, 3, 4, 5, 6, 7 };
	static const uint8_t id2[] = { 0xff, 9, 9, 9, 9, 9, 9, 9 };
	struct pkt	 p;

	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_opt(&p, OPT_CLIENT_ID, id1, sizeof(id1));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.100"));
	/* same MAC, another identifier: another client */
	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_opt(&p, OPT_CLIENT_ID, id2, sizeof(id2));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.101"));
	/* a one-byte identifier is malformed */
	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_opt(&p, OPT_CLIENT_ID, id2, 1);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_DROP);
	dhcp_server_free(s);
}

static void
test_reservations(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	struct pkt	 p;
	char		 err[256];

	CHECK(dhcp_resv_add(s, mac1, ip("10.42.0.50"), "printer", 1, err,
	    sizeof(err)) == 0);
	CHECK(dhcp_resv_add(s, mac2, ip("10.42.0.105"), "", 0, err,
	    sizeof(err)) == 0);
	/* refused, with reasons */
	CHECK(dhcp_resv_add(s, mac3, ip("10.43.0.5"), "", 0, err,
	    sizeof(err)) == -1);
	CHECK(strstr(err, "not a host address of the LAN") != NULL);
	CHECK(dhcp_resv_add(s, mac3, ip("10.42.0.1"), "", 0, err,
	    sizeof(err)) == -1);
	CHECK(dhcp_resv_add(s, mac3, ip("10.42.0.255"), "", 0, err,
	    sizeof(err)) == -1);
	CHECK(dhcp_resv_add(s, mac3, ip("10.42.0.50"), "", 0, err,
	    sizeof(err)) == -1);
	CHECK(strstr(err, "already reserved for 02:00:00:00:00:01") != NULL);
	CHECK(dhcp_resv_add(s, mac1, ip("10.42.0.51"), "", 0, err,
	    sizeof(err)) == -1);
	CHECK(dhcp_resv_add(s, mac3, ip("10.42.0.52"), "Bad Name!", 0, err,
	    sizeof(err)) == -1);
	CHECK(strstr(err, "not a valid host name") != NULL);
	CHECK(dhcp_resv_add(s, mac3, ip("10.42.0.52"), "printer", 0, err,
	    sizeof(err)) == -1);
	CHECK(dhcp_resv_count(s) == 2);

	/* the reserved MAC gets its address, outside the pool too */
	nadd = 0;
	CHECK(dora(s, mac1) == ip("10.42.0.50"));
	CHECK(nadd == 1);
	CHECK_STR(last_add, "printer");
	/* the reserved pool address is not given to others */
	CHECK(dora(s, mac3) == ip("10.42.0.100"));
	CHECK(dora(s, mac4) == ip("10.42.0.101"));
	pkt_init(&p, DHCPREQUEST, mac3);
	pkt_set(&p, CIADDR, ip("10.42.0.105"));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPNAK);
	/* the reserved client renewing another address is moved */
	CHECK(dora(s, mac2) == ip("10.42.0.105"));
	/* a reservation added while a client holds a dynamic address: the
	 * renewal is NAKed, the next DISCOVER gets the reservation */
	CHECK(dhcp_resv_add(s, mac4, ip("10.42.0.60"), "", 0, err,
	    sizeof(err)) == 0);
	pkt_init(&p, DHCPREQUEST, mac4);
	pkt_set(&p, CIADDR, ip("10.42.0.101"));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPNAK);
	CHECK(dora(s, mac4) == ip("10.42.0.60"));

	/* deletion: config ones refused, gkctl ones done */
	CHECK(dhcp_resv_del(s, mac1, err, sizeof(err)) == -1);
	CHECK(strstr(err, "static-lease") != NULL);
	CHECK(dhcp_resv_del(s, mac4, err, sizeof(err)) == 0);
	CHECK(dhcp_resv_del(s, mac4, err, sizeof(err)) == -1);
	CHECK(dhcp_resv_count(s) == 2);
	dhcp_server_free(s);
}

static void
test_names(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	static const uint8_t fqdn_e[] = { 0x05, 0, 0, 6, 'l', 'a', 'p', 't',
	    'o', 'p', 4, 'h', 'o', 'm', 'e', 0 };
	const uint8_t	*v;
	struct pkt	 p;
	size_t		 l = 0;
	uint32_t	 a;

	nadd = ndel = 0;
	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_opt(&p, OPT_HOSTNAME, "John's iPhone", 13);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	a = ryiaddr(&rep);
	CHECK(nadd == 0);	/* names come with the ACK */
	pkt_init(&p, DHCPREQUEST, mac1);
	pkt_addr(&p, OPT_SERVER_ID, "10.42.0.1");
	pkt_opt(&p, OPT_REQUESTED_IP, &a, 4);
	pkt_opt(&p, OPT_HOSTNAME, "John's iPhone", 13);
	pkt_opt(&p, OPT_PRL, "\x0c", 1);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(nadd == 1);
	CHECK_STR(last_add, "johns-iphone");
	CHECK_STR(last_sent, "John's iPhone");
	CHECK((v = ropt(&rep, OPT_HOSTNAME, &l)) != NULL && l == 12 &&
	    memcmp(v, "johns-iphone", 12) == 0);

	/* the same name from another device: a suffix */
	pkt_init(&p, DHCPREQUEST, mac2);
	pkt_set(&p, CIADDR, ip("10.42.0.104"));
	pkt_opt(&p, OPT_HOSTNAME, "JOHNS-IPHONE", 12);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK_STR(last_add, "johns-iphone-2");

	/* option 81 in canonical form wins over 12; 81 is answered */
	pkt_init(&p, DHCPREQUEST, mac3);
	pkt_set(&p, CIADDR, ip("10.42.0.105"));
	pkt_opt(&p, OPT_HOSTNAME, "other", 5);
	pkt_opt(&p, OPT_FQDN, fqdn_e, sizeof(fqdn_e));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK_STR(last_add, "laptop");
	CHECK_STR(last_sent, "other");
	CHECK((v = ropt(&rep, OPT_FQDN, &l)) != NULL);
	CHECK(l == 3 + 12 && (v[0] & 0x05) == 0x05 && v[3] == 6 &&
	    memcmp(v + 4, "laptop\3lan\0", 11) == 0);

	/* release takes the name away */
	pkt_init(&p, DHCPRELEASE, mac2);
	pkt_set(&p, CIADDR, ip("10.42.0.104"));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_SILENT);
	CHECK(ndel == 1);
	CHECK_STR(last_del, "johns-iphone-2");
	/* expiry too */
	rx.now += 3601;
	dhcp_tick(s, rx.now);
	CHECK(ndel == 3);
	dhcp_server_free(s);
}

static void
test_options(void)
{
	struct dhcp_server *s;
	struct dhcp_conf c;
	struct pkt	 p;
	const uint8_t	*v;
	uint8_t		 prl[60];
	char		 err[128];
	size_t		 l, i;
	uint16_t	 mx;

	memset(&c, 0, sizeof(c));
	c.server = ip("10.42.0.1");
	c.prefix = 24;
	c.start = ip("10.42.0.100");
	c.end = ip("10.42.0.110");
	c.lease_time = 600;
	memset(c.domain, 'd', 200);
	c.domain[63] = '.';
	c.domain[127] = '.';
	c.domain[191] = '.';
	c.mtu = 1400;
	c.ntp[0] = ip("10.42.0.1");
	c.nntp = 1;
	c.routes[0].dst = ip("192.168.50.0");
	c.routes[0].plen = 24;
	c.routes[0].gw = ip("10.42.0.9");
	c.nroutes = 1;
	s = dhcp_server_new(&c, &ops, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_opt(&p, OPT_PRL, "\x79\x1a\x2a", 3);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK((v = ropt(&rep, OPT_MTU, &l)) != NULL && l == 2 &&
	    v[0] == 0x05 && v[1] == 0x78);
	CHECK((v = ropt(&rep, OPT_NTP, &l)) != NULL && l == 4);
	CHECK((v = ropt(&rep, OPT_CLASSLESS, &l)) != NULL && l == 8 + 5 &&
	    memcmp(v, "\x18\xc0\xa8\x32\x0a\x2a\x00\x09\x00\x0a\x2a\x00\x01",
	    13) == 0);

	/* a client asking for everything with 576 bytes: within 548 */
	for (i = 0; i < sizeof(prl); i++)
		prl[i] = (uint8_t)(i % 3 == 0 ? 15 : i % 3 == 1 ? 119 : 121);
	prl[0] = 1;
	prl[1] = 3;
	pkt_init(&p, DHCPDISCOVER, mac2);
	pkt_opt(&p, OPT_PRL, prl, sizeof(prl));
	mx = htons(576);
	pkt_opt(&p, OPT_MAX_SIZE, &mx, 2);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rep.len <= 576 - DHCP_IPUDP_LEN);
	CHECK(ropt(&rep, OPT_SERVER_ID, &l) != NULL);
	CHECK(ropt(&rep, OPT_LEASE_TIME, &l) != NULL);
	CHECK(ropt(&rep, OPT_ROUTER, &l) != NULL);
	/* with room, the long domain fits too */
	pkt_init(&p, DHCPDISCOVER, mac2);
	pkt_opt(&p, OPT_PRL, prl, sizeof(prl));
	mx = htons(1500);
	pkt_opt(&p, OPT_MAX_SIZE, &mx, 2);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rep.len > 576 - DHCP_IPUDP_LEN && rep.len <= 1500 - 28);
	CHECK((v = ropt(&rep, OPT_DOMAIN, &l)) != NULL && l == 200);
	CHECK((v = ropt(&rep, OPT_SEARCH, &l)) != NULL && l == 202);
	dhcp_server_free(s);
}

static void
test_relay(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	struct pkt	 p;
	uint16_t	 fl;

	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_set(&p, GIADDR, ip("10.42.0.2"));
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rep.dest == DEST_RELAY && rep.ip == ip("10.42.0.2"));
	CHECK(memcmp(rep.buf + GIADDR, p.b + GIADDR, 4) == 0);
	pkt_init(&p, DHCPREQUEST, mac1);
	pkt_set(&p, GIADDR, ip("10.42.0.2"));
	pkt_addr(&p, OPT_REQUESTED_IP, "172.16.0.5");
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPNAK);
	CHECK(rep.dest == DEST_RELAY);
	memcpy(&fl, rep.buf + FLAGS, 2);
	CHECK(ntohs(fl) & DHCP_FLAG_BROADCAST);
	dhcp_server_free(s);
}

static void
test_probe(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 1);
	struct pkt	 p;

	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_PROBE);
	CHECK(rep.ip == ip("10.42.0.100"));
	/* somebody answered: the next address, probed too */
	dhcp_probe_done(s, rep.ip, 1, rx.now);
	CHECK(dhcp_server_stats(s)->conflicts == 1);
	CHECK(handle(s, &p) == DHCP_R_PROBE);
	CHECK(rep.ip == ip("10.42.0.101"));
	dhcp_probe_done(s, rep.ip, 0, rx.now);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.101"));
	/* known now: no probe for its REQUEST or its next DISCOVER */
	CHECK(dora(s, mac1) == ip("10.42.0.101"));
	/* clients arriving together each probe an address of their own,
	 * and each gets one when the probes come back */
	pkt_init(&p, DHCPDISCOVER, mac2);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_PROBE);
	CHECK(rep.ip == ip("10.42.0.102"));
	pkt_init(&p, DHCPDISCOVER, mac3);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_PROBE);
	CHECK(rep.ip == ip("10.42.0.103"));
	dhcp_probe_done(s, ip("10.42.0.103"), 0, rx.now);
	dhcp_probe_done(s, ip("10.42.0.102"), 0, rx.now);
	CHECK(dhcp_server_stats(s)->conflicts == 1);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.103"));
	/* a late answer (or any ARP) from 10.42.0.102, checked free but
	 * not handed out yet: in use after all, not offered */
	dhcp_probe_done(s, ip("10.42.0.102"), 1, rx.now);
	CHECK(dhcp_server_stats(s)->conflicts == 2);
	/* ... but ARP from a client's own address is no conflict */
	dhcp_probe_done(s, ip("10.42.0.103"), 1, rx.now);
	CHECK(dhcp_server_stats(s)->conflicts == 2);
	pkt_init(&p, DHCPDISCOVER, mac2);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_PROBE);
	CHECK(rep.ip == ip("10.42.0.104"));
	dhcp_server_free(s);
}

static uint32_t
rlease(const struct dhcp_reply *r)
{
	const uint8_t	*v;
	size_t		 l = 0;
	uint32_t	 u;

	if ((v = ropt(r, OPT_LEASE_TIME, &l)) == NULL || l != 4)
		return 0;
	memcpy(&u, v, 4);
	return ntohl(u);
}

/*
 * Issue 16: a host binding the pool with made-up MACs holds each address
 * only DHCP_FIRST_LEASE unless it renews; a real client renews at T1
 * and gets the configured time.
 */
static void
test_first_lease(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	struct pkt	 p;
	int		 i;
	uint8_t		 fake[6] = { 2, 0xfa, 0xce, 0, 0, 0 };

	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	CHECK(rlease(&rep) == DHCP_FIRST_LEASE);
	pkt_init(&p, DHCPREQUEST, mac1);
	pkt_set(&p, CIADDR, ip("10.42.0.100"));
	pkt_end(&p);
	/* asking again at once is no renewal: still the first lease */
	rx.now += 5;
	CHECK(handle(s, &p) == DHCP_R_REPLY && rtype(&rep) == DHCPACK);
	CHECK(rlease(&rep) == DHCP_FIRST_LEASE);
	/* nor 145 s after the first ACK; 150 s (T1 / 2) after it is */
	rx.now += DHCP_FIRST_LEASE / 4 - 10;
	CHECK(handle(s, &p) == DHCP_R_REPLY && rtype(&rep) == DHCPACK);
	CHECK(rlease(&rep) == DHCP_FIRST_LEASE);
	rx.now += 5;
	CHECK(handle(s, &p) == DHCP_R_REPLY && rtype(&rep) == DHCPACK);
	CHECK(rlease(&rep) == 3600);
	/* the attack: the rest of the pool bound by invented clients */
	for (i = 0; i < 10; i++) {
		fake[5] = (uint8_t)i;
		CHECK(dora(s, fake) != 0);
	}
	fake[5] = 10;
	CHECK(dora(s, fake) == 0);
	/* none of them renews: the pool is back after the first lease */
	rx.now += DHCP_FIRST_LEASE + 1;
	dhcp_tick(s, rx.now);
	CHECK(dora(s, mac2) != 0);
	CHECK(rlease(&rep) == DHCP_FIRST_LEASE);
	dhcp_server_free(s);
}

/* As dora(), the messages coming in frames from source src. */
static uint32_t
dora_from(struct dhcp_server *s, const uint8_t mac[6], const uint8_t src[6])
{
	uint32_t	a;

	rx.has_frame_mac = 1;
	memcpy(rx.frame_mac, src, 6);
	a = dora(s, mac);
	rx.has_frame_mac = 0;
	return a;
}

/*
 * Issue 16: one host binding the pool with invented chaddrs from its own
 * MAC gets dhcp-mac-limit leases for them and no more, however many it
 * asks for; its own chaddr, other hosts, renewals and reservations are
 * not limited; a lease that lapses or changes hands frees its place.
 */
static void
test_mac_limit(void)
{
	struct dhcp_server *s = server_with("10.42.0.100", "10.42.0.250", 0,
	    8);
	const struct dhcp_stats *st = dhcp_server_stats(s);
	static const uint8_t host[6] = { 2, 0xaa, 0, 0, 0, 1 };
	static const uint8_t relay[6] = { 2, 0xaa, 0, 0, 0, 2 };
	uint8_t		 fake[6] = { 2, 0xfa, 0xce, 0, 0, 0 };
	char		 err[128];
	struct pkt	 p;
	uint32_t	 got[8], a;
	int		 i;

	/* the attack: 150 chaddrs from one frame source */
	for (i = 0; i < 150; i++) {
		fake[5] = (uint8_t)i;
		a = dora_from(s, fake, host);
		if (i < 8)
			CHECK((got[i] = a) != 0);
		else
			CHECK(a == 0);
	}
	CHECK(st->mac_limit == 142);
	CHECK(dhcp_src_leases(s, host, rx.now) == 8);
	/* the limit costs no pool: 143 addresses are still free */
	CHECK(dhcp_pool_unused(s) == 151 - 8);
	/* its own chaddr is always fine, and so are other hosts */
	CHECK(dora_from(s, host, host) != 0);
	CHECK(dora_from(s, mac1, mac1) != 0);
	CHECK(dora_from(s, mac2, relay) != 0);
	CHECK(dhcp_src_leases(s, relay, rx.now) == 1);
	CHECK(dhcp_src_leases(s, host, rx.now) == 8);
	/* a limited client renews, from the same source, at T1 */
	fake[5] = 3;
	rx.has_frame_mac = 1;
	memcpy(rx.frame_mac, host, 6);
	pkt_init(&p, DHCPREQUEST, fake);
	pkt_set(&p, CIADDR, got[3]);
	pkt_end(&p);
	rx.now += DHCP_FIRST_LEASE / 2;
	CHECK(handle(s, &p) == DHCP_R_REPLY && rtype(&rep) == DHCPACK);
	/* a reserved MAC behind the host is the admin's choice */
	CHECK(dhcp_resv_add(s, mac3, ip("10.42.0.50"), NULL, 1, err,
	    sizeof(err)) == 0);
	CHECK(dora_from(s, mac3, host) == ip("10.42.0.50"));
	/* a DECLINE does not free a place: the address rests, counted */
	fake[5] = 4;
	pkt_init(&p, DHCPDECLINE, fake);
	pkt_opt(&p, OPT_REQUESTED_IP, &got[4], 4);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_SILENT);
	CHECK(dhcp_src_leases(s, host, rx.now) == 8);
	fake[5] = 200;
	CHECK(dora_from(s, fake, host) == 0);
	/* a client moving off the host to its own port frees a place */
	fake[5] = 5;
	CHECK(dora_from(s, fake, fake) == got[5]);
	CHECK(dhcp_src_leases(s, host, rx.now) == 7);
	fake[5] = 201;
	CHECK(dora_from(s, fake, host) != 0);
	fake[5] = 202;
	CHECK(dora_from(s, fake, host) == 0);
	/* first leases that are not renewed lapse, and their places with
	 * them, the declined address's too once it has rested; the one
	 * renewed at T1 stays */
	rx.now += DHCP_FIRST_LEASE + 1;
	CHECK(DHCP_DECLINE_HOLD <= DHCP_FIRST_LEASE);
	CHECK(dhcp_src_leases(s, host, rx.now) == 1);
	CHECK(dora_from(s, fake, host) != 0);
	CHECK(dhcp_src_leases(s, host, rx.now) == 2);
	rx.has_frame_mac = 0;
	dhcp_server_free(s);

	/* dhcp-mac-limit 0: no limit */
	s = server_with("10.42.0.100", "10.42.0.250", 0, 0);
	for (i = 0; i < 20; i++) {
		fake[5] = (uint8_t)i;
		CHECK(dora_from(s, fake, host) != 0);
	}
	CHECK(dhcp_server_stats(s)->mac_limit == 0);
	dhcp_server_free(s);
}

/* WPAD hijack: names the LAN trusts for configuration are not taken. */
static void
test_reserved_names(void)
{
	static const char *const bad[] = {
		"wpad", "WPAD", "isatap", "localhost", "gatekeeper",
	};
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	struct pkt	 p;
	uint32_t	 a;
	size_t		 i, l;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nadd = 0;
		a = htonl(ntohl(ip("10.42.0.100")) + (uint32_t)i);
		pkt_init(&p, DHCPREQUEST, mac1);
		pkt_set(&p, CIADDR, a);
		pkt_opt(&p, OPT_HOSTNAME, bad[i], strlen(bad[i]));
		pkt_end(&p);
		CHECK(handle(s, &p) == DHCP_R_REPLY && rtype(&rep) == DHCPACK);
		CHECK(nadd == 0);
		CHECK(ropt(&rep, OPT_HOSTNAME, &l) == NULL);
	}
	/* an ordinary name still is */
	nadd = 0;
	pkt_init(&p, DHCPREQUEST, mac1);
	pkt_set(&p, CIADDR, ip("10.42.0.100"));
	pkt_opt(&p, OPT_HOSTNAME, "wpad2", 5);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY && nadd == 1);
	CHECK_STR(last_add, "wpad2");
	dhcp_server_free(s);
}

/*
 * Issue 16: every probe slot busy. The address the server chose was
 * marked probing and nobody ever reported on it: with one address in the
 * pool, no client got an address again.
 */
static void
test_probe_abandon(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.100", 1);
	struct pkt	 p;

	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_PROBE);
	CHECK(rep.ip == ip("10.42.0.100"));
	/* dhcpd had no slot for it */
	dhcp_probe_abandon(s, rep.ip);
	CHECK(handle(s, &p) == DHCP_R_PROBE);
	CHECK(rep.ip == ip("10.42.0.100"));
	dhcp_probe_done(s, rep.ip, 0, rx.now);
	CHECK(handle(s, &p) == DHCP_R_REPLY && rtype(&rep) == DHCPOFFER);
	/* abandoning what is not probing changes nothing */
	dhcp_probe_abandon(s, ip("10.42.0.100"));
	dhcp_probe_abandon(s, ip("10.42.0.7"));
	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	dhcp_server_free(s);
}

/* The conflict check ahead of demand: DISCOVERs find checked addresses. */
static void
test_probe_ahead(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.199", 1);
	struct pkt	 p;
	uint32_t	 a[DHCP_PROBE_MIN + 1], x;
	int		 n = 0, i;

	while (n <= DHCP_PROBE_MIN && dhcp_probe_ahead(s, rx.now, &a[n]) == 0)
		n++;
	/* idle: DHCP_PROBE_MIN probes, the lowest addresses first */
	CHECK(n == DHCP_PROBE_MIN);
	CHECK(a[0] == ip("10.42.0.100") && a[1] == ip("10.42.0.101"));
	CHECK(dhcp_probe_ready(s) == 0);
	/* 10.42.0.100 answered: in use; the others are silent, so free */
	dhcp_probe_done(s, a[0], 1, rx.now);
	for (i = 1; i < n; i++)
		dhcp_probe_done(s, a[i], 0, rx.now);
	CHECK(dhcp_server_stats(s)->conflicts == 1);
	CHECK(dhcp_probe_ready(s) == (uint32_t)n - 1);
	/* a DISCOVER is answered at once with a probed address */
	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.101"));
	CHECK(dhcp_server_stats(s)->probes == 0);
	/* one handed out this second: the reserve is kept at the minimum
	 * plus the demand (30 ready; 33 wanted), so three more are probed */
	for (i = 0; i < 4 && dhcp_probe_ahead(s, rx.now, &a[i]) == 0; i++)
		;
	CHECK(i == 3);
	CHECK(a[0] == htonl(ntohl(ip("10.42.0.100")) + (uint32_t)n));
	while (i-- > 0)
		dhcp_probe_done(s, a[i], 0, rx.now);
	CHECK(dhcp_probe_ready(s) == 33);
	/* before its result gets old, the oldest is probed again */
	CHECK(dhcp_probe_ahead(s, rx.now + DHCP_PROBE_FRESH, &x) == 0);
	CHECK(x == ip("10.42.0.102"));
	dhcp_probe_done(s, x, 0, rx.now + DHCP_PROBE_FRESH);
	/* results too old are not trusted: the DISCOVER waits for a probe */
	pkt_init(&p, DHCPDISCOVER, mac2);
	pkt_end(&p);
	rx.now += 2 * DHCP_PROBE_FRESH + 1;
	CHECK(handle(s, &p) == DHCP_R_PROBE);
	rx.now -= 2 * DHCP_PROBE_FRESH + 1;
	dhcp_server_free(s);

	/* dhcp-conflict-check off: nothing probed, offered at once */
	s = server("10.42.0.100", "10.42.0.199", 0);
	CHECK(dhcp_probe_ahead(s, rx.now, &x) == -1);
	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(ryiaddr(&rep) == ip("10.42.0.100"));
	dhcp_server_free(s);
}

/* The writer thread commits batches in order; the store has them. */
static void
count_lease(const struct dhcp_lease *e, void *arg)
{
	(*(int *)arg)++;
}

static void
test_writer(void)
{
	char		 path[] = "/tmp/test_dhcp.XXXXXX", db[64], err[256];
	struct dhcp_store *st;
	struct dhcp_writer *w;
	struct dhcp_lease e;
	uint64_t	 seq;
	int		 ok, i, n = 0;

	if (mkdtemp(path) == NULL)
		abort();
	snprintf(db, sizeof(db), "%s/leases.db", path);
	CHECK((st = store_open(db, err, sizeof(err))) != NULL);
	CHECK((w = writer_new(st, db, err, sizeof(err))) != NULL);
	CHECK(writer_open_seq(w) == 1 && !writer_busy(w));
	CHECK(writer_checkpointing(w));
	writer_submit(w);			/* empty: nothing to do */
	CHECK(!writer_busy(w));
	memset(&e, 0, sizeof(e));
	e.state = LEASE_BOUND;
	for (i = 0; i < 100; i++) {
		e.ip = htonl(0x0a2a0064 + (uint32_t)i);
		CHECK(writer_add(w, &e) == 0);
	}
	writer_submit(w);
	CHECK(writer_busy(w) && writer_open_seq(w) == 2);
	/* the main thread goes on filling the next batch meanwhile */
	e.ip = htonl(0x0a2a00ff);
	CHECK(writer_add(w, &e) == 0);
	writer_submit(w);			/* busy: stays open */
	CHECK(writer_open_count(w) == 1);
	CHECK(writer_result(w, 1, &seq, &ok, err, sizeof(err)) == 1);
	CHECK(seq == 1 && ok);
	writer_submit(w);
	CHECK(writer_result(w, 1, &seq, &ok, err, sizeof(err)) == 1);
	CHECK(seq == 2 && ok);
	CHECK(writer_commits(w) == 2 && writer_changes(w) == 101);
	CHECK(writer_result(w, 0, &seq, &ok, err, sizeof(err)) == 0);
	/* a batch that overflows fails as a whole */
	for (i = 0; i <= WRITER_BATCH_MAX; i++)
		(void)writer_add(w, &e);
	writer_submit(w);
	CHECK(writer_result(w, 1, &seq, &ok, err, sizeof(err)) == 1);
	CHECK(seq == 3 && !ok);
	writer_free(w);
	CHECK(store_load_leases(st, count_lease, &n) == 101 && n == 101);
	store_close(st);
	unlink(db);
	snprintf(db, sizeof(db), "%s/leases.db-wal", path);
	unlink(db);
	snprintf(db, sizeof(db), "%s/leases.db-shm", path);
	unlink(db);
	rmdir(path);
}

static void
test_malformed(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	const struct dhcp_stats *st = dhcp_server_stats(s);
	struct pkt	 p;

	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_end(&p);
	CHECK(dhcp_handle(s, p.b, 239, &rx, &rep) == DHCP_R_DROP);
	CHECK(st->drop[DHCP_ERR_SHORT] == 1);
	p.b[0] = BOOTREPLY;
	CHECK(handle(s, &p) == DHCP_R_DROP);
	CHECK(st->drop[DHCP_ERR_OP] == 1);
	p.b[0] = BOOTREQUEST;
	p.b[2] = 7;
	CHECK(handle(s, &p) == DHCP_R_DROP);
	p.b[2] = 17;
	p.b[1] = 6;
	CHECK(handle(s, &p) == DHCP_R_DROP);
	CHECK(st->drop[DHCP_ERR_HLEN] == 2);
	p.b[2] = 6;
	p.b[1] = 1;
	p.b[DHCP_FIXED_LEN] = 0x64;
	CHECK(handle(s, &p) == DHCP_R_DROP);
	CHECK(st->drop[DHCP_ERR_COOKIE] == 1);
	/* an option running past the end */
	pkt_init(&p, DHCPDISCOVER, mac1);
	p.b[p.len++] = OPT_HOSTNAME;
	p.b[p.len++] = 40;
	memset(p.b + p.len, 'a', 10);
	p.len += 10;
	CHECK(handle(s, &p) == DHCP_R_DROP);
	CHECK(st->drop[DHCP_ERR_OPTIONS] == 1);
	/* a length byte missing */
	pkt_init(&p, DHCPDISCOVER, mac1);
	p.b[p.len++] = OPT_HOSTNAME;
	CHECK(handle(s, &p) == DHCP_R_DROP);
	CHECK(st->drop[DHCP_ERR_OPTIONS] == 2);
	/* no type: BOOTP */
	pkt_init(&p, 0, mac1);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_DROP);
	CHECK(st->drop[DHCP_ERR_NOTYPE] == 1);
	/* server-only and unknown types */
	pkt_init(&p, DHCPOFFER, mac1);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_DROP);
	pkt_init(&p, 42, mac1);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_DROP);
	CHECK(st->drop[DHCP_ERR_TYPE] == 2);
	/* impossible lengths */
	pkt_init(&p, DHCPREQUEST, mac1);
	pkt_opt(&p, OPT_REQUESTED_IP, "abc", 3);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_DROP);
	CHECK(st->drop[DHCP_ERR_OPTVAL] == 1);
	/* no chaddr and no client id: nobody to answer */
	pkt_init(&p, DHCPDISCOVER, mac1);
	p.b[1] = 0;
	p.b[2] = 0;
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_DROP);
	CHECK(st->drop[DHCP_ERR_HLEN] == 3);
	CHECK(dhcp_lease_count(s) == 0);
	dhcp_server_free(s);
}

static void
test_overload(void)
{
	struct dhcp_server *s = server("10.42.0.100", "10.42.0.110", 0);
	struct pkt	 p;
	size_t		 fo = offsetof(struct dhcp_hdr, file);
	size_t		 so = offsetof(struct dhcp_hdr, sname);

	/* the type in file, the requested address split across file and
	 * sname; the options field only says so */
	pkt_init(&p, 0, mac1);
	pkt_opt(&p, OPT_OVERLOAD, "\x03", 1);
	pkt_end(&p);
	memcpy(p.b + fo, "\x35\x01\x01\x32\x02\x0a\x2a\xff", 8);
	memcpy(p.b + so, "\x32\x02\x00\x69\xff", 5);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(rtype(&rep) == DHCPOFFER);
	CHECK(ryiaddr(&rep) == ip("10.42.0.105"));
	/* an overrun inside file is caught too */
	memcpy(p.b + fo + 120, "\x0c\x20", 2);
	memset(p.b + fo + 8, 0, 112);
	p.b[fo + 7] = 0;
	CHECK(handle(s, &p) == DHCP_R_DROP);
	dhcp_server_free(s);
}

static void
test_wire_helpers(void)
{
	uint8_t		 out[600], pl[400], arp[ARP_LEN], mac[6];
	char		 label[64];
	uint32_t	 sip;
	size_t		 n;

	memset(pl, 0x5a, sizeof(pl));
	n = ipudp_wrap(out, sizeof(out), ip("10.42.0.1"), htons(67),
	    ip("10.42.0.100"), htons(68), pl, 301);
	CHECK(n == 329);
	CHECK(csum_fold(csum_partial(out, 20, 0)) == 0);
	CHECK(out[9] == IPPROTO_UDP && out[22] == 0 && out[23] == 68);
	/* the UDP checksum verifies over pseudo-header + datagram */
	{
		uint8_t		ph[12 + 309];

		memcpy(ph, out + 12, 8);
		ph[8] = 0;
		ph[9] = IPPROTO_UDP;
		ph[10] = 309 >> 8;
		ph[11] = 309 & 0xff;
		memcpy(ph + 12, out + 20, 309);
		CHECK(csum_fold(csum_partial(ph, sizeof(ph), 0)) == 0);
	}
	CHECK(ipudp_wrap(out, 100, 0, 0, 0, 0, pl, 100) == 0);

	arp_build_request(arp, mac1, ip("10.42.0.1"), ip("10.42.0.7"));
	CHECK(arp_parse_sender(arp, sizeof(arp), &sip, mac) == 0);
	CHECK(sip == ip("10.42.0.1") && memcmp(mac, mac1, 6) == 0);
	CHECK(arp_parse_sender(arp, 27, &sip, mac) == -1);

	CHECK(dhcp_clean_label((const uint8_t *)"My_Laptop.home", 14, label,
	    sizeof(label)) == 9);
	CHECK_STR(label, "my-laptop");
	CHECK(dhcp_clean_label((const uint8_t *)"--a  b--", 8, label,
	    sizeof(label)) == 3);
	CHECK_STR(label, "a-b");
	CHECK(dhcp_clean_label((const uint8_t *)"\xc3\xa9!!", 4, label,
	    sizeof(label)) == 0);
	memset(pl, 'x', 100);
	CHECK(dhcp_clean_label(pl, 100, label, sizeof(label)) == 63);
	CHECK(dhcp_fqdn_label((const uint8_t *)"\0\0\0pc.lan", 9, label,
	    sizeof(label)) == 2);
	CHECK_STR(label, "pc");
	CHECK(dhcp_fqdn_label((const uint8_t *)"\4\0\0\x50", 4, label,
	    sizeof(label)) == 0);
	CHECK(dns_name_encode("a.bc", out, sizeof(out)) == 6);
	CHECK(memcmp(out, "\1a\2bc\0", 6) == 0);
	CHECK(dns_name_encode("a..b", out, sizeof(out)) == 0);
}

/* A frame as the frame socket reads it: Ethernet from smac, then
 * ipudp_wrap()'s IPv4 and UDP around a DHCP message; its length. */
static size_t
frame_build(uint8_t *f, size_t size, const uint8_t smac[6], uint32_t src,
    uint32_t dst, uint16_t dport, const struct pkt *p)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	return ETH_HDR_LEN + ipudp_wrap(f + ETH_HDR_LEN, size - ETH_HDR_LEN,
	    src, htons(68), dst, htons(dport), p->b, p->len);
}

/* Sets the IPv4 header checksum of frame f again after a change. */
static void
frame_ipsum(uint8_t *f)
{
	uint16_t	c;
	size_t		ihl = (size_t)(f[ETH_HDR_LEN] & 0x0f) * 4;

	memset(f + ETH_HDR_LEN + 10, 0, 2);
	c = csum_fold(csum_partial(f + ETH_HDR_LEN, ihl, 0));
	memcpy(f + ETH_HDR_LEN + 10, &c, 2);
}

static enum dhcp_frame_err
frame_parse(const uint8_t *f, size_t len, int trusted, struct dhcp_frame *out)
{
	return dhcp_frame_parse(f, len, ip("10.42.0.1"), ip("10.42.0.255"),
	    trusted, out);
}

/* The frame socket's headers: every rule, each broken once. */
static void
test_frame_parse(void)
{
	static const uint8_t group[6] = { 1, 0, 0x5e, 0, 0, 1 };
	static const uint8_t zero[6];
	uint8_t		 f[1600], g[1600];
	struct dhcp_frame fr;
	struct pkt	 p;
	size_t		 n;

	pkt_init(&p, DHCPDISCOVER, mac1);
	pkt_end(&p);
	n = frame_build(f, sizeof(f), mac2, 0, INADDR_BROADCAST, 67, &p);
	CHECK(n == ETH_HDR_LEN + 28 + p.len);
	CHECK(frame_parse(f, n, 0, &fr) == FRAME_OK);
	/* the source is the frame's, whatever chaddr says */
	CHECK(memcmp(fr.src_mac, mac2, 6) == 0);
	CHECK(fr.src == 0 && fr.dst == INADDR_BROADCAST && fr.broadcast);
	CHECK(fr.sport == 68);
	CHECK(fr.payload == f + ETH_HDR_LEN + 28 && fr.len == p.len);
	CHECK(memcmp(fr.payload, p.b, p.len) == 0);
	/* Ethernet padding after the datagram is no error */
	memset(f + n, 0, 20);
	CHECK(frame_parse(f, n + 20, 0, &fr) == FRAME_OK && fr.len == p.len);
	/* unicast to us, the subnet's broadcast: ours */
	n = frame_build(g, sizeof(g), mac2, ip("10.42.0.9"), ip("10.42.0.1"),
	    67, &p);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_OK && !fr.broadcast &&
	    fr.src == ip("10.42.0.9"));
	n = frame_build(g, sizeof(g), mac2, 0, ip("10.42.0.255"), 67, &p);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_OK && fr.broadcast);
	/* to another host (the kernel forwards it), another port */
	n = frame_build(g, sizeof(g), mac2, 0, ip("192.0.2.1"), 67, &p);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_NOT_OURS);
	n = frame_build(g, sizeof(g), mac2, 0, INADDR_BROADCAST, 68, &p);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_NOT_OURS);

	n = frame_build(f, sizeof(f), mac2, 0, INADDR_BROADCAST, 67, &p);
	/* short: nothing past Ethernet, or cut inside the datagram */
	CHECK(frame_parse(f, ETH_HDR_LEN + 27, 0, &fr) == FRAME_ERR_SHORT);
	CHECK(frame_parse(f, n - 1, 0, &fr) == FRAME_ERR_SHORT);
	CHECK(frame_parse(f, 0, 0, &fr) == FRAME_ERR_SHORT);
	/* Ethernet: IPv6, a group or zero source */
	memcpy(g, f, n);
	g[12] = 0x86;
	g[13] = 0xdd;
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_ETHER);
	memcpy(g + 6, group, 6);
	g[12] = 0x08;
	g[13] = 0;
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_ETHER);
	memcpy(g + 6, zero, 6);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_ETHER);
	/* IPv4: version, header length below 20 or past the datagram */
	memcpy(g, f, n);
	g[ETH_HDR_LEN] = 0x65;
	frame_ipsum(g);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_IP);
	g[ETH_HDR_LEN] = 0x44;
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_IP);
	memcpy(g, f, n);
	g[ETH_HDR_LEN + 2] = 0;
	g[ETH_HDR_LEN + 3] = 19;		/* total below the header */
	frame_ipsum(g);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_IP);
	g[ETH_HDR_LEN + 3] = 24;		/* no room for UDP */
	frame_ipsum(g);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_SHORT);
	/* the header checksum, however the UDP one is trusted */
	memcpy(g, f, n);
	g[ETH_HDR_LEN + 8] = 1;			/* TTL changed, sum not */
	CHECK(frame_parse(g, n, 1, &fr) == FRAME_ERR_IP_CSUM);
	/* fragments: more to come, or an offset */
	memcpy(g, f, n);
	g[ETH_HDR_LEN + 6] = 0x20;
	frame_ipsum(g);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_FRAGMENT);
	g[ETH_HDR_LEN + 6] = 0x40;		/* DF alone is fine */
	frame_ipsum(g);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_OK);
	g[ETH_HDR_LEN + 7] = 0x01;
	frame_ipsum(g);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_FRAGMENT);
	memcpy(g, f, n);
	g[ETH_HDR_LEN + 9] = IPPROTO_TCP;
	frame_ipsum(g);
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_NOT_UDP);
	/* UDP length: below 8, past the IP datagram */
	memcpy(g, f, n);
	g[ETH_HDR_LEN + 24] = 0;
	g[ETH_HDR_LEN + 25] = 7;
	CHECK(frame_parse(g, n, 1, &fr) == FRAME_ERR_UDP_LEN);
	g[ETH_HDR_LEN + 24] = 0x10;
	CHECK(frame_parse(g, n, 1, &fr) == FRAME_ERR_UDP_LEN);
	/* UDP checksum: wrong, unless the kernel vouched for it; none */
	memcpy(g, f, n);
	g[n - 1] ^= 0x55;
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_ERR_UDP_CSUM);
	CHECK(frame_parse(g, n, 1, &fr) == FRAME_OK);
	g[ETH_HDR_LEN + 26] = g[ETH_HDR_LEN + 27] = 0;
	CHECK(frame_parse(g, n, 0, &fr) == FRAME_OK);
	/* IP options (a router alert) move the UDP header along */
	memcpy(g, f, ETH_HDR_LEN + 20);
	memcpy(g + ETH_HDR_LEN + 20, "\x94\x04\0\0", 4);
	memcpy(g + ETH_HDR_LEN + 24, f + ETH_HDR_LEN + 20, n - ETH_HDR_LEN -
	    20);
	g[ETH_HDR_LEN] = 0x46;
	g[ETH_HDR_LEN + 3] += 4;		/* no carry: 4 + 28 + 300 */
	frame_ipsum(g);
	CHECK(frame_parse(g, n + 4, 0, &fr) == FRAME_OK && fr.len == p.len &&
	    fr.payload == g + ETH_HDR_LEN + 32);
	CHECK(strcmp(dhcp_frame_err_name(FRAME_ERR_UDP_CSUM),
	    "bad_udp_checksum") == 0);
	CHECK(strcmp(dhcp_frame_err_name(FRAME_ERR_MAX), "?") == 0);
}

/* ------------------------------------------------------------ store */

static struct dhcp_server *load_into;
static int	loaded;

static void
load_lease(const struct dhcp_lease *e, void *arg)
{
	if (dhcp_lease_load(load_into, e) == 0)
		loaded++;
}

static void
load_resv(const uint8_t mac[6], uint32_t a, const char *name, void *arg)
{
	char	err[128];

	if (dhcp_resv_add(load_into, mac, a, name, 0, err, sizeof(err)) == 0)
		loaded++;
}

static struct dhcp_store *store_for_ops;

static void
store_persist(const struct dhcp_lease *e, void *arg)
{
	if (store_begin(store_for_ops) == -1 ||
	    store_put_lease(store_for_ops, e) == -1)
		abort();
}

/* A path for a test database, gone before and after. */
static void
db_path(char *db, size_t len)
{
	char	path[40] = "/tmp/test_dhcp.XXXXXX";
	int	fd;

	if ((fd = mkstemp(path)) == -1)
		abort();
	close(fd);
	unlink(path);
	snprintf(db, len, "%s.db", path);
}

static void
test_store(void)
{
	struct dhcp_ops	 sops = { store_persist, NULL, NULL, NULL };
	struct dhcp_conf c;
	struct dhcp_server *s, *s2;
	struct dhcp_store *st;
	char		 db[64], err[256];
	struct pkt	 p;

	db_path(db, sizeof(db));
	st = store_open(db, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	store_for_ops = st;
	conf_with(&c, "10.42.0.100", "10.42.0.110", 0, 0);
	s = dhcp_server_new(&c, &sops, err, sizeof(err));
	CHECK(dora(s, mac1) == ip("10.42.0.100"));
	pkt_init(&p, DHCPREQUEST, mac2);
	pkt_set(&p, CIADDR, ip("10.42.0.104"));
	pkt_opt(&p, OPT_HOSTNAME, "tv", 2);
	pkt_end(&p);
	CHECK(handle(s, &p) == DHCP_R_REPLY);
	CHECK(store_in_txn(st));
	CHECK(store_commit(st) == 0);
	CHECK(store_put_resv(st, mac3, ip("10.42.0.20"), "nas") == 0);
	CHECK(store_put_resv(st, mac4, ip("10.42.0.21"), "") == 0);
	CHECK(store_del_resv(st, mac4) == 0);
	/* an uncommitted change is not there after a crash-like close */
	CHECK(dora(s, mac3) == ip("10.42.0.101"));
	store_close(st);
	dhcp_server_free(s);

	st = store_open(db, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL)
		return;
	s2 = dhcp_server_new(&c, NULL, err, sizeof(err));
	load_into = s2;
	loaded = 0;
	CHECK(store_load_resv(st, load_resv, NULL) == 1);
	CHECK(store_load_leases(st, load_lease, NULL) == 2);
	CHECK(loaded == 3);
	CHECK(dhcp_resv_by_mac(s2, mac3) != NULL);
	CHECK(dhcp_lease_count(s2) == 2);
	/* the clients get their addresses back from the reloaded table */
	CHECK(dora(s2, mac2) == ip("10.42.0.104"));
	CHECK(dora(s2, mac1) == ip("10.42.0.100"));
	CHECK(dora(s2, mac3) == ip("10.42.0.20"));
	dhcp_server_free(s2);
	store_close(st);
	sqlite_files_unlink(db);
}

/*
 * The leases a host holds for other hardware addresses are kept with
 * the leases: after a restart it has no fresh dhcp-mac-limit allowance.
 * A file from before the src column is upgraded and loads.
 */
static void
test_mac_limit_kept(void)
{
	struct dhcp_ops	 sops = { store_persist, NULL, NULL, NULL };
	static const uint8_t host[6] = { 2, 0xaa, 0, 0, 0, 1 };
	uint8_t		 fake[6] = { 2, 0xfa, 0xce, 0, 0, 0 };
	struct dhcp_conf c;
	struct dhcp_server *s;
	struct dhcp_store *st;
	sqlite3		*old;
	char		 db[64], err[256];
	int		 i;

	db_path(db, sizeof(db));
	conf_with(&c, "10.42.0.100", "10.42.0.250", 0, 8);
	CHECK((st = store_open(db, err, sizeof(err))) != NULL);
	if (st == NULL)
		return;
	store_for_ops = st;
	s = dhcp_server_new(&c, &sops, err, sizeof(err));
	for (i = 0; i < 8; i++) {
		fake[5] = (uint8_t)i;
		CHECK(dora_from(s, fake, host) != 0);
		CHECK(store_commit(st) == 0);
	}
	CHECK(dora_from(s, host, host) != 0);	/* its own: not counted */
	CHECK(store_commit(st) == 0);
	dhcp_server_free(s);
	store_close(st);

	/* the restart */
	CHECK((st = store_open(db, err, sizeof(err))) != NULL);
	if (st == NULL)
		return;
	store_for_ops = st;
	s = dhcp_server_new(&c, &sops, err, sizeof(err));
	load_into = s;
	loaded = 0;
	CHECK(store_load_leases(st, load_lease, NULL) == 9 && loaded == 9);
	CHECK(dhcp_src_leases(s, host, rx.now) == 8);
	fake[5] = 100;
	CHECK(dora_from(s, fake, host) == 0);
	CHECK(dhcp_server_stats(s)->mac_limit == 1);
	fake[5] = 2;			/* a renewal from the same host */
	CHECK(dora_from(s, fake, host) != 0);
	dhcp_server_free(s);
	store_close(st);
	sqlite_files_unlink(db);

	/* a file of the previous schema */
	CHECK(sqlite3_open(db, &old) == SQLITE_OK);
	CHECK(sqlite3_exec(old, "CREATE TABLE leases (ip INTEGER PRIMARY KEY,"
	    " state INTEGER NOT NULL, key BLOB, mac TEXT NOT NULL, hostname"
	    " TEXT NOT NULL, expires INTEGER NOT NULL, first_seen INTEGER NOT"
	    " NULL, last_seen INTEGER NOT NULL);"
	    "INSERT INTO leases VALUES (170524772, 2, x'01020000000001',"
	    " '02:00:00:00:00:01', 'tv', 4000000000, 1, 1)", NULL, NULL,
	    NULL) == SQLITE_OK);
	sqlite3_close(old);
	CHECK((st = store_open(db, err, sizeof(err))) != NULL);
	if (st == NULL)
		return;
	s = dhcp_server_new(&c, NULL, err, sizeof(err));
	load_into = s;
	loaded = 0;
	CHECK(store_load_leases(st, load_lease, NULL) == 1 && loaded == 1);
	CHECK(dhcp_lease_count(s) == 1);
	dhcp_server_free(s);
	store_close(st);
	sqlite_files_unlink(db);
}

int
main(void)
{
	test_discover_offer();
	test_selecting();
	test_init_reboot();
	test_renew_rebind();
	test_release_decline();
	test_inform();
	test_pool_full();
	test_previous_address();
	test_client_id();
	test_reservations();
	test_names();
	test_options();
	test_relay();
	test_probe();
	test_probe_ahead();
	test_first_lease();
	test_mac_limit();
	test_reserved_names();
	test_probe_abandon();
	test_writer();
	test_malformed();
	test_overload();
	test_wire_helpers();
	test_frame_parse();
	test_store();
	test_mac_limit_kept();
	return check_result();
}
