/*
 * gatekeeperd's WAN health (gatekeeperd/wan.c): the first observation
 * sets the times, a change of link or address moves its own, and the
 * WAN is up since the later of the two while both are there.
 */
#include <arpa/inet.h>

#include <string.h>

#include "check.h"
#include "netcfg.h"

#define T0	1800000000000ULL

int
main(void)
{
	struct wan_health w;
	struct in_addr	 a, b, none = { 0 };

	inet_pton(AF_INET, "203.0.113.2", &a);
	inet_pton(AF_INET, "203.0.113.9", &b);
	memset(&w, 0, sizeof(w));
	CHECK(wan_up_since(&w) == 0);
	wan_observe(&w, 1, a, 24, T0);
	CHECK(w.known && w.link && w.link_since == T0 && w.addr_since == T0);
	CHECK(wan_up_since(&w) == T0);
	/* nothing changed: nothing moves */
	wan_observe(&w, 1, a, 24, T0 + 2000);
	CHECK(w.link_since == T0 && w.link_changes == 0 &&
	    w.addr_changes == 0);
	/* the cable out: down, no uptime; back: up since then */
	wan_observe(&w, 0, a, 24, T0 + 4000);
	CHECK(!w.link && w.link_since == T0 + 4000 && wan_up_since(&w) == 0);
	wan_observe(&w, 1, a, 24, T0 + 6000);
	CHECK(w.link_changes == 2 && wan_up_since(&w) == T0 + 6000);
	/* a new address (DHCP from the ISP): up since the address */
	wan_observe(&w, 1, none, 0, T0 + 8000);
	CHECK(wan_up_since(&w) == 0);
	wan_observe(&w, 1, b, 24, T0 + 10000);
	CHECK(w.addr_changes == 2 && w.addr.s_addr == b.s_addr &&
	    wan_up_since(&w) == T0 + 10000);
	/* a prefix change is an address change */
	wan_observe(&w, 1, b, 25, T0 + 12000);
	CHECK(w.addr_changes == 3 && wan_up_since(&w) == T0 + 12000);
	return check_result();
}
