/*
 * The rules that send LAN<->WAN traffic to natd's queue, with conntrack
 * bypassed for it (natd is the connection tracker): everything from the
 * WAN (before routing: natd rewrites the destination), LAN to WAN after
 * routing (natd rewrites the source), and for hairpinning the LAN's
 * packets to the router's other addresses (the WAN address: natd
 * rewrites the destination to the device behind the port) and, routed
 * back out of the LAN, the same packets again (natd rewrites the
 * source). The LAN's own traffic to the router's LAN address (DNS, DHCP,
 * the web) stays out of the queue and tracked. No bypass flag: with no
 * listener the kernel drops, so traffic never crosses the router
 * un-NATed.
 *
 * The parent writes them itself over its own NETLINK_NETFILTER socket
 * (libmnl, libnftnl), one table "ip gatekeeper" in one atomic batch, and
 * keeps that socket for its whole life: where the kernel accepts it the
 * table has the owner and persist flags (docs/security.md, "The
 * netfilter socket"): only this socket may change or delete it, `nft
 * flush ruleset` passes it by, and when gatekeeperd dies the table stays
 * (persist: the LAN fails closed) and loses its owner, so the next start
 * can remove it. An owner table without persist would vanish with the
 * process and fail open: on a kernel without persist the table is
 * created without owner, and nfmon.c repairs it.
 *
 * Two backends for the queue: nft's queue expression where the kernel
 * has nft_queue, else the xt NFQUEUE target (revision 3) through nft's
 * compat expression, as iptables-nft sends it. The rest (interface
 * names, fib, notrack, return) are native expressions either way.
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/rtnetlink.h>

#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "log.h"
#include "netcfg.h"
#include "util.h"

#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST	0x4	/* Linux 6.9 */
#endif

#define PROBE_TABLE	"gatekeeper_probe"
#define BATCH_LIMIT	(32 * 1024)
#define ACK_TIMEOUT_MS	5000

/* The socket that owns the table; kept open for the process's life. */
static struct mnl_socket *rules_nl;
static uint32_t rules_seq;
/* What the probe found: the kernel takes owner + persist. */
static int probe_persist;
/* The kernel's handle of our table, as last loaded. */
static uint64_t rules_handle;
/* dnsd's output: what the probe found the kernel takes, what is loaded
 * (mode, allowance), and why it is off when it is. dnsout_retry: asked
 * for, and the probe found the kernel takes it, but a load failed (a
 * transient ENOBUFS or EBUSY, say): the poll tries it again. */
static enum dnsout_mode probe_dnsout;
static enum dnsout_mode dnsout_mode;
static struct dnsout dnsout_cur;
static const char *dnsout_err = "not probed";
static int dnsout_retry;
static struct log_due dnsout_fail_due;
static uint64_t dnsout_failures;
/* What its counters saw in the tables loaded before this one. */
static uint64_t dnsout_refused_base;
static int dnsout_loaded;

static struct mnl_socket *
nl_get(void)
{
	if (rules_nl != NULL)
		return rules_nl;
	if ((rules_nl = mnl_socket_open2(NETLINK_NETFILTER,
	    SOCK_CLOEXEC)) == NULL)
		return NULL;
	if (mnl_socket_bind(rules_nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		mnl_socket_close(rules_nl);
		rules_nl = NULL;
		return NULL;
	}
	if (rules_seq == 0)
		rules_seq = time(NULL);
	return rules_nl;
}

uint32_t
rules_portid(void)
{
	return rules_nl != NULL ? mnl_socket_get_portid(rules_nl) : 0;
}

/* ---- batches ---- */

struct batch {
	char			 buf[2 * BATCH_LIMIT];
	struct mnl_nlmsg_batch	*b;
	uint32_t		 first;		/* seq of the first command */
	int			 n;		/* commands, each acked */
	int			 overflow;
};

static void
batch_start(struct batch *bt)
{
	bt->b = mnl_nlmsg_batch_start(bt->buf, BATCH_LIMIT);
	bt->n = bt->overflow = 0;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), rules_seq++);
	mnl_nlmsg_batch_next(bt->b);
	bt->first = rules_seq;
}

static struct nlmsghdr *
batch_msg_family(struct batch *bt, uint16_t type, uint16_t family,
    uint16_t flags)
{
	bt->n++;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type,
	    family, flags, rules_seq++);
}

static struct nlmsghdr *
batch_msg(struct batch *bt, uint16_t type, uint16_t flags)
{
	return batch_msg_family(bt, type, NFPROTO_IPV4, flags | NLM_F_ACK);
}

static void
batch_next(struct batch *bt)
{
	if (!mnl_nlmsg_batch_next(bt->b))
		bt->overflow = 1;
}

/*
 * Sends the batch and waits for every command's ACK. 0 when the kernel
 * committed it, else -1 with errno the first error it reported.
 */
