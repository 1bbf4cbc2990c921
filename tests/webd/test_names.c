/*
 * webd's names (webd/names.c): observations in, the name out per client
 * and remote address; renames, refreshes, expiry (never below an hour,
 * never above a day), LRU eviction when full, a lookup counting as use,
 * and the table staying consistent through all of it.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "names.h"

static struct in_addr
ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a;
}

static const uint8_t *
addr4(const char *s, uint8_t *buf)
{
	memset(buf, 0, 16);
	if (inet_pton(AF_INET, s, buf) != 1)
		abort();
	return buf;
}

static const uint8_t *
addr6(const char *s, uint8_t *buf)
{
	if (inet_pton(AF_INET6, s, buf) != 1)
		abort();
	return buf;
}

/* Every live entry is on the list once and findable; counts agree. */
static int
consistent(const struct names *n)
{
	int32_t	 i, prev = -1;
	uint32_t k = 0, nfree = 0;

	for (i = n->head; i != -1; i = n->e[i].next) {
		if (n->e[i].prev != prev || n->e[i].family == 0 ||
		    k > NAMES_MAX)
			return 0;
		prev = i;
		k++;
	}
	if (n->tail != prev || k != n->count)
		return 0;
	for (i = n->free; i != -1 && nfree <= NAMES_MAX; i = n->e[i].hnext)
		nfree++;
	/* live, freed, and never used yet: every entry once */
	return n->unused >= 0 && n->unused <= NAMES_MAX &&
	    k + nfree + (uint32_t)(NAMES_MAX - n->unused) == NAMES_MAX;
}

static void
test_basic(struct names *n)
{
	struct in_addr	 c1 = ip4("10.42.0.11"), c2 = ip4("10.42.0.12");
	uint8_t		 a[16], b[16], v6[16];
	uint32_t	 t = 1000;

	names_init(n);
	CHECK(n->count == 0 && consistent(n));
	CHECK(names_lookup(n, c1, 4, addr4("203.0.113.80", a), t) == NULL);

	CHECK(names_observe(n, c1, 4, addr4("203.0.113.80", a),
	    "host.example.test.", 300, t) == 0);
	CHECK(names_observe(n, c1, 6, addr6("2001:db8::80", v6),
	    "host.example.test.", 300, t) == 0);
	CHECK_STR(names_lookup(n, c1, 4, a, t), "host.example.test.");
	CHECK_STR(names_lookup(n, c1, 6, v6, t), "host.example.test.");
	/* per client: another device did not ask for it */
	CHECK(names_lookup(n, c2, 4, a, t) == NULL);
	/* bytes after the IPv4 address do not matter */
	memset(b, 0xee, sizeof(b));
	memcpy(b, a, 4);
	CHECK_STR(names_lookup(n, c1, 4, b, t), "host.example.test.");
	CHECK(names_lookup(n, c1, 5, a, t) == NULL);

	/* the same again: refreshed; another name for it: renamed */
	CHECK(names_observe(n, c1, 4, a, "host.example.test.", 60, t) == 0);
	CHECK(n->st.refreshed == 1 && n->count == 2);
	CHECK(names_observe(n, c1, 4, a, "www.example.test.", 60, t + 5) == 0);
	CHECK(n->st.renamed == 1 && n->count == 2);
	CHECK_STR(names_lookup(n, c1, 4, a, t + 5), "www.example.test.");
	CHECK(n->st.added == 2 && n->st.observations == 4);

	/* not kept: a bad family, an empty or unterminated name */
	CHECK(names_observe(n, c1, 5, a, "x.", 60, t) == -1);
	CHECK(names_observe(n, c1, 4, a, "", 60, t) == -1);
	{
		char	 longname[DNS_OBS_NAME + 8];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		CHECK(names_observe(n, c1, 4, a, longname, 60, t) == -1);
	}
	CHECK(n->st.rejected == 3 && n->count == 2);
	CHECK(consistent(n));
}

