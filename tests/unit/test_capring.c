/*
 * The capture rings (proto/capring.c): layout, records read back as
 * written, wraparound keeps the newest whole records, eviction of the
 * longest-idle device, re-attach after a restart, clear, capture off,
 * a region that lies, records reserved then committed or cancelled,
 * the pages made ahead of a head, GSO segment counts, and torn-read
 * detection: a reader copying while a writer thread overwrites the
 * ring at full speed (cancelling every third record) never returns a
 * record that is not exactly one the writer committed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capring.h"
#include "check.h"

static struct cap_writer w;
static uint8_t	*region;
static uint8_t	*copy;

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };

/* A packet whose bytes all follow from its sequence number. */
static size_t
fill(uint8_t *p, uint64_t seq, size_t len)
{
	size_t	 i;

	memcpy(p, &seq, sizeof(seq));
	for (i = sizeof(seq); i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i);
	return len;
}

static int
intact(const struct cap_pkt *k, uint64_t *seq)
{
	uint32_t	 i;

	if (k->caplen < 8)
		return 0;
	memcpy(seq, k->data, 8);
	for (i = 8; i < k->caplen; i++)
		if (k->data[i] != (uint8_t)(*seq * 31 + i))
			return 0;
	return k->wirelen == 8 + *seq % 1400;
}

/* Reads slot of mac back; returns records seen, checks each is whole. */
static int
read_all(size_t size, const uint8_t *mac, uint64_t *first, uint64_t *last,
    uint64_t *bytes)
{
	struct cap_layout l;
	struct cap_snap	 s;
	struct cap_pkt	 k;
	uint64_t	 seq, prev = 0;
	int		 n = 0, slot;

	*bytes = 0;
	if (cap_layout(region, size, &l) == -1 ||
	    (slot = cap_find(region, &l, mac)) < 0 ||
	    cap_snapshot(region, &l, slot, copy, l.ring_size, &s) != 0)
		return -1;
	while (cap_next(&s, &k)) {
		if (!intact(&k, &seq))
			return -2;
		if (n > 0 && seq != prev + 1)
			return -3;
		if (n == 0)
			*first = seq;
		prev = seq;
		*bytes += 16 + ((k.caplen + 7) & ~7U);
		n++;
	}
	*last = prev;
	return s.bad ? -4 : n;
}

static void
put(int slot, uint64_t seq)
{
	uint8_t		 p[1500];

	cap_write(&w, slot, 1000 + seq, CAP_DIR_UP, 0, 0, p,
	    fill(p, seq, 8 + seq % 1400));
}

static void
test_basic(void)
{
	size_t		 size = 1024 * 1024;
	struct cap_layout l;
	uint64_t	 first, last, bytes, i;
	int		 a, b;

	memset(region, 0, size);
	CHECK(cap_attach(&w, region, size, 64 * 1024, 0) == 0);
	CHECK(cap_layout(region, size, &l) == 0);
	CHECK(l.ring_size == 64 * 1024 && l.nslots == 15);
	CHECK(l.data_off % 4096 == 0 &&
	    l.data_off + l.nslots * l.ring_size <= size);
	a = cap_slot(&w, mac_a, 1);
	b = cap_slot(&w, mac_b, 1);
	CHECK(a >= 0 && b >= 0 && a != b);
	CHECK(cap_slot(&w, mac_a, 2) == a);
	/* Asked by address: the device heard from last that used it. */
	cap_set_ip(&w, a, 0x0100000a);
	cap_set_ip(&w, b, 0x0100000a);
	cap_write(&w, a, 5, CAP_DIR_UP, 0, 0, mac_a, 6);
	cap_write(&w, b, 6, CAP_DIR_UP, 0, 0, mac_b, 6);
	{
		uint8_t	 m[6];

		CHECK(cap_find_ip(region, &l, 0x0100000a, m) == b &&
		    memcmp(m, mac_b, 6) == 0);
		cap_write(&w, a, 7, CAP_DIR_UP, 0, 0, mac_a, 6);
		CHECK(cap_find_ip(region, &l, 0x0100000a, m) == a &&
		    memcmp(m, mac_a, 6) == 0);
		CHECK(cap_find_ip(region, &l, 0x0200000a, m) == -1);
	}
	CHECK(cap_clear(&w, mac_a) == 1 && cap_clear(&w, mac_b) == 1);
	for (i = 1; i <= 10; i++)
		put(a, i);
	CHECK(read_all(size, mac_a, &first, &last, &bytes) == 10);
	CHECK(first == 1 && last == 10);
	/* Nothing of a's in b's ring. */
	CHECK(read_all(size, mac_b, &first, &last, &bytes) == 0);

	/* Wraparound: only the newest whole records, never more than the
	 * ring, and the newest is the last written. */
	for (i = 11; i <= 5000; i++)
		put(a, i);
	CHECK(read_all(size, mac_a, &first, &last, &bytes) > 10);
	CHECK(last == 5000 && first > 11 && bytes <= 64 * 1024);
	/* Most of the ring is in use (less the pad at the end). */
	CHECK(bytes > 64 * 1024 - 2 * 1500);

	/* A restarted natd finds the rings. */
	CHECK(cap_attach(&w, region, size, 64 * 1024, 0) == 1);
	CHECK(read_all(size, mac_a, &first, &last, &bytes) > 10);
	CHECK(last == 5000);
	CHECK(cap_slot(&w, mac_a, 3) == a);
	put(a, 5001);
	CHECK(read_all(size, mac_a, &first, &last, &bytes) > 10 &&
	    last == 5001);

	/* Clear: a's ring empty, b's untouched. */
	put(b, 1);
	CHECK(cap_clear(&w, mac_a) == 1);
	CHECK(read_all(size, mac_a, &first, &last, &bytes) == 0);
	CHECK(read_all(size, mac_b, &first, &last, &bytes) == 1);
	put(a, 7);
	CHECK(read_all(size, mac_a, &first, &last, &bytes) == 1 &&
	    first == 7);
}

