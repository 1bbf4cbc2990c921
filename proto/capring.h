/*
 * The capture region: per LAN device (by MAC) a ring of the packets it
 * sent and received, in one memfd the parent creates and keeps
 * (RES_CAPTURE, capture-total bytes), so kill -9 of natd or webd keeps
 * every ring. natd is the only writer (mapped read-write); webd maps a
 * read-only descriptor and trusts nothing it reads. Pure: no I/O.
 *
 * Layout (host order, every field written by natd only):
 *
 *   0                      struct cap_hdr (64 bytes)
 *   64                     nslots x struct cap_slot (64 bytes each)
 *   data_off (4096-aligned) nslots x ring_size bytes, slot i's ring at
 *                          data_off + i * ring_size
 *
 * A ring holds whole records (struct cap_rec, then caplen bytes of the
 * IP packet, padded to 8). Positions are 64-bit byte counters that never
 * wrap in practice; a record starts at position % ring_size and never
 * straddles the ring's end: when the rest is too short, the writer pads
 * to the end (a record with dir 0, or nothing when under 16 bytes are
 * left) and starts again at 0. Oldest records are overwritten whole.
 *
 * Consistency, without the writer ever waiting: each slot's `seq` is a
 * sequence lock over its identity (odd while natd gives the slot to
 * another device or clears it). Inside one identity, the positions are
 * the sequence: natd moves `tail` past the records it is about to
 * overwrite, then (release fence) writes, then publishes `head`. A
 * reader loads head, copies the ring, fences (acquire) and loads tail:
 * [tail, head) of its copy was untouched while it copied; it retries
 * only when natd lapped the whole copy or the slot changed hands.
 */
#ifndef GK_CAPRING_H
#define GK_CAPRING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CAP_MAGIC	0x31474e5250414347ULL	/* "GCAPRNG1" */
#define CAP_VERSION	2
#define CAP_SLOTS_MAX	4096		/* NAT_MAX_CLIENTS: a device each */
#define CAP_RING_MIN	4096		/* a smaller capture-size is raised */
#define CAP_RING_MAX	(1ULL << 30)
#define CAP_SNAP_MAX	65535		/* the largest IPv4 packet */
#define CAP_DATA_ALIGN	4096
#define CAP_RETRIES	8

#define CAP_DIR_PAD	0		/* skip to the ring's end */
#define CAP_DIR_UP	1		/* sent by the device */
#define CAP_DIR_DOWN	2		/* received by the device */

#define CAP_F_GSO	0x01		/* a GSO super-packet, one record:
					 * gso_size says how the wire cut it */

struct cap_hdr {
	uint64_t	 magic;
	uint32_t	 version;
	uint32_t	 snaplen;	/* bytes kept of each packet */
	uint64_t	 total;		/* the region's size */
	uint64_t	 ring_size;	/* per device, a multiple of 8 */
	uint64_t	 data_off;
	uint32_t	 nslots;
	uint32_t	 pad0;
	uint64_t	 resets;	/* layouts natd found invalid */
	uint8_t		 pad1[8];
};

struct cap_slot {
	_Atomic uint32_t seq;		/* odd while the identity changes */
	uint8_t		 mac[6];
	uint8_t		 used;
	uint8_t		 pad0;
	_Atomic uint64_t head;		/* end of the newest whole record */
	_Atomic uint64_t tail;		/* start of the oldest */
	_Atomic uint64_t last_us;	/* last record, for eviction */
	_Atomic uint64_t packets;	/* recorded since the slot was given */
	_Atomic uint32_t ip;		/* the device's address, network
					 * order: its newest packet's */
	uint8_t		 pad1[12];
};

/* A record's header; caplen bytes of the packet follow. */
struct cap_rec {
	uint64_t	 ts_us;		/* CLOCK_REALTIME, microseconds */
	uint16_t	 wirelen;	/* the packet's length (IPv4: <= 65535) */
	uint16_t	 caplen;	/* bytes that follow, <= wirelen */
	uint16_t	 gso_size;	/* CAP_F_GSO: payload bytes per segment */
	uint8_t		 dir;		/* CAP_DIR_* */
	uint8_t		 flags;		/* CAP_F_* */
};

