/*
 * Queries over the traffic history (query.h). A query spreads the
 * samples of the device's pairs over an array of the window's 100 ms
 * ticks, then sums the ticks into rows: one pass over the data, one over
 * the window, whatever the step. A coarsened sample (1 s, 10 s) is
 * spread evenly over its ticks, the remainder on the first ones, so sums
 * stay exact at every step.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query.h"

/*
 * A window is gone through a chunk of QUERY_CHUNK ticks at a time (an
 * hour: 288 KiB of ticks, which stay in the cache and are reused, where
 * a whole day's 7 MB were page faults first); each pair's cursor goes on
 * from where the last chunk left it. Rows take the sums; the ticks only
 * the bytes, for min, max, peaks.
 */
#define QUERY_CHUNK	36000

struct spread {
	uint32_t	(*tick)[2];	/* the chunk's */
	uint64_t	 from_tick, nticks, per;
	uint64_t	 lo, n;		/* the chunk: window ticks [lo, lo+n) */
	uint64_t	 row_lo, row;	/* the last row's first tick: samples
					 * mostly come in order, so most skip
					 * the division */
	struct query_row *rows;
	uint64_t	 last_sec;	/* the last active second counted */
};

/* ---- parameters ---- */

static int
all_digits(const char *s, size_t max)
{
	size_t	 n = strspn(s, "0123456789");

	return n > 0 && n <= max && s[n] == '\0';
}

/* "+hh:mm", "-hhmm", "Z" or "": seconds east of UTC; -1 otherwise. */
static int
zone(const char *s, long *off)
{
	int	 sign, hh, mm, n = 0;

	*off = 0;
	if (*s == '\0' || strcmp(s, "Z") == 0)
		return 0;
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s == '-' ? -1 : 1;
	if ((sscanf(s + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5) &&
	    (sscanf(s + 1, "%2d%2d%n", &hh, &mm, &n) != 2 || n != 4))
		return -1;
	if (!isdigit((unsigned char)s[1]) || hh > 23 || mm > 59 ||
	    hh < 0 || mm < 0 || s[1 + n] != '\0')
		return -1;
	*off = sign * (hh * 3600L + mm * 60L);
	return 0;
}

int
query_time(const char *s, uint64_t *ms)
{
	struct tm	 tm;
	const char	*p;
	uint64_t	 frac = 0, scale = 100;
	long		 off;
	time_t		 t;

	if (all_digits(s, 15)) {
		*ms = strtoull(s, NULL, 10);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if (!isdigit((unsigned char)s[0]) ||
	    (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			frac += (uint64_t)(*p - '0') * scale;
			scale /= 10;
		}
		if (p[-1] == '.')
			return -1;
	}
	if (zone(p, &off) == -1 || tm.tm_year < 70 || tm.tm_year > 8000)
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1 || t - off < 0)
		return -1;
	*ms = (uint64_t)(t - off) * 1000 + frac;
	return 0;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int	 b[6];
	int		 i, n = 0;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n",
	    &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &n) != 6 || n != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) ||
		    !isxdigit((unsigned char)s[i * 3 + 1]))
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

int
query_client_mac(const char *s, uint8_t mac[6])
{
	return parse_mac(s, mac);
}

int
query_client(const struct hist *hs, const char *s, uint8_t mac[6])
{
	const struct hist_pair *e, *best = NULL;
	struct in_addr	 ip;
	uint32_t	 p;

	if (parse_mac(s, mac) == 0)
		return 0;
	if (inet_pton(AF_INET, s, &ip) != 1)
		return -1;
	for (p = 0; p < hs->h->phwm; p++) {
		e = &hs->pairs[p];
		if (e->used && e->lan_ip == ip.s_addr &&
		    (best == NULL || e->last_ms > best->last_ms))
			best = e;
	}
	if (best == NULL)
		return -1;
	memcpy(mac, best->mac, 6);
	return 0;
}

