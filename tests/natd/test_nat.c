/*
 * natd's translation logic, driven directly: mapping, filtering, state
 * and timeouts, ICMP, hairpin, forwards, checksums (every translated
 * packet is checked against a full recomputation), bad input, and
 * re-attaching to the shared tables.
 */
#include <sys/mman.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <unistd.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csum.h"
#include "nat.h"
#include "natconf.h"
#include "util.h"

static uint32_t wan, inet1, inet2, lan1, lan2, lanaddr;

static uint8_t	*region;
static size_t	 region_size;
static struct nat n;
/* The queue's id of the packet handed to nat_packet (held fragments). */
static uint32_t pkt_id;

static uint32_t
A(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static uint64_t rs = 88172645463325252ULL;

static uint32_t
xr(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)rs;
}

static void
put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static uint16_t
get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return ntohs(v);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The reference: a plain 16-bit one's complement sum, RFC 1071. */
static uint32_t
ref_sum(const uint8_t *p, size_t len, uint32_t s)
{
	size_t	 i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static int
ip_ok(const uint8_t *ip)
{
	return ref_sum(ip, (size_t)(ip[0] & 0xf) * 4, 0) == 0xffff;
}

/* Does the transport checksum verify over the whole segment? */
static int
l4_ok(const uint8_t *ip)
{
	size_t	 hl = (size_t)(ip[0] & 0xf) * 4, len = get16(ip + 2) - hl;
	uint8_t	 ph[12];
	uint32_t s;

	if (ip[9] == IPPROTO_ICMP)
		return ref_sum(ip + hl, len, 0) == 0xffff;
	if (ip[9] == IPPROTO_UDP && get16(ip + hl + 6) == 0)
		return 1;
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = ip[9];
	put16(ph + 10, (uint16_t)len);
	s = ref_sum(ph, 12, 0);
	return ref_sum(ip + hl, len, s) == 0xffff;
}

static void
fix_ip(uint8_t *ip)
{
	size_t	 hl = (size_t)(ip[0] & 0xf) * 4;

	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~ref_sum(ip, hl, 0));
}

/* Builds an IPv4 packet with correct checksums; returns its length. */
static size_t
build(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst, uint16_t sp,
    uint16_t dp, size_t plen, uint8_t tcpflags)
{
	size_t	 hl = 20, l4h = proto == IPPROTO_TCP ? 20 : 8, len, i;
	uint8_t	 ph[12];
	uint8_t	*l4 = b + hl;
	uint16_t c;

	len = hl + l4h + plen;
	memset(b, 0, len);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)len);
	put16(b + 4, (uint16_t)xr());
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	for (i = 0; i < plen; i++)
		l4[l4h + i] = (uint8_t)xr();
	if (proto == IPPROTO_ICMP) {
		l4[0] = (uint8_t)tcpflags;	/* the type */
		put16(l4 + 4, sp);
		put16(l4 + 6, 1);
		c = (uint16_t)~ref_sum(l4, l4h + plen, 0);
		put16(l4 + 2, c);
	} else {
		put16(l4, sp);
		put16(l4 + 2, dp);
		if (proto == IPPROTO_TCP) {
			l4[12] = 5 << 4;
			l4[13] = tcpflags;
		} else
			put16(l4 + 4, (uint16_t)(l4h + plen));
		memcpy(ph, b + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		put16(ph + 10, (uint16_t)(l4h + plen));
		c = (uint16_t)~ref_sum(l4, l4h + plen, ref_sum(ph, 12, 0));
		if (c == 0 && proto == IPPROTO_UDP)
			c = 0xffff;
		put16(l4 + (proto == IPPROTO_TCP ? 16 : 6), c);
	}
	fix_ip(b);
	return len;
}

/* What the kernel leaves in a CHECKSUM_PARTIAL packet: the seed. */
static void
seed_only(uint8_t *b)
{
	size_t	 hl = (size_t)(b[0] & 0xf) * 4, len = get16(b + 2) - hl;
	uint8_t	 ph[12];
	int	 off = b[9] == IPPROTO_TCP ? 16 : 6;

	memcpy(ph, b + 12, 8);
	ph[8] = 0;
	ph[9] = b[9];
	put16(ph + 10, (uint16_t)len);
	put16(b + hl + off, (uint16_t)ref_sum(ph, 12, 0));
}

static void
setup(void)
{
	struct nat_config cf;

	memset(&cf, 0, sizeof(cf));
	cf.wan = wan;
	cf.lan_net = A("10.42.0.0");
	cf.lan_mask = A("255.255.255.0");
	cf.lan_addr = lanaddr;
	cf.local_min = 32768;
	cf.local_max = 60999;
	cf.web_port = 80;
	cf.filter_udp = NAT_EIF;
	cf.filter_tcp = NAT_ADF;
	nat_default_timeouts(&cf.to);
	memset(region, 0, region_size);
	memset(&n, 0, sizeof(n));
	pkt_id = 0;
	CHECK(nat_attach(&n, region, region_size, 42) == 0);
	nat_set_config(&n, &cf);
	n.now = 1000;
}

static int
out(uint8_t *b, size_t len, uint32_t info)
{
	struct nat_result r;

	return nat_packet(&n, b, len, pkt_id, NAT_HOOK_FORWARD, info, &r);
}

static int
in(uint8_t *b, size_t len)
{
	struct nat_result r;

	return nat_packet(&n, b, len, pkt_id, NAT_HOOK_PRE, 0, &r);
}

static void
test_csum_partial(void)
{
	static uint8_t	 buf[70000];
	size_t		 len, i, off;
	int		 k, bad = 0;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)xr();
	for (k = 0; k < 2000; k++) {
		len = k < 100 ? (size_t)k : xr() % 65536;
		off = (xr() % 64) & ~(size_t)1;
		if (csum_fold(csum_partial(buf + off, len, 0)) !=
		    (uint16_t)htons((uint16_t)~ref_sum(buf + off, len, 0)))
			bad++;
	}
	CHECK(bad == 0);
	/* All ones stays nonzero; all zeros sums to zero. */
	memset(buf, 0xff, 64);
	CHECK(csum_fold(csum_partial(buf, 64, 0)) == 0);
}

/* Random packets out and back: each checksum verifies afterwards. */
static void
test_random_roundtrip(void)
{
	static uint8_t	 b[66000];
	size_t		 len, plen;
	uint8_t		 proto;
	uint16_t	 sp, dp, wp;
	int		 k, seed, bad_ip = 0, bad_l4 = 0, fail = 0;
	uint32_t	 info, src;

	setup();
	for (k = 0; k < 3000; k++) {
		proto = (xr() & 1) ? IPPROTO_TCP : IPPROTO_UDP;
		sp = (uint16_t)(1 + xr() % 65535);
		dp = (uint16_t)(1 + xr() % 65535);
		plen = (k % 10 == 0) ? xr() % 65000 : xr() % 1500;
		src = htonl(ntohl(lan1) + xr() % 50);
		len = build(b, proto, src, inet1, sp, dp, plen, 0x02);
		seed = xr() & 1;
		info = 0;
		if (seed) {
			seed_only(b);
			info = NAT_SKB_CSUMNOTREADY | NAT_SKB_GSO;
		}
		if (!out(b, len, info)) {
			fail++;
			continue;
		}
		bad_ip += !ip_ok(b);
		bad_l4 += !l4_ok(b);
		CHECK(get32(b + 12) == wan);
		wp = get16(b + 20);
		/* The reply, with a complete checksum, comes back. */
		len = build(b, proto, inet1, wan, dp, wp, plen % 300, 0x10);
		if (!in(b, len)) {
			if (proto == IPPROTO_UDP)
				fail++;
			continue;
		}
		bad_ip += !ip_ok(b);
		bad_l4 += !l4_ok(b);
		CHECK(get32(b + 16) == src && get16(b + 22) == sp);
	}
	CHECK(fail == 0);
	CHECK(bad_ip == 0);
	CHECK(bad_l4 == 0);
	CHECK(n.st.csum_full > 0 && n.st.csum_incremental > 0);
	CHECK(nat_clients(&n) == 50);
}

static void
test_udp_zero_csum(void)
{
	uint8_t	 b[200];
	size_t	 len;

	setup();
	len = build(b, IPPROTO_UDP, lan1, inet1, 5000, 53, 30, 0);
	put16(b + 26, 0);
	CHECK(out(b, len, 0) == 1);
	CHECK(get16(b + 26) == 0);
	CHECK(ip_ok(b));
}

/* A corrupt checksum stays corrupt: never laundered. */
static void
test_bad_csum_kept_bad(void)
{
	uint8_t	 b[200];
	size_t	 len;

	setup();
	len = build(b, IPPROTO_TCP, lan1, inet1, 5000, 80, 30, 0x02);
	b[50] ^= 0x55;
	CHECK(out(b, len, 0) == 1);
	CHECK(!l4_ok(b));
}

static uint16_t
map_out(uint8_t proto, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp)
{
	uint8_t	 b[200];
	size_t	 len;

	len = build(b, proto, src, dst, sp, dp, 10,
	    proto == IPPROTO_ICMP ? 8 : 0x02);
	if (!out(b, len, 0))
		return 0;
	return get16(b + (proto == IPPROTO_ICMP ? 24 : 20));
}

static void
test_mapping(void)
{
	uint16_t p1, p2, p3;

	setup();
	/* Endpoint-independent, port kept. */
	p1 = map_out(IPPROTO_UDP, lan1, 5000, inet1, 7777);
	p2 = map_out(IPPROTO_UDP, lan1, 5000, inet2, 9999);
	CHECK(p1 == 5000 && p2 == 5000);
	/* No overloading: the second device gets another port, same
	 * parity. */
	p3 = map_out(IPPROTO_UDP, lan2, 5000, inet1, 7777);
	CHECK(p3 != 5000 && p3 >= 1024 && (p3 & 1) == 0);
	/* Never under 1024, never in the router's local range. */
	p1 = map_out(IPPROTO_UDP, lan1, 80, inet1, 7777);
	CHECK(p1 >= 1024 && !(p1 >= 32768 && p1 <= 60999));
	p1 = map_out(IPPROTO_TCP, lan1, 40000, inet1, 80);
	CHECK(p1 >= 1024 && !(p1 >= 32768 && p1 <= 60999));
	/* TCP and UDP have separate port spaces. */
	p1 = map_out(IPPROTO_TCP, lan2, 5000, inet1, 80);
	CHECK(p1 == 5000);
	CHECK(nat_live_maps(&n) == 5);
	CHECK(nat_clients(&n) == 2);
}

