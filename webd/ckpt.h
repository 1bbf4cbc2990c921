/*
 * The checkpoint's encoding of one pair's minute (store.c writes it to
 * SQLite, one row per pair and minute). Pure: no SQLite, no I/O.
 *
 * A minute is a run of records, oldest first, each:
 *
 *   varint	seconds from the previous record (the first: from the
 *		minute's start); 0 only for the first record
 *   varint	tag: level | mask << 2, where level is 0 (100 ms), 1 (1 s)
 *		or 2 (10 s, its second a multiple of 10) and mask (level 0
 *		only, never 0) the slots that follow
 *   varints	bytes up, bytes down, packets up, packets down: per slot
 *		of mask at level 0, else once
 *
 * The decoder trusts nothing (a database file may be damaged): seconds
 * inside the minute and strictly increasing, tags and counts in range,
 * nothing left over. Records before a bad byte are given; the call says
 * the blob was bad.
 */
#ifndef GK_WEBD_CKPT_H
#define GK_WEBD_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "history.h"

#define CKPT_BLOB_MAX		32768	/* 60 s x 10 slots x 4 x 10 bytes + */
#define CKPT_MAX_COUNT		(100ULL * UINT32_MAX)	/* a 10 s sum */

struct ckpt_rec {
	uint32_t	 sec;
	uint8_t		 level;
	uint32_t	 mask;		/* level 0 */
	uint64_t	 c[HIST_SLOTS][HIST_NC];	/* level 1, 2: c[0] */
};

/* A minute of one pair, encoded: minute (epoch s / 60), the blob, and
 * its sums. */
typedef int (*ckpt_minute_fn)(uint32_t minute, const uint8_t *blob,
	    size_t len, const uint64_t sum[HIST_NC], void *arg);

/*
 * Encodes pair p's data in seconds [from_sec, to_sec), one pass over its
 * chain from start (NULL: the head; else a cursor that hist_cursor_resume
 * gave for from_sec), calling fn for each minute that has some (a minute
 * cut by to_sec is given as far as it goes). Returns 0, or fn's non-zero
 * value, which stops the walk.
 */
int	ckpt_encode(const struct hist *, uint32_t p,
	    const struct hist_cursor *start, uint32_t from_sec,
	    uint32_t to_sec, ckpt_minute_fn fn, void *arg);

/* Decodes a minute's blob, calling fn per record (fn returning non-zero
 * stops it). Returns the records given, or -1 when the blob is bad. */
int	ckpt_decode(const uint8_t *blob, size_t len, uint32_t minute,
	    int (*fn)(const struct ckpt_rec *, void *), void *arg);

/* Restores a minute's blob into pair p: the records it takes, or -1
 * when the blob is bad (what came before the bad byte is kept). */
int	ckpt_restore(struct hist *, uint32_t p, uint32_t minute,
	    const uint8_t *blob, size_t len);

#endif