static void
test_expiry(struct names *n)
{
	struct in_addr	 c = ip4("10.42.0.11");
	uint8_t		 a[16], b[16], d[16];
	uint32_t	 t = 5000;

	names_init(n);
	/* a short TTL lives an hour; a long one at most a day */
	names_observe(n, c, 4, addr4("198.51.100.1", a), "short.example.", 30, t);
	names_observe(n, c, 4, addr4("198.51.100.2", b), "mid.example.", 7200, t);
	names_observe(n, c, 4, addr4("198.51.100.3", d), "long.example.",
	    604800, t);
	CHECK(names_expire(n, t + NAMES_MIN_LIFE - 1) == 0);
	CHECK(names_lookup(n, c, 4, a, t + NAMES_MIN_LIFE - 1) != NULL);
	/* expired but not yet swept: not answered */
	CHECK(names_lookup(n, c, 4, a, t + NAMES_MIN_LIFE) == NULL);
	CHECK(names_expire(n, t + NAMES_MIN_LIFE) == 1);
	CHECK(n->count == 2 && consistent(n));
	CHECK(names_expire(n, t + 7200) == 1);
	CHECK(names_lookup(n, c, 4, d, t + 7200) != NULL);
	CHECK(names_expire(n, t + NAMES_MAX_LIFE) == 1);
	CHECK(n->count == 0 && n->st.expired == 3 && consistent(n));
	/* a refresh with a shorter TTL does not shorten the life */
	names_observe(n, c, 4, a, "short.example.", 7200, t);
	names_observe(n, c, 4, a, "short.example.", 30, t + 10);
	CHECK(names_expire(n, t + 7199) == 0);
	CHECK(names_expire(n, t + 7200) == 1);
}

static void
test_lru(struct names *n)
{
	struct in_addr	 c = ip4("10.42.0.11");
	uint8_t		 a[16];
	char		 name[64];
	uint32_t	 i, t = 100;

	names_init(n);
	/* fill it: one address per name */
	for (i = 0; i < NAMES_MAX; i++) {
		memset(a, 0, sizeof(a));
		a[0] = 100;
		a[1] = (uint8_t)(i >> 16);
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
		snprintf(name, sizeof(name), "n%u.example.", i);
		names_observe(n, c, 4, a, name, 300, t);
	}
	CHECK(n->count == NAMES_MAX && n->st.evicted == 0);
	CHECK(consistent(n));
	/* the oldest (n0) is looked up: used, so n1 goes first */
	memset(a, 0, sizeof(a));
	a[0] = 100;
	CHECK_STR(names_lookup(n, c, 4, a, t), "n0.example.");
	a[0] = 101;
	names_observe(n, c, 4, a, "new.example.", 300, t);
	CHECK(n->count == NAMES_MAX && n->st.evicted == 1);
	a[0] = 100;
	CHECK_STR(names_lookup(n, c, 4, a, t), "n0.example.");
	a[3] = 1;
	CHECK(names_lookup(n, c, 4, a, t) == NULL);
	a[3] = 2;
	CHECK_STR(names_lookup(n, c, 4, a, t), "n2.example.");
	CHECK(consistent(n));
	/* everything expires: the table is empty and whole again */
	CHECK(names_expire(n, t + NAMES_MAX_LIFE) == NAMES_MAX);
	CHECK(n->count == 0 && n->head == -1 && n->tail == -1);
	CHECK(consistent(n));
}

static void
test_batch(struct names *n)
{
	static struct msg_dns_obs m;
	uint8_t		 a[16];

	names_init(n);
	memset(&m, 0, sizeof(m));
	m.count = 2;
	m.obs[0].client = ip4("10.42.0.11");
	m.obs[0].family = 4;
	memcpy(m.obs[0].addr, addr4("203.0.113.80", a), 4);
	m.obs[0].ttl = 300;
	strlcpy(m.obs[0].name, "host.example.test.", DNS_OBS_NAME);
	m.obs[1] = m.obs[0];
	m.obs[1].client = ip4("10.42.0.12");
	names_observe_batch(n, &m, 10);
	CHECK(n->st.batches == 1 && n->count == 2);
	CHECK_STR(names_lookup(n, ip4("10.42.0.12"), 4, a, 10),
	    "host.example.test.");
}

static void
ptr_reply(struct names *n, const char *addr, int status, const char *name,
    uint32_t ttl, uint32_t now)
{
	struct msg_dns_ptr m;

	memset(&m, 0, sizeof(m));
	m.addr = ip4(addr);
	m.status = (uint32_t)status;
	m.ttl = ttl;
	strlcpy(m.name, name, sizeof(m.name));
	names_ptr_answer(n, &m, now);
}

/* PTR names for remotes no device resolved: asked once, limited,
 * cached, the device's own name first. */