static int
batch_send(struct mnl_socket *nl, struct batch *bt)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct pollfd	 pfd;
	struct nlmsghdr	*nlh;
	struct nlmsgerr	*e;
	uint64_t	 deadline;
	ssize_t		 n;
	int		 len, acks = 0, err = 0, left;

	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), rules_seq++);
	mnl_nlmsg_batch_next(bt->b);
	n = bt->overflow ? -1 : mnl_socket_sendto(nl,
	    mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b));
	mnl_nlmsg_batch_stop(bt->b);
	if (bt->overflow) {
		errno = EMSGSIZE;
		return -1;
	}
	if (n == -1)
		return -1;
	pfd.fd = mnl_socket_get_fd(nl);
	pfd.events = POLLIN;
	deadline = mono_ms() + ACK_TIMEOUT_MS;
	while (acks < bt->n) {
		left = (int)(deadline - mono_ms());
		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if ((n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		len = n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_seq < bt->first ||
			    nlh->nlmsg_seq >= bt->first + bt->n)
				continue;
			acks++;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error != 0 && err == 0)
				err = -e->error;
		}
		/* A batch the kernel refuses as a whole acks nothing more. */
		if (err != 0)
			break;
	}
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* ---- what goes into a batch ---- */

static void
put_table(struct batch *bt, uint16_t type, const char *name, int flags)
{
	struct nftnl_table	*t;
	struct nlmsghdr		*nlh;

	if ((t = nftnl_table_alloc()) == NULL) {
		bt->overflow = 1;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	if (type == NFT_MSG_NEWTABLE)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	nlh = batch_msg(bt, type, type == NFT_MSG_NEWTABLE ?
	    NLM_F_CREATE | NLM_F_EXCL : 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	batch_next(bt);
}

/* hook < 0: a regular chain. */
static void
put_chain(struct batch *bt, const char *table, const char *name, int hook,
    int prio)
{
	struct nftnl_chain	*c;
	struct nlmsghdr		*nlh;

	if ((c = nftnl_chain_alloc()) == NULL) {
		bt->overflow = 1;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = batch_msg(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	batch_next(bt);
}

/* A rule is a list of these, ended by RX_END. */
enum rx_kind {
	RX_END,
	RX_IIF,		/* meta iifname == arg */
	RX_OIF,		/* meta oifname == arg */
	RX_LOCAL,	/* fib daddr type local */
	RX_LOCAL_IIF,	/* fib daddr . iif type local */
	RX_NOTRACK,
	RX_RETURN,
	RX_QUEUE,	/* by the backend, to the queue number */
	/* arg a uint32_t, or for RX_DNET two: */
	RX_SKUID,	/* meta skuid == *arg */
	RX_MARK,	/* meta mark == *arg */
	RX_L4PROTO,	/* meta l4proto == *arg */
	RX_DPORT,	/* th dport == *arg (after RX_L4PROTO) */
	RX_DNET,	/* ip daddr & arg[1] == arg[0] (network order) */
	RX_DSET,	/* ip daddr @arg */
	RX_COUNTER,
	RX_JUMP,	/* jump arg */
	RX_ACCEPT,
	RX_DROP,
	RX_REJECT_TCP,	/* reject with tcp reset */
};

struct rx {
	enum rx_kind	 kind;
	const void	*arg;	/* a string, or as the kind says */
};

static struct nftnl_expr *
ex_meta(uint32_t key)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("meta")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return e;
}

static struct nftnl_expr *
ex_cmp(const void *data, size_t len)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("cmp")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return e;
}

static struct nftnl_expr *
ex_payload(uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("payload")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	return e;
}

static struct nftnl_expr *
ex_bitwise(uint32_t mask)
{
	struct nftnl_expr	*e;
	uint32_t		 zero = 0;

	if ((e = nftnl_expr_alloc("bitwise")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	return e;
}

/* The set is named and, made in the same batch, known by its id too. */
#define DNSOUT_SET_ID	1

static struct nftnl_expr *
ex_lookup(const char *set)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("lookup")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, DNSOUT_SET_ID);
	return e;
}

static struct nftnl_expr *
ex_verdict(int verdict, const char *chain)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("immediate")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	return e;
}

static struct nftnl_expr *
ex_reject_tcp(void)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("reject")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
	return e;
}

static struct nftnl_expr *
ex_fib(uint32_t flags)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("fib")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, flags);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	return e;
}

static struct nftnl_expr *
ex_queue(enum queue_backend backend, uint16_t qnum)
{
	struct nftnl_expr	*e;
	struct xt_NFQ_info_v3	*info;
	/* XT_ALIGN(sizeof(*info)), as iptables-nft sends it */
	size_t			 len = (sizeof(*info) + 7) & ~(size_t)7;

	if (backend == QUEUE_BACKEND_NFT) {
		if ((e = nftnl_expr_alloc("queue")) == NULL)
			return NULL;
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, qnum);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, 1);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, 0);
		return e;
	}
	if ((e = nftnl_expr_alloc("target")) == NULL)
		return NULL;
	/* libnftnl keeps (and frees) this pointer, it does not copy. */
	if ((info = calloc(1, len)) == NULL) {
		nftnl_expr_free(e);
		return NULL;
	}
	info->queuenum = qnum;
	info->queues_total = 1;
	info->flags = 0;		/* no NFQ_FLAG_BYPASS: fail closed */
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, len);
	return e;
}

static int
rule_add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e == NULL)
		return -1;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static void