static void
test_snaplen(void)
{
	size_t		 size = 64 * 1024;
	struct cap_layout l;
	struct cap_snap	 s;
	struct cap_pkt	 k;
	uint8_t		 p[1500];
	int		 a;

	memset(region, 0, size);
	CHECK(cap_attach(&w, region, size, 8192, 100) == 0);
	a = cap_slot(&w, mac_a, 1);
	memset(p, 0x5a, sizeof(p));
	cap_write(&w, a, 42, CAP_DIR_DOWN, CAP_F_GSO, 0, p, sizeof(p));
	CHECK(cap_layout(region, size, &l) == 0 && l.snaplen == 100);
	CHECK(cap_snapshot(region, &l, a, copy, l.ring_size, &s) == 0);
	CHECK(s.lost == 0);	/* nothing written while it copied */
	CHECK(cap_next(&s, &k) == 1);
	CHECK(k.caplen == 100 && k.wirelen == 1500 && k.ts_us == 42);
	CHECK(k.dir == CAP_DIR_DOWN && k.flags == CAP_F_GSO);
	CHECK(cap_next(&s, &k) == 0 && !s.bad);
	/* A packet larger than a small ring is cut to fit. */
	memset(region, 0, size);
	CHECK(cap_attach(&w, region, size, 4096, 0) == 0);
	a = cap_slot(&w, mac_a, 1);
	cap_write(&w, a, 43, CAP_DIR_UP, 0, 0, p, sizeof(p));
	cap_write(&w, a, 44, CAP_DIR_UP, 0, 0, p, sizeof(p));
	cap_write(&w, a, 45, CAP_DIR_UP, 0, 0, p, sizeof(p));
	CHECK(cap_layout(region, size, &l) == 0);
	CHECK(cap_snapshot(region, &l, a, copy, l.ring_size, &s) == 0);
	CHECK(cap_next(&s, &k) == 1 && k.ts_us == 44);
	CHECK(cap_next(&s, &k) == 1 && k.ts_us == 45);
	CHECK(cap_next(&s, &k) == 0 && !s.bad);
}

