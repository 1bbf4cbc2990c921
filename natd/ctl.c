/*
 * natd's status and its gkctl commands (the catalogue's clients, nat,
 * nat timeout, forwards, forward add/del): what natd says about itself,
 * from the state natd.c keeps (natd.h).
 */
#include <netinet/in.h>

#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "capture.h"
#include "child.h"
#include "commands.h"
#include "nat.h"
#include "natd.h"
#include "proto.h"
#include "util.h"
#include "ring.h"
#include "natconf.h"
#include "verdict.h"

#define NATD_LIST_MAX	1000		/* rows `gkctl nat` shows */

/* Per-client byte counts a second ago, for rates. */
static struct {
	uint64_t	 up, down;
	uint64_t	 rate_up, rate_down;
} rates[NAT_MAX_CLIENTS];

static void
rate_one(const struct nat_client_info *ci, void *arg)
{
	uint32_t	 secs = *(uint32_t *)arg;

	if (secs == 0)
		secs = 1;
	/* A freed slot taken by another address starts from zero again. */
	if (ci->bytes_up < rates[ci->idx].up ||
	    ci->bytes_down < rates[ci->idx].down)
		rates[ci->idx].up = rates[ci->idx].down = 0;
	rates[ci->idx].rate_up = (ci->bytes_up - rates[ci->idx].up) / secs;
	rates[ci->idx].rate_down = (ci->bytes_down - rates[ci->idx].down) /
	    secs;
	rates[ci->idx].up = ci->bytes_up;
	rates[ci->idx].down = ci->bytes_down;
}

/* The rates of `gkctl clients`: bytes per second over the last secs. */
void
ctl_rates(uint32_t secs)
{
	nat_client_foreach(&nat, rate_one, &secs);
}

static const char *
filter_name(int f)
{
	switch (f) {
	case NAT_EIF:
		return "endpoint-independent";
	case NAT_ADF:
		return "address-dependent";
	default:
		return "address-and-port-dependent";
	}
}

/* Where a timeout in force comes from (natconf.h: the latest change). */
static const char *
timeout_from(uint32_t gk, uint32_t conf)
{
	return gk != 0 ? "gkctl" : conf != 0 ? "config" : "default";
}

