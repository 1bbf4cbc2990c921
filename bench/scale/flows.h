/*
 * bench/scale: which UDP flow is number f, for the packet sender
 * (flows.c, through the real router) and the table driver (nattable.c,
 * natd's table alone), so both fill the same table.
 *
 * A flow is a LAN endpoint (a mapping in natd's terms) talking to one of
 * FLOW_REMOTES internet hosts (198.18.R.1, RFC 2544's benchmarking
 * range, port 20000; the router sends them all to the internet
 * namespace, which drops them): flow f is mapping f / FLOW_REMOTES,
 * remote f % FLOW_REMOTES. 200,000 flows are then 25,000 mappings and
 * 200,000 sessions in natd, 200,000 connections in the kernel's
 * conntrack. Not 200,000 mappings: one WAN address has 36,280 UDP ports
 * for them (1024-65535 less the router's own local port range,
 * 32768-60999), and nattable.c shows what happens past that.
 *
 * natd's limits per device (docs/security.md: 8,192 mappings per LAN
 * address and per MAC, 16 addresses per MAC) are not configurable, so
 * the flows come from many devices, as they would on a big LAN: 4,000
 * mappings per address, two addresses per MAC (8,000 per MAC).
 */
#ifndef GK_BENCH_SCALE_FLOWS_H
#define GK_BENCH_SCALE_FLOWS_H

#include <stdint.h>

#define FLOW_REMOTES		8
#define FLOW_MAPS_PER_ADDR	4000
#define FLOW_ADDRS_PER_MAC	2
#define FLOW_FIRST_HOST		10	/* 10.42.0.10 and up */
#define FLOW_LAN_PORT		10000
#define FLOW_REMOTE_PORT	20000

struct flow {
	uint8_t		 mac[6];
	uint32_t	 src;		/* host order */
	uint32_t	 dst;		/* host order */
	uint16_t	 sport, dport;
};

/* flow_of(f, remotes): remotes 0 means FLOW_REMOTES. */
static inline void
flow_of(uint32_t f, uint32_t remotes, struct flow *fl)
{
	uint32_t	 m = f / remotes, a = m / FLOW_MAPS_PER_ADDR;
	uint32_t	 mac = a / FLOW_ADDRS_PER_MAC;

	fl->mac[0] = 0x02;
	fl->mac[1] = 0x5c;
	fl->mac[2] = 0x00;
	fl->mac[3] = (uint8_t)(mac >> 16);
	fl->mac[4] = (uint8_t)(mac >> 8);
	fl->mac[5] = (uint8_t)mac;
	/* the LAN's /24: 10.42.0.10 and up, below its DHCP range */
	fl->src = (10U << 24 | 42U << 16) + FLOW_FIRST_HOST + a;
	fl->sport = (uint16_t)(FLOW_LAN_PORT + m % FLOW_MAPS_PER_ADDR);
	fl->dst = (198U << 24 | 18U << 16) + ((f % remotes) << 8) + 1;
	fl->dport = FLOW_REMOTE_PORT;
}

/*
 * The order of visits of n flows for a lookup pass: a stride coprime with
 * n spreads consecutive packets over the table, as many devices'
 * traffic interleaves, rather than walking it in the order it was made.
 */
static inline uint32_t
flow_visit(uint64_t i, uint32_t n)
{
	uint64_t	 stride = 100003;	/* prime */

	if (n % stride == 0)
		stride = 100019;
	return (uint32_t)((i * stride) % n);
}

#endif
