/*
 * The checkpoint's minute encoding (ckpt.h).
 */
#include <string.h>

#include "ckpt.h"

struct enc {
	uint32_t	 from_sec, to_sec;	/* [from, to) */
	uint32_t	 minute;		/* UINT32_MAX: none yet */
	struct ckpt_rec	 cur;
	int		 have;
	uint32_t	 prev_sec;	/* the last record put's */
	int		 nrec;		/* records put in this minute */
	uint8_t		*buf;
	size_t		 len;
	uint64_t	 sum[HIST_NC];
	ckpt_minute_fn	 fn;
	void		*arg;
	int		 rc;
};

static void
put(struct enc *e, uint64_t v)
{
	e->len += hist_put_varint(e->buf + e->len, CKPT_BLOB_MAX - e->len, v);
}

/* The record being gathered, into the minute's blob. */
static void
put_rec(struct enc *e)
{
	struct ckpt_rec	*r = &e->cur;
	int		 s, i;

	put(e, r->sec - (e->nrec == 0 ? e->minute * 60 : e->prev_sec));
	put(e, r->level | (uint64_t)(r->level == 0 ? r->mask : 0) << 2);
	for (s = 0; s < HIST_SLOTS; s++) {
		if (r->level == 0 ? !(r->mask & 1U << s) : s > 0)
			continue;
		for (i = 0; i < HIST_NC; i++) {
			put(e, r->c[s][i]);
			e->sum[i] += r->c[s][i];
		}
	}
	e->prev_sec = r->sec;
	e->nrec++;
	e->have = 0;
}

static void
flush_minute(struct enc *e)
{
	if (e->have)
		put_rec(e);
	if (e->len > 0 && e->rc == 0)
		e->rc = e->fn(e->minute, e->buf, e->len, e->sum, e->arg);
	e->len = 0;
	e->nrec = 0;
	memset(e->sum, 0, sizeof(e->sum));
}

static uint64_t
cap(uint64_t a, uint64_t b)
{
	return a > CKPT_MAX_COUNT - b ? CKPT_MAX_COUNT : a + b;
}

/*
 * A sample for the record being gathered or older (the store's chain is
 * oldest first, but a second split over two blocks that were coarsened
 * apart comes twice, and a 10 s record starts before the 1 s ones it
 * follows): kept in the record, collapsed to the coarser level when the
 * levels differ, so no count is lost.
 */
static void
merge(struct enc *e, const struct hist_sample *s)
{
	struct ckpt_rec	*r = &e->cur;
	uint8_t		 level = s->level > r->level ? s->level : r->level;
	int		 k, i;

	if (level == 0) {
		r->mask |= 1U << s->slot;
		for (i = 0; i < HIST_NC; i++)
			r->c[s->slot][i] = cap(r->c[s->slot][i], s->c[i]);
		return;
	}
	if (r->level == 0)
		for (k = 1; k < HIST_SLOTS; k++)
			for (i = 0; i < HIST_NC; i++) {
				r->c[0][i] = cap(r->c[0][i], r->c[k][i]);
				r->c[k][i] = 0;
			}
	for (i = 0; i < HIST_NC; i++)
		r->c[0][i] = cap(r->c[0][i], s->c[i]);
	r->mask = 0;
	r->level = level;
	if (level == 2 && r->sec % 10 != 0) {
		/* a 10 s record starts on a multiple of 10, after the last
		 * record put; where it cannot, the sum stays a 1 s record */
		if (e->nrec == 0 || r->sec - r->sec % 10 > e->prev_sec)
			r->sec -= r->sec % 10;
		else
			r->level = 1;
	}
}

static void
enc_sample(const struct hist_sample *s, void *arg)
{
	struct enc	*e = arg;
	int		 i;

	if (e->rc != 0 || s->sec < e->from_sec || s->sec >= e->to_sec)
		return;
	if (e->have && s->sec <= e->cur.sec) {
		merge(e, s);
		return;
	}
	if (e->have)
		put_rec(e);
	if (s->sec / 60 != e->minute) {
		if (e->minute != UINT32_MAX)
			flush_minute(e);
		e->minute = s->sec / 60;
	}
	memset(&e->cur, 0, sizeof(e->cur));
	e->cur.sec = s->sec;
	e->cur.level = s->level;
	if (s->level == 2 && s->sec % 10 != 0)
		e->cur.level = 1;	/* not the store's: kept as a 1 s */
	e->cur.mask = e->cur.level == 0 ? 1U << s->slot : 0;
	for (i = 0; i < HIST_NC; i++)
		e->cur.c[e->cur.level == 0 ? s->slot : 0][i] = s->c[i];
	e->have = 1;
}