put_rule(struct batch *bt, const char *table, const char *chain,
    const struct rx *rx, enum queue_backend backend, uint16_t qnum)
{
	struct nftnl_rule	*r;
	struct nlmsghdr		*nlh;
	char			 ifname[IFNAMSIZ];
	uint32_t		 local = RTN_LOCAL;
	const uint32_t		*val;
	uint16_t		 port;
	uint8_t			 proto;
	int			 bad = 0;

	if ((r = nftnl_rule_alloc()) == NULL) {
		bt->overflow = 1;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	for (; rx->kind != RX_END && !bad; rx++) {
		val = rx->arg;
		switch (rx->kind) {
		case RX_IIF:
		case RX_OIF:
			memset(ifname, 0, sizeof(ifname));
			strlcpy(ifname, rx->arg, sizeof(ifname));
			bad |= rule_add(r, ex_meta(rx->kind == RX_IIF ?
			    NFT_META_IIFNAME : NFT_META_OIFNAME));
			bad |= rule_add(r, ex_cmp(ifname, sizeof(ifname)));
			break;
		case RX_LOCAL:
		case RX_LOCAL_IIF:
			bad |= rule_add(r, ex_fib(NFTA_FIB_F_DADDR |
			    (rx->kind == RX_LOCAL_IIF ? NFTA_FIB_F_IIF : 0)));
			bad |= rule_add(r, ex_cmp(&local, sizeof(local)));
			break;
		case RX_NOTRACK:
			bad |= rule_add(r, nftnl_expr_alloc("notrack"));
			break;
		case RX_RETURN:
			bad |= rule_add(r, ex_verdict(NFT_RETURN, NULL));
			break;
		case RX_QUEUE:
			bad |= rule_add(r, ex_queue(backend, qnum));
			break;
		case RX_SKUID:
		case RX_MARK:
			/* host order, as the kernel keeps both */
			bad |= rule_add(r, ex_meta(rx->kind == RX_SKUID ?
			    NFT_META_SKUID : NFT_META_MARK));
			bad |= rule_add(r, ex_cmp(val, sizeof(*val)));
			break;
		case RX_L4PROTO:
			proto = (uint8_t)*val;
			bad |= rule_add(r, ex_meta(NFT_META_L4PROTO));
			bad |= rule_add(r, ex_cmp(&proto, sizeof(proto)));
			break;
		case RX_DPORT:
			port = htons((uint16_t)*val);
			bad |= rule_add(r, ex_payload(
			    NFT_PAYLOAD_TRANSPORT_HEADER, 2, sizeof(port)));
			bad |= rule_add(r, ex_cmp(&port, sizeof(port)));
			break;
		case RX_DNET:
			bad |= rule_add(r, ex_payload(
			    NFT_PAYLOAD_NETWORK_HEADER, 16, 4));
			bad |= rule_add(r, ex_bitwise(val[1]));
			bad |= rule_add(r, ex_cmp(&val[0], sizeof(val[0])));
			break;
		case RX_DSET:
			bad |= rule_add(r, ex_payload(
			    NFT_PAYLOAD_NETWORK_HEADER, 16, 4));
			bad |= rule_add(r, ex_lookup(rx->arg));
			break;
		case RX_COUNTER:
			bad |= rule_add(r, nftnl_expr_alloc("counter"));
			break;
		case RX_JUMP:
			bad |= rule_add(r, ex_verdict(NFT_JUMP, rx->arg));
			break;
		case RX_ACCEPT:
			bad |= rule_add(r, ex_verdict(NF_ACCEPT, NULL));
			break;
		case RX_DROP:
			bad |= rule_add(r, ex_verdict(NF_DROP, NULL));
			break;
		case RX_REJECT_TCP:
			bad |= rule_add(r, ex_reject_tcp());
			break;
		case RX_END:
			break;
		}
	}
	if (bad) {
		bt->overflow = 1;
		nftnl_rule_free(r);
		return;
	}
	nlh = batch_msg(bt, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	batch_next(bt);
}

/* ---- dnsd's output ---- */

/* nft's ipv4_addr data type, so `nft list` shows the set's addresses. */
#define NFT_TYPE_IPV4_ADDR	7
#define DNSOUT_CHAIN		"dnsd_out"

static void
put_set(struct batch *bt, const char *table, const struct dnsout *d)
{
	struct nftnl_set	*s;
	struct nftnl_set_elem	*e;
	struct nlmsghdr		*nlh;
	int			 i;

	if ((s = nftnl_set_alloc()) == NULL) {
		bt->overflow = 1;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, DNSOUT_SET);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_IPV4);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, NFT_TYPE_IPV4_ADDR);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sizeof(struct in_addr));
	nftnl_set_set_u32(s, NFTNL_SET_ID, DNSOUT_SET_ID);
	nlh = batch_msg(bt, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_set_nlmsg_build_payload(nlh, s);
	batch_next(bt);
	for (i = 0; i < d->nup; i++) {
		if ((e = nftnl_set_elem_alloc()) == NULL) {
			bt->overflow = 1;
			break;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &d->up[i],
		    sizeof(d->up[i]));
		nftnl_set_elem_add(s, e);
	}
	if (d->nup > 0) {
		nlh = batch_msg(bt, NFT_MSG_NEWSETELEM,
		    NLM_F_CREATE | NLM_F_EXCL);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		batch_next(bt);
	}
	nftnl_set_free(s);
}