/* "250", "250ms", "5s", "10m", "1h": ms; -1 otherwise. */
static int
parse_step(const char *s, uint64_t *ms)
{
	static const struct { const char *sfx; uint64_t mul; } u[] = {
		{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 },
	};
	size_t	 n = strspn(s, "0123456789"), i;

	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (strcmp(s + n, u[i].sfx) == 0) {
			*ms = strtoull(s, NULL, 10) * u[i].mul;
			return 0;
		}
	return -1;
}

static int
bad(char *err, size_t len, const char *what, const char *v)
{
	snprintf(err, len, "%s: \"%.64s\" is not %s", what, v,
	    strcmp(what, "client") == 0 ? "a known device's MAC or IPv4 "
	    "address" : strcmp(what, "remote") == 0 ? "an IPv4 address" :
	    strcmp(what, "step") == 0 ? "a duration (ms, or 5s, 1m, 1h)" :
	    "a time (epoch ms or ISO 8601)");
	return -1;
}

static uint64_t
default_step(uint64_t span)
{
	uint64_t step = (span / QUERY_DEFAULT_POINTS + 99) / 100 * 100;

	return step < 100 ? 100 : step;
}

int
query_parse(const struct hist *hs, struct query *q, const char *client,
    const char *remote, const char *from, const char *to, const char *step,
    uint64_t now_ms, char *err, size_t errlen)
{
	struct in_addr	 a;
	uint64_t	 span, max = ((uint64_t)hs->h->history_s + 3600) * 1000;

	memset(q, 0, sizeof(*q));
	if (client == NULL)
		return snprintf(err, errlen, "client: required"), -1;
	if (query_client(hs, client, q->mac) == -1)
		return bad(err, errlen, "client", client);
	if (remote != NULL) {
		if (inet_pton(AF_INET, remote, &a) != 1)
			return bad(err, errlen, "remote", remote);
		q->remote = a.s_addr;
	}
	q->to_ms = (now_ms + 99) / 100 * 100;
	if (to != NULL && query_time(to, &q->to_ms) == -1)
		return bad(err, errlen, "to", to);
	q->to_ms = (q->to_ms + 99) / 100 * 100;
	q->from_ms = q->to_ms > hs->h->history_s * 1000ULL ?
	    q->to_ms - hs->h->history_s * 1000ULL : 0;
	if (from != NULL && query_time(from, &q->from_ms) == -1)
		return bad(err, errlen, "from", from);
	q->from_ms -= q->from_ms % 100;
	if (q->from_ms >= q->to_ms)
		return snprintf(err, errlen, "from: must be before to"), -1;
	if ((span = q->to_ms - q->from_ms) > max)
		return snprintf(err, errlen, "from, to: at most the history "
		    "and an hour apart (%llu s)", (unsigned long long)max /
		    1000), -1;
	q->step_ms = default_step(span);
	if (step != NULL && (parse_step(step, &q->step_ms) == -1 ||
	    q->step_ms == 0 || q->step_ms % 100 != 0))
		return bad(err, errlen, "step", step);
	if (q->step_ms > span)
		q->step_ms = span;
	if ((span + q->step_ms - 1) / q->step_ms > QUERY_MAX_ROWS)
		return snprintf(err, errlen, "step: too small for the "
		    "window (at most %d rows)", QUERY_MAX_ROWS), -1;
	return 0;
}

int
query_points(struct query *q, const char *points, char *err, size_t errlen)
{
	uint64_t	 n, span = q->to_ms - q->from_ms;

	if (!all_digits(points, 6) || (n = strtoull(points, NULL, 10)) == 0 ||
	    n > QUERY_MAX_ROWS) {
		snprintf(err, errlen, "points: \"%.64s\" is not a number of "
		    "rows (1 to %d)", points, QUERY_MAX_ROWS);
		return -1;
	}
	q->step_ms = (span + n * 100 - 1) / (n * 100) * 100;
	if (q->step_ms > span)
		q->step_ms = span;
	return 0;
}

/* ---- traffic ---- */

