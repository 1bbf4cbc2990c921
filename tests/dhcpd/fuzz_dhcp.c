/*
 * libFuzzer target over dhcpd's message handler: parse, decide, build a
 * reply, with a lease table that lives across inputs so that later inputs
 * meet the state earlier ones left (offers, leases, names, probes, the
 * leases counted per frame source for dhcp-mac-limit).
 *
 * Built twice: fuzz_dhcp takes a DHCP message (what the UDP payload
 * holds); with FUZZ_FRAMES, fuzz_dhcp_frame takes a whole Ethernet frame
 * as the frame socket reads it, and goes through the header parser first
 * (corpus/frame). The frame's source MAC is the one the limit counts.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "server.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct dhcp_server *srv;
static int64_t	now = 1700000000;

static void
nop(const struct dhcp_lease *e, void *arg)
{
}

static struct dhcp_server *
make_server(void)
{
	struct dhcp_ops	 ops = { nop, nop, nop, NULL };
	struct dhcp_conf c;
	char		 err[128];
	uint8_t		 mac[6] = { 2, 0, 0, 0, 0, 9 };

	memset(&c, 0, sizeof(c));
	c.server = htonl(0x0a2a0001);
	c.prefix = 24;
	c.start = htonl(0x0a2a0064);
	c.end = htonl(0x0a2a0070);
	c.lease_time = 120;
	strcpy(c.domain, "lan");
	c.mtu = 1400;
	c.nroutes = 1;
	c.routes[0].dst = htonl(0xc0a80000);
	c.routes[0].plen = 17;
	c.routes[0].gw = htonl(0x0a2a0002);
	c.probe = 1;
	c.mac_limit = 2;	/* small: the fuzzer reaches the refusals */
	srv = dhcp_server_new(&c, &ops, err, sizeof(err));
	if (srv != NULL)
		(void)dhcp_resv_add(srv, mac, htonl(0x0a2a0032), "printer", 1,
		    err, sizeof(err));
	return srv;
}

#ifdef FUZZ_FRAMES
/*
 * The frame's headers; the DHCP message inside it in *data, *len. An odd
 * length stands for a frame whose UDP checksum the kernel vouched for,
 * so mutated payloads still reach the handler.
 */
static int
from_frame(const uint8_t **data, size_t *len, struct dhcp_rx *rx)
{
	struct dhcp_frame f;

	if (dhcp_frame_parse(*data, *len, htonl(0x0a2a0001),
	    htonl(0x0a2a00ff), (int)(*len & 1), &f) != FRAME_OK)
		return -1;
	if (f.payload < *data || f.payload + f.len > *data + *len)
		__builtin_trap();
	rx->src = f.src;
	rx->broadcast = f.broadcast;
	memcpy(rx->frame_mac, f.src_mac, 6);
	rx->has_frame_mac = 1;
	*data = f.payload;
	*len = f.len;
	return 0;
}
#else
/* A message alone: its first bytes pick the source and, for some, a
 * frame source MAC out of four, for the per-MAC accounting. */
static int
from_message(const uint8_t *data, size_t len, struct dhcp_rx *rx)
{
	rx->src = len > 0 && (data[0] & 1) ? htonl(0x0a2a0005) : 0;
	rx->broadcast = len > 1 && (data[1] & 1);
	if (len > 2 && (data[2] & 1)) {
		rx->has_frame_mac = 1;
		rx->frame_mac[0] = 2;
		rx->frame_mac[5] = (uint8_t)(data[2] >> 1 & 3);
	}
	return 0;
}
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct dhcp_reply rep;
	struct dhcp_rx	 rx;
	uint32_t	 sip;
	uint8_t		 mac[6];

	if (srv == NULL && make_server() == NULL)
		return 0;
	/* Time moves in steps the input cannot control, so leases expire. */
	now += 7;
	memset(&rx, 0, sizeof(rx));
	rx.now = now;
#ifdef FUZZ_FRAMES
	if (from_frame(&data, &len, &rx) == -1)
		return 0;
#else
	(void)from_message(data, len, &rx);
#endif
	switch (dhcp_handle(srv, data, len, &rx, &rep)) {
	case DHCP_R_PROBE:
		/* dhcpd out of probe slots: the probe is abandoned */
		if (len & 2) {
			dhcp_probe_abandon(srv, rep.ip);
			break;
		}
		dhcp_probe_done(srv, rep.ip, (int)(len & 1), now);
		(void)dhcp_handle(srv, data, len, &rx, &rep);
		break;
	case DHCP_R_REPLY:
		if (rep.len > sizeof(rep.buf) || rep.len < DHCP_MIN_REPLY)
			__builtin_trap();
		break;
	default:
		break;
	}
	(void)arp_parse_sender(data, len, &sip, mac);
	dhcp_tick(srv, now);
	return 0;
}