static int
inbound(uint8_t proto, uint32_t src, uint16_t sp, uint16_t wp,
    uint8_t flags)
{
	uint8_t	 b[200];
	size_t	 len;

	len = build(b, proto, src, wan, sp, wp, 10, flags);
	return in(b, len);
}

static void
test_filtering(void)
{
	struct nat_config cf;

	setup();
	/* UDP default: full cone. */
	CHECK(map_out(IPPROTO_UDP, lan1, 6000, inet1, 7777) == 6000);
	CHECK(inbound(IPPROTO_UDP, inet2, 1234, 6000, 0) == 1);
	CHECK(inbound(IPPROTO_UDP, inet2, 1234, 6002, 0) == 0);
	CHECK(n.st.no_mapping == 1);
	/* TCP default: address-dependent. */
	CHECK(map_out(IPPROTO_TCP, lan1, 6000, inet1, 80) == 6000);
	CHECK(inbound(IPPROTO_TCP, inet2, 80, 6000, 0x02) == 0);
	CHECK(n.st.filtered == 1);
	CHECK(inbound(IPPROTO_TCP, inet1, 81, 6000, 0x02) == 1);
	CHECK(inbound(IPPROTO_TCP, inet1, 80, 6000, 0x12) == 1);

	/* Address-and-port-dependent UDP. */
	cf = n.cf;
	cf.filter_udp = NAT_APDF;
	nat_set_config(&n, &cf);
	CHECK(inbound(IPPROTO_UDP, inet1, 7777, 6000, 0) == 1);
	CHECK(inbound(IPPROTO_UDP, inet1, 7778, 6000, 0) == 0);
	CHECK(inbound(IPPROTO_UDP, inet2, 7777, 6000, 0) == 0);
	cf.filter_udp = NAT_ADF;
	nat_set_config(&n, &cf);
	CHECK(inbound(IPPROTO_UDP, inet1, 7778, 6000, 0) == 1);
	CHECK(inbound(IPPROTO_UDP, inet2, 7777, 6000, 0) == 0);
	/* TCP full cone when so configured. */
	cf.filter_tcp = NAT_EIF;
	nat_set_config(&n, &cf);
	CHECK(inbound(IPPROTO_TCP, inet2, 80, 6000, 0x02) == 1);
}

static void
sweep_all(void)
{
	nat_sweep(&n, NAT_MAX_MAPS + NAT_MAX_SESS + NAT_MAX_CLIENTS);
}

static void
test_timeouts(void)
{
	struct nat_map_info mi;

	setup();
	CHECK(map_out(IPPROTO_UDP, lan1, 7000, inet1, 7777) == 7000);
	n.now += 200;
	/* Inbound does not refresh; outbound does. */
	CHECK(inbound(IPPROTO_UDP, inet1, 7777, 7000, 0) == 1);
	n.now += 101;
	sweep_all();
	CHECK(!nat_lookup_wan(&n, IPPROTO_UDP, 7000, &mi));
	CHECK(map_out(IPPROTO_UDP, lan1, 7000, inet1, 7777) == 7000);
	n.now += 200;
	CHECK(map_out(IPPROTO_UDP, lan1, 7000, inet1, 7777) == 7000);
	n.now += 200;
	sweep_all();
	CHECK(nat_lookup_wan(&n, IPPROTO_UDP, 7000, &mi));
	n.now += 101;
	sweep_all();
	CHECK(!nat_lookup_wan(&n, IPPROTO_UDP, 7000, &mi));

	/* TCP: established lives 2 h 4 min; closing 4 min. */
	CHECK(map_out(IPPROTO_TCP, lan1, 7001, inet1, 80) == 7001);
	CHECK(inbound(IPPROTO_TCP, inet1, 80, 7001, 0x12) == 1);
	n.now += 7000;
	sweep_all();
	CHECK(nat_lookup_wan(&n, IPPROTO_TCP, 7001, &mi));
	n.now += 500;
	sweep_all();
	sweep_all();
	CHECK(!nat_lookup_wan(&n, IPPROTO_TCP, 7001, &mi));
	/* A half-open connection goes after 4 min. */
	CHECK(map_out(IPPROTO_TCP, lan1, 7003, inet1, 80) == 7003);
	n.now += 241;
	sweep_all();
	sweep_all();
	CHECK(!nat_lookup_wan(&n, IPPROTO_TCP, 7003, &mi));
	/* A reset one too. */
	CHECK(map_out(IPPROTO_TCP, lan1, 7005, inet1, 80) == 7005);
	CHECK(inbound(IPPROTO_TCP, inet1, 80, 7005, 0x12) == 1);
	CHECK(inbound(IPPROTO_TCP, inet1, 80, 7005, 0x04) == 1);
	n.now += 241;
	sweep_all();
	sweep_all();
	CHECK(!nat_lookup_wan(&n, IPPROTO_TCP, 7005, &mi));

	/* ICMP echo: 60 s. */
	CHECK(map_out(IPPROTO_ICMP, lan1, 77, inet1, 0) >= 1024);
	n.now += 61;
	sweep_all();
	CHECK(nat_live_maps(&n) == 0);
}

static void
test_icmp(void)
{
	uint8_t		 b[300], *icmp, *inner;
	size_t		 len;
	uint16_t	 id, wp;

	setup();
	len = build(b, IPPROTO_ICMP, lan1, inet1, 77, 0, 56, 8);
	CHECK(out(b, len, 0) == 1);
	CHECK(ip_ok(b) && l4_ok(b));
	id = get16(b + 24);
	CHECK(id >= 1024);
	len = build(b, IPPROTO_ICMP, inet1, wan, id, 0, 56, 0);
	CHECK(in(b, len) == 1);
	CHECK(ip_ok(b) && l4_ok(b) && get16(b + 24) == 77 &&
	    get32(b + 16) == lan1);
	/* A ping of the router passes untouched. */
	len = build(b, IPPROTO_ICMP, inet1, wan, id, 0, 56, 8);
	CHECK(in(b, len) == 1 && get16(b + 24) == id);

	/* A port unreachable about our UDP packet, both ways (RFC 5508). */
	wp = map_out(IPPROTO_UDP, lan1, 8000, inet1, 53);
	CHECK(wp == 8000);
	memset(b, 0, sizeof(b));
	inner = b + 28;
	build(inner, IPPROTO_UDP, wan, inet1, wp, 53, 20, 0);
	len = 28 + 48;
	b[0] = 0x45;
	put16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = IPPROTO_ICMP;
	memcpy(b + 12, &inet1, 4);
	memcpy(b + 16, &wan, 4);
	icmp = b + 20;
	icmp[0] = 3;
	icmp[1] = 3;
	put16(icmp + 2, (uint16_t)~ref_sum(icmp, 8 + 48, 0));
	fix_ip(b);
	CHECK(in(b, len) == 1);
	CHECK(ip_ok(b) && l4_ok(b) && ip_ok(inner));
	CHECK(get32(b + 16) == lan1 && get32(inner + 12) == lan1 &&
	    get16(inner + 20) == 8000);
	/* The quoted UDP checksum still matches the quoted packet. */
	CHECK(l4_ok(inner));
	CHECK(n.st.icmp_errors == 1);

	/* An error about nothing we mapped is dropped. */
	build(inner, IPPROTO_UDP, wan, inet1, 9999, 53, 20, 0);
	memcpy(b + 16, &wan, 4);
	put16(icmp + 2, 0);
	put16(icmp + 2, (uint16_t)~ref_sum(icmp, 8 + 48, 0));
	fix_ip(b);
	CHECK(in(b, len) == 0);
	/* About the router's own socket: passed untouched. */
	build(inner, IPPROTO_UDP, wan, inet1, 40000, 53, 20, 0);
	put16(icmp + 2, 0);
	put16(icmp + 2, (uint16_t)~ref_sum(icmp, 8 + 48, 0));
	CHECK(in(b, len) == 1 && get32(b + 16) == wan);

	/* From the LAN: an error about what the device got from outside. */
	build(inner, IPPROTO_UDP, inet1, lan1, 53, 8000, 20, 0);
	memcpy(b + 12, &lan1, 4);
	memcpy(b + 16, &inet1, 4);
	put16(icmp + 2, 0);
	put16(icmp + 2, (uint16_t)~ref_sum(icmp, 8 + 48, 0));
	fix_ip(b);
	CHECK(out(b, len, 0) == 1);
	CHECK(ip_ok(b) && l4_ok(b) && ip_ok(inner) && l4_ok(inner));
	CHECK(get32(b + 12) == wan && get32(inner + 16) == wan &&
	    get16(inner + 22) == 8000);
	/* An error quoting an error is dropped. */
	build(inner, IPPROTO_ICMP, inet1, lan1, 0, 0, 20, 3);
	put16(icmp + 2, 0);
	put16(icmp + 2, (uint16_t)~ref_sum(icmp, 8 + 48, 0));
	CHECK(out(b, len, 0) == 0);
}