static inline void
sat_add(uint32_t *a, uint64_t v)
{
	uint64_t x = *a + (v < UINT32_MAX ? v : UINT32_MAX);

	*a = x < UINT32_MAX ? (uint32_t)x : UINT32_MAX;
}

/* v at window tick t, which is in the chunk. */
static void
spread_tick(struct spread *sp, uint64_t t, const uint64_t v[HIST_NC])
{
	struct query_row *row;
	int		 i;

	if (t < sp->row_lo || t - sp->row_lo >= sp->per) {
		sp->row = t / sp->per;
		sp->row_lo = sp->row * sp->per;
	}
	row = &sp->rows[sp->row];

	for (i = 0; i < HIST_NC; i++)
		row->c[i] += v[i];	/* the totals are the rows' sum */
	sat_add(&sp->tick[t - sp->lo][0], v[HIST_BU]);
	sat_add(&sp->tick[t - sp->lo][1], v[HIST_BD]);
}

/* A sample, as far as it falls in the chunk: a coarse one that straddles
 * two chunks gives each its own ticks. */
static void
spread_sample(const struct hist_sample *s, void *arg)
{
	struct spread	*sp = arg;
	uint64_t	 t0 = (uint64_t)s->sec * 10 + s->slot, n, k, t;
	uint64_t	 lo = sp->from_tick + sp->lo;
	uint64_t	 v[HIST_NC];
	int		 i;

	if (s->level == 0) {
		if (t0 >= lo && t0 - lo < sp->n)
			spread_tick(sp, t0 - sp->from_tick, s->c);
		return;
	}
	n = s->level == 2 ? 100 : 10;
	for (k = 0; k < n; k++) {
		t = t0 + k;
		if (t < lo || t - lo >= sp->n)
			continue;
		for (i = 0; i < HIST_NC; i++)
			v[i] = s->c[i] / n + (k < s->c[i] % n);
		spread_tick(sp, t - sp->from_tick, v);
	}
}

static int
pair_matches(const struct hist_pair *e, const struct query *q)
{
	return e->used && memcmp(e->mac, q->mac, 6) == 0 &&
	    (q->remote == 0 || e->remote == q->remote);
}

/* The chunk's ticks into its rows' least and most, the peaks and the
 * active seconds. */
static void
chunk_done(struct spread *sp, struct query_result *res,
    const struct query *q)
{
	struct query_row *row;
	uint64_t	 k, t, sec;
	uint32_t	 up, down;

	for (k = 0; k < sp->n; k++) {
		t = sp->lo + k;
		row = &sp->rows[t / sp->per];
		up = sp->tick[k][0];
		down = sp->tick[k][1];
		row->min_up = up < row->min_up ? up : row->min_up;
		row->max_up = up > row->max_up ? up : row->max_up;
		row->min_down = down < row->min_down ? down : row->min_down;
		row->max_down = down > row->max_down ? down : row->max_down;
		if (up > res->peak_up) {
			res->peak_up = up;
			res->peak_up_ms = q->from_ms + t * 100;
		}
		if (down > res->peak_down) {
			res->peak_down = down;
			res->peak_down_ms = q->from_ms + t * 100;
		}
		if ((up | down) == 0)
			continue;
		sec = (sp->from_tick + t) / 10;
		if (sec != sp->last_sec)
			res->active_s++;
		sp->last_sec = sec;
	}
}

int
query_traffic(const struct hist *hs, const struct query *q,
    struct query_result *res)
{
	struct spread	 sp;
	struct hist_cursor *cur = NULL;
	uint32_t	*pairs = NULL, p;
	size_t		 np = 0, i;
	uint64_t	 r;