static const struct json_counter io_counters[] = {
	JSON_COUNTER(struct natd_io, received),
	JSON_COUNTER(struct natd_io, accepted),
	JSON_COUNTER(struct natd_io, dropped),
	JSON_COUNTER(struct natd_io, rewritten),
	JSON_COUNTER(struct natd_io, batches),
	JSON_COUNTER(struct natd_io, truncated),
	JSON_COUNTER(struct natd_io, not_ipv4),
	JSON_COUNTER(struct natd_io, bad_messages),
	JSON_COUNTER(struct natd_io, enobufs),
}, io_counters_after[] = {
	JSON_COUNTER(struct natd_io, held),
	JSON_COUNTER(struct natd_io, orphans_dropped),
	JSON_COUNTER(struct natd_io, gso),
	JSON_COUNTER(struct natd_io, gso_segments),
}, verdict_counters[] = {
	JSON_COUNTER_AS("verdict_errors", struct verdicts, errors),
}, nat_counters[] = {
	JSON_COUNTER(struct nat_stats, out_packets),
	JSON_COUNTER(struct nat_stats, out_bytes),
	JSON_COUNTER(struct nat_stats, in_packets),
	JSON_COUNTER(struct nat_stats, in_bytes),
	JSON_COUNTER(struct nat_stats, hairpin),
	JSON_COUNTER(struct nat_stats, local_accepted),
	JSON_COUNTER(struct nat_stats, icmp_errors),
	JSON_COUNTER(struct nat_stats, csum_full),
	JSON_COUNTER(struct nat_stats, csum_incremental),
	JSON_COUNTER(struct nat_stats, maps_created),
	JSON_COUNTER(struct nat_stats, maps_expired),
	JSON_COUNTER(struct nat_stats, malformed),
	JSON_COUNTER(struct nat_stats, no_mapping),
	JSON_COUNTER(struct nat_stats, filtered),
	JSON_COUNTER(struct nat_stats, unsupported),
	JSON_COUNTER(struct nat_stats, spoofed),
	JSON_COUNTER(struct nat_stats, spoofed_wan),
	JSON_COUNTER(struct nat_stats, not_for_wan),
	JSON_COUNTER(struct nat_stats, no_wan),
	JSON_COUNTER(struct nat_stats, ports_exhausted),
	JSON_COUNTER(struct nat_stats, client_limit),
	JSON_COUNTER(struct nat_stats, evicted),
	JSON_COUNTER(struct nat_stats, frag_unknown),
	JSON_COUNTER_AS("sessions_full", struct nat_stats, sess_full),
	JSON_COUNTER(struct nat_stats, other_busy),
	JSON_COUNTER(struct nat_stats, frag_held),
	JSON_COUNTER(struct nat_stats, frag_released),
	JSON_COUNTER(struct nat_stats, frag_evicted),
	JSON_COUNTER(struct nat_stats, other_out),
	JSON_COUNTER(struct nat_stats, other_in),
	JSON_COUNTER(struct nat_stats, mac_limit),
	JSON_COUNTER(struct nat_stats, mac_addrs),
	JSON_COUNTER(struct nat_stats, clients_full),
	JSON_COUNTER(struct nat_stats, tcp_no_syn),
	JSON_COUNTER(struct nat_stats, icmp_unmatched),
	JSON_COUNTER(struct nat_stats, clients_freed),
}, timeout_counters[] = {
	JSON_COUNTER_AS("timeout_udp", struct nat_timeouts, udp),
	JSON_COUNTER_AS("timeout_tcp_established", struct nat_timeouts, tcp_est),
	JSON_COUNTER_AS("timeout_tcp_transitory", struct nat_timeouts,
	    tcp_trans),
	JSON_COUNTER_AS("timeout_icmp", struct nat_timeouts, icmp),
	JSON_COUNTER_AS("timeout_other", struct nat_timeouts, other),
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define J(k, v)	json_object_set_new(detail, k, json_integer((json_int_t)(v)))

void
natd_status(json_t *detail, void *arg)
{
	json_object_set_new(detail, "translation", json_string(configured &&
	    nat.cf.wan != 0 ? "on" : "waiting for the WAN address (fail "
	    "closed: queued packets are dropped)"));
	json_object_set_new(detail, "state", json_string(state_kept == 1 ?
	    "attached" : "new"));
	json_object_set_new(detail, "filter_udp",
	    json_string(filter_name(nat.cf.filter_udp)));
	json_object_set_new(detail, "filter_tcp",
	    json_string(filter_name(nat.cf.filter_tcp)));
	if (fwd_error[0] != '\0')
		json_object_set_new(detail, "forward_error",
		    json_string(fwd_error));
	J("queue", NATD_QUEUE_NUM);
	J("mappings", nat_live_maps(&nat));
	J("sessions", nat_live_sessions(&nat));
	J("clients", nat_clients(&nat));
	J("other_owned", nat_live_others(&nat));
	J("state_resets", nat_resets(&nat));
	json_counters(detail, &io, io_counters, NITEMS(io_counters));
	json_counters(detail, &vq, verdict_counters, NITEMS(verdict_counters));
	json_counters(detail, &io, io_counters_after,
	    NITEMS(io_counters_after));
	json_counters(detail, &nat.st, nat_counters, NITEMS(nat_counters));
	json_counters(detail, &nat.cf.to, timeout_counters,
	    NITEMS(timeout_counters));
	json_object_set_new(detail, "timeout_udp_from",
	    json_string(timeout_from(saved.to.udp, conf_to.udp)));
	json_object_set_new(detail, "timeout_tcp_established_from",
	    json_string(timeout_from(saved.to.tcp_est, conf_to.tcp_est)));
	json_object_set_new(detail, "timeout_tcp_transitory_from",
	    json_string(timeout_from(saved.to.tcp_trans, conf_to.tcp_trans)));
	json_object_set_new(detail, "timeout_icmp_from",
	    json_string(timeout_from(saved.to.icmp, conf_to.icmp)));
	json_object_set_new(detail, "timeout_other_from",
	    json_string(timeout_from(saved.to.other, conf_to.other)));
	if (ring != NULL) {
		J("ring_records", ring->head);
		J("ring_drops", ring->drops);
	} else
		J("ring_records", 0);
}

#undef J

/* ---- gkctl ---- */

static const char *
ipstr(uint32_t ip, char *buf)
{
	struct in_addr	 a = { ip };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void
client_row(const struct nat_client_info *ci, void *arg)
{
	json_t		*rows = arg, *o;
	char		 ip[INET_ADDRSTRLEN];

	o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "ip", ipstr(ci->ip, ip),
	    "bytes_up", (json_int_t)ci->bytes_up,
	    "bytes_down", (json_int_t)ci->bytes_down,
	    "packets_up", (json_int_t)ci->packets_up,
	    "packets_down", (json_int_t)ci->packets_down,
	    "rate_up", (json_int_t)rates[ci->idx].rate_up,
	    "rate_down", (json_int_t)rates[ci->idx].rate_down);
	if (o != NULL)
		json_array_append_new(rows, o);
}

/* A protocol as gkctl shows it: its usual name, else its number. */
static const char *
proto_label(uint8_t proto, char *buf, size_t size)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
		return natconf_proto_name(proto);
	case IPPROTO_GRE:
		return "gre";
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_AH:
		return "ah";
	case IPPROTO_IPIP:
		return "ipip";
	case IPPROTO_IPV6:
		return "ipv6";
	case IPPROTO_SCTP:
		return "sctp";
	}
	snprintf(buf, size, "%u", proto);
	return buf;
}

