/*
 * /api/live's frames from natd's summaries (live.h).
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"
#include "live.h"
#include "util.h"

/* ---- text ---- */

struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_grow(struct sbuf *b, size_t more)
{
	size_t	 cap;
	char	*p;

	if (b->oom || b->len + more + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	sb_grow(b, (size_t)n);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/*
 * A JSON string of an attacker's name: quotes, backslashes and every
 * byte outside printable ASCII escaped, so the text is valid UTF-8 (a
 * browser fails a WebSocket on a text frame that is not) whatever the
 * name held.
 */
static void
sb_json_str(struct sbuf *b, const char *s)
{
	char	 esc[8];

	sb_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sb_add(b, esc, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			sb_add(b, esc, 6);
		} else
			sb_add(b, (const char *)&c, 1);
	}
	sb_add(b, "\"", 1);
}

static void
sb_mac(struct sbuf *b, const uint8_t mac[6])
{
	char	 m[MAC_STR_SIZE];

	sb_printf(b, "\"%s\"", mac_str(mac, m, sizeof(m)));
}

static void
sb_ip(struct sbuf *b, uint32_t ip)
{
	char	 a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	sb_printf(b, "\"%s\"", a);
}

/* ---- devices ---- */

static uint32_t
mac_hash(const uint8_t mac[6])
{
	uint32_t h = 2166136261U;
	int	 i;

	for (i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619U;
	return h & (LIVE_DEV_HASH - 1);
}

static int
dev_find(const struct live *l, const uint8_t mac[6])
{
	int32_t	 i;

	for (i = l->hash[mac_hash(mac)]; i != -1; i = l->dev[i].hnext)
		if (memcmp(l->dev[i].mac, mac, 6) == 0)
			return i;
	return -1;
}

static int
watch_find(const struct live *l, const uint8_t mac[6])
{
	int	 i;

	for (i = 0; i < l->nwatch; i++)
		if (l->watch[i].refs > 0 && memcmp(l->watch[i].mac, mac, 6) == 0)
			return i;
	return -1;
}

/*
 * A full table: the device silent longest gives its place, when it has
 * been silent LIVE_IDLE_FRAMES and nobody watches it; -1 when none has.
 * A socket that fell behind before keeps its totals for that place:
 * first_seq tells it the device there is another one now.
 */
static int
dev_evict(struct live *l)
{
	struct live_dev	*d;
	int32_t		*pp;
	int		 i, old = -1;

	for (i = 0; i < l->ndev; i++) {
		d = &l->dev[i];
		if (d->watch == -1 && d->up == 0 && d->down == 0 &&
		    d->last_seq + LIVE_IDLE_FRAMES <= l->seq &&
		    (old == -1 || d->last_seq < l->dev[old].last_seq))
			old = i;
	}
	if (old == -1)
		return -1;
	pp = &l->hash[mac_hash(l->dev[old].mac)];
	while (*pp != old)
		pp = &l->dev[*pp].hnext;
	*pp = l->dev[old].hnext;
	l->st.devices_evicted++;
	return old;
}

/* A device not in the table (seen for the first time since webd
 * started, or since it gave its place away). */
static int
dev_new(struct live *l, const uint8_t mac[6])
{
	struct live_dev	*d;
	uint32_t	 h = mac_hash(mac);
	int		 i;

	if (l->ndev < LIVE_DEVICES_MAX)
		i = l->ndev++;
	else if (l->evict_seq == l->seq + 1 || (i = dev_evict(l)) == -1) {
		/* one look per frame: not a scan per summary */
		l->evict_seq = l->seq + 1;
		return -1;
	}
	d = &l->dev[i];
	memset(d, 0, sizeof(*d));
	memcpy(d->mac, mac, 6);
	d->first_seq = l->seq + 1;
	d->announce = l->ops.known == NULL ||
	    !l->ops.known(l->ops.arg, mac);
	d->hnext = l->hash[h];
	l->hash[h] = i;
	if ((d->watch = watch_find(l, mac)) != -1)
		l->watch[d->watch].dev = i;
	return i;
}

void
live_init(struct live *l, const struct live_ops *ops)
{
	int	 i;

	/*
	 * l is zero already (static storage): its 2 MB stay unresident
	 * until used. Zeroing it here would cost every caller that starts
	 * over (tests, fuzzing) a fault for each page it touches again.
	 */
	if (ops != NULL)
		l->ops = *ops;
	for (i = 0; i < LIVE_DEV_HASH; i++)
		l->hash[i] = -1;
	l->gen = 1;
}

/* ---- summaries ---- */

/* The summaries a record stands for (the drain merges a slot's). */
static uint32_t
summaries(const struct live_rec *r)
{
	return r->records > 1 ? r->records : 1;
}

static uint32_t
remote_hash(uint32_t addr, uint16_t port, uint8_t proto)
{
	return (ntohl(addr) * 2654435761U) ^ ((uint32_t)port << 8) ^ proto;
}

static void
remote_add(struct live *l, struct live_watch *w, const struct live_rec *r)
{
	struct live_remote *e;
	uint32_t	 h, k;

	h = remote_hash(r->remote, r->port, r->proto);
	for (k = 0; k < LIVE_REMOTE_HASH; k++) {
		e = &w->rem[(h + k) & (LIVE_REMOTE_HASH - 1)];
		if (e->gen != l->gen)
			break;
		if (e->addr == r->remote && e->port == r->port &&
		    e->proto == r->proto)
			goto add;
	}
	if (k == LIVE_REMOTE_HASH || w->nrem == LIVE_REMOTES_MAX) {
		l->st.remotes_over += summaries(r);
		return;
	}
	w->used[w->nrem++] = (uint16_t)(e - w->rem);
	memset(e, 0, sizeof(*e));
	e->gen = l->gen;
	e->addr = r->remote;
	e->port = r->port;
	e->proto = r->proto;
add:
	if (r->up)
		e->up += r->bytes;
	else
		e->down += r->bytes;
}

void
live_add(struct live *l, const struct live_rec *r)
{
	struct live_dev	*d;
	int		 i;

	if ((i = dev_find(l, r->mac)) == -1 &&
	    (i = dev_new(l, r->mac)) == -1) {
		l->st.devices_full += summaries(r);
		return;
	}
	d = &l->dev[i];
	d->ip = r->lan_ip;
	d->last_seq = l->seq + 1;
	if (r->up)
		d->up += r->bytes;
	else
		d->down += r->bytes;
	l->st.records += summaries(r);
	if (d->watch != -1)
		remote_add(l, &l->watch[d->watch], r);
}

/* ---- frames ---- */

static const char *
proto_name(uint8_t p)
{
	static char	 num[4];

	switch (p) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	}
	snprintf(num, sizeof(num), "%u", p);
	return num;
}

static uint64_t
remote_bytes(const struct live_remote *e)
{
	return e->up + e->down;
}

/* The LIVE_TOP busiest of the n remotes at rem (those taken: gen != 0),
 * busiest first. */
static int
top_remotes(const struct live_remote *rem, uint32_t nrem,
    const struct live_remote **top)
{
	const struct live_remote *e;
	uint32_t	 i;
	int		 n = 0, j;

	for (i = 0; i < nrem; i++) {
		e = &rem[i];
		if (e->gen == 0)
			continue;
		if (n == LIVE_TOP &&
		    remote_bytes(e) <= remote_bytes(top[n - 1]))
			continue;
		j = n < LIVE_TOP ? n++ : n - 1;
		for (; j > 0 && remote_bytes(top[j - 1]) < remote_bytes(e); j--)
			top[j] = top[j - 1];
		top[j] = e;
	}
	return n;
}

/* "MAC":[{"addr","name","port","proto","up","down"},...] of w, the
 * busiest of the n remotes at rem. */
static char *
remotes_frag(struct live *l, const struct live_watch *w,
    const struct live_remote *rem, uint32_t nrem)
{
	const struct live_remote *top[LIVE_TOP], *e;
	struct sbuf	 b = { 0 };
	const char	*name;
	int		 n, i;

	sb_mac(&b, w->mac);
	sb_str(&b, ":[");
	n = top_remotes(rem, nrem, top);
	for (i = 0; i < n; i++) {
		e = top[i];
		sb_str(&b, i ? ",{\"addr\":" : "{\"addr\":");
		sb_ip(&b, e->addr);
		sb_str(&b, ",\"name\":");
		name = l->ops.name == NULL || w->dev == -1 ? NULL :
		    l->ops.name(l->ops.arg, w->mac, l->dev[w->dev].ip,
		    e->addr);
		if (name != NULL && *name != '\0')
			sb_json_str(&b, name);
		else
			sb_str(&b, "null");
		sb_printf(&b, ",\"port\":%u,\"proto\":\"%s\",\"up\":%llu,"
		    "\"down\":%llu}", e->port, proto_name(e->proto),
		    (unsigned long long)e->up, (unsigned long long)e->down);
	}
	sb_str(&b, "]");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static const char *
hostname_of(const struct live *l, const uint8_t mac[6])
{
	int	 i;

	for (i = 0; i < l->nhost; i++)
		if (memcmp(l->host[i].mac, mac, 6) == 0)
			return l->host[i].name;
	return NULL;
}

static void
dev_json(struct sbuf *b, const struct live_dev *d, uint64_t up,
    uint64_t down, int first)
{
	sb_str(b, first ? "{\"mac\":" : ",{\"mac\":");
	sb_mac(b, d->mac);
	sb_str(b, ",\"ip\":");
	sb_ip(b, d->ip);
	sb_printf(b, ",\"up\":%llu,\"down\":%llu}", (unsigned long long)up,
	    (unsigned long long)down);
}

static void
new_json(struct sbuf *b, const struct live *l, const struct live_dev *d,
    int first)
{
	const char	*host = hostname_of(l, d->mac);
	const char	*vendor = l->ops.vendor != NULL ?
			    l->ops.vendor(l->ops.arg, d->mac) : NULL;

	sb_str(b, first ? "{\"mac\":" : ",{\"mac\":");
	sb_mac(b, d->mac);
	sb_str(b, ",\"ip\":");
	sb_ip(b, d->ip);
	sb_str(b, ",\"hostname\":");
	if (host != NULL && *host != '\0')
		sb_json_str(b, host);
	else
		sb_str(b, "null");
	sb_str(b, ",\"vendor\":");
	if (vendor != NULL)
		sb_json_str(b, vendor);
	else
		sb_str(b, "null");
	sb_str(b, "}");
}

/*
 * `{"t":T,"devices":[...],"new":[...]` for the devices whose counts
 * since base (NULL: this interval) are not zero, and those that first
 * appeared after frame `since`.
 */
static void
frame_head(struct sbuf *b, const struct live *l, uint64_t t_ms,
    const struct live_sub *s)
{
	const struct live_dev *d;
	uint64_t	 up, down, since = s ? s->seq : l->seq - 1;
	int		 i, first = 1;

	sb_printf(b, "{\"t\":%llu,\"devices\":[", (unsigned long long)t_ms);
	for (i = 0; i < l->ndev; i++) {
		d = &l->dev[i];
		if (s == NULL) {
			up = d->tot[0] - d->prev[0];
			down = d->tot[1] - d->prev[1];
		} else if (i < s->nbase && d->first_seq <= s->seq) {
			up = d->tot[0] - s->base[i][0];
			down = d->tot[1] - s->base[i][1];
		} else {
			/* appeared since, or took the place of another */
			up = d->tot[0];
			down = d->tot[1];
		}
		if (up == 0 && down == 0)
			continue;
		dev_json(b, d, up, down, first);
		first = 0;
	}
	sb_str(b, "],\"new\":[");
	for (i = 0, first = 1; i < l->ndev; i++) {
		d = &l->dev[i];
		if (!d->announce || d->first_seq <= since)
			continue;
		new_json(b, l, d, first);
		first = 0;
	}
	sb_str(b, "]");
}

/*
 * The interval's remotes of w, flat in w->last: its frame is made of
 * them, and a socket that misses the frame sums them (live_behind)
 * after the table was opened for the next interval.
 */
static int
keep_last(struct live_watch *w)
{
	struct live_remote *p;
	uint32_t	 i, cap;

	w->nlast = 0;
	if (w->nrem > w->caplast) {
		for (cap = 16; cap < w->nrem; cap *= 2)
			;
		if ((p = reallocarray(w->last, cap, sizeof(*p))) == NULL)
			return -1;
		w->last = p;
		w->caplast = cap;
	}
	for (i = 0; i < w->nrem; i++)
		w->last[i] = w->rem[w->used[i]];
	w->nlast = w->nrem;
	return 0;
}

int
live_close(struct live *l, uint64_t t_ms, int build)
{
	struct live_dev	*d;
	struct live_watch *w;
	struct sbuf	 b = { 0 };
	int		 i;

	l->seq++;
	for (i = 0; i < l->ndev; i++) {
		d = &l->dev[i];
		d->prev[0] = d->tot[0];
		d->prev[1] = d->tot[1];
		d->tot[0] += d->up;
		d->tot[1] += d->down;
		d->up = d->down = 0;
	}
	free(l->shared);
	free(l->plain);
	l->shared = l->plain = NULL;
	l->t_ms = t_ms;
	for (i = 0; i < l->nwatch; i++) {
		w = &l->watch[i];
		free(w->frag);
		w->frag = NULL;
		if (w->refs > 0 && keep_last(w) == 0 && build)
			w->frag = remotes_frag(l, w, w->last, w->nlast);
		w->nrem = 0;
	}
	l->gen++;
	if (!build)
		return 0;
	frame_head(&b, l, t_ms, NULL);
	if (b.oom) {
		free(b.p);
		return -1;
	}
	l->shared = b.p;
	if (asprintf(&l->plain, "%s,\"remotes\":{}}", l->shared) == -1) {
		l->plain = NULL;
		return -1;
	}
	l->st.frames++;
	return 0;
}

static void
base_free(struct live_sub *s)
{
	int	 i;

	free(s->base);
	s->base = NULL;
	s->nbase = 0;
	for (i = 0; i < LIVE_SUBS_MAX; i++) {
		free(s->pend[i].e);
		memset(&s->pend[i], 0, sizeof(s->pend[i]));
	}
}

/* r's slot in tab: its own, or the free one it would take. */
static struct live_remote *
pend_slot(struct live_remote *tab, uint32_t cap, const struct live_remote *r)
{
	struct live_remote *e;
	uint32_t	 h = remote_hash(r->addr, r->port, r->proto), k;

	for (k = 0; k < cap; k++) {
		e = &tab[(h + k) & (cap - 1)];
		if (e->gen == 0 || (e->addr == r->addr && e->port == r->port &&
		    e->proto == r->proto))
			return e;
	}
	return NULL;	/* not reached: a table is at most half full */
}

/* The table of p twice as big (at most LIVE_REMOTE_HASH slots). */
static int
pend_grow(struct live_pend *p)
{
	struct live_remote *tab, *e;
	uint32_t	 cap = p->cap ? p->cap * 2 : 32, i;

	if ((tab = calloc(cap, sizeof(*tab))) == NULL)
		return -1;
	for (i = 0; i < p->cap; i++)
		if (p->e[i].gen != 0) {
			e = pend_slot(tab, cap, &p->e[i]);
			*e = p->e[i];
		}
	free(p->e);
	p->e = tab;
	p->cap = cap;
	return 0;
}

/* One remote's bytes of a missed interval into what the socket missed. */
static void
pend_add(struct live *l, struct live_pend *p, const struct live_remote *r)
{
	struct live_remote *e = NULL;

	if (p->cap > 0 && (e = pend_slot(p->e, p->cap, r)) != NULL &&
	    e->gen != 0) {
		e->up += r->up;
		e->down += r->down;
		return;
	}
	if (p->n == LIVE_REMOTES_MAX) {
		l->st.remotes_over++;
		return;
	}
	if (p->n * 2 >= p->cap) {
		if (pend_grow(p) == -1) {
			l->st.remotes_over++;
			return;
		}
		e = pend_slot(p->e, p->cap, r);
	}
	*e = *r;
	e->gen = 1;
	p->n++;
}

/* The remotes of the frame just closed into what s missed, once. */
static void
pend_frame(struct live *l, struct live_sub *s)
{
	struct live_watch *w;
	uint32_t	 j;
	int		 i;

	if (s->pend_seq == l->seq)
		return;
	s->pend_seq = l->seq;
	for (i = 0; i < s->n; i++) {
		w = &l->watch[s->watch[i]];
		for (j = 0; j < w->nlast; j++)
			pend_add(l, &s->pend[i], &w->last[j]);
	}
}

int
live_is_behind(const struct live_sub *s)
{
	return s->base != NULL;
}

int
live_behind(struct live *l, struct live_sub *s)
{
	int	 i;

	if (s->base != NULL)
		goto remotes;
	if (l->ndev == 0) {
		/* nothing counted yet: a zero-length snapshot */
		s->base = calloc(1, sizeof(*s->base));
		s->nbase = 0;
	} else {
		s->base = calloc((size_t)l->ndev, sizeof(*s->base));
		s->nbase = l->ndev;
	}
	if (s->base == NULL)
		return -1;
	/* it was last sent the frame before the one just closed */
	for (i = 0; i < s->nbase; i++) {
		s->base[i][0] = l->dev[i].prev[0];
		s->base[i][1] = l->dev[i].prev[1];
	}
	s->seq = l->seq - 1;
remotes:
	pend_frame(l, s);
	return 0;
}

int
live_view_key(const struct live_sub *s, int16_t key[LIVE_SUBS_MAX])
{
	if (s->base != NULL)
		return -1;
	memcpy(key, s->watch, sizeof(s->watch[0]) * (size_t)s->n);
	return s->n;
}

void
live_sent(struct live *l, struct live_sub *s)
{
	s->seq = l->seq;
}

char *
live_text(struct live *l, struct live_sub *s)
{
	struct live_watch *w;
	struct sbuf	 b = { 0 };
	char		*frag;
	int		 i, n = 0;

	if (l->shared == NULL)
		return NULL;
	if (s->base == NULL && s->n == 0) {
		s->seq = l->seq;
		return strdup(l->plain);
	}
	if (s->base != NULL) {
		frame_head(&b, l, l->t_ms, s);
		pend_frame(l, s);	/* the frame it is sent now, too */
	} else
		sb_str(&b, l->shared);
	sb_str(&b, ",\"remotes\":{");
	for (i = 0; i < s->n; i++) {
		w = &l->watch[s->watch[i]];
		if (s->base == NULL) {
			if (w->frag == NULL)
				continue;
			sb_str(&b, n++ ? "," : "");
			sb_str(&b, w->frag);
			continue;
		}
		/* behind: the sums of every interval it missed */
		if ((frag = remotes_frag(l, w, s->pend[i].e,
		    s->pend[i].cap)) == NULL) {
			b.oom = 1;
			break;
		}
		sb_str(&b, n++ ? "," : "");
		sb_str(&b, frag);
		free(frag);
	}
	sb_str(&b, "}}");
	base_free(s);
	s->seq = l->seq;
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* ---- subscriptions ---- */

const char *
live_parse_subscribe(const char *msg, size_t len,
    uint8_t macs[LIVE_SUBS_MAX][6], int *n)
{
	json_t		*o, *list, *v;
	const char	*why = NULL, *s;
	size_t		 i;

	*n = 0;
	if (len > LIVE_MSG_MAX)
		return "message too long";
	if ((o = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return "not JSON";
	if (!json_is_object(o) || json_object_size(o) != 1 ||
	    !json_is_array(list = json_object_get(o, "subscribe")))
		why = "want {\"subscribe\": [\"MAC\", ...]}";
	else if (json_array_size(list) > LIVE_SUBS_MAX)
		why = "at most 8 subscriptions";
	else
		json_array_foreach(list, i, v) {
			if ((s = json_string_value(v)) == NULL ||
			    conf_parse_mac(s, macs[*n]) == -1) {
				why = "a subscription is not a MAC address";
				break;
			}
			(*n)++;
		}
	json_decref(o);
	if (why != NULL)
		*n = 0;
	return why;
}

static void
unwatch(struct live *l, int i)
{
	struct live_watch *w = &l->watch[i];

	if (--w->refs > 0)
		return;
	if (w->dev != -1)
		l->dev[w->dev].watch = -1;
	free(w->frag);
	w->frag = NULL;
	w->nrem = 0;
	free(w->last);
	w->last = NULL;
	w->nlast = w->caplast = 0;
}

/* The watch of mac, made when needed; -1 when all are taken. */
static int
watch(struct live *l, const uint8_t mac[6])
{
	struct live_watch *w;
	int	 i, d;

	if ((i = watch_find(l, mac)) != -1) {
		l->watch[i].refs++;
		return i;
	}
	for (i = 0; i < l->nwatch; i++)
		if (l->watch[i].refs == 0)
			break;
	if (i == LIVE_WATCH_MAX)
		return -1;
	if (i == l->nwatch)
		l->nwatch++;
	w = &l->watch[i];
	memcpy(w->mac, mac, 6);
	w->refs = 1;
	w->nrem = 0;
	w->dev = d = dev_find(l, mac);
	if (d != -1)
		l->dev[d].watch = i;
	return i;
}

void
live_drop(struct live *l, struct live_sub *s)
{
	int	 i;

	for (i = 0; i < s->n; i++)
		unwatch(l, s->watch[i]);
	s->n = 0;
	base_free(s);
}

/* A socket behind changes its subscriptions: what it missed of a device
 * it keeps follows the device to its new place; the rest goes. */
static void
pend_follow(struct live_sub *s, const int16_t *got, int k)
{
	struct live_pend keep[LIVE_SUBS_MAX];
	int		 i, j;

	memset(keep, 0, sizeof(keep));
	for (j = 0; j < k; j++)
		for (i = 0; i < s->n; i++)
			if (s->watch[i] == got[j]) {
				keep[j] = s->pend[i];
				memset(&s->pend[i], 0, sizeof(s->pend[i]));
				break;
			}
	for (i = 0; i < LIVE_SUBS_MAX; i++)
		free(s->pend[i].e);
	memcpy(s->pend, keep, sizeof(keep));
}

const char *
live_message(struct live *l, struct live_sub *s, const char *msg,
    size_t len)
{
	uint8_t		 macs[LIVE_SUBS_MAX][6];
	int16_t		 got[LIVE_SUBS_MAX];
	const char	*why;
	int		 n, i, j, k = 0, w;

	if ((why = live_parse_subscribe(msg, len, macs, &n)) != NULL) {
		l->st.bad_messages++;
		return why;
	}
	/* the new set first, then the old one let go: a device in both
	 * keeps its remotes */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (memcmp(macs[i], macs[j], 6) == 0)
				break;
		if (j < i)
			continue;	/* twice in one message */
		if ((w = watch(l, macs[i])) == -1) {
			for (j = 0; j < k; j++)
				unwatch(l, got[j]);
			l->st.watch_full++;
			return "too many devices watched on this router";
		}
		got[k++] = (int16_t)w;
	}
	for (i = 0; i < s->n; i++)
		unwatch(l, s->watch[i]);
	pend_follow(s, got, k);
	memcpy(s->watch, got, sizeof(got[0]) * (size_t)k);
	s->n = k;
	l->st.subscribe++;
	return NULL;
}

/* ---- hostnames from dhcpd, through the `clients` reply ---- */

int
live_hosts(struct live *l, const char *clients_json)
{
	json_t		*reply, *rows, *row;
	const char	*mac, *name;
	size_t		 i;
	int		 n = 0;

	reply = json_loads(clients_json, 0, NULL);
	rows = json_object_get(reply, "clients");
	if (!json_is_array(rows)) {
		json_decref(reply);
		l->st.bad_replies++;
		return -1;
	}
	json_array_foreach(rows, i, row) {
		if (n == LIVE_DEVICES_MAX)
			break;
		mac = json_string_value(json_object_get(row, "mac"));
		name = json_string_value(json_object_get(row, "hostname"));
		if (mac == NULL || name == NULL || *name == '\0' ||
		    conf_parse_mac(mac, l->host[n].mac) == -1)
			continue;
		strlcpy(l->host[n].name, name, sizeof(l->host[n].name));
		n++;
	}
	l->nhost = n;
	json_decref(reply);
	return 0;
}
