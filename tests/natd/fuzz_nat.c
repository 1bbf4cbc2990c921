/*
 * libFuzzer target over natd's packet path: the first byte picks how the
 * rest is fed (an nfqueue message stream through nfq_parse, or a bare
 * IPv4 packet at one hook, from either side at PREROUTING, with or
 * without the seed-only checksum flag); every packet goes through
 * nat_packet() against tables that already hold mappings, a forward,
 * sessions and a GRE owner, so inbound packets, ICMP errors and hairpins
 * find something to translate. In the message stream, input interface 1
 * is the LAN's, as natd decides.
 */
#include <netinet/in.h>

#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nat.h"
#include "nfq.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct nat n;
static uint8_t	*region;

static uint32_t
A(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static void
seed_out(uint8_t proto, const char *src, uint16_t sp)
{
	uint8_t		 b[64];
	uint32_t	 s = A(src), d = A("203.0.113.1");
	struct nat_result r;
	uint16_t	 v;

	memset(b, 0, sizeof(b));
	b[0] = 0x45;
	v = htons(48);
	memcpy(b + 2, &v, 2);
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, &s, 4);
	memcpy(b + 16, &d, 4);
	v = htons(sp);
	memcpy(b + 20, &v, 2);
	if (proto == IPPROTO_ICMP) {
		b[20] = 8;
		memcpy(b + 24, &v, 2);
	}
	v = htons(80);
	memcpy(b + 22, &v, 2);
	b[32] = 5 << 4;
	b[33] = 2;
	v = htons(28);
	if (proto == IPPROTO_UDP)
		memcpy(b + 24, &v, 2);
	nat_packet(&n, b, 48, 0, NAT_HOOK_FORWARD, 0, &r);
}

static void
init(void)
{
	struct nat_config cf;
	struct nat_forward f;
	size_t		 size = nat_region_size();

	region = calloc(1, size);
	if (region == NULL)
		abort();
	memset(&cf, 0, sizeof(cf));
	cf.wan = A("203.0.113.2");
	cf.lan_net = A("10.42.0.0");
	cf.lan_mask = A("255.255.255.0");
	cf.lan_addr = A("10.42.0.1");
	cf.local_min = 32768;
	cf.local_max = 60999;
	cf.web_port = 80;
	cf.filter_udp = NAT_EIF;
	cf.filter_tcp = NAT_ADF;
	cf.per_client_max = 64;
	cf.per_mac_max = 96;
	nat_default_timeouts(&cf.to);
	if (nat_attach(&n, region, size, 1) < 0)
		abort();
	nat_set_config(&n, &cf);
	n.now = 100;
	memset(&f, 0, sizeof(f));
	f.proto = IPPROTO_TCP;
	f.wan_port = 8443;
	f.ip = A("10.42.0.10");
	f.port = 443;
	nat_forwards_apply(&n, &f, 1, NULL, 0);
	seed_out(IPPROTO_UDP, "10.42.0.50", 5000);
	seed_out(IPPROTO_TCP, "10.42.0.50", 5000);
	seed_out(IPPROTO_ICMP, "10.42.0.50", 5000);
	seed_out(IPPROTO_UDP, "10.42.0.51", 6000);
	seed_out(47, "10.42.0.51", 0);		/* GRE */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 buf[70000];
	static uint8_t	 mac[6] = { 0x02, 0x42, 0, 0, 0, 0 };
	struct nfq_pkt	 pkts[8];
	struct nat_result r;
	int		 k, i, acc, hook;
	uint8_t		 mode, *p;
	uint32_t	 id;
	size_t		 plen;

	if (region == NULL)
		init();
	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	mode = data[0];
	memcpy(buf, data + 1, size - 1);
	n.now += mode & 7;
	if (mode & 0x80) {
		k = nfq_parse(buf, size - 1, pkts, 8);
		for (i = 0; i < k; i++) {
			hook = pkts[i].hook;
			if (hook == NAT_HOOK_PRE && pkts[i].indev == 1)
				hook = NAT_HOOK_PRE_LAN;
			nat_frame_mac(&n, pkts[i].has_hwaddr ?
			    pkts[i].hwaddr : NULL);
			nat_packet(&n, pkts[i].payload, pkts[i].len,
			    pkts[i].id, hook, pkts[i].skbinfo, &r);
		}
	} else {
		hook = !(mode & 1) ? NAT_HOOK_FORWARD : (mode & 0x10) ?
		    NAT_HOOK_PRE_LAN : NAT_HOOK_PRE;
		/* One of four devices' MACs, or none. */
		mac[5] = (mode >> 2) & 3;
		nat_frame_mac(&n, mac[5] != 0 ? mac : NULL);
		nat_packet(&n, buf, size - 1, 0, hook, (mode >> 1) & 3, &r);
	}
	if ((mode & 0x60) == 0x60)
		nat_sweep(&n, 4096);
	/* Held fragments released or dropped: read them as natd sends. */
	while (nat_hold_take(&n, &id, &acc, &p, &plen))
		if (acc && (plen < 20 || p == NULL))
			__builtin_trap();
	nat_hold_sent(&n);
	return 0;
}