/* An address-only owner: no ports; replies only from its remote. */
static json_t *
other_row(const struct nat_map_info *mi)
{
	char		 ip[INET_ADDRSTRLEN], rip[INET_ADDRSTRLEN], pn[8];

	return json_pack("{s:s,s:s,s:n,s:n,s:s,s:I,s:s,s:i}",
	    "proto", proto_label(mi->proto, pn, sizeof(pn)),
	    "lan_ip", ipstr(mi->lan_ip, ip),
	    "lan_port",
	    "wan_port",
	    "remote", ipstr(mi->remote_ip, rip),
	    "idle", (json_int_t)mi->idle,
	    "type", "address-only",
	    "sessions", 0);
}

struct list_arg {
	json_t		*rows;
	uint32_t	 filter_ip;	/* 0: all */
	uint32_t	 total, shown;
};

static void
map_row(const struct nat_map_info *mi, void *arg)
{
	struct list_arg	*la = arg;
	char		 ip[INET_ADDRSTRLEN], rip[INET_ADDRSTRLEN];
	char		 remote[40];
	int		 filt;
	json_t		*o;

	if (la->filter_ip != 0 && mi->lan_ip != la->filter_ip)
		return;
	la->total++;
	if (la->shown >= NATD_LIST_MAX)
		return;
	if (mi->addr_only) {
		if ((o = other_row(mi)) != NULL) {
			json_array_append_new(la->rows, o);
			la->shown++;
		}
		return;
	}
	filt = mi->proto == IPPROTO_TCP ? nat.cf.filter_tcp :
	    mi->proto == IPPROTO_UDP ? nat.cf.filter_udp : NAT_EIF;
	/* The remote matters (is shown) when filtering depends on it. */
	if (mi->forward || filt == NAT_EIF || mi->remote_ip == 0)
		snprintf(remote, sizeof(remote), "*");
	else if (filt == NAT_ADF)
		snprintf(remote, sizeof(remote), "%s", ipstr(mi->remote_ip,
		    rip));
	else
		snprintf(remote, sizeof(remote), "%s:%u",
		    ipstr(mi->remote_ip, rip), mi->remote_port);
	o = json_pack("{s:s,s:s,s:i,s:i,s:s,s:I,s:s,s:i}",
	    "proto", natconf_proto_name(mi->proto),
	    "lan_ip", ipstr(mi->lan_ip, ip),
	    "lan_port", (int)mi->lan_port,
	    "wan_port", (int)mi->wan_port,
	    "remote", remote,
	    "idle", (json_int_t)mi->idle,
	    "type", mi->forward ? "forward" : "dynamic",
	    "sessions", (int)mi->sessions);
	if (o != NULL) {
		json_array_append_new(la->rows, o);
		la->shown++;
	}
}

static json_t *
forwards_json(void)
{
	json_t		*rows = json_array(), *o;
	char		 ip[INET_ADDRSTRLEN];
	int		 i;

	for (i = 0; i < nat.nfwd; i++) {
		o = json_pack("{s:s,s:i,s:s,s:i,s:s}",
		    "proto", natconf_proto_name(nat.fwd[i].proto),
		    "wan_port", (int)nat.fwd[i].wan_port,
		    "ip", ipstr(nat.fwd[i].ip, ip),
		    "port", (int)nat.fwd[i].port,
		    "source", nat.fwd[i].from_conf ? "config" : "gkctl");
		if (o != NULL)
			json_array_append_new(rows, o);
	}
	return json_pack("{s:o}", "forwards", rows);
}

