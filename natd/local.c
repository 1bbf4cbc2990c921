#include <netinet/in.h>
#include <netinet/ip.h>

#include <string.h>

#include "local.h"

int
is_local_reply(const uint8_t *pkt, size_t len, const struct local_ports *lp)
{
	struct ip	 ip;
	size_t		 hlen;
	uint16_t	 dport;

	if (lp->wan.s_addr == 0 || len < sizeof(ip))
		return 0;
	memcpy(&ip, pkt, sizeof(ip));
	hlen = (size_t)ip.ip_hl * 4;
	if (ip.ip_v != 4 || hlen < sizeof(ip) || len < hlen + 4 ||
	    ip.ip_dst.s_addr != lp->wan.s_addr)
		return 0;
	if (ip.ip_p != IPPROTO_TCP && ip.ip_p != IPPROTO_UDP)
		return 0;
	/* Later fragments carry no ports: not ours to judge here. */
	if (ntohs(ip.ip_off) & IP_OFFMASK)
		return 0;
	memcpy(&dport, pkt + hlen + 2, sizeof(dport));
	dport = ntohs(dport);
	return dport >= lp->min && dport <= lp->max;
}