/*
 * The set of upstreams, and:
 *   chain dnsd_output { type filter hook output priority filter;
 *     meta skuid UID jump dnsd_out
 *     meta mark DNSD_SOCKET_MARK jump dnsd_out }
 *   chain dnsd_out {
 *     ip daddr LAN/PREFIX accept
 *     meta l4proto udp th dport 53 ip daddr @dnsd_upstreams accept
 *     meta l4proto tcp th dport 53 ip daddr @dnsd_upstreams accept
 *     meta l4proto tcp counter reject with tcp reset	(DNSOUT_REJECT)
 *     counter drop }
 * A drop on the output hook fails the send at once with EPERM; a TCP
 * connect() would ignore that and retransmit its SYN until it times out,
 * so TCP gets a reset instead: ECONNREFUSED at once. dnsd takes either
 * as a failed attempt and asks the next upstream.
 */
static void
put_dnsout(struct batch *bt, const char *table, const struct dnsout *d,
    enum dnsout_mode mode)
{
	static const uint32_t udp_v = IPPROTO_UDP, tcp_v = IPPROTO_TCP,
			    port_v = 53, mark_v = DNSD_SOCKET_MARK;
	const uint32_t	 net_v[2] = { d->lan.s_addr, htonl(d->prefix == 0 ?
			    0 : 0xffffffffU << (32 - d->prefix)) };
	const struct rx	 by_uid[] = { { RX_SKUID, &d->uid },
			    { RX_JUMP, DNSOUT_CHAIN }, { RX_END, NULL } };
	const struct rx	 by_mark[] = { { RX_MARK, &mark_v },
			    { RX_JUMP, DNSOUT_CHAIN }, { RX_END, NULL } };
	const struct rx	 lan[] = { { RX_DNET, net_v }, { RX_ACCEPT, NULL },
			    { RX_END, NULL } };
	const struct rx	 udp[] = { { RX_L4PROTO, &udp_v },
			    { RX_DPORT, &port_v }, { RX_DSET, DNSOUT_SET },
			    { RX_ACCEPT, NULL }, { RX_END, NULL } };
	const struct rx	 tcp[] = { { RX_L4PROTO, &tcp_v },
			    { RX_DPORT, &port_v }, { RX_DSET, DNSOUT_SET },
			    { RX_ACCEPT, NULL }, { RX_END, NULL } };
	const struct rx	 rst[] = { { RX_L4PROTO, &tcp_v },
			    { RX_COUNTER, NULL }, { RX_REJECT_TCP, NULL },
			    { RX_END, NULL } };
	const struct rx	 drop[] = { { RX_COUNTER, NULL }, { RX_DROP, NULL },
			    { RX_END, NULL } };

	put_set(bt, table, d);
	put_chain(bt, table, DNSOUT_CHAIN, -1, 0);
	put_rule(bt, table, DNSOUT_CHAIN, lan, QUEUE_BACKEND_NONE, 0);
	put_rule(bt, table, DNSOUT_CHAIN, udp, QUEUE_BACKEND_NONE, 0);
	put_rule(bt, table, DNSOUT_CHAIN, tcp, QUEUE_BACKEND_NONE, 0);
	if (mode == DNSOUT_REJECT)
		put_rule(bt, table, DNSOUT_CHAIN, rst, QUEUE_BACKEND_NONE, 0);
	put_rule(bt, table, DNSOUT_CHAIN, drop, QUEUE_BACKEND_NONE, 0);
	put_chain(bt, table, "dnsd_output", NF_INET_LOCAL_OUT,
	    NF_IP_PRI_FILTER);
	put_rule(bt, table, "dnsd_output", by_uid, QUEUE_BACKEND_NONE, 0);
	put_rule(bt, table, "dnsd_output", by_mark, QUEUE_BACKEND_NONE, 0);
}

/* ---- probing ---- */

/*
 * A batch that creates a scratch table (with flags), and in it a chain
 * with a rule queuing by backend (when not NONE), then deletes the table:
 * committed whole or refused, it leaves the ruleset as it was.
 */
static int
probe(struct mnl_socket *nl, int flags, enum queue_backend backend)
{
	static struct batch	 bt;
	const struct rx		 rx[] = { { RX_QUEUE, NULL }, { RX_END, NULL } };

	batch_start(&bt);
	put_table(&bt, NFT_MSG_NEWTABLE, PROBE_TABLE, flags);
	if (backend != QUEUE_BACKEND_NONE) {
		put_chain(&bt, PROBE_TABLE, "probe", NF_INET_PRE_ROUTING,
		    NF_IP_PRI_MANGLE);
		put_rule(&bt, PROBE_TABLE, "probe", rx, backend, 0);
	}
	put_table(&bt, NFT_MSG_DELTABLE, PROBE_TABLE, 0);
	return batch_send(nl, &bt);
}

/* The same for dnsd's output chain, with a made-up allowance. */
static int
probe_dnsout_chain(struct mnl_socket *nl, enum dnsout_mode mode)
{
	static struct batch	 bt;
	struct dnsout		 d;
	struct in_addr		 lan = { htonl(0x0a000001) };
	struct in_addr		 up = { htonl(0xc0000201) };

	dnsout_build(&d, 65534, lan, 8, &up, 1);
	batch_start(&bt);
	put_table(&bt, NFT_MSG_NEWTABLE, PROBE_TABLE, 0);
	put_dnsout(&bt, PROBE_TABLE, &d, mode);
	put_table(&bt, NFT_MSG_DELTABLE, PROBE_TABLE, 0);
	return batch_send(nl, &bt);
}

