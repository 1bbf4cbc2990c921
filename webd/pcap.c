/*
 * Capture ring to pcap (pcap.h). Two walks of the copy: the first sizes
 * each record so the oldest can be left out when the file would pass
 * its limit, the second writes. A GSO record is written as the
 * segments the wire carried (capring.h, cap_segs).
 */
#include <sys/mman.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "devices.h"
#include "pcap.h"
#include "web.h"

#define PCAP_COPIES	4	/* copies of a ring caught mostly overwritten */

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

/* The bytes a record takes in the file: a GSO record, its segments. */
static size_t
rec_file_len(const struct cap_pkt *k)
{
	uint16_t	 hl;
	uint32_t	 n = cap_segs(k, &hl);

	return (size_t)n * PCAP_REC_LEN + k->caplen + (size_t)(n - 1) * hl;
}

static uint8_t *
put_rec(uint8_t *p, uint64_t ts_us, uint32_t caplen, uint32_t wirelen)
{
	p = put32(p, (uint32_t)(ts_us / 1000000));
	p = put32(p, (uint32_t)(ts_us % 1000000));
	p = put32(p, caplen);
	return put32(p, wirelen);
}

/* One record, or each segment of a GSO record; *npkts counts them. */
static uint8_t *
put_pkt(uint8_t *p, const struct cap_pkt *k, size_t *npkts)
{
	uint16_t	 hl;
	uint32_t	 n = cap_segs(k, &hl), i;
	size_t		 len;

	if (n == 1) {
		p = put_rec(p, k->ts_us, k->caplen, k->wirelen);
		memcpy(p, k->data, k->caplen);
		(*npkts)++;
		return p + k->caplen;
	}
	for (i = 0; i < n; i++) {
		len = cap_seg(k, i, n, hl, p + PCAP_REC_LEN);
		put_rec(p, k->ts_us, (uint32_t)len, (uint32_t)len);
		p += PCAP_REC_LEN + len;
	}
	*npkts += n;
	return p;
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
		total += rec_file_len(&k);
		n++;
	}
	/* Again from the start, leaving out the oldest over the limit. */
	s->pos = start;
	s->bad = 0;
	while (total > limit && cap_next(s, &k)) {
		total -= rec_file_len(&k);
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
	for (i = skip; i < n && cap_next(s, &k); i++)
		p = put_pkt(p, &k, npkts);
	return (size_t)(p - out);
}

void
pcap_disposition(char *buf, size_t len, const char *hostname,
    const uint8_t mac[6], uint64_t now)
{
	char		 name[PCAP_NAME_MAX + 2];
	struct tm	 tm;
	time_t		 t = (time_t)now;
	size_t		 n = 0;
	const char	*p;

	/* Only what is safe in a header, a quoted string and a file
	 * name: no quote, backslash, control byte, slash or non-ASCII. */
	for (p = hostname; p != NULL && *p != '\0' && n < PCAP_NAME_MAX;
	    p++) {
		if (n == 0 && *p == '.')
			continue;	/* no hidden file, no ".." */
		name[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		    *p == '_' || *p == '-' ? *p : '_';
	}
	if (n > 0)
		name[n++] = '-';
	name[n] = '\0';
	gmtime_r(&t, &tm);
	snprintf(buf, len, "attachment; filename=\"%s%02x-%02x-%02x-%02x-"
	    "%02x-%02x-%04d%02d%02dT%02d%02d%02dZ.pcap\"", name, mac[0],
	    mac[1], mac[2], mac[3], mac[4], mac[5], tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
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
pcap_build(const void *cap, size_t capsize, const char *client,
    struct pcap_file *f, char *err, size_t errlen)
{
	struct cap_layout l;
	struct cap_snap	 s;
	uint8_t		*copy, *out;
	size_t		 len;
	int		 slot, rc = -1, try;

	memset(f, 0, sizeof(*f));
	if (cap == NULL || cap_layout(cap, capsize, &l) == -1) {
		snprintf(err, errlen, "capture is off");
		return 404;
	}
	if ((slot = find_device(cap, &l, client, f->mac)) == -2) {
		snprintf(err, errlen, "client: expected an IP or MAC address");
		return 422;
	}
	if (slot < 0) {
		snprintf(err, errlen, "no capture for %s", client);
		return 404;
	}
	/*
	 * The copy's pages are made before it starts (MAP_POPULATE), not
	 * faulted in during it: whatever natd writes while the copy runs
	 * is lost from it, and at line rate a copy slowed by 1,280 page
	 * faults loses a megabyte or more.
	 */
	copy = mmap(NULL, l.ring_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (copy == MAP_FAILED ||
	    (out = malloc(PCAP_HDR_LEN + l.ring_size)) == NULL) {
		if (copy != MAP_FAILED)
			munmap(copy, l.ring_size);
		snprintf(err, errlen, "out of memory");
		return 503;
	}
	/*
	 * A copy holds what natd did not overwrite while it ran: at line
	 * rate, a copy preempted for a few ms keeps only the newest MB.
	 * A copy that lost more than half the ring that way is taken
	 * again, a few times at most (the last one stands).
	 */
	for (try = 0; try < PCAP_COPIES; try++) {
		rc = cap_snapshot(cap, &l, slot, copy, l.ring_size, &s);
		if (rc != 0 || s.lost <= l.ring_size / 2)
			break;
	}
	/* The slot may have passed to another device since it was found:
	 * the copy is the device's only if its MAC, read under the lock,
	 * is the one asked for. */
	if (rc == 0 && memcmp(s.mac, f->mac, sizeof(f->mac)) != 0)
		rc = -1;
	len = rc == 0 ? pcap_write(&s, out, PCAP_HDR_LEN + l.ring_size,
	    l.ring_size, l.snaplen, &f->npkts) : 0;
	munmap(copy, l.ring_size);
	if (len == 0) {
		free(out);
		snprintf(err, errlen, rc == -2 ? "the capture kept changing; "
		    "try again" : "no capture for %s", client);
		return rc == -2 ? 503 : 404;
	}
	f->data = out;
	f->len = len;
	return 200;
}

int
pcap_reply(const void *cap, size_t capsize, const char *client, uint64_t now,
    struct devices *devs, struct web_resp *r, char *err, size_t errlen)
{
	struct pcap_file f;
	struct device	*d;
	const char	*name = NULL;
	int		 status;

	if ((status = pcap_build(cap, capsize, client, &f, err, errlen)) !=
	    200)
		return status;
	r->status = 200;
	r->type = "application/vnd.tcpdump.pcap";
	r->cache = "no-store";
	r->owned = (char *)f.data;
	r->body = f.data;
	r->len = f.len;
	/* The admin's label, else the host name the device gave. */
	if (devs != NULL && (d = devices_find(devs, f.mac)) != NULL)
		name = d->label[0] != '\0' ? d->label : d->hostname;
	pcap_disposition(r->disposition, sizeof(r->disposition), name, f.mac,
	    now);
	return 200;
}