	memset(res, 0, sizeof(*res));
	memset(&sp, 0, sizeof(sp));
	sp.from_tick = q->from_ms / 100;
	sp.nticks = (q->to_ms - q->from_ms) / 100;
	sp.per = q->step_ms / 100;
	sp.last_sec = UINT64_MAX;
	res->nrows = (sp.nticks + sp.per - 1) / sp.per;
	sp.tick = calloc(sp.nticks < QUERY_CHUNK ? sp.nticks : QUERY_CHUNK,
	    sizeof(*sp.tick));
	res->rows = calloc(res->nrows, sizeof(*res->rows));
	pairs = calloc(hs->h->phwm + 1, sizeof(*pairs));
	cur = calloc(hs->h->phwm + 1, sizeof(*cur));
	if (sp.tick == NULL || res->rows == NULL || pairs == NULL ||
	    cur == NULL) {
		query_result_free(res);
		free(cur);
		free(pairs);
		free(sp.tick);
		return -1;
	}
	sp.rows = res->rows;
	for (r = 0; r < res->nrows; r++) {
		res->rows[r].t_ms = q->from_ms + r * q->step_ms;
		res->rows[r].min_up = res->rows[r].min_down = UINT32_MAX;
	}
	for (p = 0; p < hs->h->phwm; p++)
		if (pair_matches(&hs->pairs[p], q)) {
			hist_cursor_init(hs, p, &cur[np]);
			pairs[np++] = p;
		}
	for (sp.lo = 0; sp.lo < sp.nticks; sp.lo += sp.n) {
		sp.n = sp.nticks - sp.lo < QUERY_CHUNK ? sp.nticks - sp.lo :
		    QUERY_CHUNK;
		memset(sp.tick, 0, sp.n * sizeof(*sp.tick));
		for (i = 0; i < np; i++)
			hist_samples_next(hs, pairs[i], &cur[i],
			    (uint32_t)((sp.from_tick + sp.lo) / 10),
			    (uint32_t)((sp.from_tick + sp.lo + sp.n - 1) / 10),
			    spread_sample, &sp);
		chunk_done(&sp, res, q);
	}
	for (r = 0; r < res->nrows; r++)
		for (i = 0; i < HIST_NC; i++)
			res->total[i] += res->rows[r].c[i];
	free(cur);
	free(pairs);
	free(sp.tick);
	return 0;
}

void
query_result_free(struct query_result *res)
{
	free(res->rows);
	res->rows = NULL;
}

static const char *const columns[] = {
	"time_ms", "bytes_up", "bytes_down", "packets_up", "packets_down",
	"min_up", "max_up", "min_down", "max_down",
};
#define NCOLUMNS	(sizeof(columns) / sizeof(columns[0]))

static void
row_values(const struct query_row *r, uint64_t v[NCOLUMNS])
{
	v[0] = r->t_ms;
	v[1] = r->c[HIST_BU];
	v[2] = r->c[HIST_BD];
	v[3] = r->c[HIST_PU];
	v[4] = r->c[HIST_PD];
	v[5] = r->min_up;
	v[6] = r->max_up;
	v[7] = r->min_down;
	v[8] = r->max_down;
}

static void
mac_string(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
	    mac[2], mac[3], mac[4], mac[5]);
}

static json_t *
u64(uint64_t v)
{
	return json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v));
}

static json_t *
totals_json(const uint64_t t[HIST_NC])
{
	json_t	*o = json_object();

	json_object_set_new(o, "bytes_up", u64(t[HIST_BU]));
	json_object_set_new(o, "bytes_down", u64(t[HIST_BD]));
	json_object_set_new(o, "packets_up", u64(t[HIST_PU]));
	json_object_set_new(o, "packets_down", u64(t[HIST_PD]));
	return o;
}

