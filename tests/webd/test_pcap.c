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
	CHECK(pcap_reply(region, SIZE, "10.42.0.50", 0, &r, err,
	    sizeof(err)) == 404);
	CHECK(cap_attach(&w, region, SIZE, RING, 0) == 0);
	a = cap_slot(&w, mac_a, 1);
	b = cap_slot(&w, mac_b, 1);
	cap_set_ip(&w, a, 0x3200 + 0x002a000a);	/* any distinct values */
	cap_set_ip(&w, b, 0x3300 + 0x002a000a);
	memset(pkt, 0, sizeof(pkt));
	for (i = 0; i < 10; i++) {
		pkt[0] = (uint8_t)i;
		cap_write(&w, a, 1000000 + (uint64_t)i, CAP_DIR_UP, 0, pkt,
		    100);
		pkt[0] = 0xb0;
		cap_write(&w, b, 1000000, CAP_DIR_DOWN, 0, pkt, 60);
	}
	CHECK(pcap_reply(region, SIZE, "02:aa:00:00:00:01", 1700000000, &r,
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

	/* By address; b's file holds b's packets only. */
	memset(&r, 0, sizeof(r));
	CHECK(pcap_reply(region, SIZE, "10.0.51.42", 0, &r, err,
	    sizeof(err)) == 404);
	CHECK(pcap_reply(region, SIZE, "02:bb:00:00:00:02", 0, &r, err,
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
		CHECK(pcap_reply(region, SIZE, ip, 0, &r, err,
		    sizeof(err)) == 200);
		CHECK(walk(r.body, r.len, firsts, 4096) == 10 &&
		    firsts[0] == 0xb0);
		free(r.owned);
	}

	/* Full ring: the newest, the file no larger than the ring. */
	for (i = 0; i < 5000; i++) {
		pkt[0] = (uint8_t)i;
		cap_write(&w, a, 2000000 + (uint64_t)i, CAP_DIR_UP, 0, pkt,
		    1 + (size_t)i % 1000);
	}
	memset(&r, 0, sizeof(r));
	CHECK(pcap_reply(region, SIZE, "02:aa:00:00:00:01", 0, &r, err,
	    sizeof(err)) == 200);
	CHECK(r.len <= RING && r.len > RING / 2);
	n = walk(r.body, r.len, firsts, 4096);
	CHECK(n > 10 && n < 4096 && firsts[n - 1] == (uint8_t)4999);
	free(r.owned);

	/* Neither address nor MAC; capture off. */
	CHECK(pcap_reply(region, SIZE, "printer", 0, &r, err,
	    sizeof(err)) == 422);
	CHECK(cap_attach(&w, region, SIZE, 0, 0) == -1);
	CHECK(pcap_reply(region, SIZE, "02:aa:00:00:00:01", 0, &r, err,
	    sizeof(err)) == 404);
	CHECK(pcap_reply(NULL, 0, "02:aa:00:00:00:01", 0, &r, err,
	    sizeof(err)) == 404);
	free(region);
	return check_result();
}