static void
test_malformed(void)
{
	uint8_t		 b[200];
	size_t		 len;
	uint64_t	 m;

	setup();
	len = build(b, IPPROTO_UDP, lan1, inet1, 5000, 53, 30, 0);
	m = n.st.malformed;
	b[0] = 0x44;			/* IHL 4 */
	CHECK(out(b, len, 0) == 0);
	b[0] = 0x4f;			/* IHL 15: 60 > some lengths */
	CHECK(out(b, 40, 0) == 0);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(len + 10));	/* lying length */
	CHECK(out(b, len, 0) == 0);
	put16(b + 2, (uint16_t)len);
	CHECK(out(b, 19, 0) == 0);	/* truncated */
	put16(b + 24, 200);		/* UDP length beyond the packet */
	CHECK(out(b, len, 0) == 0);
	len = build(b, IPPROTO_TCP, lan1, inet1, 5000, 80, 0, 2);
	b[32] = 0xf0;			/* data offset past the end */
	CHECK(out(b, len, 0) == 0);
	CHECK(n.st.malformed == m + 6);
	/* A spoofed LAN source, another protocol. */
	len = build(b, IPPROTO_UDP, inet2, inet1, 5000, 53, 30, 0);
	CHECK(out(b, len, 0) == 0 && n.st.spoofed == 1);
	len = build(b, IPPROTO_UDP, lan1, inet1, 5000, 53, 30, 0);
	b[9] = 33;			/* DCCP: its checksum has addresses */
	fix_ip(b);
	CHECK(out(b, len, 0) == 0 && n.st.unsupported == 1);
	/* Inbound to another address than the WAN's. */
	len = build(b, IPPROTO_UDP, inet1, lan1, 53, 5000, 30, 0);
	CHECK(in(b, len) == 0 && n.st.not_for_wan == 1);
}

static void
test_local_and_hairpin(void)
{
	uint8_t		 b[200];
	size_t		 len;
	uint16_t	 pb;
	struct nat_result r;

	setup();
	/* A reply to the router's own socket passes untouched. */
	len = build(b, IPPROTO_UDP, inet1, wan, 53, 40000, 30, 0);
	CHECK(in(b, len) == 1 && get32(b + 16) == wan);
	CHECK(n.st.local_accepted == 1);

	/* B listens behind a mapping; A reaches it via the WAN address. */
	pb = map_out(IPPROTO_UDP, lan2, 9000, inet1, 7777);
	CHECK(pb == 9000);
	len = build(b, IPPROTO_UDP, lan1, wan, 4000, pb, 30, 0);
	CHECK(nat_packet(&n, b, len, pkt_id, NAT_HOOK_PRE_LAN, 0, &r) == 1 &&
	    r.modified);
	CHECK(get32(b + 16) == lan2 && get16(b + 22) == 9000);
	CHECK(get32(b + 12) == lan1 && ip_ok(b) && l4_ok(b));
	CHECK(nat_packet(&n, b, len, pkt_id, NAT_HOOK_FORWARD, 0, &r) == 1);
	/* B sees A's external address and port. */
	CHECK(get32(b + 12) == wan && get16(b + 20) == 4000);
	CHECK(ip_ok(b) && l4_ok(b));
	/* B's answer to WAN:4000 reaches A, from B's external port. */
	len = build(b, IPPROTO_UDP, lan2, wan, 9000, 4000, 30, 0);
	CHECK(nat_packet(&n, b, len, pkt_id, NAT_HOOK_PRE_LAN, 0, &r) == 1);
	CHECK(nat_packet(&n, b, len, pkt_id, NAT_HOOK_FORWARD, 0, &r) == 1);
	CHECK(get32(b + 12) == wan && get16(b + 20) == 9000);
	CHECK(get32(b + 16) == lan1 && get16(b + 22) == 4000);
	CHECK(ip_ok(b) && l4_ok(b));
	/* To a WAN port nobody maps: the router's own business. */
	len = build(b, IPPROTO_TCP, lan1, wan, 4000, 22, 0, 2);
	CHECK(nat_packet(&n, b, len, pkt_id, NAT_HOOK_PRE_LAN, 0, &r) == 1 &&
	    !r.modified);
}

static void
test_forwards(void)
{
	struct nat_forward f[2];
	char		 err[200];
	uint8_t		 b[200];
	size_t		 len;

	setup();
	memset(f, 0, sizeof(f));
	f[0].proto = IPPROTO_TCP;
	f[0].wan_port = 8443;
	f[0].ip = lan2;
	f[0].port = 443;
	f[1] = f[0];
	f[1].wan_port = 53;
	CHECK(nat_forward_check(&n, &f[1]) != NULL);
	f[1].wan_port = 80;	/* the web port */
	CHECK(nat_forward_check(&n, &f[1]) != NULL);
	f[1].wan_port = 40000;	/* local range */
	CHECK(nat_forward_check(&n, &f[1]) != NULL);
	f[1].wan_port = 2222;
	f[1].ip = inet1;
	CHECK(nat_forward_check(&n, &f[1]) != NULL);
	CHECK(nat_forwards_apply(&n, f, 1, err, sizeof(err)) == 0);
	/* From anywhere, whatever the TCP filtering. */
	len = build(b, IPPROTO_TCP, inet2, wan, 5555, 8443, 0, 2);
	CHECK(in(b, len) == 1 && get32(b + 16) == lan2 &&
	    get16(b + 22) == 443 && l4_ok(b));
	/* The answer leaves from the forwarded port. */
	CHECK(map_out(IPPROTO_TCP, lan2, 443, inet2, 5555) == 8443);
	/* Port 80 from the LAN never opens WAN port 80. */
	CHECK(map_out(IPPROTO_TCP, lan1, 80, inet2, 5555) != 80);
	CHECK(inbound(IPPROTO_TCP, inet2, 5555, 80, 2) == 0);
	/* A forward never expires; removing it frees the port. */
	n.now += 100000;
	sweep_all();
	CHECK(nat_live_maps(&n) == 1);
	CHECK(nat_forwards_apply(&n, f, 0, err, sizeof(err)) == 0);
	CHECK(nat_live_maps(&n) == 0);
}

static void
test_attach(void)
{
	struct nat_map_info mi;
	uint64_t	 r;

	setup();
	CHECK(map_out(IPPROTO_UDP, lan1, 5000, inet1, 7777) == 5000);
	CHECK(map_out(IPPROTO_TCP, lan1, 5001, inet1, 80) == 5001);
	/* A natd killed and restarted finds them. */
	CHECK(nat_attach(&n, region, region_size, 7) == 1);
	n.now = 1000;
	CHECK(nat_live_maps(&n) == 2 && nat_live_sessions(&n) == 2);
	CHECK(nat_lookup_wan(&n, IPPROTO_UDP, 5000, &mi) && mi.lan_ip == lan1);
	CHECK(inbound(IPPROTO_TCP, inet1, 80, 5001, 0x12) == 1);
	/* A corrupt layout is reset and counted. */
	r = nat_resets(&n);
	region[20] ^= 0xff;
	CHECK(nat_attach(&n, region, region_size, 7) == 0);
	CHECK(nat_resets(&n) == r + 1 && nat_live_maps(&n) == 0);
	/* A foreign one too. */
	memset(region, 0xab, 64);
	CHECK(nat_attach(&n, region, region_size, 7) == 0);
	CHECK(nat_resets(&n) == 1);
	CHECK(nat_attach(&n, region, 16, 7) == -1);
}

/*
 * A fresh region (a new memfd, as the parent creates) stays almost all
 * unresident: attach writes the header only, and mappings, sessions and
 * the sweep touch only the slots handed out; a restart keeps everything
 * below the mark.
 */