static char dnsout_errbuf[128];

static int
counter_cb(struct nftnl_expr *e, void *arg)
{
	const char	*name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name != NULL && strcmp(name, "counter") == 0)
		*(uint64_t *)arg += nftnl_expr_get_u64(e,
		    NFTNL_EXPR_CTR_PACKETS);
	return 0;
}

static int
counted_rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_rule	*r;

	if ((r = nftnl_rule_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0)
		nftnl_expr_foreach(r, counter_cb, arg);
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

/* The packets refused by chain dnsd_out as loaded now: its counters. */
static int
dnsout_counted(uint64_t *packets)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket	*nl;
	struct nlmsghdr		*nlh;
	struct nftnl_rule	*r;
	uint32_t		 seq = rules_seq++;
	ssize_t			 n;
	int			 rc = MNL_CB_OK;

	*packets = 0;
	if ((nl = nl_get()) == NULL || (r = nftnl_rule_alloc()) == NULL)
		return -1;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_IPV4,
	    NLM_F_DUMP, seq);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_RULES_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, DNSOUT_CHAIN);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		return -1;
	while (rc > MNL_CB_STOP &&
	    (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
		rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl),
		    counted_rule_cb, packets);
	return rc == MNL_CB_STOP ? 0 : -1;
}

int
rules_dnsout_refused(uint64_t *packets)
{
	if (dnsout_mode == DNSOUT_OFF || dnsout_counted(packets) == -1)
		return -1;
	*packets += dnsout_refused_base;
	return 0;
}

/* Which dnsd output chain the kernel takes: with the reset, else drops
 * only (no nft reject), else none (logged). */
static enum dnsout_mode
probe_dnsout_mode(struct mnl_socket *nl)
{
	if (probe_dnsout_chain(nl, DNSOUT_REJECT) == 0)
		return DNSOUT_REJECT;
	log_debug("dnsd output chain with reject: %s", strerror(errno));
	if (probe_dnsout_chain(nl, DNSOUT_DROP) == 0) {
		log_warnx("dnsd output: this kernel has no nft reject: what "
		    "dnsd may not send is dropped (EPERM), its TCP connects "
		    "to others time out");
		return DNSOUT_DROP;
	}
	snprintf(dnsout_errbuf, sizeof(dnsout_errbuf), "the kernel refused "
	    "the rule (%s)", strerror(errno));
	dnsout_err = dnsout_errbuf;
	log_warnx("dnsd output: %s: dnsd may send to any address "
	    "(docs/security.md, \"dnsd's output\")", dnsout_err);
	return DNSOUT_OFF;
}

const char *
rules_backend_name(enum queue_backend b)
{
	switch (b) {
	case QUEUE_BACKEND_NFT:
		return "nft";
	case QUEUE_BACKEND_COMPAT:
		return "nft-compat";
	default:
		return "none";
	}
}

int
rules_persist(void)
{
	return probe_persist;
}

enum queue_backend
rules_probe(void)
{
	struct mnl_socket	*nl;

	if ((nl = nl_get()) == NULL) {
		log_warn("netfilter netlink socket for the rules");
		return QUEUE_BACKEND_NONE;
	}
	probe_persist = probe(nl, NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST,
	    QUEUE_BACKEND_NONE) == 0;
	/* Tests only: the monitor's repairs, as on a kernel before 6.9. */
	if (probe_persist && getenv("GK_TEST_NO_PERSIST") != NULL) {
		probe_persist = 0;
		errno = EOPNOTSUPP;
	}
	if (probe_persist)
		log_info("queue rules: table owned by gatekeeperd, persisting "
		    "after it");
	else
		log_warnx("queue rules: this kernel has no persistent owner "
		    "tables (%s): the table is left unowned and watched",
		    strerror(errno));
	/* Tests only: the status and the log as on a kernel refusing it. */
	if (getenv("GK_TEST_NO_DNSOUT") != NULL) {
		dnsout_err = "the kernel refused the rule (test: "
		    "GK_TEST_NO_DNSOUT)";
		log_warnx("dnsd output: %s: dnsd may send to any address",
		    dnsout_err);
		probe_dnsout = DNSOUT_OFF;
	} else
		probe_dnsout = probe_dnsout_mode(nl);
	if (probe(nl, 0, QUEUE_BACKEND_NFT) == 0) {
		log_info("queue rules: nft queue expression");
		return QUEUE_BACKEND_NFT;
	}
	log_debug("nft queue expression: %s", strerror(errno));
	if (probe(nl, 0, QUEUE_BACKEND_COMPAT) == 0) {
		log_info("queue rules: xt NFQUEUE target through nft compat "
		    "(this kernel has no nft queue expression)");
		return QUEUE_BACKEND_COMPAT;
	}
	log_warnx("cannot queue packets: neither nft's queue expression nor "
	    "the xt NFQUEUE target works (%s)", strerror(errno));
	return QUEUE_BACKEND_NONE;
}