json_t *
query_traffic_json(const struct query *q, const struct query_result *res)
{
	char		 mac[18], addr[INET_ADDRSTRLEN];
	uint64_t	 v[NCOLUMNS], secs = (q->to_ms - q->from_ms) / 1000;
	json_t		*o = json_object(), *rows = json_array(), *a, *cols;
	size_t		 i, c;

	mac_string(q->mac, mac);
	inet_ntop(AF_INET, &q->remote, addr, sizeof(addr));
	json_object_set_new(o, "client", json_string(mac));
	json_object_set_new(o, "remote", q->remote ? json_string(addr) :
	    json_null());
	json_object_set_new(o, "from", u64(q->from_ms));
	json_object_set_new(o, "to", u64(q->to_ms));
	json_object_set_new(o, "step", u64(q->step_ms));
	cols = json_array();
	for (c = 0; c < NCOLUMNS; c++)
		json_array_append_new(cols, json_string(columns[c]));
	json_object_set_new(o, "columns", cols);
	for (i = 0; i < res->nrows; i++) {
		row_values(&res->rows[i], v);
		a = json_array();
		for (c = 0; c < NCOLUMNS; c++)
			json_array_append_new(a, u64(v[c]));
		json_array_append_new(rows, a);
	}
	json_object_set_new(o, "rows", rows);
	json_object_set_new(o, "totals", totals_json(res->total));
	json_object_set_new(o, "peak_100ms", json_pack("{s:o,s:o,s:o,s:o}",
	    "up", u64(res->peak_up), "up_ms", u64(res->peak_up_ms),
	    "down", u64(res->peak_down), "down_ms", u64(res->peak_down_ms)));
	secs = secs ? secs : 1;
	json_object_set_new(o, "average_bps", json_pack("{s:o,s:o}",
	    "up", u64(res->total[HIST_BU] / secs),
	    "down", u64(res->total[HIST_BD] / secs)));
	json_object_set_new(o, "active_seconds", u64(res->active_s));
	return o;
}

char *
query_traffic_csv(const struct query_result *res)
{
	char		*buf = NULL;
	size_t		 len = 0, i, c;
	uint64_t	 v[NCOLUMNS];
	FILE		*f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	for (c = 0; c < NCOLUMNS; c++)
		fprintf(f, "%s%s", c ? "," : "", columns[c]);
	fputc('\n', f);
	for (i = 0; i < res->nrows; i++) {
		row_values(&res->rows[i], v);
		for (c = 0; c < NCOLUMNS; c++)
			fprintf(f, "%s%llu", c ? "," : "",
			    (unsigned long long)v[c]);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- remotes ---- */

struct remote_sum {
	uint32_t	 pair;
	uint64_t	 c[HIST_NC];
	uint64_t	 first_ms, last_ms;
	uint64_t	 from_ms, to_ms;
};

static void
remote_sample(const struct hist_sample *s, void *arg)
{
	struct remote_sum *r = arg;
	uint64_t	 t = (uint64_t)s->sec * 1000 + s->slot * 100;
	int		 i;

	if (t >= r->to_ms || t + (s->level == 2 ? 10000 : s->level ?
	    1000 : 100) <= r->from_ms)
		return;
	for (i = 0; i < HIST_NC; i++)
		r->c[i] += s->c[i];
	if (r->first_ms == 0 || t < r->first_ms)
		r->first_ms = t;
	if (t > r->last_ms)
		r->last_ms = t;
}

static int
by_bytes(const void *a, const void *b)
{
	const struct remote_sum *x = a, *y = b;
	uint64_t	 bx = x->c[HIST_BU] + x->c[HIST_BD];
	uint64_t	 by = y->c[HIST_BU] + y->c[HIST_BD];

	return bx < by ? 1 : bx > by ? -1 : (x->pair > y->pair) -
	    (x->pair < y->pair);
}

static json_t *
ports_json(const struct hist_pair *e)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < HIST_PORTS && e->ports[i].proto != 0; i++)
		json_array_append_new(a, json_pack("{s:s,s:i}", "proto",
		    e->ports[i].proto == 6 ? "tcp" : e->ports[i].proto == 17 ?
		    "udp" : e->ports[i].proto == 1 ? "icmp" : "other",
		    "port", e->ports[i].port));
	return a;
}