static void
test_lazy(void)
{
	uint8_t		*saved = region;
	size_t		 pages, total, i;
	uint64_t	 t0, t1;
	int		 fd;
	void		*m;

	total = (region_size + 4095) / 4096;
	CHECK((fd = memfd_create("test-nat", MFD_CLOEXEC)) != -1);
	CHECK(ftruncate(fd, (off_t)region_size) == 0);
	m = mmap(NULL, region_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	if (fd == -1 || m == MAP_FAILED)
		return;
	setup();	/* the configuration, which attach keeps */
	CHECK(nat_attach(&n, m, region_size, 5) == 0);
	region = m;
	n.now = 1000;
	pages = check_resident_pages(m, region_size);
	CHECK(pages <= 4);	/* the header, the address-only owners */
	for (i = 0; i < 100; i++)
		CHECK(map_out(IPPROTO_UDP, lan1, (uint16_t)(6000 + i), inet1,
		    7777) == 6000 + i);
	nat_sweep(&n, NAT_MAX_MAPS + NAT_MAX_SESS + NAT_MAX_CLIENTS);
	pages = check_resident_pages(m, region_size);
	/* 100 mappings and sessions, their buckets and rev slots: well
	 * under 300 of the ~4,000 pages. */
	CHECK(pages > 2 && pages < 300 && pages < total / 10);
	CHECK(nat_live_maps(&n) == 100 && nat_live_sessions(&n) == 100);
	/* Expired and made again. */
	n.now += n.cf.to.udp + 1;
	nat_sweep(&n, NAT_MAX_MAPS + NAT_MAX_SESS + NAT_MAX_CLIENTS);
	CHECK(nat_live_maps(&n) == 0);
	for (i = 0; i < 100; i++)
		CHECK(map_out(IPPROTO_UDP, lan2, (uint16_t)(7000 + i), inet2,
		    53) == 7000 + i);
	/* Restarted: everything below the mark found again, and the
	 * indexes are cleared by punching them out of the memfd, not by
	 * writing their 3.8 MB (~950 pages): only the buckets and rev
	 * slots of the live entries become resident again. */
	t0 = mono_us();
	CHECK(nat_attach(&n, m, region_size, 5) == 1);
	t1 = mono_us();
	pages = check_resident_pages(m, region_size);
	printf("attach on kept tables (100 mappings): %.2f ms, %zu pages "
	    "resident of %zu\n", (double)(t1 - t0) / 1e3, pages, total);
	CHECK(pages > 2 && pages < 300);
	CHECK(nat_live_maps(&n) == 100 && nat_live_sessions(&n) == 100);
	CHECK(map_out(IPPROTO_UDP, lan2, 7000, inet2, 53) == 7000);
	CHECK(map_out(IPPROTO_UDP, lan1, 8000, inet1, 53) == 8000);
	CHECK(nat_live_maps(&n) == 101);
	/* A header that does not check out is reset the same way: the
	 * whole region punched, nothing of the old entries found. */
	((uint8_t *)m)[0] ^= 0xff;
	CHECK(nat_attach(&n, m, region_size, 5) == 0);
	CHECK(nat_live_maps(&n) == 0 && nat_resets(&n) == 1);
	/* The header, the owners, the partial pages at the indexes' ends
	 * (a memset of the region made all ~4,100 resident). */
	pages = check_resident_pages(m, region_size);
	CHECK(pages < 16);
	CHECK(map_out(IPPROTO_UDP, lan2, 7000, inet2, 53) == 7000);
	munmap(m, region_size);
	close(fd);
	region = saved;
}

/*
 * The device's MAC, learnt from its outbound packets, is found for the
 * replies too (they carry the WAN's MAC), survives a restart, and a new
 * device on the same address replaces it.
 */
static void
test_client_mac(void)
{
	const uint8_t	 mac1[6] = { 0x02, 1, 2, 3, 4, 5 };
	const uint8_t	 mac2[6] = { 0x02, 9, 8, 7, 6, 5 };
	uint8_t		 b[200], mac[6];
	struct nat_result r;
	uint32_t	 c1, c2;
	size_t		 len;

	setup();
	len = build(b, IPPROTO_UDP, lan1, inet1, 6000, 53, 10, 0);
	CHECK(nat_packet(&n, b, len, 1, NAT_HOOK_FORWARD, 0, &r) == 1);
	CHECK(r.dir == NAT_DIR_UP && r.client != 0);
	c1 = r.client;
	CHECK(nat_client_mac(&n, c1, mac) == 0);
	nat_client_learn(&n, c1, mac1);
	len = build(b, IPPROTO_UDP, inet1, wan, 53, 6000, 10, 0);
	CHECK(nat_packet(&n, b, len, 2, NAT_HOOK_PRE, 0, &r) == 1);
	CHECK(r.dir == NAT_DIR_DOWN && r.client == c1);
	CHECK(nat_client_mac(&n, r.client, mac) == 1);
	CHECK(memcmp(mac, mac1, 6) == 0);
	/* A second device has its own slot. */
	len = build(b, IPPROTO_TCP, lan2, inet1, 7000, 80, 0, 0x02);
	CHECK(nat_packet(&n, b, len, 3, NAT_HOOK_FORWARD, 0, &r) == 1);
	c2 = r.client;
	CHECK(c2 != 0 && c2 != c1 && nat_client_mac(&n, c2, mac) == 0);
	/* A dropped packet names no device. */
	len = build(b, IPPROTO_UDP, inet2, wan, 53, 6001, 10, 0);
	CHECK(nat_packet(&n, b, len, 4, NAT_HOOK_PRE, 0, &r) == 0);
	CHECK(r.client == 0);
	/* Kept across a restart. */
	CHECK(nat_attach(&n, region, region_size, 42) == 1);
	n.now = 1000;
	CHECK(nat_client_mac(&n, c1, mac) == 1 && memcmp(mac, mac1, 6) == 0);
	/* The address passed to another device. */
	nat_client_learn(&n, c1, mac2);
	CHECK(nat_client_mac(&n, c1, mac) == 1 && memcmp(mac, mac2, 6) == 0);
	/* Slots that do not exist are refused. */
	nat_client_learn(&n, 0, mac1);
	nat_client_learn(&n, 4097, mac1);
	CHECK(nat_client_mac(&n, 0, mac) == 0);
	CHECK(nat_client_mac(&n, c2 + 1, mac) == 0);
}

static void
test_store(void)
{
	struct natconf	 s, t;
	char		 buf[4096];
	const char	*text = "forward tcp 8443 10.42.0.10 443\n"
	    "timeout udp 30\nbogus line\nforward udp 0 1.2.3.4 5\n";
	int		 len;

	CHECK(natconf_parse(&s, text, strlen(text)) == 2);
	CHECK(s.nfwd == 1 && s.fwd[0].wan_port == 8443 && s.to.udp == 30);
	len = natconf_format(&s, buf, sizeof(buf));
	CHECK(len > 0);
	CHECK(natconf_parse(&t, buf, (size_t)len) == 0);
	CHECK(t.nfwd == 1 && t.fwd[0].port == 443 && t.to.udp == 30);
	/* The address-only owner's timeout is saved like the others. */
	CHECK(natconf_parse(&s, "timeout other 90 600\n", 21) == 0);
	CHECK(s.to.other == 90 && s.to_base.other == 600);
	len = natconf_format(&s, buf, sizeof(buf));
	CHECK(len > 0 && strstr(buf, "timeout other 90 600\n") != NULL);
}

static int
ip_csum_ok(const uint8_t *b)
{
	return ref_sum(b, (size_t)(b[0] & 0xf) * 4, 0) == 0xffff;
}

/* A packet of a protocol without ports (GRE, ESP): 40 bytes of payload. */
static size_t
build_other(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst)
{
	size_t	 len;

	len = build(b, IPPROTO_UDP, src, dst, 0, 0, 32, 0);
	b[9] = proto;
	fix_ip(b);
	return len;
}

/* GRE, ESP: address only, one LAN device per protocol at a time. */
static void
test_other_protocols(void)
{
	uint8_t		 b[256];
	size_t		 len;
	uint32_t	 to;

	setup();
	to = n.cf.to.other;
	CHECK(to == 300);
	len = build_other(b, 47, lan1, inet1);		/* GRE */
	CHECK(out(b, len, 0) == 1 && memcmp(b + 12, &wan, 4) == 0);
	CHECK(ip_csum_ok(b) && n.st.other_out == 1);
	CHECK(memcmp(b + 16, &inet1, 4) == 0);
	/* Its reply comes back to lan1, from that remote only. */
	len = build_other(b, 47, inet1, wan);
	CHECK(in(b, len) == 1 && memcmp(b + 16, &lan1, 4) == 0);
	CHECK(ip_csum_ok(b) && n.st.other_in == 1);
	len = build_other(b, 47, inet2, wan);
	CHECK(in(b, len) == 0 && n.st.filtered == 1);
	/* lan2 cannot have GRE while lan1 does; ESP it can. */
	len = build_other(b, 47, lan2, inet2);
	CHECK(out(b, len, 0) == 0 && n.st.other_busy == 1);
	len = build_other(b, 50, lan2, inet2);		/* ESP */
	CHECK(out(b, len, 0) == 1 && n.st.other_out == 2);
	CHECK(nat_live_others(&n) == 2);
	/* Inbound traffic does not keep it: lan1 quiet for the timeout
	 * (replies coming all along), lan2 gets GRE. */
	n.now += to - 1;
	len = build_other(b, 47, inet1, wan);
	CHECK(in(b, len) == 1);
	n.now += 1;
	len = build_other(b, 47, lan2, inet2);
	CHECK(out(b, len, 0) == 1 && n.st.other_out == 3);
	/* ESP expired too: an inbound ESP packet maps to nobody. */
	len = build_other(b, 50, inet2, wan);
	CHECK(in(b, len) == 0 && n.st.no_mapping == 1);
	/* DCCP and UDP-Lite checksums cover the addresses: dropped. */
	len = build_other(b, 33, lan1, inet1);
	CHECK(out(b, len, 0) == 0 && n.st.unsupported == 1);
	len = build_other(b, 136, lan1, inet1);
	CHECK(out(b, len, 0) == 0 && n.st.unsupported == 2);
	/* Nothing held: inbound GRE of nobody's is dropped. */
	setup();
	len = build_other(b, 47, inet1, wan);
	CHECK(in(b, len) == 0 && n.st.no_mapping == 1);
	/* Per-client bytes are counted. */
	len = build_other(b, 47, lan1, inet1);
	CHECK(out(b, len, 0) == 1 && nat_clients(&n) == 1);
}

/*
 * An ICMP error (type, code) from src to dst quoting q bytes of a packet
 * of proto from isrc to idst; returns its length. The quote is at b + 28.
 */
static size_t
icmp_err(uint8_t *b, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
    uint8_t proto, uint32_t isrc, uint32_t idst, size_t q)
{
	size_t	 len = 28 + q;

	memset(b, 0, len);
	build_other(b + 28, proto, isrc, idst);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = IPPROTO_ICMP;
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	b[20] = type;
	b[21] = code;
	put16(b + 22, (uint16_t)~ref_sum(b + 20, 8 + q, 0));
	fix_ip(b);
	return len;
}

/* RFC 5508 for address-only protocols: outer and quoted addresses. */
static void
test_other_icmp_errors(void)
{
	uint8_t		 b[256], *inner = b + 28, quoted[64];
	size_t		 len;

	setup();
	len = build_other(b, 47, lan1, inet1);
	CHECK(out(b, len, 0) == 1);
	/* A router on the way (inet2) says inet1 is unreachable. */
	len = icmp_err(b, inet2, wan, 3, 1, 47, wan, inet1, 20 + 32);
	memcpy(quoted, inner + 20, 32);
	CHECK(in(b, len) == 1 && n.st.icmp_errors == 1);
	CHECK(get32(b + 12) == inet2 && get32(b + 16) == lan1);
	CHECK(get32(inner + 12) == lan1 && get32(inner + 16) == inet1);
	CHECK(ip_ok(b) && l4_ok(b) && ip_ok(inner));
	CHECK(memcmp(inner + 20, quoted, 32) == 0);
	/* RFC 792's minimum quote (8 bytes past the header), ESP. */
	len = build_other(b, 50, lan1, inet1);
	CHECK(out(b, len, 0) == 1);
	len = icmp_err(b, inet1, wan, 3, 2, 50, wan, inet1, 20 + 8);
	CHECK(in(b, len) == 1 && get32(b + 16) == lan1 &&
	    get32(inner + 12) == lan1 && ip_ok(b) && l4_ok(b) &&
	    ip_ok(inner));
	/* About a packet to another remote than the owner's: filtered. */
	len = icmp_err(b, inet2, wan, 3, 1, 47, wan, inet2, 20 + 32);
	CHECK(in(b, len) == 0 && n.st.filtered == 1);
	/* About a protocol nobody owns: dropped. */
	len = icmp_err(b, inet2, wan, 3, 1, 51, wan, inet1, 20 + 32);
	CHECK(in(b, len) == 0 && n.st.no_mapping == 1);
	/* A quote too short to hold 8 bytes past its header: malformed. */
	len = icmp_err(b, inet2, wan, 3, 1, 47, wan, inet1, 20 + 4);
	CHECK(in(b, len) == 0 && n.st.malformed == 1);

	/* From the owner: an error about a GRE packet it got. */
	len = icmp_err(b, lan1, inet1, 3, 2, 47, inet1, lan1, 20 + 32);
	memcpy(quoted, inner + 20, 32);
	CHECK(out(b, len, 0) == 1 && n.st.icmp_errors == 3);
	CHECK(get32(b + 12) == wan && get32(b + 16) == inet1);
	CHECK(get32(inner + 12) == inet1 && get32(inner + 16) == wan);
	CHECK(ip_ok(b) && l4_ok(b) && ip_ok(inner));
	CHECK(memcmp(inner + 20, quoted, 32) == 0);
	/* From another device: it owns no GRE, dropped. */
	len = icmp_err(b, lan2, inet1, 3, 2, 47, inet1, lan2, 20 + 32);
	CHECK(out(b, len, 0) == 0 && n.st.no_mapping == 2);
	/* Errors never refresh the owner. */
	n.now += n.cf.to.other;
	len = icmp_err(b, lan1, inet1, 3, 2, 47, inet1, lan1, 20 + 32);
	CHECK(out(b, len, 0) == 0 && nat_live_others(&n) == 0);
}

struct rows {
	int			 n, other;
	struct nat_map_info	 last;
};

static void
row(const struct nat_map_info *mi, void *arg)
{
	struct rows	*r = arg;

	r->n++;
	if (mi->addr_only) {
		r->other++;
		r->last = *mi;
	}
}

/*
 * The owner lives in the shared tables: a restarted natd keeps it, gkctl
 * lists it, its timeout is its own, and a corrupt entry is dropped.
 */
static void
test_other_shared(void)
{
	struct nat_config cf;
	struct rows	 r;
	uint8_t		 b[256];
	size_t		 len, esz;

	setup();
	len = build_other(b, 47, lan1, inet1);
	CHECK(out(b, len, 0) == 1);
	CHECK(map_out(IPPROTO_UDP, lan1, 5000, inet1, 7777) == 5000);
	n.now += 7;
	memset(&r, 0, sizeof(r));
	CHECK(nat_map_foreach(&n, row, &r) == 2 && r.n == 2 && r.other == 1);
	CHECK(r.last.proto == 47 && r.last.lan_ip == lan1 &&
	    r.last.remote_ip == inet1 && r.last.idle == 7 &&
	    r.last.lan_port == 0 && r.last.wan_port == 0);
	/* kill -9 and a new natd: still lan1's, replies still reach it. */
	cf = n.cf;
	CHECK(nat_attach(&n, region, region_size, 9) == 1);
	nat_set_config(&n, &cf);
	n.now = 1010;
	CHECK(nat_live_others(&n) == 1);
	len = build_other(b, 47, lan2, inet1);
	CHECK(out(b, len, 0) == 0 && n.st.other_busy == 1);
	len = build_other(b, 47, inet1, wan);
	CHECK(in(b, len) == 1 && memcmp(b + 16, &lan1, 4) == 0);
	/* Its own timeout, shorter than UDP's here (sent at 1000). */
	cf.to.other = 60;
	nat_set_config(&n, &cf);
	n.now += 49;
	sweep_all();
	CHECK(nat_live_others(&n) == 1);
	n.now += 1;
	sweep_all();
	memset(&r, 0, sizeof(r));
	CHECK(nat_map_foreach(&n, row, &r) == 1 && r.other == 0);
	CHECK(nat_live_maps(&n) == 1);	/* UDP's is another timeout */
	len = build_other(b, 47, lan2, inet1);
	CHECK(out(b, len, 0) == 1 && n.st.other_out == 1);
	/* A torn or foreign entry is dropped on attach, the rest kept. */
	len = build_other(b, 50, lan1, inet1);
	CHECK(out(b, len, 0) == 1 && nat_live_others(&n) == 2);
	/* The array ends the region: an entry's size follows. */
	esz = (region_size - (size_t)((uint8_t *)n.other - region)) /
	    NAT_OTHER;
	CHECK(esz >= 16 && esz <= 64);
	memset((uint8_t *)n.other + 50 * esz, 0xff, esz);
	CHECK(nat_attach(&n, region, region_size, 9) == 1);
	nat_set_config(&n, &cf);
	n.now = 1070;
	CHECK(nat_live_others(&n) == 1);
	len = build_other(b, 50, inet1, wan);
	CHECK(in(b, len) == 0);
	len = build_other(b, 47, inet1, wan);
	CHECK(in(b, len) == 1 && memcmp(b + 16, &lan2, 4) == 0);
}

/* A later fragment (offset off8 * 8) of datagram ipid: len bytes. */
static size_t
later_frag(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst,
    uint16_t ipid, uint16_t off8, size_t len)
{
	size_t	 i;

	memset(b, 0, 20);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)len);
	put16(b + 4, ipid);
	put16(b + 6, off8);		/* MF clear: the last */
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	for (i = 20; i < len; i++)
		b[i] = (uint8_t)xr();
	fix_ip(b);
	return len;
}