/* The longest-idle device's ring goes when a new device needs one. */
static void
test_eviction(void)
{
	size_t		 size = 4 * 4096 + 4096;	/* 4 rings */
	uint8_t		 mac[6] = { 0x02, 0, 0, 0, 1, 0 };
	struct cap_layout l;
	uint64_t	 first, last, bytes;
	int		 i, s[4], e;

	memset(region, 0, size);
	CHECK(cap_attach(&w, region, size, 4096, 0) == 0);
	CHECK(cap_layout(region, size, &l) == 0 && l.nslots == 4);
	for (i = 0; i < 4; i++) {
		mac[5] = (uint8_t)i;
		s[i] = cap_slot(&w, mac, 10 + (uint64_t)i);
		cap_write(&w, s[i], 10 + (uint64_t)i, CAP_DIR_UP, 0, 0, mac, 6);
	}
	/* Device 0 talks again: device 1 is now the idlest. */
	cap_write(&w, s[0], 100, CAP_DIR_UP, 0, 0, mac, 6);
	mac[5] = 9;
	e = cap_slot(&w, mac, 101);
	CHECK(e == s[1]);
	mac[5] = 1;
	CHECK(cap_find(region, &l, mac) == -1);
	mac[5] = 9;
	CHECK(cap_find(region, &l, mac) == e);
	/* The new device's ring holds none of the old one's records. */
	CHECK(read_all(size, mac, &first, &last, &bytes) == 0);
	mac[5] = 0;
	CHECK(cap_find(region, &l, mac) == s[0]);
}

/* Capture off, a changed size, a region that lies. */
static void
test_layouts(void)
{
	size_t		 size = 1024 * 1024;
	struct cap_layout l;
	struct cap_hdr	*h = (struct cap_hdr *)region;
	struct cap_slot	*sl = (struct cap_slot *)(h + 1);
	uint64_t	 first, last, bytes;
	int		 a;

	memset(region, 0, size);
	CHECK(cap_attach(&w, region, size, 64 * 1024, 0) == 0);
	a = cap_slot(&w, mac_a, 1);
	put(a, 1);
	put(a, 2);
	/* A slot whose positions do not check out is emptied on attach;
	 * the others are kept. */
	atomic_store(&sl[a].head, 3);
	CHECK(cap_attach(&w, region, size, 64 * 1024, 0) == 1);
	CHECK(read_all(size, mac_a, &first, &last, &bytes) == 0);
	/* Another capture-size: laid out afresh. */
	CHECK(cap_attach(&w, region, size, 128 * 1024, 0) == 0);
	CHECK(cap_layout(region, size, &l) == 0 && l.ring_size == 128 * 1024);
	CHECK(cap_find(region, &l, mac_a) == -1);
	/* Lies the reader must refuse. */
	h->nslots++;
	CHECK(cap_layout(region, size, &l) == -1);
	h->nslots--;
	CHECK(cap_layout(region, size - 8, &l) == -1);
	h->ring_size = 1ULL << 62;
	CHECK(cap_layout(region, size, &l) == -1);
	h->ring_size = 128 * 1024;
	CHECK(cap_layout(region, size, &l) == 0);
	/* A record that claims more than its ring: the walk stops. */
	a = cap_slot(&w, mac_a, 1);
	put(a, 3);
	put(a, 4);
	((struct cap_rec *)(region + l.data_off + (uint64_t)a *
	    l.ring_size))->caplen = 0xffff;
	CHECK(read_all(size, mac_a, &first, &last, &bytes) == -4);
	/* Capture off: the header is wiped, a reader finds nothing. */
	CHECK(cap_attach(&w, region, size, 0, 0) == -1);
	CHECK(cap_layout(region, size, &l) == -1);
	CHECK(cap_slot(&w, mac_a, 1) == -1);
	/* A region too small for one ring: off too. */
	CHECK(cap_attach(&w, region, 4096, 5 * 1024 * 1024, 0) == -1);
}

/*
 * Reserve, fill, cancel: a record natd drops is never seen, the records
 * before it stay whole, and the next record takes its place; a cancel
 * where the ring's end forced a pad leaves a ring readers accept.
 */
