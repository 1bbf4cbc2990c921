/*
 * The capture rings (capring.h): the layout, natd's writer and webd's
 * reader. The reader copies every field it reads into locals and checks
 * them there: natd may change them while it looks, and a region that
 * lies must not make it read outside the mapping or loop.
 */
#include <stddef.h>
#include <string.h>

#include "capring.h"

#define ALIGN8(x)	(((x) + 7) & ~(uint64_t)7)

static uint64_t
rec_size(uint32_t caplen)
{
	return sizeof(struct cap_rec) + ALIGN8((uint64_t)caplen);
}

/* How many rings of ring_size fit in size bytes, and where they start. */
static uint32_t
fit(uint64_t size, uint64_t ring_size, uint64_t *data_off)
{
	uint64_t	 n, off;

	if (ring_size < CAP_RING_MIN || ring_size > CAP_RING_MAX ||
	    size < sizeof(struct cap_hdr))
		return 0;
	n = (size - sizeof(struct cap_hdr)) /
	    (ring_size + sizeof(struct cap_slot));
	if (n > CAP_SLOTS_MAX)
		n = CAP_SLOTS_MAX;
	for (; n > 0; n--) {
		off = sizeof(struct cap_hdr) + n * sizeof(struct cap_slot);
		off = (off + CAP_DATA_ALIGN - 1) & ~(uint64_t)(CAP_DATA_ALIGN - 1);
		if (off + n * ring_size <= size)
			break;
	}
	*data_off = n > 0 ? off : 0;
	return (uint32_t)n;
}

static uint32_t
mac_hash(const uint8_t mac[6])
{
	uint64_t	 k = 0;

	memcpy(&k, mac, 6);
	k *= 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(k >> 40) & (CAP_HASH - 1);
}

static void
hash_rebuild(struct cap_writer *w)
{
	uint32_t	 i, b;

	memset(w->hash, 0, sizeof(w->hash));
	for (i = 0; i < w->nslots; i++) {
		if (!w->slots[i].used)
			continue;
		for (b = mac_hash(w->slots[i].mac); w->hash[b] != 0;
		    b = (b + 1) & (CAP_HASH - 1))
			;
		w->hash[b] = (uint16_t)(i + 1);
	}
}