_Static_assert(sizeof(struct cap_hdr) == 64, "capture header size");
_Static_assert(sizeof(struct cap_slot) == 64, "capture slot size");
_Static_assert(sizeof(struct cap_rec) == 16, "capture record size");

/* ---- writer (natd) ---- */

#define CAP_HASH	(2 * CAP_SLOTS_MAX)	/* power of two */

/*
 * natd's private side: its own copy of every position (it never reads
 * them back from the region) and a MAC index, so the packet path finds
 * a device's ring without scanning. Large: keep it static.
 */
struct cap_writer {
	struct cap_hdr	*h;		/* NULL: capture off */
	struct cap_slot	*slots;
	uint8_t		*data;
	uint64_t	 ring_size;
	uint32_t	 nslots, snaplen;
	/* The record cap_reserve() made room for, until its commit. */
	int		 pend_slot;	/* -1: none */
	uint32_t	 pend_len, pend_caplen;
	uint64_t	 pend_off;
	uint64_t	 head[CAP_SLOTS_MAX], tail[CAP_SLOTS_MAX];
	/* Pages made ahead of each head (cap_ahead): up to pf_next, and
	 * how much of a lap is still to make in this process. */
	uint64_t	 pf_next[CAP_SLOTS_MAX];
	uint32_t	 pf_left[CAP_SLOTS_MAX];
	uint16_t	 hash[CAP_HASH];	/* slot + 1, open addressing */
};

/*
 * Attaches to a region of size bytes for rings of ring_size bytes (0:
 * capture off) keeping snaplen bytes of each packet. Keeps the rings a
 * previous natd left when the layout is the same and each slot checks
 * out (a slot that does not is emptied); else lays the region out
 * afresh. Returns 1 kept, 0 new, -1 capture off (ring_size 0, or a
 * region too small for one ring): then the region's header is wiped so
 * a reader finds nothing, and the caller may free its pages.
 */
int	cap_attach(struct cap_writer *, void *mem, size_t size,
	    uint64_t ring_size, uint32_t snaplen);

/*
 * The ring of the device mac, made when it first appears: a free slot,
 * else the one idle longest (its records are lost). now_us orders
 * idleness. Returns the slot, or -1 when capture is off.
 */
int	cap_slot(struct cap_writer *, const uint8_t mac[6], uint64_t now_us);

/* The ring of mac when it has one (never makes one), or -1. */
int	cap_lookup(const struct cap_writer *, const uint8_t mac[6]);

/*
 * Appends one packet of len bytes to slot's ring, overwriting the
 * oldest records whole. No allocation, no system call, no waiting.
 * gso_size: with CAP_F_GSO, the payload bytes of each segment.
 */
void	cap_write(struct cap_writer *, int slot, uint64_t ts_us, uint8_t dir,
	    uint8_t flags, uint16_t gso_size, const uint8_t *pkt, size_t len);

/*
 * The same in two steps, so natd copies a packet once, before it
 * rewrites it, and keeps it only if it passes: cap_reserve() makes room
 * for a record of a len-byte packet and returns where its *caplen bytes
 * go (NULL when capture is off or len is not a packet); nothing of it
 * is visible to a reader until cap_commit() publishes it. cap_cancel()
 * (or the next cap_reserve or cap_write) forgets it; the oldest records
 * it made room for stay lost. One pending record at a time.
 */
uint8_t	*cap_reserve(struct cap_writer *, int slot, size_t len,
	    uint32_t *caplen);
void	cap_commit(struct cap_writer *, uint64_t ts_us, uint8_t dir,
	    uint8_t flags, uint16_t gso_size);
void	cap_cancel(struct cap_writer *);

/*
 * How many packets the wire carried for the IPv4 packet pkt of len
 * bytes, a GSO super-packet, on a link of mtu bytes: TCP and UDP
 * payloads cut into segments of mtu less the packet's own IP and
 * transport headers (each segment carries them whole). Fills *seg_size
 * with the payload bytes per segment and *hdr_len with the headers
 * every segment repeats. 1 (and 0, 0) when it is not something the
 * kernel segments. Pure: natd's summaries and webd's pcap agree.
 */