/* The first fragment of a UDP datagram: 512 bytes of L4, MF set. */
static size_t
first_frag(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sp,
    uint16_t dp, uint16_t ipid)
{
	build(b, IPPROTO_UDP, src, dst, sp, dp, 1200, 0);
	put16(b + 2, 20 + 512);
	put16(b + 4, ipid);
	put16(b + 6, 0x2000);
	fix_ip(b);
	return 20 + 512;
}

/* RFC 4787 REQ-14: later fragments before their first are held. */
static void
test_fragments(void)
{
	uint8_t		 b[4096], f[2048], *pkt;
	struct nat_result r;
	size_t		 len, flen, plen;
	uint32_t	 id, src, dst;
	int		 acc, i;
	char		 ip[32];

	setup();
	/* Out: the later fragment first, held; released by the first. */
	flen = later_frag(f, IPPROTO_UDP, lan1, inet1, 0x1234, 64, 720);
	pkt_id = 11;
	CHECK(nat_packet(&n, f, flen, pkt_id, NAT_HOOK_FORWARD, 0, &r) ==
	    NAT_HELD);
	CHECK(n.st.frag_held == 1);
	CHECK(nat_hold_take(&n, &id, &acc, &pkt, &plen) == 0);
	len = first_frag(b, lan1, inet1, 5000, 7777, 0x1234);
	pkt_id = 12;
	CHECK(out(b, len, 0) == 1);
	CHECK(memcmp(b + 12, &wan, 4) == 0 && ip_csum_ok(b));
	CHECK(nat_hold_take(&n, &id, &acc, &pkt, &plen) == 1);
	CHECK(id == 11 && acc == 1 && plen == 720);
	CHECK(memcmp(pkt + 12, &wan, 4) == 0 && ip_csum_ok(pkt));
	CHECK(memcmp(pkt + 20, f + 20, 700) == 0);
	CHECK(nat_hold_take(&n, &id, &acc, &pkt, &plen) == 0);
	nat_hold_sent(&n);
	CHECK(n.st.frag_released == 1);
	/* Another later one now follows the first at once. */
	flen = later_frag(f, IPPROTO_UDP, lan1, inet1, 0x1234, 154, 300);
	CHECK(out(f, flen, 0) == 1 && memcmp(f + 12, &wan, 4) == 0);

	/* In: held, then released to the device by the first. */
	flen = later_frag(f, IPPROTO_UDP, inet1, wan, 0x777, 64, 500);
	pkt_id = 20;
	CHECK(nat_packet(&n, f, flen, pkt_id, NAT_HOOK_PRE, 0, &r) ==
	    NAT_HELD);
	len = first_frag(b, inet1, wan, 7777, 5000, 0x777);
	pkt_id = 21;
	CHECK(in(b, len) == 1 && memcmp(b + 16, &lan1, 4) == 0);
	CHECK(nat_hold_take(&n, &id, &acc, &pkt, &plen) == 1);
	CHECK(id == 20 && acc == 1 && memcmp(pkt + 16, &lan1, 4) == 0 &&
	    ip_csum_ok(pkt));
	nat_hold_sent(&n);

	/* A first that never comes: dropped after NAT_HOLD_SECS. */
	flen = later_frag(f, IPPROTO_UDP, lan1, inet1, 0x999, 64, 500);
	pkt_id = 30;
	CHECK(out(f, flen, 0) == NAT_HELD);
	n.now += 1;
	nat_sweep(&n, 0);
	CHECK(nat_hold_take(&n, &id, &acc, &pkt, &plen) == 0);
	n.now += NAT_HOLD_SECS;
	nat_sweep(&n, 0);
	CHECK(nat_hold_take(&n, &id, &acc, &pkt, &plen) == 1);
	CHECK(id == 30 && acc == 0 && n.st.frag_evicted == 1);
	nat_hold_sent(&n);

	/* Bounded: too big, too many from one sender, the oldest pushed
	 * out when every slot is taken. */
	flen = later_frag(b, IPPROTO_UDP, lan1, inet1, 0x500, 64,
	    NAT_HOLD_SLOT + 1);
	CHECK(out(b, flen, 0) == 0 && n.st.frag_unknown == 1);
	for (i = 0; i < NAT_HOLD_PER_SRC; i++) {
		flen = later_frag(f, IPPROTO_UDP, lan1, inet1,
		    (uint16_t)(0x600 + i), 64, 100);
		CHECK(out(f, flen, 0) == NAT_HELD);
	}
	flen = later_frag(f, IPPROTO_UDP, lan1, inet1, 0x6ff, 64, 100);
	CHECK(out(f, flen, 0) == 0 && n.st.frag_unknown == 2);
	for (i = 0; i < NAT_HOLD; i++) {
		snprintf(ip, sizeof(ip), "10.42.0.%d", 100 + i / 2);
		src = A(ip);
		pkt_id = 1000 + (uint32_t)i;
		n.now++;
		flen = later_frag(f, IPPROTO_UDP, src, inet1,
		    (uint16_t)(0x700 + i), 64, 100);
		CHECK(out(f, flen, 0) == NAT_HELD);
	}
	/* 16 slots: the 4 of lan1 (oldest) and 12 new ones; the 13th to
	 * 16th new ones pushed the 4 of lan1 out. */
	for (i = 0; i < NAT_HOLD_PER_SRC; i++) {
		CHECK(nat_hold_take(&n, &id, &acc, &pkt, &plen) == 1);
		CHECK(acc == 0);
	}
	CHECK(nat_hold_take(&n, &id, &acc, &pkt, &plen) == 0);
	CHECK(n.st.frag_evicted == 1 + NAT_HOLD_PER_SRC);
	CHECK(n.st.frag_held == 3 + NAT_HOLD_PER_SRC + NAT_HOLD);
	/* Garbage that looks like a later fragment never crashes. */
	dst = wan;
	flen = later_frag(f, 47, inet2, dst, 1, 1, 20);
	CHECK(nat_packet(&n, f, flen, pkt_id, NAT_HOOK_PRE, 0, &r) ==
	    NAT_HELD);
}