/* ---- installing, repairing and removing ---- */

/* Names go into the rules as they are: no wildcards ('+'). */
static int
valid_ifname(const char *name)
{
	size_t	 i, len = strlen(name);

	if (len == 0 || len >= IF_NAMESIZE)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("-_.", name[i]) == NULL)
			return 0;
	return 1;
}

static int
table_handle_cb(const struct nlattr *a, void *arg)
{
	if (mnl_attr_get_type(a) == NFTA_TABLE_HANDLE &&
	    mnl_attr_validate(a, MNL_TYPE_U64) == 0)
		*(uint64_t *)arg = be64toh(mnl_attr_get_u64(a));
	return MNL_CB_OK;
}

/* Does table ip <name> exist? 1 yes (*handle set), 0 no, -1 unknown. */
static int
table_exists(struct mnl_socket *nl, const char *name, uint64_t *handle)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct nftnl_table	*t;
	struct nlmsgerr		*e;
	ssize_t			 n;
	int			 len;
	uint32_t		 seq = rules_seq++;

	if ((t = nftnl_table_alloc()) == NULL)
		return -1;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_IPV4,
	    NLM_F_ACK, seq);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		return -1;
	for (;;) {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) == -1)
			return -1;
		len = n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type != NLMSG_ERROR) {
				/* the table; its ACK follows */
				mnl_attr_parse(nlh, sizeof(struct nfgenmsg),
				    table_handle_cb, handle);
				continue;
			}
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0)
				return 1;
			if (e->error == -ENOENT)
				return 0;
			errno = -e->error;
			return -1;
		}
	}
}

/*
 * Tests only (tests/dnsd/output.sh): while the file GK_TEST_DNSOUT_FAIL
 * names exists, a load with dnsd's output chain fails as a transient
 * refusal of the kernel would (ENOBUFS), before anything is sent.
 */
static int
dnsout_fault(void)
{
	const char	*path = getenv("GK_TEST_DNSOUT_FAIL");

	return path != NULL && access(path, F_OK) == 0;
}

/*
 * One batch: the table an earlier run (or a repair) finds is deleted and
 * created afresh with every chain and rule, so the kernel switches from
 * the old rules to the new ones at once, never through an empty state.
 */
static int
rules_load(struct rules_state *st)
{
	static struct batch	 bt;
	struct mnl_socket	*nl;
	const char		*lan = st->lan, *wan = st->wan;
	const struct rx		 raw1[] = { { RX_IIF, lan }, { RX_LOCAL_IIF,
				    NULL }, { RX_RETURN, NULL }, { RX_END,
				    NULL } };
	const struct rx		 raw2[] = { { RX_IIF, lan }, { RX_NOTRACK,
				    NULL }, { RX_END, NULL } };
	const struct rx		 raw3[] = { { RX_IIF, wan }, { RX_NOTRACK,
				    NULL }, { RX_END, NULL } };
	const struct rx		 pre1[] = { { RX_IIF, wan }, { RX_QUEUE,
				    NULL }, { RX_END, NULL } };
	const struct rx		*pre2 = raw1;
	const struct rx		 pre3[] = { { RX_IIF, lan }, { RX_LOCAL,
				    NULL }, { RX_QUEUE, NULL }, { RX_END,
				    NULL } };
	const struct rx		 fwd1[] = { { RX_IIF, lan }, { RX_OIF, wan },
				    { RX_QUEUE, NULL }, { RX_END, NULL } };
	const struct rx		 fwd2[] = { { RX_IIF, lan }, { RX_OIF, lan },
				    { RX_QUEUE, NULL }, { RX_END, NULL } };
	uint64_t		 handle = 0, refused = 0;
	int			 exists;

	if ((nl = nl_get()) == NULL)
		return -1;
	if ((exists = table_exists(nl, NFT_RULES_TABLE, &handle)) == -1)
		return -1;
	/* The counters go with the table: what they saw is kept once the
	 * new table replaced it (a failed batch leaves them counting). */
	if (!exists || !dnsout_loaded || dnsout_counted(&refused) == -1)
		refused = 0;
	if (dnsout_mode != DNSOUT_OFF && dnsout_fault()) {
		errno = ENOBUFS;
		return -1;
	}
	batch_start(&bt);
	if (exists)
		put_table(&bt, NFT_MSG_DELTABLE, NFT_RULES_TABLE, 0);
	put_table(&bt, NFT_MSG_NEWTABLE, NFT_RULES_TABLE, st->owner ?
	    NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST : 0);
	put_chain(&bt, NFT_RULES_TABLE, "raw_prerouting", NF_INET_PRE_ROUTING,
	    NF_IP_PRI_RAW);
	put_rule(&bt, NFT_RULES_TABLE, "raw_prerouting", raw1, st->backend,
	    st->qnum);
	put_rule(&bt, NFT_RULES_TABLE, "raw_prerouting", raw2, st->backend,
	    st->qnum);
	put_rule(&bt, NFT_RULES_TABLE, "raw_prerouting", raw3, st->backend,
	    st->qnum);
	put_chain(&bt, NFT_RULES_TABLE, "mangle_prerouting",
	    NF_INET_PRE_ROUTING, NF_IP_PRI_MANGLE);
	put_rule(&bt, NFT_RULES_TABLE, "mangle_prerouting", pre1, st->backend,
	    st->qnum);
	put_rule(&bt, NFT_RULES_TABLE, "mangle_prerouting", pre2, st->backend,
	    st->qnum);
	put_rule(&bt, NFT_RULES_TABLE, "mangle_prerouting", pre3, st->backend,
	    st->qnum);
	put_chain(&bt, NFT_RULES_TABLE, "mangle_forward", NF_INET_FORWARD,
	    NF_IP_PRI_MANGLE);
	put_rule(&bt, NFT_RULES_TABLE, "mangle_forward", fwd1, st->backend,
	    st->qnum);
	put_rule(&bt, NFT_RULES_TABLE, "mangle_forward", fwd2, st->backend,
	    st->qnum);
	if (dnsout_mode != DNSOUT_OFF)
		put_dnsout(&bt, NFT_RULES_TABLE, &dnsout_cur, dnsout_mode);
	if (batch_send(nl, &bt) == -1)
		return -1;
	dnsout_refused_base += refused;
	dnsout_loaded = dnsout_mode != DNSOUT_OFF;
	/* Table handles only grow: nfmon.c tells new tables by it. */
	if (table_exists(nl, NFT_RULES_TABLE, &handle) == 1)
		rules_handle = handle;
	return 0;
}

