/*
 * webd's pcap download (webd/pcap.c): a ring written by natd's writer
 * comes out as a classic pcap of raw IPv4 (link type 101), oldest
 * first, found by MAC or by the device's address, never another
 * device's packets, never over the ring's size, named for the device.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capring.h"
#include "check.h"
#include "devices.h"
#include "pcap.h"
#include "web.h"

#define SIZE	(1024 * 1024)
#define RING	(64 * 1024)

static struct cap_writer w;

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Walks a pcap: its records, each packet's first byte in firsts. */
static int
walk(const uint8_t *b, size_t len, uint8_t *firsts, int max)
{
	size_t	 off = 24;
	uint32_t caplen;
	int	 n = 0;

	if (len < 24 || get32(b) != 0xa1b2c3d4 || get32(b + 20) != 101)
		return -1;
	while (off < len) {
		if (len - off < 16)
			return -1;
		caplen = get32(b + off + 8);
		if (caplen > get32(b + off + 12) || caplen > len - off - 16)
			return -1;
		if (n < max)
			firsts[n] = b[off + 16];
		n++;
		off += 16 + caplen;
	}
	return n;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The Internet checksum over a pseudo-header sum and n bytes: 0 when
 * the bytes carry a correct checksum. */
static uint16_t
verify(uint32_t sum, const uint8_t *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		sum += i & 1 ? b[i] : (uint32_t)b[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * A TCP GSO super-packet of 3000 payload bytes cut by 1448 comes out as
 * the three segments the wire carried: lengths, IP IDs, sequence
 * numbers, flags and both checksums right, the payload in order, the
 * bytes of the file those of the wire. Cut by the snap length, it stays
 * one record.
 */
static void
test_gso(void)
{
	static const uint8_t mac[6] = { 0x02, 0xcc, 0, 0, 0, 3 };
	static uint8_t	 region[256 * 1024], pkt[52 + 3000];
	static const size_t segs[3] = { 1448, 1448, 104 };
	struct web_resp	 r;
	const uint8_t	*b, *ip, *tcp;
	char		 err[128];
	size_t		 off, payload = 0, wire = 0;
	uint32_t	 i, pseudo;
	int		 a;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[2] = sizeof(pkt) >> 8;
	pkt[3] = sizeof(pkt) & 0xff;
	pkt[4] = 0x12;
	pkt[5] = 0x34;
	pkt[6] = 0x40;
	pkt[8] = 64;
	pkt[9] = 6;
	memcpy(pkt + 12, "\x0a\x2a\x00\x32\xcb\x00\x71\x01", 8);
	pkt[20] = 0x9c;			/* 40000 -> 5201 */
	pkt[21] = 0x40;
	pkt[22] = 0x14;
	pkt[23] = 0x51;
	pkt[27] = 100;			/* seq 100 */
	pkt[32] = 8 << 4;		/* 32 bytes: options */
	pkt[33] = 0x80 | 0x10 | 0x08 | 0x01;	/* CWR ACK PSH FIN */
	for (i = 52; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	CHECK(cap_attach(&w, region, sizeof(region), 64 * 1024, 0) == 0);
	a = cap_slot(&w, mac, 1);
	cap_write(&w, a, 5000000, CAP_DIR_UP, CAP_F_GSO, 1448, pkt,
	    sizeof(pkt));
	memset(&r, 0, sizeof(r));
	CHECK(pcap_reply(region, sizeof(region), "02:cc:00:00:00:03", 0, NULL, &r,
	    err, sizeof(err)) == 200);
	b = r.body;
	CHECK(r.len == 24 + 3 * 16 + 3 * 52 + 3000);
	for (i = 0, off = 24; i < 3 && off + 16 <= r.len; i++) {
		CHECK(get32(b + off + 8) == 52 + segs[i] &&
		    get32(b + off + 12) == 52 + segs[i]);
		ip = b + off + 16;
		tcp = ip + 20;
		CHECK(be16(ip + 2) == 52 + segs[i]);
		CHECK(be16(ip + 4) == 0x1234 + i);
		CHECK(verify(0, ip, 20) == 0);
		CHECK(be16(tcp + 6) == 100 + i * 1448 && be16(tcp + 4) == 0);
		CHECK(tcp[13] == (i == 0 ? 0x90 : i == 2 ? 0x19 : 0x10));
		pseudo = be16(ip + 12) + be16(ip + 14) + be16(ip + 16) +
		    be16(ip + 18) + 6 + 32 + (uint32_t)segs[i];
		CHECK(verify(pseudo, tcp, 32 + segs[i]) == 0);
		CHECK(memcmp(tcp + 32, pkt + 52 + payload, segs[i]) == 0);
		payload += segs[i];
		wire += get32(b + off + 12);
		off += 16 + get32(b + off + 8);
	}
	CHECK(i == 3 && off == r.len && payload == 3000 &&
	    wire == sizeof(pkt) + 2 * 52);
	free(r.owned);

	/* Cut by the snap length: the record as it is. */
	CHECK(cap_attach(&w, region, sizeof(region), 64 * 1024, 1000) == 1);
	CHECK(cap_clear(&w, mac) == 1);
	a = cap_slot(&w, mac, 1);
	cap_write(&w, a, 5000000, CAP_DIR_UP, CAP_F_GSO, 1448, pkt,
	    sizeof(pkt));
	memset(&r, 0, sizeof(r));
	CHECK(pcap_reply(region, sizeof(region), "02:cc:00:00:00:03", 0, NULL, &r,
	    err, sizeof(err)) == 200);
	CHECK(r.len == 24 + 16 + 1000 && get32(r.body + 24 + 12) ==
	    sizeof(pkt));
	free(r.owned);
}

/*
 * The download's name carries the device's hostname, which the device
 * chose: nothing of it may end the quoted string or the header, climb
 * directories or hide the file.
 */
static void
test_names(void)
{
	static const uint8_t mac[6] = { 0x02, 0xaa, 0, 0, 0, 1 };
	char		 b[192], longname[300];
	const char	*q;

	pcap_disposition(b, sizeof(b), "Anna's iPhone", mac, 1700000000);
	CHECK_STR(b, "attachment; filename=\"Anna_s_iPhone-"
	    "02-aa-00-00-00-01-20231114T221320Z.pcap\"");
	pcap_disposition(b, sizeof(b), "printer-2.lan", mac, 1700000000);
	CHECK_STR(b, "attachment; filename=\"printer-2.lan-"
	    "02-aa-00-00-00-01-20231114T221320Z.pcap\"");
	pcap_disposition(b, sizeof(b), "x\"\r\nSet-Cookie: s=1; \\\"", mac,
	    1700000000);
	CHECK(strchr(b, '\r') == NULL && strchr(b, '\n') == NULL &&
	    strchr(b, '\\') == NULL);
	/* Two quotes: the filename's own. */
	CHECK((q = strchr(b, '"')) != NULL && (q = strchr(q + 1, '"')) !=
	    NULL && q[1] == '\0');
	CHECK_STR(b, "attachment; filename=\"x___Set-Cookie__s_1____-"
	    "02-aa-00-00-00-01-20231114T221320Z.pcap\"");
	pcap_disposition(b, sizeof(b), "../../etc/passwd", mac, 1700000000);
	CHECK(strchr(b, '/') == NULL && strstr(b, "filename=\".") == NULL);
	pcap_disposition(b, sizeof(b), "Zo\xc3\xab", mac, 1700000000);
	CHECK(strncmp(b, "attachment; filename=\"Zo__-02-", 30) == 0);
	/* No hostname, or nothing left of it: the MAC alone. */
	pcap_disposition(b, sizeof(b), NULL, mac, 1700000000);
	CHECK_STR(b, "attachment; filename=\"02-aa-00-00-00-01-"
	    "20231114T221320Z.pcap\"");
	pcap_disposition(b, sizeof(b), "...", mac, 1700000000);
	CHECK_STR(b, "attachment; filename=\"02-aa-00-00-00-01-"
	    "20231114T221320Z.pcap\"");
	/* At most PCAP_NAME_MAX bytes of it: the name stays whole. */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	pcap_disposition(b, sizeof(b), longname, mac, 1700000000);
	CHECK(strlen(b) == 22 + PCAP_NAME_MAX + 1 + 17 + 1 + 16 + 5 + 1);
	CHECK(strstr(b, "Z.pcap\"") != NULL);
}

int
main(void)
{
	static const uint8_t mac_a[6] = { 0x02, 0xaa, 0, 0, 0, 1 };
	static const uint8_t mac_b[6] = { 0x02, 0xbb, 0, 0, 0, 2 };
	struct web_resp	 r;
	uint8_t		*region, pkt[1000], firsts[4096];
	char		 err[128];
	int		 a, b, i, n;

	if ((region = calloc(1, SIZE)) == NULL)
		return 1;
	memset(&r, 0, sizeof(r));
	CHECK(pcap_reply(region, SIZE, "10.42.0.50", 0, NULL, &r, err,
	    sizeof(err)) == 404);
	CHECK(cap_attach(&w, region, SIZE, RING, 0) == 0);
	a = cap_slot(&w, mac_a, 1);
	b = cap_slot(&w, mac_b, 1);
	cap_set_ip(&w, a, 0x3200 + 0x002a000a);	/* any distinct values */
	cap_set_ip(&w, b, 0x3300 + 0x002a000a);
	memset(pkt, 0, sizeof(pkt));
	for (i = 0; i < 10; i++) {
		pkt[0] = (uint8_t)i;
		cap_write(&w, a, 1000000 + (uint64_t)i, CAP_DIR_UP, 0, 0, pkt,
		    100);
		pkt[0] = 0xb0;
		cap_write(&w, b, 1000000, CAP_DIR_DOWN, 0, 0, pkt, 60);
	}
	CHECK(pcap_reply(region, SIZE, "02:aa:00:00:00:01", 1700000000, NULL, &r,
	    err, sizeof(err)) == 200);
	CHECK(r.status == 200 && r.len == 24 + 10 * (16 + 100));
	CHECK(strcmp(r.type, "application/vnd.tcpdump.pcap") == 0);
	CHECK(strcmp(r.disposition, "attachment; filename=\""
	    "02-aa-00-00-00-01-20231114T221320Z.pcap\"") == 0);
	n = walk(r.body, r.len, firsts, 4096);
	CHECK(n == 10);
	for (i = 0; i < n && i < 10; i++)
		CHECK(firsts[i] == i);
	free(r.owned);

	/* Named from the registry: the host name the device gave (hostile
	 * here), then the admin's label once there is one. */
	{
		struct devices	*devs = calloc(1, sizeof(*devs));
		struct device	*d;

		CHECK(devs != NULL);
		devices_init(devs);
		d = devices_see(devs, mac_a, 0, 1, DEVICES_DHCP);
		CHECK(d != NULL);
		devices_set_hostname(devs, d, "tv\"\r\nSet-Cookie: x");
		memset(&r, 0, sizeof(r));
		CHECK(pcap_reply(region, SIZE, "02:aa:00:00:00:01", 1700000000,
		    devs, &r, err, sizeof(err)) == 200);
		CHECK_STR(r.disposition, "attachment; filename=\"tv___"
		    "Set-Cookie__x-02-aa-00-00-00-01-20231114T221320Z.pcap\"");
		free(r.owned);
		CHECK(devices_set_label(devs, d, "Kitchen TV", err,
		    sizeof(err)) == 0);
		memset(&r, 0, sizeof(r));
		CHECK(pcap_reply(region, SIZE, "02:aa:00:00:00:01", 1700000000,
		    devs, &r, err, sizeof(err)) == 200);
		CHECK_STR(r.disposition, "attachment; filename=\"Kitchen_TV-"
		    "02-aa-00-00-00-01-20231114T221320Z.pcap\"");
		free(r.owned);
		free(devs);
	}

	/* By address; b's file holds b's packets only. */
	memset(&r, 0, sizeof(r));
	CHECK(pcap_reply(region, SIZE, "10.0.51.42", 0, NULL, &r, err,
	    sizeof(err)) == 404);
	CHECK(pcap_reply(region, SIZE, "02:bb:00:00:00:02", 0, NULL, &r, err,
	    sizeof(err)) == 200);
	n = walk(r.body, r.len, firsts, 4096);
	CHECK(n == 10);
	for (i = 0; i < n && i < 4096; i++)
		CHECK(firsts[i] == 0xb0);
	free(r.owned);
	memset(&r, 0, sizeof(r));
	{
		char	 ip[32];
		uint32_t v = 0x3300 + 0x002a000a;
		const uint8_t *o = (const uint8_t *)&v;

		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", o[0], o[1], o[2],
		    o[3]);
		CHECK(pcap_reply(region, SIZE, ip, 0, NULL, &r, err,
		    sizeof(err)) == 200);
		CHECK(walk(r.body, r.len, firsts, 4096) == 10 &&
		    firsts[0] == 0xb0);
		free(r.owned);
	}

	/* Full ring: the newest, the file no larger than the ring. */
	for (i = 0; i < 5000; i++) {
		pkt[0] = (uint8_t)i;
		cap_write(&w, a, 2000000 + (uint64_t)i, CAP_DIR_UP, 0, 0, pkt,
		    1 + (size_t)i % 1000);
	}
	memset(&r, 0, sizeof(r));
	CHECK(pcap_reply(region, SIZE, "02:aa:00:00:00:01", 0, NULL, &r, err,
	    sizeof(err)) == 200);
	CHECK(r.len <= RING && r.len > RING / 2);
	n = walk(r.body, r.len, firsts, 4096);
	CHECK(n > 10 && n < 4096 && firsts[n - 1] == (uint8_t)4999);
	free(r.owned);

	/* Neither address nor MAC; capture off. */
	CHECK(pcap_reply(region, SIZE, "printer", 0, NULL, &r, err,
	    sizeof(err)) == 422);
	CHECK(cap_attach(&w, region, SIZE, 0, 0) == -1);
	CHECK(pcap_reply(region, SIZE, "02:aa:00:00:00:01", 0, NULL, &r, err,
	    sizeof(err)) == 404);
	CHECK(pcap_reply(NULL, 0, "02:aa:00:00:00:01", 0, NULL, &r, err,
	    sizeof(err)) == 404);
	free(region);
	test_gso();
	test_names();
	return check_result();
}