static int
pre_lan(uint8_t *b, size_t len, struct nat_result *r)
{
	return nat_packet(&n, b, len, pkt_id, NAT_HOOK_PRE_LAN, 0, r);
}

/*
 * From the WAN, a LAN source or the router's own is forged: dropped and
 * counted (spoofed_wan). The same addresses from the LAN side are
 * hairpin traffic; from the LAN side, a source off the LAN is forged.
 */
static void
test_spoofed(void)
{
	uint8_t		 b[256], copy[256];
	size_t		 len;
	struct nat_result r;

	setup();
	CHECK(map_out(IPPROTO_UDP, lan1, 5000, inet1, 7777) == 5000);
	len = build(b, IPPROTO_UDP, lan2, wan, 4000, 5000, 30, 0);
	memcpy(copy, b, len);
	CHECK(in(b, len) == 0 && n.st.spoofed_wan == 1);
	CHECK(memcmp(b, copy, len) == 0);	/* untouched */
	len = build(b, IPPROTO_UDP, wan, wan, 4000, 5000, 30, 0);
	CHECK(in(b, len) == 0 && n.st.spoofed_wan == 2);
	len = build(b, IPPROTO_UDP, lanaddr, wan, 4000, 5000, 30, 0);
	CHECK(in(b, len) == 0 && n.st.spoofed_wan == 3);
	/* Whatever it is addressed to, whatever the protocol. */
	len = build(b, IPPROTO_UDP, lan2, lan1, 4000, 5000, 30, 0);
	CHECK(in(b, len) == 0 && n.st.spoofed_wan == 4);
	len = build(b, IPPROTO_TCP, lan2, wan, 4000, 5000, 0, 0x02);
	CHECK(in(b, len) == 0 && n.st.spoofed_wan == 5);
	len = build(b, IPPROTO_ICMP, lan2, wan, 77, 0, 20, 8);
	CHECK(in(b, len) == 0 && n.st.spoofed_wan == 6);
	len = build_other(b, 47, lan1, inet1);
	CHECK(out(b, len, 0) == 1);
	len = build_other(b, 47, lan2, wan);
	CHECK(in(b, len) == 0 && n.st.spoofed_wan == 7);
	/* A later fragment is not even held. */
	len = later_frag(b, IPPROTO_UDP, lan2, wan, 0x42, 64, 100);
	CHECK(in(b, len) == 0 && n.st.spoofed_wan == 8 &&
	    n.st.frag_held == 0);
	CHECK(n.st.hairpin == 0 && n.st.in_packets == 0 &&
	    n.st.other_in == 0 && n.st.not_for_wan == 0);

	/* The same first packet from the LAN side: hairpin to lan1. */
	len = build(b, IPPROTO_UDP, lan2, wan, 4000, 5000, 30, 0);
	CHECK(pre_lan(b, len, &r) == 1 && r.modified && n.st.hairpin == 1);
	CHECK(get32(b + 16) == lan1 && ip_ok(b) && l4_ok(b));
	/* From the LAN side, a source off the LAN or the router's. */
	len = build(b, IPPROTO_UDP, inet2, wan, 4000, 5000, 30, 0);
	CHECK(pre_lan(b, len, &r) == 0 && n.st.spoofed == 1);
	CHECK(get32(b + 16) == wan);
	len = build(b, IPPROTO_UDP, lanaddr, wan, 4000, 5000, 30, 0);
	CHECK(pre_lan(b, len, &r) == 0 && n.st.spoofed == 2);
	CHECK(n.st.spoofed_wan == 8 && n.st.in_packets == 0);
	/* A real host outside still gets in. */
	len = build(b, IPPROTO_UDP, inet2, wan, 4000, 5000, 30, 0);
	CHECK(in(b, len) == 1 && get32(b + 16) == lan1 &&
	    n.st.in_packets == 1);
}

/* A LAN packet out, in a frame from mac (NULL: none came). */
static int
out_mac(uint8_t *b, size_t len, const uint8_t *mac)
{
	nat_frame_mac(&n, mac);
	return out(b, len, 0);
}

static int
udp_from(uint32_t src, uint16_t sp, const uint8_t *mac)
{
	uint8_t	 b[200];
	size_t	 len;

	len = build(b, IPPROTO_UDP, src, inet1, sp, 53, 10, 0);
	return out_mac(b, len, mac);
}

/*
 * The WAN's ports used up (the per-device limits raised so that one
 * device can): the next new TCP mapping, whoever asks, is dropped and
 * counted, the ones made keep working; a new UDP mapping takes the
 * longest-idle UDP one instead (counted) when the UDP ports are full.
 */
static void
test_ports_exhausted(void)
{
	struct nat_config cf;
	uint8_t		 b[200];
	size_t		 len;
	uint32_t	 k, tcp = 0, udp = 0;

	setup();
	cf = n.cf;
	cf.per_client_max = cf.per_mac_max = NAT_MAX_MAPS;
	nat_set_config(&n, &cf);
	for (k = 1; k <= 65535 && n.st.ports_exhausted == 0; k++) {
		len = build(b, IPPROTO_TCP, lan1, inet1, (uint16_t)k, 80, 0,
		    0x02);
		tcp += out(b, len, 0) == 1;
	}
	CHECK(n.st.ports_exhausted == 1 && tcp > 30000);
	CHECK(nat_live_maps(&n) == tcp);
	len = build(b, IPPROTO_TCP, lan2, inet1, 5000, 80, 0, 0x02);
	CHECK(out(b, len, 0) != 1 && n.st.ports_exhausted == 2);
	len = build(b, IPPROTO_TCP, lan1, inet1, 1, 80, 0, 0x10);
	CHECK(out(b, len, 0) == 1);
	/* UDP: full, then another device's new one evicts the oldest. */
	for (k = 1; k <= 65535 && n.st.evicted == 0; k++)
		udp += udp_from(lan1, (uint16_t)k, NULL);
	CHECK(n.st.evicted == 1 && udp == k - 1);
	CHECK(udp_from(lan2, 5000, NULL) == 1 && n.st.evicted == 2);
	CHECK(n.st.ports_exhausted == 2);
}

/*
 * Once a scan found every WAN port of a protocol taken, the next new
 * mappings do not walk the 64,512 ports again (bench/scale: 230 us each,
 * natd's whole CPU at 4,000 SYNs a second): one is refused at once, and
 * a mapping freed since gives its port to the next; past NAT_PORT_HINTS
 * freed, natd scans again.
 */
static void
test_ports_full_reuse(void)
{
	struct nat_config cf;
	uint8_t		 b[200];
	size_t		 len;
	uint32_t	 k, t0, sweep = NAT_MAX_MAPS + NAT_MAX_SESS +
			    NAT_MAX_CLIENTS;
	uint16_t	 first[NAT_PORT_HINTS], p;

	setup();
	cf = n.cf;
	cf.per_client_max = cf.per_mac_max = NAT_MAX_MAPS;
	nat_set_config(&n, &cf);
	/* NAT_PORT_HINTS mappings at t0, two at t0 + 1, the rest later */
	t0 = n.now;
	for (k = 0; k < NAT_PORT_HINTS + 2; k++) {
		if (k == NAT_PORT_HINTS)
			n.now++;
		len = build(b, IPPROTO_TCP, lan1, inet1, (uint16_t)(k + 1), 80,
		    0, 0x02);
		CHECK(out(b, len, 0) == 1);
		if (k < NAT_PORT_HINTS)
			first[k] = get16(b + 20);
	}
	n.now++;
	for (k = 1024; k <= 65535 && n.st.ports_exhausted == 0; k++) {
		len = build(b, IPPROTO_TCP, lan1, inet1, (uint16_t)k, 80, 0,
		    0x02);
		(void)out(b, len, 0);
	}
	CHECK(n.st.ports_exhausted == 1 && n.ports_full[0] == 1);
	len = build(b, IPPROTO_TCP, lan2, inet1, 5000, 80, 0, 0x02);
	CHECK(out(b, len, 0) != 1 && n.st.ports_exhausted == 2);
	/* The first ones expire (transitory timeout), the others not yet:
	 * their ports are the only free ones, and the next take them. */
	n.now = t0 + n.cf.to.tcp_trans;
	nat_sweep(&n, sweep);
	nat_sweep(&n, sweep);
	CHECK(n.st.maps_expired == NAT_PORT_HINTS);
	CHECK(n.ports_full[0] == 1 && n.nhints[0] == NAT_PORT_HINTS);
	len = build(b, IPPROTO_TCP, lan2, inet1, 5001, 80, 0, 0x02);
	CHECK(out(b, len, 0) == 1);
	p = get16(b + 20);
	for (k = 0; k < NAT_PORT_HINTS && first[k] != p; k++)
		;
	CHECK(k < NAT_PORT_HINTS);
	/* Two more freed: more than it keeps, so it scans again. */
	n.now++;
	nat_sweep(&n, sweep);
	nat_sweep(&n, sweep);
	CHECK(n.st.maps_expired == NAT_PORT_HINTS + 2);
	CHECK(n.ports_full[0] == 0);
	for (k = 0; k < NAT_PORT_HINTS + 1; k++) {
		len = build(b, IPPROTO_TCP, lan2, inet1, (uint16_t)(5002 + k),
		    80, 0, 0x02);
		CHECK(out(b, len, 0) == 1);
	}
	len = build(b, IPPROTO_TCP, lan2, inet1, 6000, 80, 0, 0x02);
	CHECK(out(b, len, 0) != 1 && n.st.ports_exhausted == 3);
}