uint64_t
rules_table_handle(void)
{
	return rules_handle;
}

/* The DEL message undoing each NEW event, by the same attributes. */
static int
undo_type(int type)
{
	switch (type) {
	case NFT_MSG_NEWTABLE:
		return NFT_MSG_DELTABLE;
	case NFT_MSG_NEWRULE:
		return NFT_MSG_DELRULE;
	case NFT_MSG_NEWSETELEM:
		return NFT_MSG_DELSETELEM;
	default:
		return -1;
	}
}

int
rules_undo(const struct nlmsghdr *ev, int fd)
{
	static struct batch	 bt;
	struct mnl_socket	*nl;
	const struct nfgenmsg	*g;
	struct nlmsghdr		*nlh;
	size_t			 off = NLMSG_ALIGN(sizeof(*g)), len;
	int			 type;

	type = undo_type(NFNL_MSG_TYPE(ev->nlmsg_type));
	if (type == -1 || ev->nlmsg_len < NLMSG_HDRLEN + off ||
	    (nl = nl_get()) == NULL) {
		errno = EINVAL;
		return -1;
	}
	g = mnl_nlmsg_get_payload(ev);
	len = ev->nlmsg_len - NLMSG_HDRLEN - off;
	if (len > BATCH_LIMIT / 2) {
		errno = EMSGSIZE;
		return -1;
	}
	batch_start(&bt);
	nlh = batch_msg_family(&bt, type, g->nfgen_family,
	    fd == -1 ? NLM_F_ACK : 0);
	memcpy(mnl_nlmsg_get_payload_tail(nlh),
	    (const char *)g + off, len);
	nlh->nlmsg_len += NLMSG_ALIGN(len);
	batch_next(&bt);
	if (fd == -1)
		return batch_send(nl, &bt);
	/* On a socket whose reader is someone else: no ACK to wait for. */
	bt.n = 0;
	nftnl_batch_end(mnl_nlmsg_batch_current(bt.b), rules_seq++);
	mnl_nlmsg_batch_next(bt.b);
	len = mnl_nlmsg_batch_size(bt.b);
	if (send(fd, mnl_nlmsg_batch_head(bt.b), len, 0) != (ssize_t)len) {
		mnl_nlmsg_batch_stop(bt.b);
		return -1;
	}
	mnl_nlmsg_batch_stop(bt.b);
	return 0;
}

static void
dnsout_log(const char *what)
{
	char	 buf[CONF_MAX_UPSTREAM * 17 + 1] = "", a[INET_ADDRSTRLEN];
	char	 lan[INET_ADDRSTRLEN];
	int	 i;

	for (i = 0; i < dnsout_cur.nup; i++) {
		inet_ntop(AF_INET, &dnsout_cur.up[i], a, sizeof(a));
		strlcat(buf, " ", sizeof(buf));
		strlcat(buf, a, sizeof(buf));
	}
	inet_ntop(AF_INET, &dnsout_cur.lan, lan, sizeof(lan));
	log_info("dnsd output %s: uid %u sends only to %s/%d and port 53 "
	    "of%s (%s)", what, dnsout_cur.uid, lan, dnsout_cur.prefix,
	    dnsout_cur.nup ? buf : " no upstream",
	    dnsout_mode_name(dnsout_mode));
}

enum dnsout_mode
rules_dnsout_mode(void)
{
	return dnsout_mode;
}

const char *
rules_dnsout_error(void)
{
	return dnsout_mode == DNSOUT_OFF ? dnsout_err : NULL;
}

const struct dnsout *
rules_dnsout(void)
{
	return dnsout_mode == DNSOUT_OFF ? NULL : &dnsout_cur;
}

/* A failed load, logged once a minute at most: the poll retries it
 * every 2 s. */
