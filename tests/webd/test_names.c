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
	return k + nfree == NAMES_MAX;
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
	free(n);
	return check_result();
}
