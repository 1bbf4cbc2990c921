/*
 * Traffic for the router itself: replies to the router's own sockets
 * (dnsd's upstream queries) arrive on the WAN and pass through the queue
 * like everything else; they are recognised by their destination port in
 * the kernel's local port range, which NAT mappings never use.
 */
#ifndef GK_NATD_LOCAL_H
#define GK_NATD_LOCAL_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct local_ports {
	struct in_addr	 wan;		/* 0: none known, nothing is local */
	uint16_t	 min, max;
};

/* 1 when ip (an IPv4 packet of len bytes) is TCP or UDP to the WAN
 * address and a port in the local range; 0 otherwise, also when it is
 * too short or malformed to tell. */
int	is_local_reply(const uint8_t *ip, size_t len, const struct local_ports *);

#endif