static void
test_reserve(void)
{
	size_t		 size = 64 * 1024;
	uint64_t	 first, last, bytes, i;
	uint32_t	 caplen;
	uint8_t		*dst;
	int		 a, n;

	memset(region, 0, size);
	CHECK(cap_attach(&w, region, size, 8192, 0) == 0);
	a = cap_slot(&w, mac_a, 1);
	put(a, 1);
	CHECK((dst = cap_reserve(&w, a, 700, &caplen)) != NULL &&
	    caplen == 700);
	memset(dst, 0xee, caplen);
	/* Pending: a reader sees only what was committed. */
	CHECK(read_all(size, mac_a, &first, &last, &bytes) == 1);
	cap_cancel(&w);
	cap_commit(&w, 99, CAP_DIR_UP, 0, 0);	/* nothing pending: no-op */
	CHECK(read_all(size, mac_a, &first, &last, &bytes) == 1);
	put(a, 2);
	CHECK(read_all(size, mac_a, &first, &last, &bytes) == 2 &&
	    first == 1 && last == 2);
	/* Reserved by hand, committed: as cap_write. */
	CHECK((dst = cap_reserve(&w, a, 8 + 3 % 1400, &caplen)) != NULL);
	fill(dst, 3, caplen);
	cap_commit(&w, 1003, CAP_DIR_UP, 0, 0);
	CHECK(read_all(size, mac_a, &first, &last, &bytes) == 3 && last == 3);
	/* Cancels at every offset, the ring's end included. */
	for (i = 4; i < 400; i++) {
		CHECK((dst = cap_reserve(&w, a, 1000 + i % 300, &caplen)) !=
		    NULL);
		memset(dst, 0xee, caplen);
		cap_cancel(&w);
		n = read_all(size, mac_a, &first, &last, &bytes);
		CHECK(n > 0 && last == i - 1);
		put(a, i);
	}
	CHECK(read_all(size, mac_a, &first, &last, &bytes) > 1 &&
	    last == 399);
	/* Not a packet, or capture off: nothing reserved. */
	CHECK(cap_reserve(&w, a, 0, &caplen) == NULL);
	CHECK(cap_reserve(&w, a, CAP_SNAP_MAX + 1, &caplen) == NULL);
	CHECK(cap_reserve(&w, 9999, 60, &caplen) == NULL);
}

/*
 * cap_ahead(): the pages a ring's next records go to, ahead of its
 * head, each byte of a lap once, inside the slot's ring, then nothing;
 * a natd that re-attaches starts again from each ring's head.
 */

/* Writes slot's records and takes what cap_ahead() gives after each,
 * from position from (made bytes of it already): 0 when those were one
 * lap of the ring, in order, inside it, always CAP_AHEAD past the head
 * until the lap was done. */
static int
ahead_lap(int slot, uint64_t from, size_t made)
{
	uint8_t		*at, *r0 = w.data + (uint64_t)slot * w.ring_size;
	uint64_t	 want = from + made, i;
	size_t		 len;
	int		 bad = 0;

	for (i = 1; i < 600; i++) {
		put(slot, 1000 + i % 400);	/* 1 to 1.4 KB each */
		while ((len = cap_ahead(&w, slot, &at)) > 0) {
			if (at < r0 || at + len > r0 + w.ring_size ||
			    at != r0 + want % w.ring_size)
				bad++;
			want += len;
			made += len;
		}
		if (made < w.ring_size && want < w.head[slot] + CAP_AHEAD)
			bad++;
	}
	return bad + (made != w.ring_size);
}

static void
test_ahead(void)
{
	size_t		 size = 1024 * 1024, len;
	uint64_t	 ring = 256 * 1024;
	uint8_t		*at, *r0;
	int		 a, b;

	memset(region, 0, size);
	CHECK(cap_attach(&w, region, size, ring, 0) == 0);
	a = cap_slot(&w, mac_a, 1);
	b = cap_slot(&w, mac_b, 1);
	r0 = w.data + (uint64_t)a * w.ring_size;
	/* Before any record: the first CAP_AHEAD bytes. */
	CHECK((len = cap_ahead(&w, a, &at)) == CAP_AHEAD && at == r0);
	CHECK(cap_ahead(&w, a, &at) == 0);
	CHECK(ahead_lap(a, 0, len) == 0);
	CHECK(w.head[a] > ring);	/* the records wrapped the ring */
	CHECK(cap_ahead(&w, a, &at) == 0);
	/* Another slot is its own; a bad one has none. */
	CHECK(cap_ahead(&w, b, &at) == CAP_AHEAD &&
	    at == w.data + (uint64_t)b * w.ring_size);
	CHECK(cap_ahead(&w, -1, &at) == 0 && cap_ahead(&w, 9999, &at) == 0);
	/* A new natd on the same region: a lap again from mid-ring, where
	 * the head is, cut at the ring's end. */
	CHECK(cap_attach(&w, region, size, ring, 0) == 1);
	CHECK(w.head[a] % ring != 0);
	CHECK(ahead_lap(a, w.head[a], 0) == 0);
}