/*
 * TCP from the LAN creates a mapping only with a SYN: a stray ACK, RST
 * or FIN allocates nothing (no mapping, no client slot), and is dropped
 * and counted; once the SYN made it, the rest of the connection passes.
 */
static void
test_tcp_syn_only(void)
{
	static const uint8_t flags[] = { 0x10, 0x04, 0x14, 0x01, 0x11, 0x18,
	    0x12, 0x03 };
	uint8_t		 b[200];
	size_t		 len, i;

	setup();
	for (i = 0; i < sizeof(flags); i++) {
		len = build(b, IPPROTO_TCP, lan1, inet1, 6000, 80, 0,
		    flags[i]);
		CHECK(out(b, len, 0) == 0);
	}
	CHECK(n.st.tcp_no_syn == sizeof(flags));
	CHECK(nat_live_maps(&n) == 0 && nat_clients(&n) == 0 &&
	    n.st.maps_created == 0);
	/* Not through the hairpin either. */
	CHECK(map_out(IPPROTO_TCP, lan2, 7000, inet1, 80) == 7000);
	len = build(b, IPPROTO_TCP, lan1, wan, 6000, 7000, 0, 0x10);
	CHECK(nat_packet(&n, b, len, 0, NAT_HOOK_PRE_LAN, 0,
	    &(struct nat_result){ 0 }) == 0);
	CHECK(n.st.tcp_no_syn == sizeof(flags) + 1 && nat_live_maps(&n) == 1);
	/* A SYN with ECN bits is a SYN. */
	len = build(b, IPPROTO_TCP, lan1, inet1, 6000, 80, 0, 0xc2);
	CHECK(out(b, len, 0) == 1 && get16(b + 20) == 6000);
	len = build(b, IPPROTO_TCP, lan1, inet1, 6000, 80, 0, 0x10);
	CHECK(out(b, len, 0) == 1);
	len = build(b, IPPROTO_TCP, lan1, inet1, 6000, 80, 0, 0x11);
	CHECK(out(b, len, 0) == 1);
	CHECK(n.st.tcp_no_syn == sizeof(flags) + 1 && nat_live_maps(&n) == 2);
	/* UDP and ICMP need no such thing. */
	CHECK(udp_from(lan1, 6000, NULL) == 1);
}

/*
 * Limits per MAC: one device forging many LAN sources gets no more than
 * one device's share (the review's attack: 36,280 TCP mappings from 5
 * forged addresses), holds at most NAT_ADDRS_PER_MAC addresses, and
 * others' devices keep getting mappings.
 */
static void
test_mac_limits(void)
{
	const uint8_t	 evil[6] = { 0x02, 0xee, 0, 0, 0, 1 };
	const uint8_t	 good[6] = { 0x02, 0x60, 0, 0, 0, 2 };
	struct nat_config cf;
	uint8_t		 b[200], mac[6];
	uint32_t	 src, ok = 0, k, j;
	size_t		 len;

	setup();
	cf = n.cf;
	cf.per_client_max = 100;
	cf.per_mac_max = 250;
	nat_set_config(&n, &cf);
	/* One address: the per-address limit. */
	for (k = 0; k < 150; k++)
		ok += udp_from(lan1, (uint16_t)(10000 + k), evil);
	CHECK(ok == 100 && n.st.client_limit == 50);
	CHECK(n.limited_src == lan1);		/* named in natd's log */
	/* Forged addresses, one MAC: the MAC's limit. */
	for (k = 0; k < 10; k++) {
		src = htonl(ntohl(lan1) + 100 + k);
		len = build(b, IPPROTO_TCP, src, inet1,
		    (uint16_t)(20000 + k), 80, 0, 0x02);
		ok += out_mac(b, len, evil);
		for (j = 1; j < 40; j++)
			ok += udp_from(src, (uint16_t)(20000 + j), evil);
	}
	CHECK(ok == 250 && n.st.mac_limit == 400 - 150);
	CHECK(nat_live_maps(&n) == 250);
	/* Another device is not affected. */
	CHECK(udp_from(lan2, 5000, good) == 1);
	len = build(b, IPPROTO_TCP, lan2, inet1, 5001, 80, 0, 0x02);
	CHECK(out_mac(b, len, good) == 1);
	CHECK(nat_client_mac(&n, nat_client_find(&n, lan2), mac) == 1 &&
	    memcmp(mac, good, 6) == 0);
	/* An existing mapping keeps working at the limit. */
	CHECK(udp_from(lan1, 10000, evil) == 1);

	/* Addresses per MAC: 11 so far, 16 at most. */
	for (k = 0; k < 10; k++)
		udp_from(htonl(ntohl(lan1) + 150 + k), 9, evil);
	CHECK(n.st.mac_addrs == 5);
	CHECK(nat_clients(&n) == NAT_ADDRS_PER_MAC + 1);
	/* Nor can it take the good device's address over. */
	CHECK(udp_from(lan2, 5000, evil) == 0 && n.st.mac_addrs == 6);
	CHECK(nat_client_learn(&n, nat_client_find(&n, lan2), evil) == 0);
	CHECK(nat_client_mac(&n, nat_client_find(&n, lan2), mac) == 1 &&
	    memcmp(mac, good, 6) == 0);
	/* The address passes to another device: it follows. */
	CHECK(udp_from(lan1, 10000, good) == 1);
	CHECK(nat_client_mac(&n, nat_client_find(&n, lan1), mac) == 1 &&
	    memcmp(mac, good, 6) == 0);
	/* The counts hold across a restart: 15 addresses left to evil,
	 * 102 mappings to good. */
	CHECK(nat_attach(&n, region, region_size, 42) == 1);
	cf.per_mac_max = 103;
	nat_set_config(&n, &cf);
	n.now = 1000;
	/* The 16th address (its 150 mappings are over 103: none for it). */
	CHECK(udp_from(htonl(ntohl(lan1) + 200), 9, evil) == 0 &&
	    n.st.mac_limit == 1 && n.st.mac_addrs == 0);
	CHECK(udp_from(htonl(ntohl(lan1) + 201), 9, evil) == 0 &&
	    n.st.mac_addrs == 1);
	CHECK(udp_from(lan2, 5002, good) == 1);
	CHECK(udp_from(lan2, 5003, good) == 0 && n.st.mac_limit == 2);
}

/*
 * Client slots that hold nothing are freed once idle for the UDP
 * timeout, so forged addresses cannot fill the table for good (on a /16
 * LAN it was full forever, and kept across restarts); when it is full,
 * a new address is refused rather than served without limits.
 */
static void
test_client_slots(void)
{
	struct nat_config cf;
	uint8_t		 mac[6] = { 0x02, 0, 0, 0, 0, 0 }, b[200];
	uint32_t	 k, ok = 0;
	size_t		 len;

	setup();
	cf = n.cf;
	cf.lan_net = A("10.42.0.0");
	cf.lan_mask = A("255.255.0.0");
	nat_set_config(&n, &cf);
	for (k = 0; k < NAT_MAX_CLIENTS + 10; k++) {
		mac[4] = (uint8_t)(k >> 12);
		mac[5] = (uint8_t)(k >> 4);
		ok += udp_from(htonl(ntohl(lan1) + 256 + k), 5000, mac);
	}
	CHECK(ok == NAT_MAX_CLIENTS && n.st.clients_full == 10);
	CHECK(nat_clients(&n) == NAT_MAX_CLIENTS);
	/* Kept while they hold mappings, and across a restart. */
	n.now += 200;
	sweep_all();
	CHECK(nat_clients(&n) == NAT_MAX_CLIENTS && n.st.clients_freed == 0);
	CHECK(nat_attach(&n, region, region_size, 42) == 1);
	nat_set_config(&n, &cf);
	n.now = 1200;
	CHECK(nat_clients(&n) == NAT_MAX_CLIENTS);
	/* The mappings expire, and then the slots, idle as long. */
	n.now += 101;
	sweep_all();
	CHECK(nat_live_maps(&n) == 0 && nat_clients(&n) == 0);
	CHECK(n.st.clients_freed == NAT_MAX_CLIENTS);
	/* Free slots are used again, and stay free across a restart. */
	CHECK(udp_from(lan2, 5000, mac) == 1 && nat_clients(&n) == 1);
	k = nat_client_find(&n, lan2);
	CHECK(k != 0);
	CHECK(nat_attach(&n, region, region_size, 42) == 1);
	nat_set_config(&n, &cf);
	n.now = 1400;
	CHECK(nat_clients(&n) == 1 && nat_client_find(&n, lan2) == k);
	CHECK(udp_from(lan1, 5000, NULL) == 1 && nat_clients(&n) == 2);
	CHECK(nat_client_find(&n, lan1) == (k == 1 ? 2 : 1));
	/* A slot without mappings that an address-only owner holds stays. */
	setup();
	cf = n.cf;
	cf.to.other = 1000;
	nat_set_config(&n, &cf);
	len = build_other(b, 47, lan1, inet1);
	CHECK(out(b, len, 0) == 1 && nat_clients(&n) == 1);
	n.now += 301;
	sweep_all();
	CHECK(nat_clients(&n) == 1);
	n.now += 700;
	sweep_all();
	CHECK(nat_clients(&n) == 0);
}

/*
 * A port unreachable from src to dst quoting a packet from isrc to idst
 * (sp to dp; for TCP a SYN+ACK, for ICMP an echo request).
 */
static size_t
icmp_error(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst,
    uint32_t isrc, uint32_t idst, uint16_t sp, uint16_t dp)
{
	uint8_t		*icmp = b + 20, *inner = b + 28;
	size_t		 len = 28 + 48;

	memset(b, 0, 28);
	build(inner, proto, isrc, idst, sp, dp, 20,
	    proto == IPPROTO_ICMP ? 8 : 0x12);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = IPPROTO_ICMP;
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	icmp[0] = 3;
	icmp[1] = 3;
	put16(icmp + 2, (uint16_t)~ref_sum(icmp, 8 + 48, 0));
	fix_ip(b);
	return len;
}

