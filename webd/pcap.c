/*
 * Capture ring to pcap (pcap.h). Two walks of the copy: the first sizes
 * each record so the oldest can be left out when the file would pass
 * its limit, the second writes.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "pcap.h"
#include "web.h"

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

size_t
pcap_write(struct cap_snap *s, uint8_t *out, size_t outsize, size_t limit,
    uint32_t snaplen, size_t *npkts)
{
	struct cap_pkt	 k;
	uint64_t	 start = s->pos;
	size_t		 total = PCAP_HDR_LEN, n = 0, skip = 0, i;
	uint8_t		*p = out;

	*npkts = 0;
	if (outsize < PCAP_HDR_LEN || limit < PCAP_HDR_LEN)
		return 0;
	while (cap_next(s, &k)) {
		total += PCAP_REC_LEN + k.caplen;
		n++;
	}
	/* Again from the start, leaving out the oldest over the limit. */
	s->pos = start;
	s->bad = 0;
	while (total > limit && cap_next(s, &k)) {
		total -= PCAP_REC_LEN + k.caplen;
		skip++;
	}
	if (total > outsize)
		return 0;
	p = put32(p, 0xa1b2c3d4);	/* microseconds */
	p = put16(p, 2);
	p = put16(p, 4);
	p = put32(p, 0);		/* thiszone */
	p = put32(p, 0);		/* sigfigs */
	p = put32(p, snaplen);
	p = put32(p, PCAP_LINKTYPE_RAW);
	for (i = skip; i < n && cap_next(s, &k); i++) {
		p = put32(p, (uint32_t)(k.ts_us / 1000000));
		p = put32(p, (uint32_t)(k.ts_us % 1000000));
		p = put32(p, k.caplen);
		p = put32(p, k.wirelen);
		memcpy(p, k.data, k.caplen);
		p += k.caplen;
	}
	*npkts = i - skip;
	return (size_t)(p - out);
}

/* The device asked for: a MAC, or an IP meaning who holds it now. */
static int
find_device(const void *cap, const struct cap_layout *l, const char *client,
    uint8_t mac[6])
{
	struct in_addr	 ip;

	if (conf_parse_mac(client, mac) == 0)
		return cap_find(cap, l, mac);
	if (inet_pton(AF_INET, client, &ip) == 1)
		return cap_find_ip(cap, l, ip.s_addr, mac);
	return -2;
}

int
pcap_reply(const void *cap, size_t capsize, const char *client, uint64_t now,
    struct web_resp *r, char *err, size_t errlen)
{
	struct cap_layout l;
	struct cap_snap	 s;
	struct tm	 tm;
	time_t		 t = (time_t)now;
	uint8_t		 mac[6], *copy, *out;
	size_t		 len, n;
	int		 slot, rc;

	if (cap == NULL || cap_layout(cap, capsize, &l) == -1) {
		snprintf(err, errlen, "capture is off");
		return 404;
	}
	if ((slot = find_device(cap, &l, client, mac)) == -2) {
		snprintf(err, errlen, "client: expected an IP or MAC address");
		return 422;
	}
	if (slot < 0) {
		snprintf(err, errlen, "no capture for %s", client);
		return 404;
	}
	if ((copy = malloc(l.ring_size)) == NULL ||
	    (out = malloc(PCAP_HDR_LEN + l.ring_size)) == NULL) {
		free(copy);
		snprintf(err, errlen, "out of memory");
		return 503;
	}
	rc = cap_snapshot(cap, &l, slot, copy, l.ring_size, &s);
	/* The slot may have passed to another device since it was found:
	 * the copy is the device's only if its MAC, read under the lock,
	 * is the one asked for. */
	if (rc == 0 && memcmp(s.mac, mac, sizeof(mac)) != 0)
		rc = -1;
	len = rc == 0 ? pcap_write(&s, out, PCAP_HDR_LEN + l.ring_size,
	    l.ring_size, l.snaplen, &n) : 0;
	free(copy);
	if (len == 0) {
		free(out);
		snprintf(err, errlen, rc == -2 ? "the capture kept changing; "
		    "try again" : "no capture for %s", client);
		return rc == -2 ? 503 : 404;
	}
	r->status = 200;
	r->type = "application/vnd.tcpdump.pcap";
	r->cache = "no-store";
	r->owned = (char *)out;
	r->body = out;
	r->len = len;
	gmtime_r(&t, &tm);
	snprintf(r->disposition, sizeof(r->disposition),
	    "attachment; filename=\"%02x-%02x-%02x-%02x-%02x-%02x-"
	    "%04d%02d%02dT%02d%02d%02dZ.pcap\"", mac[0], mac[1], mac[2],
	    mac[3], mac[4], mac[5], tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 200;
}