/* A slot's identity changes: odd seq around it, for the readers. */
static void
slot_begin(struct cap_slot *s)
{
	atomic_store_explicit(&s->seq,
	    atomic_load_explicit(&s->seq, memory_order_relaxed) + 1,
	    memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void
slot_end(struct cap_slot *s)
{
	atomic_store_explicit(&s->seq,
	    atomic_load_explicit(&s->seq, memory_order_relaxed) + 1,
	    memory_order_release);
}

static void
slot_empty(struct cap_writer *w, int i, uint64_t at)
{
	w->head[i] = w->tail[i] = at;
	atomic_store_explicit(&w->slots[i].tail, at, memory_order_relaxed);
	atomic_store_explicit(&w->slots[i].head, at, memory_order_relaxed);
	atomic_store_explicit(&w->slots[i].packets, 0, memory_order_relaxed);
}

/* A slot given to another device forgets the old one's address. */
static void
slot_forget(struct cap_slot *s)
{
	atomic_store_explicit(&s->ip, 0, memory_order_relaxed);
}

/*
 * Does slot i's ring hold a chain of whole records from tail to head?
 * Checked on attach: a natd killed mid-write never published its
 * record, so a valid ring stays valid; anything else is emptied.
 */
static int
slot_valid(struct cap_writer *w, int i, uint64_t head, uint64_t tail)
{
	const uint8_t	*ring = w->data + (uint64_t)i * w->ring_size;
	struct cap_rec	 r;
	uint64_t	 p = tail, off, sz;

	if ((head | tail) & 7 || head < tail || head - tail > w->ring_size)
		return 0;
	while (p < head) {
		off = p % w->ring_size;
		if (w->ring_size - off < sizeof(r)) {
			p += w->ring_size - off;
			continue;
		}
		memcpy(&r, ring + off, sizeof(r));
		if (r.dir == CAP_DIR_PAD) {
			p += w->ring_size - off;
			continue;
		}
		sz = rec_size(r.caplen);
		if (r.dir > CAP_DIR_DOWN || r.caplen > r.wirelen ||
		    sz > w->ring_size - off)
			return 0;
		p += sz;
	}
	return p == head;
}

static void
layout_new(struct cap_writer *w, struct cap_hdr *h, uint64_t size,
    uint64_t ring_size, uint64_t data_off, uint32_t nslots, uint32_t snaplen)
{
	uint64_t	 resets;

	resets = h->magic == CAP_MAGIC ? h->resets + 1 : 0;
	h->magic = 0;
	atomic_thread_fence(memory_order_release);
	memset((uint8_t *)h + sizeof(*h), 0,
	    (size_t)nslots * sizeof(struct cap_slot));
	h->version = CAP_VERSION;
	h->snaplen = snaplen;
	h->total = size;
	h->ring_size = ring_size;
	h->data_off = data_off;
	h->nslots = nslots;
	h->resets = resets;
	memset(w->head, 0, nslots * sizeof(w->head[0]));
	memset(w->tail, 0, nslots * sizeof(w->tail[0]));
	/* The magic last: a reader sees a layout only once it is whole. */
	atomic_thread_fence(memory_order_release);
	h->magic = CAP_MAGIC;
}

int
cap_attach(struct cap_writer *w, void *mem, size_t size, uint64_t ring_size,
    uint32_t snaplen)
{
	struct cap_hdr	*h = mem;
	uint64_t	 data_off, head, tail;
	uint32_t	 n, i;
	int		 kept;

	/* Only what the layout uses: the per-slot arrays are for
	 * CAP_SLOTS_MAX devices (128 KiB), and a page natd never touches
	 * costs no memory. Nothing reads an entry past nslots. */
	memset(w, 0, offsetof(struct cap_writer, head));
	memset(w->hash, 0, sizeof(w->hash));
	w->pend_slot = -1;
	ring_size = ring_size == 0 ? 0 : ALIGN8(ring_size < CAP_RING_MIN ?
	    CAP_RING_MIN : ring_size);
	if (mem == NULL || (n = fit(size, ring_size, &data_off)) == 0) {
		if (mem != NULL && size >= sizeof(*h))
			memset(h, 0, sizeof(*h));
		return -1;
	}
	if (snaplen == 0 || snaplen > CAP_SNAP_MAX)
		snaplen = CAP_SNAP_MAX;
	if (rec_size(snaplen) > ring_size)
		snaplen = (uint32_t)(ring_size - sizeof(struct cap_rec));
	w->h = h;
	w->slots = (struct cap_slot *)(h + 1);
	w->data = (uint8_t *)mem + data_off;
	w->ring_size = ring_size;
	w->nslots = n;
	w->snaplen = snaplen;
	kept = h->magic == CAP_MAGIC && h->version == CAP_VERSION &&
	    h->total == size && h->ring_size == ring_size &&
	    h->data_off == data_off && h->nslots == n;
	/* This process has touched no page of any ring yet. */
	for (i = 0; i < n; i++) {
		w->head[i] = w->tail[i] = w->pf_next[i] = 0;
		w->pf_left[i] = (uint32_t)ring_size;
	}
	if (!kept) {
		layout_new(w, h, size, ring_size, data_off, n, snaplen);
		return 0;
	}
	h->snaplen = snaplen;
	for (i = 0; i < n; i++) {
		head = atomic_load(&w->slots[i].head);
		tail = atomic_load(&w->slots[i].tail);
		if (w->slots[i].used > 1)
			w->slots[i].used = 0;
		if (!w->slots[i].used || !slot_valid(w, (int)i, head, tail)) {
			slot_begin(&w->slots[i]);
			slot_empty(w, (int)i, 0);
			slot_end(&w->slots[i]);
			continue;
		}
		w->head[i] = w->pf_next[i] = head;
		w->tail[i] = tail;
	}
	hash_rebuild(w);
	return 1;
}

int
cap_lookup(const struct cap_writer *w, const uint8_t mac[6])
{
	uint32_t	 b, i;

	for (b = mac_hash(mac); (i = w->hash[b]) != 0;
	    b = (b + 1) & (CAP_HASH - 1))
		if (memcmp(w->slots[i - 1].mac, mac, 6) == 0)
			return (int)i - 1;
	return -1;
}

/* A free slot, else the one idle longest. */
static int
victim(const struct cap_writer *w)
{
	uint64_t	 best = UINT64_MAX, t;
	uint32_t	 i;
	int		 v = 0;

	for (i = 0; i < w->nslots; i++) {
		if (!w->slots[i].used)
			return (int)i;
		t = atomic_load_explicit(&w->slots[i].last_us,
		    memory_order_relaxed);
		if (t < best) {
			best = t;
			v = (int)i;
		}
	}
	return v;
}

int
cap_slot(struct cap_writer *w, const uint8_t mac[6], uint64_t now_us)
{
	struct cap_slot	*s;
	int		 i;

	if (w->h == NULL)
		return -1;
	if ((i = cap_lookup(w, mac)) >= 0)
		return i;
	i = victim(w);
	s = &w->slots[i];
	if (w->pend_slot == i)
		cap_cancel(w);
	slot_begin(s);
	memcpy(s->mac, mac, 6);
	s->used = 1;
	slot_forget(s);
	/* Positions go on from where they were: a reader that copied the
	 * old device's ring cannot mistake it for the new one's, and seq
	 * tells it anyway. */
	slot_empty(w, i, w->head[i]);
	atomic_store_explicit(&s->last_us, now_us, memory_order_relaxed);
	slot_end(s);
	hash_rebuild(w);
	return i;
}

/*
 * Moves slot i's tail past every record that a new one from start to
 * end will overwrite. Only natd's own records are walked, from its own
 * tail; when none is left to keep, or a header does not check out
 * (memory corrupted under it), the ring keeps the new record alone.
 */
static void
make_room(struct cap_writer *w, int i, uint64_t start, uint64_t end)
{
	const uint8_t	*ring = w->data + (uint64_t)i * w->ring_size;
	struct cap_rec	 r;
	uint64_t	 t = w->tail[i], off, sz;

	while (end - t > w->ring_size && t < w->head[i]) {
		off = t % w->ring_size;
		if (w->ring_size - off < sizeof(r)) {
			t += w->ring_size - off;
			continue;
		}
		memcpy(&r, ring + off, sizeof(r));
		sz = r.dir == CAP_DIR_PAD ? w->ring_size - off :
		    rec_size(r.caplen);
		if (sz > w->ring_size - off) {
			t = start;
			break;
		}
		t += sz;
	}
	if (end - t > w->ring_size || t > w->head[i])
		t = start;
	w->tail[i] = t;
	atomic_store_explicit(&w->slots[i].tail, t, memory_order_relaxed);
	/* The tail is public before any byte it gave up is overwritten. */
	atomic_thread_fence(memory_order_release);
}

/*
 * Room at slot's head for a record of sz bytes: when the ring's end is
 * nearer, the rest is padded and published at once (a pad is a whole
 * record), so the published tail never passes the published head
 * while a record is pending. Returns the new record's ring offset.
 */
static uint64_t
ring_room(struct cap_writer *w, int slot, uint64_t sz)
{
	struct cap_rec	 r;
	uint8_t		*ring = w->data + (uint64_t)slot * w->ring_size;
	uint64_t	 head = w->head[slot], off, room;

	off = head % w->ring_size;
	room = w->ring_size - off;
	if (room >= sz) {
		make_room(w, slot, head, head + sz);
		return off;
	}
	make_room(w, slot, head + room, head + room + sz);
	if (room >= sizeof(r)) {
		memset(&r, 0, sizeof(r));
		memcpy(ring + off, &r, sizeof(r));
	}
	w->head[slot] = head + room;
	atomic_store_explicit(&w->slots[slot].head, head + room,
	    memory_order_release);
	return 0;
}

uint8_t *
cap_reserve(struct cap_writer *w, int slot, size_t len, uint32_t *caplen)
{
	uint64_t	 off;

	w->pend_slot = -1;
	if (w->h == NULL || slot < 0 || (uint32_t)slot >= w->nslots ||
	    len == 0 || len > CAP_SNAP_MAX)
		return NULL;
	*caplen = len < w->snaplen ? (uint32_t)len : w->snaplen;
	off = ring_room(w, slot, rec_size(*caplen));
	w->pend_slot = slot;
	w->pend_off = off;
	w->pend_len = (uint32_t)len;
	w->pend_caplen = *caplen;
	return w->data + (uint64_t)slot * w->ring_size + off +
	    sizeof(struct cap_rec);
}

void
cap_commit(struct cap_writer *w, uint64_t ts_us, uint8_t dir, uint8_t flags,
    uint16_t gso_size)
{
	struct cap_rec	 r;
	struct cap_slot	*s;
	uint64_t	 head;
	int		 slot = w->pend_slot;

	if (slot < 0 || w->h == NULL)
		return;
	w->pend_slot = -1;
	memset(&r, 0, sizeof(r));
	r.ts_us = ts_us;
	r.wirelen = (uint16_t)w->pend_len;
	r.caplen = (uint16_t)w->pend_caplen;
	r.gso_size = (flags & CAP_F_GSO) ? gso_size : 0;
	r.dir = dir;
	r.flags = flags;
	memcpy(w->data + (uint64_t)slot * w->ring_size + w->pend_off, &r,
	    sizeof(r));
	head = w->head[slot] + rec_size(w->pend_caplen);
	w->head[slot] = head;
	s = &w->slots[slot];
	/* The record's bytes before the head that shows them. */
	atomic_store_explicit(&s->head, head, memory_order_release);
	atomic_store_explicit(&s->last_us, ts_us, memory_order_relaxed);
	atomic_store_explicit(&s->packets, atomic_load_explicit(&s->packets,
	    memory_order_relaxed) + 1, memory_order_relaxed);
}

void
cap_cancel(struct cap_writer *w)
{
	/* Its bytes lie past the published head: no reader looks there,
	 * and the next record is written over them. */
	w->pend_slot = -1;
}

void
cap_write(struct cap_writer *w, int slot, uint64_t ts_us, uint8_t dir,
    uint8_t flags, uint16_t gso_size, const uint8_t *pkt, size_t len)
{
	uint8_t		*dst;
	uint32_t	 caplen;

	if ((dst = cap_reserve(w, slot, len, &caplen)) == NULL)
		return;
	memcpy(dst, pkt, caplen);
	cap_commit(w, ts_us, dir, flags, gso_size);
}

size_t
cap_ahead(struct cap_writer *w, int slot, uint8_t **at)
{
	uint64_t	 next, want, off, len;

	if (w->h == NULL || slot < 0 || (uint32_t)slot >= w->nslots ||
	    w->pf_left[slot] == 0)
		return 0;
	next = w->pf_next[slot];
	want = w->head[slot] + CAP_AHEAD;
	if (next >= want)
		return 0;
	len = want - next < CAP_AHEAD / 4 ? CAP_AHEAD / 4 : want - next;
	off = next % w->ring_size;
	if (len > w->ring_size - off)
		len = w->ring_size - off;
	if (len > w->pf_left[slot])
		len = w->pf_left[slot];
	w->pf_next[slot] = next + len;
	w->pf_left[slot] -= (uint32_t)len;
	*at = w->data + (uint64_t)slot * w->ring_size + off;
	return (size_t)len;
}

void
cap_set_ip(struct cap_writer *w, int slot, uint32_t ip)
{
	if (w->h == NULL || slot < 0 || (uint32_t)slot >= w->nslots)
		return;
	if (atomic_load_explicit(&w->slots[slot].ip, memory_order_relaxed) !=
	    ip)
		atomic_store_explicit(&w->slots[slot].ip, ip,
		    memory_order_relaxed);
}

int
cap_clear(struct cap_writer *w, const uint8_t mac[6])
{
	int	 i;

	if (w->h == NULL || (i = cap_lookup(w, mac)) < 0)
		return 0;
	if (w->pend_slot == i)
		cap_cancel(w);
	slot_begin(&w->slots[i]);
	slot_empty(w, i, w->head[i]);
	memset(w->data + (uint64_t)i * w->ring_size, 0, w->ring_size);
	slot_end(&w->slots[i]);
	return 1;
}

/*
 * The IP and transport headers of an IPv4 TCP or UDP packet that the
 * kernel segments (not a fragment), every length checked: their length,
 * or 0.
 */
static size_t
seg_headers(const uint8_t *pkt, size_t len)
{
	size_t		 ihl, l4;

	if (len < 20 || (pkt[0] >> 4) != 4 || (ihl = (pkt[0] & 15) * 4U) <
	    20 || ihl > len || (pkt[6] & 0x3f) != 0 || pkt[7] != 0)
		return 0;
	if (pkt[9] == 6 && len >= ihl + 20) {
		if ((l4 = (pkt[ihl + 12] >> 4) * 4U) < 20)
			return 0;
	} else if (pkt[9] == 17)
		l4 = 8;
	else
		return 0;
	return ihl + l4 < len ? ihl + l4 : 0;
}

uint32_t
cap_gso_segments(const uint8_t *pkt, size_t len, uint32_t mtu,
    uint16_t *seg_size, uint16_t *hdr_len)
{
	size_t		 hl;

	*seg_size = *hdr_len = 0;
	if ((hl = seg_headers(pkt, len)) == 0 || mtu <= hl || mtu > 65535)
		return 1;
	*seg_size = (uint16_t)(mtu - hl);
	*hdr_len = (uint16_t)hl;
	return (uint32_t)((len - hl + *seg_size - 1) / *seg_size);
}

/* ---- reader ---- */

int
cap_layout(const void *mem, size_t size, struct cap_layout *l)
{
	struct cap_hdr	 h;
	uint64_t	 data_off;
	uint32_t	 n;

	memset(l, 0, sizeof(*l));
	if (mem == NULL || size < sizeof(h))
		return -1;
	memcpy(&h, mem, sizeof(h));
	atomic_thread_fence(memory_order_acquire);
	if (h.magic != CAP_MAGIC || h.version != CAP_VERSION ||
	    h.total != size || (h.ring_size & 7) != 0)
		return -1;
	/* Recomputed, not believed: the same rule natd laid it out by. */
	n = fit(size, h.ring_size, &data_off);
	if (n == 0 || n != h.nslots || data_off != h.data_off ||
	    h.snaplen == 0 || rec_size(h.snaplen) > h.ring_size)
		return -1;
	l->ring_size = h.ring_size;
	l->data_off = data_off;
	l->nslots = n;
	l->snaplen = h.snaplen;
	return 0;
}

int
cap_find(const void *mem, const struct cap_layout *l, const uint8_t mac[6])
{
	const struct cap_slot *slots = (const struct cap_slot *)
	    ((const struct cap_hdr *)mem + 1);
	uint8_t		 m[6];
	uint32_t	 i;

	for (i = 0; i < l->nslots; i++) {
		if (!slots[i].used)
			continue;
		memcpy(m, slots[i].mac, 6);
		if (memcmp(m, mac, 6) == 0)
			return (int)i;
	}
	return -1;
}

int
cap_find_ip(const void *mem, const struct cap_layout *l, uint32_t ip,
    uint8_t mac[6])
{
	struct cap_slot	*slots = (struct cap_slot *)
	    ((const struct cap_hdr *)mem + 1);
	uint64_t	 t, best = 0;
	uint32_t	 i;
	int		 found = -1;

	for (i = 0; i < l->nslots; i++) {
		if (!slots[i].used || atomic_load_explicit(&slots[i].ip,
		    memory_order_relaxed) != ip)
			continue;
		t = atomic_load_explicit(&slots[i].last_us,
		    memory_order_relaxed);
		if (found == -1 || t > best) {
			best = t;
			found = (int)i;
		}
	}
	if (found >= 0)
		memcpy(mac, slots[found].mac, 6);
	return found;
}

int
cap_snapshot(const void *mem, const struct cap_layout *l, int slot,
    uint8_t *buf, size_t bufsize, struct cap_snap *s)
{
	struct cap_slot	*sl;
	const uint8_t	*ring;
	uint64_t	 head, tail, tail0;
	uint32_t	 seq;
	int		 try;

	memset(s, 0, sizeof(*s));
	if (slot < 0 || (uint32_t)slot >= l->nslots || bufsize < l->ring_size)
		return -1;
	/* Read only; the atomics' loads do not write. */
	sl = (struct cap_slot *)((const struct cap_hdr *)mem + 1) + slot;
	ring = (const uint8_t *)mem + l->data_off +
	    (uint64_t)slot * l->ring_size;
	for (try = 0; try < CAP_RETRIES; try++) {
		seq = atomic_load_explicit(&sl->seq, memory_order_acquire);
		if (seq & 1)
			continue;
		memcpy(s->mac, sl->mac, 6);
		if (!sl->used)
			return -1;
		head = atomic_load_explicit(&sl->head, memory_order_acquire);
		tail0 = atomic_load_explicit(&sl->tail, memory_order_relaxed);
		memcpy(buf, ring, l->ring_size);
		atomic_thread_fence(memory_order_acquire);
		tail = atomic_load_explicit(&sl->tail, memory_order_relaxed);
		if (atomic_load_explicit(&sl->seq, memory_order_relaxed) !=
		    seq)
			continue;
		/* natd lapped everything we copied: copy again. */
		if (tail > head || head - tail > l->ring_size ||
		    ((head | tail) & 7) != 0)
			continue;
		s->buf = buf;
		s->ring_size = l->ring_size;
		s->start = s->pos = tail;
		s->end = head;
		s->lost = tail > tail0 ? tail - tail0 : 0;
		return 0;
	}
	return -2;
}

/* Moves the walk to the ring's wrap (padding there); 0 when that is past
 * its end. Measured against what is left, never added past it: hostile
 * positions near 2^64 once wrapped to 0 and walked for ever (fuzz). */
static int
skip_to_wrap(struct cap_snap *s, uint64_t off)
{
	uint64_t	 skip = s->ring_size - off;

	if (skip >= s->end - s->pos) {
		s->pos = s->end;
		return 0;
	}
	s->pos += skip;
	return 1;
}

int
cap_next(struct cap_snap *s, struct cap_pkt *p)
{
	struct cap_rec	 r;
	uint64_t	 off, sz;

	while (s->pos < s->end) {
		off = s->pos % s->ring_size;
		if (s->ring_size - off < sizeof(r)) {
			if (!skip_to_wrap(s, off))
				return 0;
			continue;
		}
		memcpy(&r, s->buf + off, sizeof(r));
		if (r.dir == CAP_DIR_PAD) {
			if (!skip_to_wrap(s, off))
				return 0;
			continue;
		}
		sz = rec_size(r.caplen);
		if (r.dir > CAP_DIR_DOWN || r.caplen > r.wirelen ||
		    r.caplen == 0 || sz > s->ring_size - off ||
		    sz > s->end - s->pos) {
			s->bad = 1;
			s->pos = s->end;
			return 0;
		}
		p->ts_us = r.ts_us;
		p->wirelen = r.wirelen;
		p->caplen = r.caplen;
		p->gso_size = r.gso_size;
		p->dir = r.dir;
		p->flags = r.flags;
		p->data = s->buf + off + sizeof(r);
		s->pos += sz;
		return 1;
	}
	return 0;
}

/* ---- a GSO record as its segments ---- */

uint32_t
cap_segs(const struct cap_pkt *p, uint16_t *hdr_len)
{
	size_t		 hl;
	uint32_t	 n;

	*hdr_len = 0;
	if (!(p->flags & CAP_F_GSO) || p->gso_size == 0 ||
	    p->caplen != p->wirelen || p->caplen < 20 ||
	    (hl = seg_headers(p->data, p->caplen)) == 0 ||
	    hl + p->gso_size > 65535 ||
	    ((size_t)p->data[2] << 8 | p->data[3]) != p->caplen)
		return 1;
	n = (uint32_t)((p->caplen - hl + p->gso_size - 1) / p->gso_size);
	if (n < 2)
		return 1;
	*hdr_len = (uint16_t)hl;
	return n;
}

/* The one's-complement sum of n bytes, big-endian words, into sum. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *b, size_t n)
{
	size_t	 i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t
cap_seg(const struct cap_pkt *p, uint32_t i, uint32_t n, uint16_t hl,
    uint8_t *out)
{
	size_t		 ihl = (p->data[0] & 15) * 4U, off, len;
	uint32_t	 sum, seq;
	uint8_t		*l4 = out + ihl;

	off = hl + (size_t)i * p->gso_size;
	len = p->caplen - off < p->gso_size ? p->caplen - off : p->gso_size;
	memcpy(out, p->data, hl);
	memcpy(out + hl, p->data + off, len);
	/* IP: its length, an ID a segment, the header checksum. */
	put_be16(out + 2, hl + len);
	put_be16(out + 4, ((uint32_t)p->data[4] << 8 | p->data[5]) + i);
	out[10] = out[11] = 0;
	put_be16(out + 10, csum_fold(csum_add(0, out, ihl)));
	/* The pseudo-header's sum. */
	sum = csum_add(0, out + 12, 8) + out[9] + (uint32_t)(hl - ihl + len);
	if (out[9] == 6) {
		seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 |
		    (uint32_t)l4[6] << 8 | l4[7];
		seq += i * (uint32_t)p->gso_size;
		l4[4] = (uint8_t)(seq >> 24);
		l4[5] = (uint8_t)(seq >> 16);
		l4[6] = (uint8_t)(seq >> 8);
		l4[7] = (uint8_t)seq;
		/* CWR on the first segment, FIN and PSH on the last. */
		if (i > 0)
			l4[13] &= (uint8_t)~0x80;
		if (i + 1 < n)
			l4[13] &= (uint8_t)~0x09;
		l4[16] = l4[17] = 0;
		put_be16(l4 + 16, csum_fold(csum_add(sum, l4, hl - ihl +
		    len)));
	} else {
		put_be16(l4 + 4, 8 + len);
		l4[6] = l4[7] = 0;
		sum = csum_fold(csum_add(sum, l4, 8 + len));
		put_be16(l4 + 6, sum == 0 ? 0xffff : sum);
	}
	return hl + len;
}