uint32_t cap_gso_segments(const uint8_t *pkt, size_t len, uint32_t mtu,
	    uint16_t *seg_size, uint16_t *hdr_len);

/*
 * The part of slot's ring its next records will write that this
 * process has not touched yet: *at and the byte count (0: none), for
 * the caller to map in one system call (MADV_POPULATE_WRITE) instead
 * of a page fault per page on the packet path. Keeps CAP_AHEAD bytes
 * past the head made, at least CAP_AHEAD / 4 at a time; once the
 * process has made a whole lap of a ring, never again. So a ring's
 * memory is at most CAP_AHEAD more than its records ever needed.
 */
#define CAP_AHEAD	(64 * 1024)
size_t	cap_ahead(struct cap_writer *, int slot, uint8_t **at);

/* The device's LAN address, for readers that are asked by address. */
void	cap_set_ip(struct cap_writer *, int slot, uint32_t ip);

/*
 * Empties the ring of mac (gkctl pcap --clear) and zeroes its bytes;
 * returns 1, or 0 when the device has none.
 */
int	cap_clear(struct cap_writer *, const uint8_t mac[6]);

/* ---- reader (webd): every byte of the region is hostile ---- */

struct cap_layout {
	uint64_t	 ring_size, data_off;
	uint32_t	 nslots, snaplen;
};

/*
 * Checks the region's header (once copied: natd may rewrite it) and
 * fills l. Returns 0, or -1 when there is no valid region (capture off).
 */
int	cap_layout(const void *mem, size_t size, struct cap_layout *l);

/* The slot holding mac, or -1. */
int	cap_find(const void *mem, const struct cap_layout *,
	    const uint8_t mac[6]);
/*
 * The slot of the device that holds ip (network order) now: of those
 * that used it, the one heard from last. -1 when none; mac filled.
 */
int	cap_find_ip(const void *mem, const struct cap_layout *, uint32_t ip,
	    uint8_t mac[6]);

/* A consistent copy of one ring, and the walk over its records. */
struct cap_snap {
	const uint8_t	*buf;		/* the copy: ring_size bytes */
	uint64_t	 ring_size;
	uint64_t	 start, end;	/* positions of the valid records */
	uint64_t	 lost;		/* bytes natd overwrote while it
					 * copied (the ring held them) */
	uint64_t	 pos;
	uint8_t		 mac[6];
	uint8_t		 bad;		/* a record that did not check out
					 * ended the walk */
};

/*
 * Copies slot's ring into buf (bufsize >= l->ring_size) under its
 * sequence lock. Returns 0, -1 for a slot that is not there or not
 * valid, -2 when natd kept overwriting it (after CAP_RETRIES).
 */
int	cap_snapshot(const void *mem, const struct cap_layout *, int slot,
	    uint8_t *buf, size_t bufsize, struct cap_snap *);

struct cap_pkt {
	uint64_t	 ts_us;
	uint32_t	 wirelen;
	uint32_t	 caplen;
	uint16_t	 gso_size;
	uint8_t		 dir, flags;
	const uint8_t	*data;		/* into the copy */
};

/*
 * The next record of the copy, oldest first: 1 with p filled, 0 at the
 * end (or at a record that does not check out: s->bad is then set).
 */
int	cap_next(struct cap_snap *, struct cap_pkt *p);

/*
 * A GSO record (CAP_F_GSO) as the segments the wire carried, for the
 * pcap: cap_segs() says how many (1: write the record as it is: not a
 * GSO record, cut by the snap length, not TCP or UDP over IPv4, or
 * lengths that do not check out) and the headers each repeats;
 * cap_seg() writes segment i of n into out (room for hdr_len +
 * gso_size bytes) as the kernel's segmentation makes it: IP length,
 * ID + i and checksum; TCP sequence, CWR on the first only, FIN and PSH
 * on the last only; UDP length; complete TCP and UDP checksums. Returns
 * its length. The record's bytes are the reader's copy: hostile, but
 * cap_segs() checked every length cap_seg() uses.
 */
uint32_t cap_segs(const struct cap_pkt *, uint16_t *hdr_len);
size_t	cap_seg(const struct cap_pkt *, uint32_t i, uint32_t n,
	    uint16_t hdr_len, uint8_t *out);

#endif
