/*
 * gatekeeper.conf: one statement a line (CONTRACT.md). The parser is pure:
 * it fills a struct and reports errors through a callback, so gatekeeperd,
 * the unit tests and the fuzzer all call the same code.
 */
#ifndef GK_CONF_H
#define GK_CONF_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_MAX_LAN		8
#define CONF_MAX_UPSTREAM	8
#define CONF_MAX_STATIC		256
#define CONF_MAX_FORWARDS	256
#define CONF_MAX_DOMAIN		253
#define CONF_MAX_HOSTNAME	63
#define CONF_MAX_REBIND_ALLOW	16
#define CONF_MAX_ROUTES		16
#define CONF_MAX_PATH		256
#define CONF_MAX_LINE		1024		/* longer lines are an error */
#define CONF_MAX_FILE		(1024 * 1024)	/* larger files are an error */

#define CONF_DEFAULT_PATH	"/etc/gatekeeper/gatekeeper.conf"
#define CONF_DEFAULT_STATE_DIR	"/var/lib/gatekeeper"
#define CONF_DEFAULT_RUN_DIR	"/run/gatekeeper"

enum nat_filtering {
	NAT_FILTER_ENDPOINT_INDEPENDENT,
	NAT_FILTER_ADDRESS_DEPENDENT,
	NAT_FILTER_ADDRESS_PORT_DEPENDENT,
};

struct conf_static_lease {
	uint8_t		mac[6];
	struct in_addr	ip;
	char		name[CONF_MAX_HOSTNAME + 1];	/* "" when none */
};

struct conf_forward {
	uint8_t		proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t	wan_port;
	struct in_addr	ip;
	uint16_t	port;		/* LAN port; equals wan_port when omitted */
};

struct gk_config {
	char		wan[IF_NAMESIZE];		/* "" = autodetect */
	char		lan[CONF_MAX_LAN][IF_NAMESIZE];
	int		nlan;				/* 0 = autodetect */
	struct in_addr	lan_addr;			/* 0 = autodetect */
	int		lan_prefix;
	struct in_addr	dhcp_start, dhcp_end;		/* 0 = derived from lan */
	uint32_t	lease_time;			/* seconds, default 12h */
	char		domain[CONF_MAX_DOMAIN + 1];	/* default "lan" */
	struct in_addr	upstream[CONF_MAX_UPSTREAM];
	int		nupstream;			/* 0 = /etc/resolv.conf */
	/* rebind-allow DOMAIN...: names under these may resolve to private
	 * addresses (dnsd's rebinding protection lets them through) */
	char		rebind_allow[CONF_MAX_REBIND_ALLOW][CONF_MAX_DOMAIN + 1];
	int		nrebind_allow;
	struct conf_static_lease static_lease[CONF_MAX_STATIC];
	int		nstatic;
	struct conf_forward forward[CONF_MAX_FORWARDS];
	int		nforward;
	enum nat_filtering filter_udp;			/* default EIF */
	enum nat_filtering filter_tcp;			/* default address-dep. */
	/* nat-timeout udp|tcp-established|tcp-transitory|icmp|other
	 * DURATION; 0 = natd's default (RFC 4787/5382: 5 min, 2h4m, 4 min,
	 * 60 s; other, the address-only owner: 5 min) */
	uint32_t	nat_timeout_udp;
	uint32_t	nat_timeout_tcp_established;
	uint32_t	nat_timeout_tcp_transitory;
	uint32_t	nat_timeout_icmp;
	uint32_t	nat_timeout_other;
	/* dhcp-mtu N (option 26), dhcp-ntp IP... (42), dhcp-route
	 * NET/LEN GW (121), dhcp-conflict-check on|off; 0/empty = unset */
	uint16_t	dhcp_mtu;
	struct in_addr	dhcp_ntp[CONF_MAX_UPSTREAM];
	int		ndhcp_ntp;
	struct conf_route {
		struct in_addr	net;
		int		prefix;
		struct in_addr	gw;
	}		dhcp_route[CONF_MAX_ROUTES];
	int		ndhcp_route;
	int		dhcp_conflict_check;		/* default 1 */
	/* dhcp-mac-limit N: leases one frame source MAC may hold for other
	 * hardware addresses (docs/dhcpd.md); 0 = no limit, default 8 */
	uint32_t	dhcp_mac_limit;
	uint16_t	web_port;			/* default 80 */
	uint16_t	web_tls_port;			/* default 443 */
	uint64_t	capture_size;			/* bytes, default 5M */
	uint64_t	capture_total;			/* bytes, default 64M */
	uint32_t	history;			/* seconds, default 24h */
	uint64_t	history_memory;		/* bytes, default 64M */
	char		state_dir[CONF_MAX_PATH];
	char		run_dir[CONF_MAX_PATH];
};

/* Called once per error with "file:line: what was expected". */
typedef void (*conf_error_fn)(void *arg, const char *msg);

void	conf_init(struct gk_config *);
/* Parses buf (not NUL-terminated); returns the number of errors. */
int	conf_parse_buf(struct gk_config *, const char *filename,
	    const char *buf, size_t len, conf_error_fn, void *arg);
/*
 * Reads and parses path. Returns the number of errors, or -1 with errno
 * set when the file cannot be read (ENOENT: no file, autodetect).
 */
int	conf_parse_file(struct gk_config *, const char *path,
	    conf_error_fn, void *arg);
/* Prints the normalized config, one statement a line, parseable again. */
void	conf_print(FILE *, const struct gk_config *);
const char *conf_filtering_name(enum nat_filtering);

/* Shared value parsers, also used by gkctl. Return 0 on success, -1 else. */
int	conf_parse_duration(const char *, uint32_t *seconds);
int	conf_parse_size(const char *, uint64_t *bytes);
int	conf_parse_mac(const char *, uint8_t mac[6]);
int	conf_parse_prefix(const char *, struct in_addr *, int *prefixlen);

#endif
