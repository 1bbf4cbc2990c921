/*
 * The names dnsd is the authority for: the router's own name and every
 * DHCP (or static-lease) hostname as name.<domain> (A) with its PTR in the
 * LAN's reverse zone. Anything else under the local domain, the LAN
 * reverse zone or the private-address reverse zones of RFC 6303 is
 * NXDOMAIN here and never forwarded (RFC 6761 6.3, RFC 6303). Pure logic.
 */
#ifndef GK_DNSD_LOCAL_H
#define GK_DNSD_LOCAL_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "dns.h"

#define LOCAL_MAX_HOSTS		1024
#define LOCAL_TTL		60	/* short: leases come and go */
#define LOCAL_ROUTER_NAME	"gatekeeper"

enum local_kind { LOCAL_ROUTER, LOCAL_STATIC, LOCAL_DHCP };

struct local_host {
	struct in_addr	 ip;
	uint32_t	 expiry;	/* unix time; 0 = never */
	uint8_t		 kind;
	uint8_t		 len;		/* label length, 0 = unused slot */
	char		 label[DNS_MAX_LABEL + 1];	/* lowercase */
};

struct local_zone {
	int		 configured;
	uint8_t		 domain[DNS_MAX_NAME];
	size_t		 domainlen;
	struct in_addr	 lan_addr, lan_net, lan_mask;
	int		 lan_prefix;
	int		 nhosts;
	struct local_host hosts[LOCAL_MAX_HOSTS];
};

void	local_init(struct local_zone *);
/* (Re)configures: domain, LAN, the router's name; static names are
 * replaced, DHCP names kept. -1 when the domain is not a valid name. */
int	local_configure(struct local_zone *, const char *domain,
	    struct in_addr lan_addr, int prefix);
/* A valid hostname label? (letters, digits, hyphen; 1..63) */
int	local_label_ok(const char *label);
/*
 * Adds or replaces the name of ip. A name already used by the router or a
 * static lease is not taken over; another DHCP client's same name moves
 * to this ip. Returns 0, or -1 with why.
 */
int	local_add(struct local_zone *, enum local_kind, const char *label,
	    struct in_addr ip, uint32_t expiry, const char **why);
/* Removes the DHCP name of ip; 0 if there was one, else -1. */
int	local_del(struct local_zone *, struct in_addr ip);
/* Drops DHCP names whose lease expired by now (unix time). */
void	local_expire(struct local_zone *, uint32_t now);

enum local_result {
	LOCAL_NOT_OURS,		/* forward it */
	LOCAL_ANSWERED,		/* out holds the reply */
};

/*
 * Answers q locally when it falls in one of our zones. now is unix time
 * (leases). max is the client's reply limit (TC beyond).
 */
enum local_result local_answer(const struct local_zone *, const uint8_t *qmsg,
	    const struct dns_query *q, uint32_t now, uint8_t *out, size_t max,
	    size_t *outlen);

#endif