/* forward add tcp|udp WANPORT IP [PORT] | forward del tcp|udp WANPORT:
 * argv holds the words after add or del. */
static json_t *
ctl_forward(int add, int argc, const char *const *argv, char *err,
    size_t errlen)
{
	struct nat_forward f;
	struct natconf	 before = saved;
	struct in_addr	 ip;
	const char	*why;
	long		 wp, lp;
	int		 i;

	if (argc < 2 || (add && argc < 3)) {
		snprintf(err, errlen, "usage: forward add tcp|udp WANPORT IP "
		    "[PORT] | forward del tcp|udp WANPORT");
		return NULL;
	}
	memset(&f, 0, sizeof(f));
	f.proto = (uint8_t)natconf_proto(argv[0]);
	if (f.proto == 0) {
		snprintf(err, errlen, "\"%s\": the protocol is tcp or udp",
		    argv[0]);
		return NULL;
	}
	if ((wp = natconf_number(argv[1], 1, 65535)) == -1) {
		snprintf(err, errlen, "\"%s\": a WAN port is 1 to 65535",
		    argv[1]);
		return NULL;
	}
	f.wan_port = (uint16_t)wp;
	for (i = 0; i < nat.nfwd; i++)
		if (nat.fwd[i].proto == f.proto &&
		    nat.fwd[i].wan_port == f.wan_port)
			break;
	if (!add) {
		if (i == nat.nfwd) {
			snprintf(err, errlen, "no forward of %s port %ld",
			    argv[0], wp);
			return NULL;
		}
		if (nat.fwd[i].from_conf) {
			snprintf(err, errlen, "%s port %ld is forwarded by "
			    "gatekeeper.conf: remove it there", argv[0],
			    wp);
			return NULL;
		}
		for (i = 0; i < saved.nfwd; i++)
			if (saved.fwd[i].proto == f.proto &&
			    saved.fwd[i].wan_port == f.wan_port)
				break;
		if (i < saved.nfwd)
			saved.fwd[i] = saved.fwd[--saved.nfwd];
	} else {
		if (argc < 3 ||
		    inet_pton(AF_INET, argv[2], &ip) != 1) {
			snprintf(err, errlen, "\"%s\": not an IPv4 address",
			    argc < 3 ? "" : argv[2]);
			return NULL;
		}
		lp = argc == 4 ? natconf_number(argv[3], 1, 65535) : wp;
		if (lp == -1) {
			snprintf(err, errlen, "\"%s\": a port is 1 to 65535",
			    argv[3]);
			return NULL;
		}
		if (i < nat.nfwd) {
			snprintf(err, errlen, "%s port %ld is already "
			    "forwarded (forward del it first)", argv[0],
			    wp);
			return NULL;
		}
		f.ip = ip.s_addr;
		f.port = (uint16_t)lp;
		if ((why = nat_forward_check(&nat, &f)) != NULL) {
			snprintf(err, errlen, "cannot forward %s port %ld: %s",
			    argv[0], wp, why);
			return NULL;
		}
		if (saved.nfwd == NAT_MAX_FORWARDS) {
			snprintf(err, errlen, "too many forwards");
			return NULL;
		}
		saved.fwd[saved.nfwd++] = f;
	}
	if (forwards_sync(err, errlen) == -1 || natconf_save(err, errlen) == -1) {
		saved = before;
		forwards_sync(NULL, 0);
		return NULL;
	}
	return forwards_json();
}

