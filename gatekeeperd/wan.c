/*
 * The WAN's health for status (netcfg.h): transitions of its link and
 * address, from the parent's observations. Pure logic.
 */
#include <string.h>

#include "netcfg.h"

void
wan_observe(struct wan_health *w, int link, struct in_addr addr, int prefix,
    uint64_t now_ms)
{
	if (!w->known) {
		/* up or not since before we looked: since now, as far as
		 * we know */
		w->known = 1;
		w->link = link;
		w->addr = addr;
		w->prefix = prefix;
		w->link_since = w->addr_since = now_ms;
		return;
	}
	if (link != w->link) {
		w->link = link;
		w->link_since = now_ms;
		w->link_changes++;
	}
	if (addr.s_addr != w->addr.s_addr || prefix != w->prefix) {
		w->addr = addr;
		w->prefix = prefix;
		w->addr_since = now_ms;
		w->addr_changes++;
	}
}

uint64_t
wan_up_since(const struct wan_health *w)
{
	if (!w->known || !w->link || w->addr.s_addr == 0)
		return 0;
	return w->link_since > w->addr_since ? w->link_since : w->addr_since;
}