/* The segments the wire carried for a GSO super-packet. */
static void
test_gso_segments(void)
{
	uint8_t		 p[65535];
	uint16_t	 seg, hl;

	memset(p, 0, sizeof(p));
	p[0] = 0x45;
	p[6] = 0x40;			/* DF */
	p[9] = 6;
	p[20 + 12] = 8 << 4;		/* TCP with timestamps: 32 bytes */
	/* 1448 payload bytes a segment on a 1500-byte link. */
	CHECK(cap_gso_segments(p, 52 + 10 * 1448, 1500, &seg, &hl) == 10);
	CHECK(seg == 1448 && hl == 52);
	CHECK(cap_gso_segments(p, 52 + 10 * 1448 + 1, 1500, &seg, &hl) == 11);
	CHECK(cap_gso_segments(p, 65535, 9000, &seg, &hl) == 8);
	p[9] = 17;
	CHECK(cap_gso_segments(p, 28 + 3 * 1472, 1500, &seg, &hl) == 3);
	CHECK(seg == 1472 && hl == 28);
	/* Not segmented: ICMP, a fragment, a short or non-IPv4 packet, a
	 * TCP header that lies, an MTU the headers do not fit. */
	p[9] = 1;
	CHECK(cap_gso_segments(p, 3000, 1500, &seg, &hl) == 1 && seg == 0);
	p[9] = 17;
	p[6] = 0x20;
	CHECK(cap_gso_segments(p, 3000, 1500, &seg, &hl) == 1);
	p[6] = 0;
	CHECK(cap_gso_segments(p, 19, 1500, &seg, &hl) == 1);
	p[0] = 0x65;
	CHECK(cap_gso_segments(p, 3000, 1500, &seg, &hl) == 1);
	p[0] = 0x45;
	p[9] = 6;
	p[20 + 12] = 2 << 4;
	CHECK(cap_gso_segments(p, 3000, 1500, &seg, &hl) == 1);
	p[20 + 12] = 15 << 4;
	CHECK(cap_gso_segments(p, 3000, 80, &seg, &hl) == 1);
}

static atomic_int stop;

/* Every third packet is reserved, scribbled on and cancelled, as natd
 * does with a packet it drops: no reader may see one. */
static void *
writer(void *arg)
{
	int	 a = *(int *)arg;
	uint64_t seq = 1;
	uint32_t caplen;
	uint8_t	*dst;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (seq % 3 == 0 &&
		    (dst = cap_reserve(&w, a, 200 + seq % 1000, &caplen)) !=
		    NULL) {
			memset(dst, 0xee, caplen);
			cap_cancel(&w);
		}
		put(a, seq++);
	}
	return NULL;
}

/*
 * A writer thread laps a small ring thousands of times while the reader
 * snapshots it: every record a snapshot yields is whole and the run of
 * sequence numbers has no gap, so a torn or half-overwritten record can
 * never reach a pcap.
 */
static void
test_concurrent(void)
{
	size_t		 size = 256 * 1024;
	pthread_t	 t;
	uint64_t	 first, last, bytes;
	int		 a, i, n, ok = 0, busy = 0, bad = 0;

	memset(region, 0, size);
	CHECK(cap_attach(&w, region, size, 32 * 1024, 0) == 0);
	a = cap_slot(&w, mac_a, 1);
	atomic_store(&stop, 0);
	CHECK(pthread_create(&t, NULL, writer, &a) == 0);
	for (i = 0; i < 20000; i++) {
		n = read_all(size, mac_a, &first, &last, &bytes);
		if (n > 0)
			ok++;
		else if (n == -1)
			busy++;
		else if (n < -1)
			bad++;
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	fprintf(stderr, "concurrent: %d whole snapshots, %d retried out, "
	    "%d torn\n", ok, busy, bad);
	CHECK(bad == 0);
	CHECK(ok > 100);
}

int
main(void)
{
	if ((region = calloc(1, 1024 * 1024)) == NULL ||
	    (copy = malloc(256 * 1024)) == NULL)
		return 1;
	test_basic();
	test_snaplen();
	test_eviction();
	test_layouts();
	test_reserve();
	test_ahead();
	test_gso_segments();
	test_concurrent();
	free(region);
	free(copy);
	return check_result();
}