static void
test_ptr(struct names *n)
{
	struct in_addr	 dev = ip4("10.42.0.50");
	uint8_t		 a[16];
	char		 s[32];
	int		 ask, i, asked;

	names_init(n);
	/* unknown: one question, then none while it is out */
	CHECK(names_remote(n, dev, ip4("203.0.113.7").s_addr, 100, &ask) ==
	    NULL && ask == 1);
	CHECK(names_remote(n, dev, ip4("203.0.113.7").s_addr, 101, &ask) ==
	    NULL && ask == 0);
	ptr_reply(n, "203.0.113.7", DNS_PTR_FOUND, "seven.example.test.", 60,
	    102);
	/* every device sees the PTR, for an hour at least */
	CHECK_STR(names_remote(n, ip4("10.42.0.9"), ip4("203.0.113.7").s_addr,
	    102 + 3000, &ask), "seven.example.test.");
	CHECK(ask == 0 && n->st.ptr_named == 1);
	/* what the device resolved wins over the PTR */
	names_observe(n, dev, 4, addr4("203.0.113.7", a), "www.example.",
	    300, 103);
	CHECK_STR(names_remote(n, dev, ip4("203.0.113.7").s_addr, 104, &ask),
	    "www.example.");
	/* no PTR: not asked again for NAMES_PTR_NONE_MIN */
	CHECK(names_remote(n, dev, ip4("203.0.113.8").s_addr, 200, &ask) ==
	    NULL && ask == 1);
	ptr_reply(n, "203.0.113.8", DNS_PTR_NONE, "", 5, 200);
	CHECK(names_remote(n, dev, ip4("203.0.113.8").s_addr,
	    200 + NAMES_PTR_NONE_MIN - 1, &ask) == NULL && ask == 0);
	CHECK(names_remote(n, dev, ip4("203.0.113.8").s_addr,
	    200 + NAMES_PTR_NONE_MIN, &ask) == NULL && ask == 1);
	ptr_reply(n, "203.0.113.8", DNS_PTR_FAILED, "", 0, 900);
	CHECK(names_remote(n, dev, ip4("203.0.113.8").s_addr,
	    900 + NAMES_PTR_FAILED - 1, &ask) == NULL && ask == 0);
	/* an answer nobody asked for changes nothing */
	ptr_reply(n, "198.51.100.1", DNS_PTR_FOUND, "forged.example.", 60,
	    901);
	CHECK(n->st.ptr_unasked == 1 && names_remote(n, dev,
	    ip4("198.51.100.1").s_addr, 901, &ask) == NULL);
	CHECK(ask == 1);	/* now it is asked, and out */
	ptr_reply(n, "198.51.100.1", DNS_PTR_NONE, "", 0, 901);

	/* at most NAMES_PTR_INFLIGHT out; a burst of NAMES_PTR_BURST, then
	 * NAMES_PTR_RATE a second */
	names_init(n);
	for (i = asked = 0; i < 100; i++) {
		snprintf(s, sizeof(s), "198.51.100.%d", i + 1);
		names_remote(n, dev, ip4(s).s_addr, 1000, &ask);
		asked += ask;
	}
	CHECK(asked == NAMES_PTR_INFLIGHT && n->ptr_inflight == (uint32_t)asked);
	for (i = 0; i < NAMES_PTR_INFLIGHT; i++) {
		snprintf(s, sizeof(s), "198.51.100.%d", i + 1);
		ptr_reply(n, s, DNS_PTR_NONE, "", 0, 1000);
	}
	CHECK(n->ptr_inflight == 0);
	for (i = asked = 0; i < 100; i++) {
		snprintf(s, sizeof(s), "198.51.101.%d", i + 1);
		names_remote(n, dev, ip4(s).s_addr, 1000, &ask);
		asked += ask;
		if (ask) {
			ptr_reply(n, s, DNS_PTR_NONE, "", 0, 1000);
		}
	}
	CHECK(asked == NAMES_PTR_BURST - NAMES_PTR_INFLIGHT);
	for (i = asked = 0; i < 100; i++) {
		snprintf(s, sizeof(s), "198.51.102.%d", i + 1);
		names_remote(n, dev, ip4(s).s_addr, 1001, &ask);
		asked += ask;
		if (ask)
			ptr_reply(n, s, DNS_PTR_NONE, "", 0, 1001);
	}
	CHECK(asked == NAMES_PTR_RATE);
	/* an answer that never comes: after NAMES_PTR_WAIT it goes again,
	 * and its room in flight is given back once */
	names_init(n);
	names_remote(n, dev, ip4("203.0.113.9").s_addr, 10, &ask);
	CHECK(ask == 1 && n->ptr_inflight == 1);
	names_remote(n, dev, ip4("203.0.113.9").s_addr, 10 + NAMES_PTR_WAIT,
	    &ask);
	CHECK(ask == 1 && n->ptr_inflight == 1);
}

int
main(void)
{
	struct names	*n = malloc(sizeof(*n));

	if (n == NULL)
		return 1;
	test_basic(n);
	test_expiry(n);
	test_lru(n);
	test_batch(n);
	test_ptr(n);
	free(n);
	return check_result();
}
