/*
 * Observations for webd: see observe.h.
 */
#include <sys/socket.h>

#include <string.h>

#include "answer.h"
#include "dns.h"
#include "observe.h"
#include "util.h"

_Static_assert(OBS_RECENT <= 65536 && OBS_RECENT % OBS_WAYS == 0,
    "a slot is a uint16_t; the table is whole sets");

void
obs_init(struct obs *o)
{
	zero_lazily(o, sizeof(*o));
}

static uint32_t
fnv(uint32_t h, const uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

/*
 * The name in text form ("www.example.com."), when every byte is a
 * letter, digit, '-' or '_': other names are not what a dashboard shows
 * and would need escaping. Returns the length, 0 when not.
 */
static size_t
name_text(const uint8_t *qname, size_t qnamelen, char *out, size_t outsize)
{
	size_t	 i = 0, o = 0, n, k;
	uint8_t	 c;

	if (qnamelen < 2 || qnamelen > outsize)
		return 0;
	while (i < qnamelen && (n = qname[i]) != 0) {
		if (n > 63 || i + 1 + n >= qnamelen)
			return 0;
		for (k = 1; k <= n; k++) {
			c = qname[i + k];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' &&
			    c <= '9') || c == '-' || c == '_'))
				return 0;
			out[o++] = (char)c;
		}
		out[o++] = '.';
		i += 1 + n;
	}
	out[o] = '\0';
	return o;
}

/* May this entry's slot be taken: free, or its repeat window over. */
static int
stale(const struct obs_recent *r, uint32_t now)
{
	return r->sent == 0 || now - r->sent >= OBS_REPEAT_S;
}

/*
 * Was this sent lately? If not, it is now, in the set's free or stale
 * way, else its oldest: *slot is where it is noted.
 */
static int
recent(struct obs *o, struct in_addr client, uint8_t family,
    const uint8_t *addr, uint32_t namehash, uint32_t now, uint16_t *slot)
{
	struct obs_recent *set, *r, *victim;
	size_t	 alen = family == 4 ? 4 : 16, i;
	uint32_t h;

	h = fnv(fnv(2166136261U, (const uint8_t *)&client.s_addr, 4), addr,
	    alen) ^ namehash;
	set = &o->recent[(h % (OBS_RECENT / OBS_WAYS)) * OBS_WAYS];
	victim = &set[0];
	for (i = 0; i < OBS_WAYS; i++) {
		r = &set[i];
		if (!stale(r, now) && r->client.s_addr == client.s_addr &&
		    r->family == family && r->namehash == namehash &&
		    memcmp(r->addr, addr, alen) == 0)
			return 1;
		if (!stale(victim, now) && (stale(r, now) ||
		    now - r->sent > now - victim->sent))
			victim = r;
	}
	*slot = (uint16_t)(victim - o->recent);
	victim->client = client;
	victim->sent = now ? now : 1;
	victim->namehash = namehash;
	victim->family = family;
	memset(victim->addr, 0, sizeof(victim->addr));
	memcpy(victim->addr, addr, alen);
	return 0;
}

int
obs_add(struct obs *o, struct in_addr client, const uint8_t *qname,
    size_t qnamelen, const uint8_t *reply, size_t replylen, uint32_t now)
{
	uint8_t		 af[OBS_PER_ANSWER], addr[OBS_PER_ANSWER][16];
	uint32_t	 ttl[OBS_PER_ANSWER], namehash;
	char		 name[DNS_OBS_NAME];
	struct dns_obs	*e;
	size_t		 namelen = 0;
	uint16_t	 slot;
	uint8_t		 family;
	int		 n, i;

	if (replylen < DNS_HDR_LEN ||
	    (dns_get16(reply + 2) & DNS_RCODE_MASK) != DNS_NOERROR)
		return 0;
	n = ans_addrs(reply, replylen, af, addr, ttl, OBS_PER_ANSWER);
	if (n == 0)
		return 0;
	namehash = fnv(2166136261U, qname, qnamelen);
	for (i = 0; i < n && o->batch.count < DNS_OBS_MAX; i++) {
		family = af[i] == AF_INET ? 4 : 6;
		if (recent(o, client, family, addr[i], namehash, now, &slot)) {
			o->st.suppressed++;
			continue;
		}
		/* the name is made text once, and only when it is sent */
		if (namelen == 0 && (namelen = name_text(qname, qnamelen, name,
		    sizeof(name))) == 0) {
			o->recent[slot].sent = 0;
			o->st.unnamed++;
			return 0;
		}
		o->slot[o->batch.count] = slot;
		e = &o->batch.obs[o->batch.count++];
		e->client = client;
		e->ttl = ttl[i];
		e->family = family;
		memset(e->addr, 0, sizeof(e->addr));
		memcpy(e->addr, addr[i], family == 4 ? 4 : 16);
		memcpy(e->name, name, namelen + 1);
	}
	return o->batch.count > DNS_OBS_MAX - OBS_PER_ANSWER;
}

int
obs_add_cached(struct obs *o, uint32_t *seen_client, uint32_t *seen_s,
    struct in_addr client, const uint8_t *qname, size_t qnamelen,
    const uint8_t *reply, size_t replylen, uint32_t now)
{
	int	 full;

	if (*seen_s != 0 && *seen_client == client.s_addr &&
	    now - *seen_s < OBS_REPEAT_S) {
		o->st.suppressed++;
		return 0;
	}
	full = obs_add(o, client, qname, qnamelen, reply, replylen, now);
	if (o->batch.count == 0) {
		*seen_client = client.s_addr;
		*seen_s = now ? now : 1;
	}
	return full;
}

size_t
obs_len(const struct obs *o)
{
	return o->batch.count ? DNS_OBS_LEN(o->batch.count) : 0;
}

void
obs_done(struct obs *o, int ok)
{
	uint32_t	 i;

	if (o->batch.count == 0)
		return;
	if (ok) {
		o->st.sent += o->batch.count;
		o->st.batches++;
	} else {
		o->st.dropped += o->batch.count;
		/* not sent after all: the next answer may tell webd */
		for (i = 0; i < o->batch.count; i++)
			o->recent[o->slot[i]].sent = 0;
	}
	o->batch.count = 0;
}