/* nat timeout [NAME SECONDS]...: argv holds the pairs. */
static json_t *
ctl_timeouts(const struct ctl_call *call, char *err, size_t errlen)
{
	const char *const *argv = call->argv;
	int		 argc = call->argc;
	struct natconf	 before = saved;
	struct nat_config cf = nat.cf;
	uint32_t	*field;
	long		 v;
	int		 i;

	if (argc % 2 != 0) {
		snprintf(err, errlen, "usage: nat timeout [udp|tcp-established"
		    "|tcp-transitory|icmp|other SECONDS]...");
		return NULL;
	}
	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "udp") == 0) {
			field = &saved.to.udp;
			saved.to_base.udp = conf_to.udp;
		} else if (strcmp(argv[i], "tcp-established") == 0) {
			field = &saved.to.tcp_est;
			saved.to_base.tcp_est = conf_to.tcp_est;
		} else if (strcmp(argv[i], "tcp-transitory") == 0) {
			field = &saved.to.tcp_trans;
			saved.to_base.tcp_trans = conf_to.tcp_trans;
		} else if (strcmp(argv[i], "icmp") == 0) {
			field = &saved.to.icmp;
			saved.to_base.icmp = conf_to.icmp;
		} else if (strcmp(argv[i], "other") == 0) {
			field = &saved.to.other;
			saved.to_base.other = conf_to.other;
		} else {
			saved = before;
			snprintf(err, errlen, "\"%s\": not a timeout (udp, "
			    "tcp-established, tcp-transitory, icmp, other)",
			    argv[i]);
			return NULL;
		}
		if ((v = natconf_number(argv[i + 1], 1, 30L * 86400)) ==
		    -1) {
			saved = before;
			snprintf(err, errlen, "\"%s\": seconds, 1 to 2592000",
			    argv[i + 1]);
			return NULL;
		}
		*field = (uint32_t)v;
	}
	if (argc > 0 && natconf_save(err, errlen) == -1) {
		saved = before;
		return NULL;
	}
	apply_timeouts(&cf);
	nat_set_config(&nat, &cf);
	return json_pack("{s:i,s:i,s:i,s:i,s:i}", "udp", (int)cf.to.udp,
	    "tcp_established", (int)cf.to.tcp_est, "tcp_transitory",
	    (int)cf.to.tcp_trans, "icmp", (int)cf.to.icmp, "other",
	    (int)cf.to.other);
}

static json_t *
ctl_clients(const struct ctl_call *call, char *err, size_t errlen)
{
	json_t		*rows = json_array();

	nat_client_foreach(&nat, client_row, rows);
	return json_pack("{s:o}", "clients", rows);
}

/* nat [IP] */
static json_t *
ctl_nat(const struct ctl_call *call, char *err, size_t errlen)
{
	struct list_arg	 la;
	struct in_addr	 ip;

	memset(&la, 0, sizeof(la));
	if (call->argc == 1) {
		if (inet_pton(AF_INET, call->argv[0], &ip) != 1) {
			snprintf(err, errlen, "usage: nat [IP] | nat "
			    "timeout [NAME SECONDS]...");
			return NULL;
		}
		la.filter_ip = ip.s_addr;
	}
	la.rows = json_array();
	nat_map_foreach(&nat, map_row, &la);
	return json_pack("{s:o,s:i,s:i}", "mappings", la.rows,
	    "total", (int)la.total, "shown", (int)la.shown);
}

static json_t *
ctl_forwards(const struct ctl_call *call, char *err, size_t errlen)
{
	return forwards_json();
}

static json_t *
ctl_forward_add(const struct ctl_call *call, char *err, size_t errlen)
{
	return ctl_forward(1, call->argc, call->argv, err, errlen);
}

static json_t *
ctl_forward_del(const struct ctl_call *call, char *err, size_t errlen)
{
	return ctl_forward(0, call->argc, call->argv, err, errlen);
}

/* pcap clear IP: the device's capture ring (capture.c). */
static json_t *
ctl_pcap_clear(const struct ctl_call *call, char *err, size_t errlen)
{
	struct in_addr	 ip;
	uint8_t		 mac[6];
	char		 m[32];

	if (call->argc != 1 || inet_pton(AF_INET, call->argv[0], &ip) != 1) {
		snprintf(err, errlen, "usage: pcap clear IP");
		return NULL;
	}
	if (!capture_on()) {
		snprintf(err, errlen, "capture is off");
		return NULL;
	}
	if (!nat_client_mac(&nat, nat_client_find(&nat, ip.s_addr), mac)) {
		snprintf(err, errlen, "no device known at %s", call->argv[0]);
		return NULL;
	}
	return json_pack("{s:s,s:b}", "mac", mac_str(mac, m, sizeof(m)),
	    "cleared", capture_clear(mac));
}

const struct ctl_handler natd_handlers[] = {
	{ CMD_CLIENTS, ctl_clients },
	{ CMD_NAT, ctl_nat },
	{ CMD_NAT_TIMEOUT, ctl_timeouts },
	{ CMD_FORWARDS, ctl_forwards },
	{ CMD_FORWARD_ADD, ctl_forward_add },
	{ CMD_FORWARD_DEL, ctl_forward_del },
	{ CMD_PCAP_CLEAR, ctl_pcap_clear },
};

const int	 natd_nhandlers = sizeof(natd_handlers) /
		    sizeof(natd_handlers[0]);
