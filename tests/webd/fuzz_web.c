/*
 * libFuzzer target: webd's request handling (web.c) from the headers on:
 * routing, the Host check, cookies, CSRF tokens, query strings, JSON
 * bodies, relayed commands and their replies. The input is lines:
 * method (G, H, P, D, else other), URI, Host, Cookie, X-CSRF-Token,
 * Content-Type, If-None-Match, Accept-Encoding, then the body; a known
 * session (cookie gk_session=0101..., token 0202...) lets inputs reach
 * past the login.
 */
#include <arpa/inet.h>

#include <crypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "history.h"
#include "web.h"

/* Two hours kept: a query may span three (the history and an hour), so
 * three chunks of 3,600 s and more rows than QUERY_MAX_ROWS are in reach;
 * with a day kept every default query walked 900,000 ticks. */
#define HISTORY_S	7200
#define NFIELDS		8

static struct auth	 auth;
static struct web_server srv;
static char		 cheap_hash[AUTH_HASH_MAX];

static int
store_hash(const char *hash)
{
	return 0;
}

static void
fill_random(void *buf, size_t n)
{
	memset(buf, 0x5a, n);
}

/* A small traffic history, so that /api/traffic and /api/remotes run. */
static void
history_init(void)
{
	static uint8_t	 mem[HIST_MIN_SIZE];
	static struct hist hs;
	struct hist_rec	 r;
	int		 i;

	hist_attach(&hs, mem, sizeof(mem), HISTORY_S);
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 300; i++) {
		r.ms = 1800000000000ULL - 600000 + (uint64_t)i * 1900;
		r.mac[0] = 0x52;
		r.lan_ip = htonl(0x0a2a0032);
		r.remote = htonl(0xc0000201 + (uint32_t)(i % 3));
		r.up = i & 1;
		r.proto = 6;
		r.bytes = 100 + (uint32_t)i;
		r.packets = 1;
		hist_add(&hs, &r);
	}
	srv.hist = &hs;
}

static void
init(void)
{
	static struct crypt_data cd;
	const char	*h;

	srv.auth = &auth;
	inet_pton(AF_INET, "10.42.0.1", &srv.lan);
	srv.port = 80;
	strlcpy(srv.domain, "lan", sizeof(srv.domain));
	srv.store_hash = store_hash;
	srv.random = fill_random;
	/* A cheap hash: yescrypt's cost would make login inputs crawl. */
	h = crypt_rn("fuzz password", "$5$rounds=1000$fuzzsalt", &cd,
	    sizeof(cd));
	strlcpy(cheap_hash, h != NULL ? h : "", sizeof(cheap_hash));
	history_init();
}

/* Every input meets the same server: the cheap password, one known
 * session, no lockout (an input may have changed any of them). */
static void
reset(void)
{
	uint8_t		 rnd[2 * AUTH_TOKEN_BYTES];

	strlcpy(srv.hash, cheap_hash, sizeof(srv.hash));
	auth_init(&auth);
	memset(rnd, 1, AUTH_TOKEN_BYTES);
	memset(rnd + AUTH_TOKEN_BYTES, 2, AUTH_TOKEN_BYTES);
	auth_login(&auth, 1, 1800000000ULL, rnd);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int	 ready;
	char		*copy, *field[NFIELDS], *p, *nl;
	struct web_req	 q;
	struct web_resp	 r;
	size_t		 i;

	if (!ready) {
		init();
		ready = 1;
	}
	reset();
	if ((copy = malloc(len + 1)) == NULL)
		return 0;
	memcpy(copy, data, len);
	copy[len] = '\0';
	p = copy;
	for (i = 0; i < NFIELDS; i++) {
		field[i] = p;
		if ((nl = memchr(p, '\n', (size_t)(copy + len - p))) != NULL) {
			*nl = '\0';
			p = nl + 1;
		} else
			p = copy + len;
	}
	memset(&q, 0, sizeof(q));
	switch (field[0][0]) {
	case 'G': q.method = WEB_GET; break;
	case 'H': q.method = WEB_HEAD; break;
	case 'P': q.method = WEB_POST; break;
	case 'D': q.method = WEB_DELETE; break;
	default: q.method = WEB_OTHER; break;
	}
	q.uri = field[1];
	q.host = field[2][0] ? field[2] : NULL;
	q.cookie = field[3][0] ? field[3] : NULL;
	q.csrf = field[4][0] ? field[4] : NULL;
	q.content_type = field[5][0] ? field[5] : NULL;
	q.if_none_match = field[6][0] ? field[6] : NULL;
	q.accept_encoding = field[7][0] ? field[7] : NULL;
	q.body = (const uint8_t *)p;
	q.bodylen = (size_t)(copy + len - p);
	q.peer = 0x0100000a;
	q.now = 1800000000ULL;
	web_handle(&srv, &q, &r);
	if (r.relay != RELAY_NONE)	/* both kinds of reply */
		web_relay_done(&r, q.bodylen & 1, (const char *)q.body);
	web_resp_free(&r);
	free(copy);
	return 0;
}