/* An ICMP error from the WAN quoting a packet we sent: in one of ours. */
static size_t
icmp_error_about(uint8_t *b, uint8_t proto, uint32_t from, uint32_t dst,
    uint16_t sp, uint16_t dp)
{
	return icmp_error(b, proto, from, wan, wan, dst, sp, dp);
}

/*
 * ICMP errors from the WAN reach a device only when the packet they
 * quote went where its mapping has been (a session), not merely through
 * a mapped WAN port: under address-dependent filtering a stranger's
 * errors were let in by port alone.
 */
static void
test_icmp_errors_matched(void)
{
	uint8_t		 b[300];
	size_t		 len;
	uint16_t	 wp, id;

	setup();
	wp = map_out(IPPROTO_UDP, lan1, 8000, inet1, 53);
	CHECK(wp == 8000);
	/* About a packet to a host the mapping never talked to. */
	len = icmp_error_about(b, IPPROTO_UDP, inet2, inet2, wp, 53);
	CHECK(in(b, len) == 0 && n.st.icmp_unmatched == 1);
	CHECK(get32(b + 16) == wan);
	/* To its host, another port. */
	len = icmp_error_about(b, IPPROTO_UDP, inet2, inet1, wp, 54);
	CHECK(in(b, len) == 0 && n.st.icmp_unmatched == 2);
	/* No mapping at all. */
	len = icmp_error_about(b, IPPROTO_UDP, inet2, inet1, 9999, 53);
	CHECK(in(b, len) == 0 && n.st.icmp_unmatched == 3);
	/* The real one, from a router on the way (TTL exceeded). */
	len = icmp_error_about(b, IPPROTO_UDP, inet2, inet1, wp, 53);
	b[20] = 11;
	b[21] = 0;
	put16(b + 22, 0);
	put16(b + 22, (uint16_t)~ref_sum(b + 20, 8 + 48, 0));
	CHECK(in(b, len) == 1 && get32(b + 16) == lan1 &&
	    n.st.icmp_errors == 1);
	CHECK(ip_ok(b) && l4_ok(b));
	/* TCP, the same. */
	CHECK(map_out(IPPROTO_TCP, lan1, 8001, inet1, 443) == 8001);
	len = icmp_error_about(b, IPPROTO_TCP, inet2, inet2, 8001, 443);
	CHECK(in(b, len) == 0 && n.st.icmp_unmatched == 4);
	len = icmp_error_about(b, IPPROTO_TCP, inet1, inet1, 8001, 443);
	CHECK(in(b, len) == 1 && get32(b + 16) == lan1);
	/* An echo: about a ping to the host pinged only. */
	id = map_out(IPPROTO_ICMP, lan1, 77, inet1, 0);
	CHECK(id >= 1024);
	len = icmp_error_about(b, IPPROTO_ICMP, inet2, inet2, id, 0);
	CHECK(in(b, len) == 0 && n.st.icmp_unmatched == 5);
	len = icmp_error_about(b, IPPROTO_ICMP, inet2, inet1, id, 0);
	CHECK(in(b, len) == 1 && get32(b + 16) == lan1 &&
	    n.st.icmp_errors == 3);
	CHECK(n.st.no_mapping == 0);
}

/* An ICMP error from lan1 to `to`, about a packet from `from` it got. */
static size_t
icmp_error_from_lan(uint8_t *b, uint8_t proto, uint32_t to, uint32_t from,
    uint16_t sp, uint16_t dp)
{
	return icmp_error(b, proto, lan1, to, from, lan1, sp, dp);
}

/*
 * ICMP errors from the LAN go back to the sender of the packet they
 * quote, and under address-dependent filtering only about a sender the
 * mapping let in: a device could otherwise aim errors from the router's
 * address at any host about its WAN ports.
 */
static void
test_icmp_errors_out_matched(void)
{
	uint8_t		 b[300];
	size_t		 len;

	setup();			/* TCP: address-dependent, UDP: full cone */
	CHECK(map_out(IPPROTO_TCP, lan1, 8001, inet1, 443) == 8001);
	/* About a segment from a host the mapping never talked to. */
	len = icmp_error_from_lan(b, IPPROTO_TCP, inet2, inet2, 443, 8001);
	CHECK(out(b, len, 0) == 0 && n.st.icmp_unmatched == 1);
	/* Sent elsewhere than to the quoted packet's sender. */
	len = icmp_error_from_lan(b, IPPROTO_TCP, inet2, inet1, 443, 8001);
	CHECK(out(b, len, 0) == 0 && n.st.icmp_unmatched == 2);
	/* From its host, another port: address-dependent lets it in. */
	len = icmp_error_from_lan(b, IPPROTO_TCP, inet1, inet1, 444, 8001);
	CHECK(out(b, len, 0) == 1 && get32(b + 12) == wan);
	CHECK(ip_ok(b) && l4_ok(b));
	/* Full cone: a datagram from anyone could come in, its error out. */
	CHECK(map_out(IPPROTO_UDP, lan1, 8002, inet1, 53) == 8002);
	len = icmp_error_from_lan(b, IPPROTO_UDP, inet2, inet2, 5353, 8002);
	CHECK(out(b, len, 0) == 1 && get32(b + 12) == wan &&
	    n.st.icmp_errors == 2);
	/* Address-and-port-dependent: that port of that host only. */
	n.cf.filter_udp = NAT_APDF;
	len = icmp_error_from_lan(b, IPPROTO_UDP, inet1, inet1, 54, 8002);
	CHECK(out(b, len, 0) == 0 && n.st.icmp_unmatched == 3);
	len = icmp_error_from_lan(b, IPPROTO_UDP, inet1, inet1, 53, 8002);
	CHECK(out(b, len, 0) == 1 && n.st.icmp_errors == 3);
}

/*
 * Timeouts: defaults, then gatekeeper.conf's, then gkctl's, the latest
 * change winning: a gkctl value holds until the file's value of that
 * timeout changes, then is forgotten (and natd.conf rewritten).
 */
static void
test_timeout_precedence(void)
{
	struct nat_timeouts conf, out, def;
	struct natconf	 s, t;
	char		 buf[1024];
	int		 len;

	nat_default_timeouts(&def);
	memset(&s, 0, sizeof(s));
	memset(&conf, 0, sizeof(conf));
	/* Nothing set: natd's defaults. */
	CHECK(natconf_timeouts(&s, &conf, &out) == 0);
	CHECK(memcmp(&out, &def, sizeof(out)) == 0);
	CHECK(def.udp == 300 && def.tcp_est == 7440 &&
	    def.tcp_trans == 240 && def.icmp == 60 && def.other == 300);
	/* The file sets UDP and ICMP. */
	conf.udp = 600;
	conf.icmp = 90;
	CHECK(natconf_timeouts(&s, &conf, &out) == 0);
	CHECK(out.udp == 600 && out.icmp == 90 && out.tcp_est == 7440);
	/* gkctl sets UDP (while the file says 600) and TCP established. */
	s.to.udp = 200;
	s.to_base.udp = 600;
	s.to.tcp_est = 9000;
	s.to_base.tcp_est = 0;
	CHECK(natconf_timeouts(&s, &conf, &out) == 0);
	CHECK(out.udp == 200 && out.tcp_est == 9000 && out.icmp == 90);
	/* It survives a save and a restart (natd.conf read back). */
	len = natconf_format(&s, buf, sizeof(buf));
	CHECK(len > 0);
	CHECK(natconf_parse(&t, buf, (size_t)len) == 0);
	CHECK(t.to.udp == 200 && t.to_base.udp == 600 &&
	    t.to.tcp_est == 9000 && t.to_base.tcp_est == 0);
	/* A reload with the same file: gkctl's still win. */
	CHECK(natconf_timeouts(&t, &conf, &out) == 0);
	CHECK(out.udp == 200 && out.tcp_est == 9000);
	/* The file changes UDP: the file wins, gkctl's UDP is forgotten;
	 * the TCP one, untouched by the file, stays. */
	conf.udp = 900;
	CHECK(natconf_timeouts(&t, &conf, &out) == 1);
	CHECK(out.udp == 900 && t.to.udp == 0 && out.tcp_est == 9000);
	/* The file now sets TCP established: it wins too. */
	conf.tcp_est = 8000;
	CHECK(natconf_timeouts(&t, &conf, &out) == 1);
	CHECK(out.tcp_est == 8000 && t.to.tcp_est == 0);
	/* Removing a file value the gkctl one was set over also counts. */
	t.to.icmp = 30;
	t.to_base.icmp = 90;
	conf.icmp = 0;
	CHECK(natconf_timeouts(&t, &conf, &out) == 1);
	CHECK(out.icmp == 60 && t.to.icmp == 0);
	/* Bad lines: a base that is not a number. */
	CHECK(natconf_parse(&t, "timeout udp 30 x\n", 17) == 1);
	CHECK(natconf_parse(&t, "timeout udp 30 0\n", 17) == 1);
}

int
main(void)
{
	wan = A("203.0.113.2");
	inet1 = A("203.0.113.1");
	inet2 = A("198.51.100.1");
	lan1 = A("10.42.0.50");
	lan2 = A("10.42.0.51");
	lanaddr = A("10.42.0.1");
	region_size = nat_region_size();
	if ((region = calloc(1, region_size)) == NULL)
		return 1;
	test_csum_partial();
	test_random_roundtrip();
	test_udp_zero_csum();
	test_bad_csum_kept_bad();
	test_mapping();
	test_filtering();
	test_timeouts();
	test_icmp();
	test_malformed();
	test_local_and_hairpin();
	test_forwards();
	test_attach();
	test_lazy();
	test_client_mac();
	test_store();
	test_timeout_precedence();
	test_fragments();
	test_spoofed();
	test_other_protocols();
	test_other_shared();
	test_other_icmp_errors();
	test_tcp_syn_only();
	test_mac_limits();
	test_ports_exhausted();
	test_ports_full_reuse();
	test_client_slots();
	test_icmp_errors_matched();
	test_icmp_errors_out_matched();
	free(region);
	return check_result();
}