static void
dnsout_warn_failed(const char *what)
{
	uint64_t	 k;
	int		 saved = errno;

	if ((k = log_due(&dnsout_fail_due, ++dnsout_failures, mono_s(),
	    60)) > 0)
		log_warnx("dnsd output: %s: %s (%llu failure%s since the "
		    "last report; retried every poll)", what, strerror(saved),
		    (unsigned long long)k, k == 1 ? "" : "s");
	errno = saved;
}

/*
 * The chain a failed load left out (dnsout_retry), tried again with the
 * rest of the table. 0 loaded, -1 still off (nothing restricts dnsd).
 */
static int
dnsout_reinstall(struct rules_state *st, const struct dnsout *want)
{
	dnsout_mode = probe_dnsout;
	dnsout_cur = *want;
	if (rules_load(st) == -1) {
		dnsout_warn_failed("installing the rule again");
		dnsout_mode = DNSOUT_OFF;
		return -1;
	}
	dnsout_retry = 0;
	dnsout_log("installed");
	return 0;
}

int
rules_dnsout_update(struct rules_state *st, const struct dnsout *want)
{
	struct dnsout	 old;

	if (!st->installed)
		return 0;
	if (dnsout_mode == DNSOUT_OFF) {
		if (dnsout_retry)
			(void)dnsout_reinstall(st, want);
		return 0;
	}
	if (dnsout_equal(want, &dnsout_cur))
		return 0;
	old = dnsout_cur;
	dnsout_cur = *want;
	if (rules_load(st) == -1) {
		dnsout_warn_failed("loading the new upstreams (the old ones "
		    "stay allowed)");
		dnsout_cur = old;
		return -1;
	}
	dnsout_log("updated");
	return 0;
}

int
rules_install(struct rules_state *st, enum queue_backend backend,
    const char *lan, const char *wan, uint16_t qnum,
    const struct dnsout *dnsout)
{
	int	 rc;

	memset(st, 0, sizeof(*st));
	if (backend != QUEUE_BACKEND_NFT && backend != QUEUE_BACKEND_COMPAT) {
		log_warnx("queue rules: no backend to install them with");
		return -1;
	}
	if (!valid_ifname(lan) || !valid_ifname(wan) ||
	    strcmp(lan, wan) == 0) {
		log_warnx("queue rules: bad interfaces lan \"%s\" wan \"%s\"",
		    lan, wan);
		return -1;
	}
	st->backend = backend;
	strlcpy(st->lan, lan, sizeof(st->lan));
	strlcpy(st->wan, wan, sizeof(st->wan));
	st->qnum = qnum;
	st->owner = probe_persist;
	dnsout_mode = DNSOUT_OFF;
	dnsout_retry = 0;
	if (dnsout == NULL)
		dnsout_err = "not asked for";
	else if ((dnsout_mode = probe_dnsout) != DNSOUT_OFF)
		dnsout_cur = *dnsout;
	rc = rules_load(st);
	if (rc == -1 && dnsout_mode != DNSOUT_OFF) {
		/* Never the NAT for it: the queue rules go in without. */
		snprintf(dnsout_errbuf, sizeof(dnsout_errbuf), "the kernel "
		    "refused the rule (%s)", strerror(errno));
		dnsout_err = dnsout_errbuf;
		log_warnx("dnsd output: %s: dnsd may send to any address "
		    "until a retry loads it", dnsout_err);
		dnsout_mode = DNSOUT_OFF;
		rc = rules_load(st);
		/* The probe said the kernel takes it: a passing refusal. */
		dnsout_retry = rc == 0;
	}
	if (rc == -1) {
		log_warn("installing queue rules (%s)",
		    rules_backend_name(backend));
		memset(st, 0, sizeof(*st));
		return -1;
	}
	st->installed = 1;
	log_info("queue rules installed: %s <-> %s to queue %u (%s%s)", lan,
	    wan, qnum, rules_backend_name(backend),
	    st->owner ? ", owned, persistent" : "");
	if (dnsout_mode != DNSOUT_OFF)
		dnsout_log("installed");
	return 0;
}

int
rules_repair(struct rules_state *st)
{
	if (!st->installed)
		return 0;
	if (rules_load(st) == -1) {
		log_warn("repairing queue rules");
		return -1;
	}
	return 0;
}

void
rules_remove(struct rules_state *st)
{
	static struct batch	 bt;
	struct mnl_socket	*nl;

	if (st->backend == QUEUE_BACKEND_NONE)
		return;
	if ((nl = nl_get()) == NULL) {
		log_warn("netfilter netlink socket for the rules");
		return;
	}
	batch_start(&bt);
	put_table(&bt, NFT_MSG_DELTABLE, NFT_RULES_TABLE, 0);
	if (batch_send(nl, &bt) == -1) {
		if (errno != ENOENT || st->installed)
			log_warn("deleting table ip " NFT_RULES_TABLE);
	} else if (st->installed)
		log_info("queue rules removed");
	memset(st, 0, sizeof(*st));
	rules_handle = 0;
	dnsout_mode = DNSOUT_OFF;
	dnsout_retry = 0;
	dnsout_err = "removed";
	dnsout_loaded = 0;
	dnsout_refused_base = 0;
	/* Nothing left to own. */
	mnl_socket_close(nl);
	rules_nl = NULL;
}