int
ckpt_encode(const struct hist *hs, uint32_t p,
    const struct hist_cursor *start, uint32_t from_sec, uint32_t to_sec,
    ckpt_minute_fn fn, void *arg)
{
	static uint8_t	 buf[CKPT_BLOB_MAX];
	struct hist_cursor cur;
	struct enc	 e;

	if (from_sec >= to_sec)
		return 0;
	memset(&e, 0, sizeof(e));
	e.from_sec = from_sec;
	e.to_sec = to_sec;
	e.minute = UINT32_MAX;
	e.buf = buf;
	e.fn = fn;
	e.arg = arg;
	if (start != NULL)
		cur = *start;
	else
		hist_cursor_init(hs, p, &cur);
	hist_samples_next(hs, p, &cur, e.from_sec, e.to_sec - 1, enc_sample,
	    &e);
	if (e.minute != UINT32_MAX)
		flush_minute(&e);
	return e.rc;
}

/* ---- decoding ---- */

static int
get(const uint8_t *b, size_t len, size_t *pos, uint64_t *v)
{
	size_t	 n = hist_get_varint(b + *pos, len - *pos, v);

	*pos += n;
	return n == 0 ? -1 : 0;
}

static int
get_counts(const uint8_t *b, size_t len, size_t *pos, uint64_t c[HIST_NC])
{
	int	 i;

	for (i = 0; i < HIST_NC; i++)
		if (get(b, len, pos, &c[i]) == -1 || c[i] > CKPT_MAX_COUNT)
			return -1;
	return 0;
}

int
ckpt_decode(const uint8_t *b, size_t len, uint32_t minute,
    int (*fn)(const struct ckpt_rec *, void *), void *arg)
{
	struct ckpt_rec	 r;
	uint64_t	 d, tag, sec, end;
	size_t		 pos = 0;
	int		 n = 0, s;

	if (len == 0 || len > CKPT_BLOB_MAX || minute > UINT32_MAX / 60 - 1)
		return -1;
	sec = (uint64_t)minute * 60;
	end = sec + 60;
	while (pos < len) {
		memset(&r, 0, sizeof(r));
		if (get(b, len, &pos, &d) == -1 || (n > 0 && d == 0) ||
		    d >= end - sec || get(b, len, &pos, &tag) == -1)
			return -1;
		sec += d;
		r.sec = (uint32_t)sec;
		r.level = (uint8_t)(tag & 3);
		r.mask = (uint32_t)(tag >> 2 & 0x3ff);
		if (r.level >= HIST_LEVELS || tag >> 2 != r.mask ||
		    (r.level == 0) != (r.mask != 0) ||
		    (r.level == 2 && sec % 10 != 0))
			return -1;
		for (s = 0; s < HIST_SLOTS; s++)
			if ((r.level == 0 ? (r.mask & 1U << s) != 0 : s == 0) &&
			    get_counts(b, len, &pos, r.c[s]) == -1)
				return -1;
		n++;
		if (fn(&r, arg) != 0)
			break;
	}
	return n;
}

struct restore {
	struct hist	*hs;
	uint32_t	 p;
	int		 taken;
};

static int
restore_rec(const struct ckpt_rec *r, void *arg)
{
	struct restore	*rs = arg;

	if (hist_restore_second(rs->hs, rs->p, r->sec, r->level, r->mask,
	    r->c) == 0)
		rs->taken++;
	return 0;
}

int
ckpt_restore(struct hist *hs, uint32_t p, uint32_t minute,
    const uint8_t *blob, size_t len)
{
	struct restore	 rs = { hs, p, 0 };

	if (ckpt_decode(blob, len, minute, restore_rec, &rs) == -1)
		return -1;
	return rs.taken;
}