static json_t *
remote_json(const struct hist *hs, const struct remote_sum *r)
{
	const struct hist_pair *e = &hs->pairs[r->pair];
	char		 addr[INET_ADDRSTRLEN], name[HIST_NAME];
	json_t		*o = totals_json(r->c);

	inet_ntop(AF_INET, &e->remote, addr, sizeof(addr));
	memcpy(name, e->name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	json_object_set_new(o, "addr", json_string(addr));
	json_object_set_new(o, "name", name[0] ? json_string(name) :
	    json_null());
	json_object_set_new(o, "ports", ports_json(e));
	json_object_set_new(o, "first_ms", u64(r->first_ms));
	json_object_set_new(o, "last_ms", u64(r->last_ms));
	return o;
}

json_t *
query_remotes_json(const struct hist *hs, const struct query *q)
{
	struct remote_sum *rs;
	char		 mac[18];
	size_t		 n = 0, i;
	uint32_t	 p;
	json_t		*o, *a;

	if ((rs = calloc(hs->h->phwm + 1, sizeof(*rs))) == NULL)
		return NULL;
	for (p = 0; p < hs->h->phwm; p++) {
		if (!pair_matches(&hs->pairs[p], q))
			continue;
		rs[n].pair = p;
		rs[n].from_ms = q->from_ms;
		rs[n].to_ms = q->to_ms;
		hist_samples(hs, p, (uint32_t)(q->from_ms / 1000),
		    (uint32_t)((q->to_ms - 1) / 1000), remote_sample, &rs[n]);
		if (rs[n].last_ms != 0)
			n++;
	}
	qsort(rs, n, sizeof(*rs), by_bytes);
	a = json_array();
	for (i = 0; i < n && i < QUERY_MAX_REMOTES; i++)
		json_array_append_new(a, remote_json(hs, &rs[i]));
	free(rs);
	mac_string(q->mac, mac);
	o = json_pack("{s:s,s:o,s:o}", "client", mac, "from", u64(q->from_ms),
	    "to", u64(q->to_ms));
	json_object_set_new(o, "remotes", a);
	return o;
}

/* ---- requests ---- */

const char *const query_param_names[QP_MAX] = {
	"client", "remote", "from", "to", "step", "points",
};

static void
reply_error(struct query_reply *rep, int status, const char *msg)
{
	rep->status = status;
	rep->json = json_pack("{s:s}", "error", msg);
}

static int
parse_request(const struct hist *hs, struct query *q,
    const char *const v[QP_MAX], uint64_t now_ms, char *err, size_t errlen)
{
	if (query_parse(hs, q, v[QP_CLIENT], v[QP_REMOTE], v[QP_FROM],
	    v[QP_TO], v[QP_STEP], now_ms, err, errlen) == -1)
		return -1;
	if (v[QP_POINTS] == NULL)
		return 0;
	if (v[QP_STEP] != NULL) {
		snprintf(err, errlen, "step, points: give one or the other");
		return -1;
	}
	return query_points(q, v[QP_POINTS], err, errlen);
}

void
query_request(const struct hist *hs, int remotes, int csv,
    const char *const v[QP_MAX], uint64_t now_ms, struct query_reply *rep)
{
	struct query	 q;
	struct query_result res;
	char		 err[256];

	memset(rep, 0, sizeof(*rep));
	if (hs == NULL) {
		reply_error(rep, 503, "no traffic history");
		return;
	}
	if (parse_request(hs, &q, v, now_ms, err, sizeof(err)) == -1) {
		reply_error(rep, 422, err);
		return;
	}
	rep->status = 200;
	if (remotes) {
		rep->json = query_remotes_json(hs, &q);
		if (rep->json == NULL)
			reply_error(rep, 500, "out of memory");
		return;
	}
	if (query_traffic(hs, &q, &res) == -1) {
		reply_error(rep, 500, "out of memory");
		return;
	}
	if (csv)
		rep->csv = query_traffic_csv(&res);
	else
		rep->json = query_traffic_json(&q, &res);
	query_result_free(&res);
	if (rep->csv == NULL && rep->json == NULL)
		reply_error(rep, 500, "out of memory");
}
