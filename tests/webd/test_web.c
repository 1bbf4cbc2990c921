/*
 * webd's request handling and sessions, without sockets: what a browser,
 * a script and an attacker each get back.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "assets.h"
#include "auth.h"
#include "check.h"
#include "web.h"

#define NOW	1800000000ULL
#define LAN	"10.42.0.1"
#define PEER	0x0a2a0032	/* any value: a source address */

static struct auth	 auth;
static struct web_server srv;
static char		 stored[AUTH_HASH_MAX];
static uint8_t		 counter;

static int
store_hash(const char *hash)
{
	strlcpy(stored, hash, sizeof(stored));
	return 0;
}

/* Distinct bytes each call: tests need no real randomness. */
static void
fake_random(void *buf, size_t n)
{
	uint8_t	*p = buf;
	size_t	 i;

	counter++;
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(counter * 31 + i);
}

static void
setup(int with_password)
{
	char	 err[128];

	auth_init(&auth);
	memset(&srv, 0, sizeof(srv));
	srv.auth = &auth;
	inet_pton(AF_INET, LAN, &srv.lan);
	srv.port = 80;
	strlcpy(srv.domain, "lan", sizeof(srv.domain));
	srv.store_hash = store_hash;
	srv.random = fake_random;
	if (with_password)
		CHECK(web_set_password(&srv, "correct horse", err,
		    sizeof(err)) == 0);
}

static int
call(enum web_method m, const char *uri, const char *host,
    const char *cookie, const char *csrf, const char *body,
    struct web_resp *r)
{
	struct web_req	 q;

	memset(&q, 0, sizeof(q));
	q.method = m;
	q.uri = uri;
	q.host = host;
	q.cookie = cookie;
	q.csrf = csrf;
	q.content_type = body ? "application/json" : NULL;
	q.body = (const uint8_t *)body;
	q.bodylen = body ? strlen(body) : 0;
	q.peer = PEER;
	q.now = NOW;
	web_handle(&srv, &q, r);
	return r->status;
}

static const char *
error_of(const struct web_resp *r)
{
	static char	 buf[512];
	json_t		*o;

	buf[0] = '\0';
	if ((o = json_loadb((const char *)r->body, r->len, 0, NULL)) != NULL) {
		strlcpy(buf, json_string_value(json_object_get(o, "error")) ?
		    json_string_value(json_object_get(o, "error")) : "",
		    sizeof(buf));
		json_decref(o);
	}
	return buf;
}

/* Logs in; fills cookie ("gk_session=HEX") and csrf. */
static void
login(char *cookie, size_t clen, char *csrf, size_t slen)
{
	struct web_resp	 r;
	json_t		*o;
	char		*semi;

	CHECK(call(WEB_POST, "/api/login", LAN, NULL, NULL,
	    "{\"password\": \"correct horse\"}", &r) == 200);
	strlcpy(cookie, r.cookie, clen);
	if ((semi = strchr(cookie, ';')) != NULL)
		*semi = '\0';
	o = json_loadb((const char *)r.body, r.len, 0, NULL);
	strlcpy(csrf, json_string_value(json_object_get(o, "csrf")) ?
	    json_string_value(json_object_get(o, "csrf")) : "", slen);
	json_decref(o);
	web_resp_free(&r);
}

static void
test_host(void)
{
	struct web_resp	 r;

	setup(1);
	CHECK(call(WEB_GET, "/", LAN, NULL, NULL, NULL, &r) == 200);
	CHECK(call(WEB_GET, "/", "gatekeeper.lan", NULL, NULL, NULL, &r) ==
	    200);
	CHECK(call(WEB_GET, "/", "GATEKEEPER.LAN", NULL, NULL, NULL, &r) ==
	    200);
	/* rebinding: someone else's name, or none */
	CHECK(call(WEB_GET, "/", "evil.example", NULL, NULL, NULL, &r) ==
	    421);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/api/status", NULL, NULL, NULL, NULL, &r) ==
	    421);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/", LAN ":8080", NULL, NULL, NULL, &r) == 421);
	web_resp_free(&r);
	srv.port = 8080;
	CHECK(call(WEB_GET, "/", LAN ":8080", NULL, NULL, NULL, &r) == 200);
	CHECK(call(WEB_GET, "/", LAN, NULL, NULL, NULL, &r) == 421);
	web_resp_free(&r);
}

static void
test_tls(void)
{
	struct web_resp	 r;
	struct web_req	 q;

	setup(1);
	srv.tls_port = 443;
	srv.fingerprint = "AB:CD";
	memset(&q, 0, sizeof(q));
	q.method = WEB_POST;
	q.uri = "/api/login";
	q.host = LAN;			/* 443 is the scheme's own port */
	q.content_type = "application/json";
	q.body = (const uint8_t *)"{\"password\": \"correct horse\"}";
	q.bodylen = strlen((const char *)q.body);
	q.now = NOW;
	q.tls = 1;
	web_handle(&srv, &q, &r);
	CHECK(r.status == 200);
	CHECK(strstr(r.cookie, "; Secure") != NULL);
	web_resp_free(&r);
	q.host = LAN ":443";
	web_handle(&srv, &q, &r);
	CHECK(r.status == 421);
	web_resp_free(&r);
	/* plain HTTP: no Secure flag (the cookie would never come back) */
	CHECK(call(WEB_POST, "/api/login", LAN, NULL, NULL,
	    "{\"password\": \"correct horse\"}", &r) == 200);
	CHECK(strstr(r.cookie, "Secure") == NULL);
	web_resp_free(&r);
	/* the login page learns where HTTPS is, without a session */
	CHECK(call(WEB_GET, "/api/info", LAN, NULL, NULL, NULL, &r) == 200);
	CHECK(r.len > 0 && memmem(r.body, r.len, "\"https_port\":443",
	    16) != NULL);
	CHECK(memmem(r.body, r.len, "AB:CD", 5) != NULL);
	web_resp_free(&r);
}

static void
test_no_password(void)
{
	struct web_resp	 r;

	setup(0);
	CHECK(call(WEB_GET, "/", LAN, NULL, NULL, NULL, &r) == 200);
	CHECK(r.len > 0 && memmem(r.body, r.len, "gkctl passwd", 12) != NULL);
	CHECK(call(WEB_POST, "/api/login", LAN, NULL, NULL,
	    "{\"password\": \"x\"}", &r) == 403);
	CHECK(strstr(error_of(&r), "gkctl passwd") != NULL);
	web_resp_free(&r);
}

static void
test_login(void)
{
	struct web_resp	 r;
	char		 cookie[256], csrf[128];
	int		 i;

	setup(1);
	CHECK(call(WEB_GET, "/api/status", LAN, NULL, NULL, NULL, &r) == 401);
	web_resp_free(&r);
	login(cookie, sizeof(cookie), csrf, sizeof(csrf));
	CHECK(strncmp(cookie, "gk_session=", 11) == 0 &&
	    strlen(cookie) == 11 + 64);
	CHECK(strlen(csrf) == 64);
	/* the cookie's flags */
	CHECK(call(WEB_POST, "/api/login", LAN, NULL, NULL,
	    "{\"password\": \"correct horse\"}", &r) == 200);
	CHECK(strstr(r.cookie, "HttpOnly") != NULL);
	CHECK(strstr(r.cookie, "SameSite=Strict") != NULL);
	CHECK(strstr(r.cookie, "Path=/") != NULL);
	web_resp_free(&r);

	/* the session works, and says its token again */
	CHECK(call(WEB_GET, "/api/session", LAN, cookie, NULL, NULL, &r) ==
	    200);
	CHECK(r.len > 0 && memmem(r.body, r.len, csrf, 64) != NULL);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/api/session", LAN, "gk_session=00", NULL, NULL,
	    &r) == 401);
	web_resp_free(&r);

	/* five wrong passwords, then locked out, even with the right one */
	for (i = 0; i < 5; i++) {
		CHECK(call(WEB_POST, "/api/login", LAN, NULL, NULL,
		    "{\"password\": \"wrong\"}", &r) == 401);
		web_resp_free(&r);
	}
	CHECK(call(WEB_POST, "/api/login", LAN, NULL, NULL,
	    "{\"password\": \"correct horse\"}", &r) == 429);
	CHECK(r.retry_after > 0 && r.retry_after <= AUTH_LOCKOUT_S);
	web_resp_free(&r);
	CHECK(auth.st.lockouts == 1);
	/* bad bodies */
	auth_init(&auth);
	CHECK(call(WEB_POST, "/api/login", LAN, NULL, NULL, "nope", &r) ==
	    400);
	web_resp_free(&r);
	CHECK(call(WEB_POST, "/api/login", LAN, NULL, NULL,
	    "{\"password\": 5}", &r) == 422);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/api/login", LAN, NULL, NULL, NULL, &r) == 405);
	web_resp_free(&r);
}

static void
test_csrf_and_relay(void)
{
	struct web_resp	 r;
	char		 cookie[256], csrf[128];

	setup(1);
	login(cookie, sizeof(cookie), csrf, sizeof(csrf));
	/* a change without, or with a wrong, token */
	CHECK(call(WEB_POST, "/api/leases", LAN, cookie, NULL,
	    "{\"mac\":\"02:00:00:00:00:01\",\"ip\":\"10.42.0.9\"}", &r) ==
	    403);
	web_resp_free(&r);
	CHECK(call(WEB_POST, "/api/leases", LAN, cookie,
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "{\"mac\":\"02:00:00:00:00:01\",\"ip\":\"10.42.0.9\"}", &r) ==
	    403);
	web_resp_free(&r);
	/* with it: the gkctl command */
	call(WEB_POST, "/api/leases", LAN, cookie, csrf,
	    "{\"mac\":\"02:00:00:00:00:01\",\"ip\":\"10.42.0.9\"}", &r);
	CHECK(r.relay == RELAY_CHANGE);
	CHECK(r.cmd.argc == 4);
	CHECK_STR(r.cmd.argv[0], "lease");
	CHECK_STR(r.cmd.argv[1], "add");
	CHECK_STR(r.cmd.argv[2], "02:00:00:00:00:01");
	CHECK_STR(r.cmd.argv[3], "10.42.0.9");
	web_relay_done(&r, 0, "10.42.0.9 is reserved for another device");
	CHECK(r.status == 409);
	web_resp_free(&r);
	/* a bad field: 422 from the catalogue's own check */
	CHECK(call(WEB_POST, "/api/forwards", LAN, cookie, csrf,
	    "{\"proto\":\"tcp\",\"wan_port\":70000,\"ip\":\"10.42.0.9\"}",
	    &r) == 422);
	CHECK(strstr(error_of(&r), "not a port") != NULL);
	web_resp_free(&r);
	call(WEB_POST, "/api/forwards", LAN, cookie, csrf,
	    "{\"proto\":\"udp\",\"wan_port\":8443,\"ip\":\"10.42.0.9\","
	    "\"port\":443}", &r);
	CHECK(r.relay == RELAY_CHANGE && r.cmd.argc == 6);
	CHECK_STR(r.cmd.argv[3], "8443");
	CHECK_STR(r.cmd.argv[5], "443");
	web_resp_free(&r);
	call(WEB_DELETE, "/api/forwards/tcp/8443", LAN, cookie, csrf, NULL,
	    &r);
	CHECK(r.relay == RELAY_CHANGE && r.cmd.argc == 4);
	CHECK_STR(r.cmd.argv[0], "forward");
	CHECK_STR(r.cmd.argv[1], "del");
	CHECK_STR(r.cmd.argv[2], "tcp");
	CHECK_STR(r.cmd.argv[3], "8443");
	web_resp_free(&r);
	call(WEB_DELETE, "/api/leases/02%3a00:00:00:00:01", LAN, cookie, csrf,
	    NULL, &r);
	CHECK(r.relay == RELAY_CHANGE && r.cmd.argc == 3);
	CHECK_STR(r.cmd.argv[2], "02:00:00:00:00:01");
	web_resp_free(&r);
	/* reads */
	call(WEB_GET, "/api/dns/log?client=10.42.0.50", LAN, cookie, NULL,
	    NULL, &r);
	CHECK(r.relay == RELAY_READ && r.cmd.argc == 3);
	CHECK_STR(r.cmd.argv[2], "10.42.0.50");
	web_relay_done(&r, 1, "{\"log\":[]}");
	CHECK(r.status == 200 && r.len == 10);
	CHECK_STR(r.type, "application/json");
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/api/dns/log?client=x", LAN, cookie, NULL, NULL,
	    &r) == 422);
	web_resp_free(&r);
	/* logout ends it */
	CHECK(call(WEB_POST, "/api/logout", LAN, cookie, csrf, NULL, &r) ==
	    200);
	CHECK(strstr(r.cookie, "Max-Age=0") != NULL);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/api/session", LAN, cookie, NULL, NULL, &r) ==
	    401);
	web_resp_free(&r);
}

static void
test_static(void)
{
	struct web_resp	 r;
	struct web_req	 q;
	char		 etag[64], ref[96], uri[96];

	setup(1);
	CHECK(call(WEB_GET, "/app.js", LAN, NULL, NULL, NULL, &r) == 200);
	CHECK(strncmp(r.type, "text/javascript", 15) == 0);
	CHECK(r.etag[0] == '"');
	strlcpy(etag, r.etag, sizeof(etag));
	/* uPlot, which app.js loads, is named with its ETag as well */
	CHECK(memmem(r.body, r.len, "\"/uPlot.iife.min.js?v=",
	    strlen("\"/uPlot.iife.min.js?v=")) != NULL);
	memset(&q, 0, sizeof(q));
	q.method = WEB_GET;
	q.uri = "/app.js";
	q.host = LAN;
	q.if_none_match = etag;
	q.now = NOW;
	web_handle(&srv, &q, &r);
	CHECK(r.status == 304);
	q.if_none_match = NULL;
	q.accept_encoding = "gzip, deflate";
	web_handle(&srv, &q, &r);
	CHECK(r.status == 200 && r.gzip && r.len > 2 && r.body[0] == 0x1f);
	CHECK(call(WEB_GET, "/nope.js", LAN, NULL, NULL, NULL, &r) == 404);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/../etc/passwd", LAN, NULL, NULL, NULL, &r) ==
	    400);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/%2e%2e/x", LAN, NULL, NULL, NULL, &r) == 400);
	web_resp_free(&r);
	CHECK(call(WEB_POST, "/", LAN, NULL, NULL, NULL, &r) == 405);
	web_resp_free(&r);
	/* the page loads no inline script: its one script is a file,
	 * named with its ETag, as a browser may keep it for a year */
	CHECK(call(WEB_GET, "/", LAN, NULL, NULL, NULL, &r) == 200);
	CHECK(strcmp(r.cache, "no-cache") == 0);
	CHECK(memmem(r.body, r.len, "<script>", 8) == NULL);
	snprintf(ref, sizeof(ref), "src=\"/app.js?v=%.*s\"",
	    (int)strlen(etag) - 2, etag + 1);
	CHECK(memmem(r.body, r.len, ref, strlen(ref)) != NULL);
	web_resp_free(&r);
	snprintf(uri, sizeof(uri), "/app.js?v=%.*s", (int)strlen(etag) - 2,
	    etag + 1);
	CHECK(call(WEB_GET, uri, LAN, NULL, NULL, NULL, &r) == 200);
	CHECK(strcmp(r.cache, "max-age=31536000, immutable") == 0);
	CHECK(strcmp(r.etag, etag) == 0);
	web_resp_free(&r);
	/* another version (an old page's) or none: revalidated */
	CHECK(call(WEB_GET, "/app.js?v=0123456789abcdef0123", LAN, NULL, NULL,
	    NULL, &r) == 200);
	CHECK(strcmp(r.cache, "no-cache") == 0);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/app.js", LAN, NULL, NULL, NULL, &r) == 200);
	CHECK(strcmp(r.cache, "no-cache") == 0);
	web_resp_free(&r);
}

static int
upgrade(const char *cookie, const char *origin, const char *key,
    struct web_resp *r)
{
	struct web_req	 q;

	memset(&q, 0, sizeof(q));
	q.method = WEB_GET;
	q.uri = "/api/live";
	q.host = LAN;
	q.cookie = cookie;
	q.upgrade = "websocket";
	q.connection = "keep-alive, Upgrade";
	q.origin = origin;
	q.ws_key = key;
	q.ws_version = "13";
	q.now = NOW;
	web_handle(&srv, &q, r);
	web_resp_free(r);
	return r->status;
}

static void
test_websocket(void)
{
	struct web_resp	 r;
	char		 cookie[256], csrf[128], acc[32];
	const char	*key = "dGhlIHNhbXBsZSBub25jZQ==";

	/* RFC 6455's own example */
	CHECK(web_ws_accept(key, acc) == 0);
	CHECK_STR(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	CHECK(web_ws_accept("short", acc) == -1);
	setup(1);
	login(cookie, sizeof(cookie), csrf, sizeof(csrf));
	CHECK(upgrade(cookie, "http://" LAN, key, &r) == 101);
	CHECK_STR(r.ws_accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	CHECK(upgrade(cookie, "http://gatekeeper.lan", key, &r) == 101);
	/* no session, a foreign page, no Origin, a bad key */
	CHECK(upgrade(NULL, "http://" LAN, key, &r) == 401);
	CHECK(upgrade(cookie, "http://evil.example", key, &r) == 403);
	CHECK(upgrade(cookie, NULL, key, &r) == 403);
	CHECK(upgrade(cookie, "http://" LAN, "AAAA", &r) == 400);
	/* not an upgrade at all */
	CHECK(call(WEB_GET, "/api/live", LAN, cookie, NULL, NULL, &r) == 426);
	web_resp_free(&r);
}

static void
test_sessions(void)
{
	uint8_t			 rnd[2 * AUTH_TOKEN_BYTES], *buf;
	struct auth_session	*s, *first;
	char			 id[AUTH_TOKEN_HEX], id2[AUTH_TOKEN_HEX];
	int			 i;

	auth_init(&auth);
	memset(rnd, 7, sizeof(rnd));
	first = auth_login(&auth, 1, NOW, rnd);
	auth_hex(first->id, id);
	CHECK(auth_find(&auth, id, NOW + AUTH_IDLE_S - 1) != NULL);
	/* idle too long */
	CHECK(auth_find(&auth, id, NOW + 2 * AUTH_IDLE_S) == NULL);
	CHECK(auth.st.expired == 1);
	/* too old, however busy */
	s = auth_login(&auth, 1, NOW, rnd);
	auth_hex(s->id, id);
	for (i = 1; i * (AUTH_IDLE_S / 2) < AUTH_LIFETIME_S; i++)
		CHECK(auth_find(&auth, id, NOW + i * (AUTH_IDLE_S / 2)) !=
		    NULL);
	CHECK(auth_find(&auth, id, NOW + AUTH_LIFETIME_S) == NULL);
	/* the cap: the oldest goes */
	auth_init(&auth);
	for (i = 0; i <= AUTH_SESSIONS_MAX; i++) {
		rnd[0] = (uint8_t)i;
		s = auth_login(&auth, 1, NOW + (uint64_t)i, rnd);
		if (i == 0)
			auth_hex(s->id, id);
		if (i == 1)
			auth_hex(s->id, id2);
	}
	CHECK(auth.st.evicted == 1);
	CHECK(auth_count(&auth, NOW + AUTH_SESSIONS_MAX) == AUTH_SESSIONS_MAX);
	CHECK(auth_find(&auth, id, NOW + AUTH_SESSIONS_MAX) == NULL);
	/* only the oldest: the next oldest (another browser) stays */
	CHECK(auth_find(&auth, id2, NOW + AUTH_SESSIONS_MAX) != NULL);
	/* saved and loaded back; a corrupt file is refused whole */
	buf = malloc(auth_save_size());
	auth_save(&auth, buf);
	auth_init(&auth);
	CHECK(auth_load(&auth, buf, auth_save_size(), NOW + 100) == 0);
	CHECK(auth_count(&auth, NOW + 100) == AUTH_SESSIONS_MAX);
	CHECK(auth_load(&auth, buf, auth_save_size() - 1, NOW) == -1);
	buf[0] ^= 1;
	CHECK(auth_load(&auth, buf, auth_save_size(), NOW) == -1);
	buf[0] ^= 1;
	CHECK(auth_load(&auth, buf, auth_save_size(), NOW - 2 * 86400) == -1);
	free(buf);
}

static void
test_password(void)
{
	uint8_t	 rnd[16] = { 1, 2, 3 };
	char	 h[AUTH_HASH_MAX];

	CHECK(auth_password_problem("short") != NULL);
	CHECK(auth_password_problem("with\ttab ok?") != NULL);
	CHECK(auth_password_problem("long enough") == NULL);
	CHECK(auth_hash("long enough", rnd, h, sizeof(h)) == 0);
	CHECK(strncmp(h, "$y$", 3) == 0);
	CHECK(auth_check(h, "long enough"));
	CHECK(!auth_check(h, "long enougH"));
	CHECK(!auth_check("", "long enough"));
	CHECK(!auth_check("*", "long enough"));
}

/* GET /api/traffic and /api/remotes, served from the history. */
static void
test_traffic(void)
{
	static uint8_t	 mem[HIST_MIN_SIZE];
	struct hist	 hs;
	struct hist_rec	 rec;
	struct web_resp	 r;
	char		 cookie[128], csrf[128];
	json_t		*o;

	setup(1);
	login(cookie, sizeof(cookie), csrf, sizeof(csrf));
	CHECK(call(WEB_GET, "/api/traffic?client=10.42.0.50", LAN, cookie,
	    NULL, NULL, &r) == 503);
	web_resp_free(&r);
	hist_attach(&hs, mem, sizeof(mem), 86400);
	memset(&rec, 0, sizeof(rec));
	rec.ms = NOW * 1000 - 5000 + 250;
	rec.mac[0] = 0x52;
	inet_pton(AF_INET, "10.42.0.50", &rec.lan_ip);
	inet_pton(AF_INET, "192.0.2.1", &rec.remote);
	rec.up = 1;
	rec.bytes = 1234;
	rec.packets = 1;
	hist_add(&hs, &rec);
	srv.hist = &hs;
	CHECK(call(WEB_GET, "/api/traffic?client=10.42.0.50", LAN, NULL,
	    NULL, NULL, &r) == 401);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/api/traffic?client=10.42.0.50&from=yesterday"
	    "&step=1s", LAN, cookie, NULL, NULL, &r) == 422);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/api/traffic?client=10.42.0.50&step=1s", LAN,
	    cookie, NULL, NULL, &r) == 200);
	CHECK_STR(r.type, "application/json");
	o = json_loadb((const char *)r.body, r.len, 0, NULL);
	CHECK(json_integer_value(json_object_get(json_object_get(o,
	    "totals"), "bytes_up")) == 1234);
	CHECK(json_integer_value(json_object_get(o, "step")) == 1000);
	json_decref(o);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/api/traffic?client=52:00:00:00:00:00&from="
	    "2026-12-06T00%3A00%3A00Z&to=2026-12-06T00%3A00%3A05Z&format=csv",
	    LAN, cookie, NULL, NULL, &r) == 200);
	CHECK_STR(r.type, "text/csv");
	CHECK(r.len > 20 && strncmp((const char *)r.body, "time_ms,", 8) == 0);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/api/remotes?client=10.42.0.50", LAN, cookie,
	    NULL, NULL, &r) == 200);
	o = json_loadb((const char *)r.body, r.len, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(json_array_get(
	    json_object_get(o, "remotes"), 0), "addr")), "192.0.2.1");
	json_decref(o);
	web_resp_free(&r);
	CHECK(call(WEB_POST, "/api/traffic?client=10.42.0.50", LAN, cookie,
	    csrf, "{}", &r) == 404);
	web_resp_free(&r);
	srv.hist = NULL;
}

static int	 devices_saves;

static void
count_save(void)
{
	devices_saves++;
}

/* The registry's routes: /api/clients merged, labels, ack, forget. */
static void
test_devices(void)
{
	static const uint8_t mac[6] = { 0xb8, 0x27, 0xeb, 1, 2, 3 };
	struct devices	*devs = malloc(sizeof(*devs));
	struct web_resp	 r;
	struct device	*d;
	char		 cookie[256], csrf[128], label70[100];
	json_t		*o, *row;

	setup(1);
	devices_init(devs);
	srv.devices = devs;
	srv.save_devices = count_save;
	login(cookie, sizeof(cookie), csrf, sizeof(csrf));
	/* /api/clients: the relayed reply, merged and fed to the registry */
	call(WEB_GET, "/api/clients", LAN, cookie, NULL, NULL, &r);
	CHECK(r.relay == RELAY_CLIENTS);
	CHECK_STR(r.cmd.argv[0], "clients");
	web_relay_done(&r, 1, "{\"clients\": [{\"ip\": \"10.42.0.5\", "
	    "\"mac\": \"b8:27:eb:01:02:03\", \"hostname\": \"x\", "
	    "\"client_hostname\": \"<b>X\\u0001</b>\", "
	    "\"last_seen\": 1800000000}]}");
	CHECK(r.status == 200 && devices_saves == 1);
	o = json_loadb((const char *)r.body, r.len, 0, NULL);
	row = json_array_get(json_object_get(o, "clients"), 0);
	CHECK_STR(json_string_value(json_object_get(row, "hostname")),
	    "<b>X\001</b>");
	CHECK(json_is_true(json_object_get(row, "new")));
	/* no vendor table: a locally administered MAC is still private */
	CHECK(json_is_null(json_object_get(row, "vendor")));
	json_decref(o);
	web_resp_free(&r);
	d = devices_find(devs, mac);
	CHECK(d != NULL && d->is_new);

	/* a label: CSRF, validation (422), unknown (404), done (200) */
	CHECK(call(WEB_POST, "/api/devices/b8:27:eb:01:02:03", LAN, cookie,
	    NULL, "{\"label\": \"TV\"}", &r) == 403);
	web_resp_free(&r);
	CHECK(call(WEB_POST, "/api/devices/b8:27:eb:01:02:03", LAN, cookie,
	    csrf, "{\"label\": \"a\\tb\"}", &r) == 422);
	CHECK(strstr(error_of(&r), "control") != NULL);
	web_resp_free(&r);
	memset(label70, 'x', 70);
	snprintf(label70 + 70, sizeof(label70) - 70, "\"}");
	{
		char	 body[128];

		snprintf(body, sizeof(body), "{\"label\": \"%s", label70);
		CHECK(call(WEB_POST, "/api/devices/b8:27:eb:01:02:03", LAN,
		    cookie, csrf, body, &r) == 422);
		CHECK(strstr(error_of(&r), "63") != NULL);
		web_resp_free(&r);
	}
	CHECK(call(WEB_POST, "/api/devices/b8:27:eb:01:02:03", LAN, cookie,
	    csrf, "{\"label\": 5}", &r) == 422);
	web_resp_free(&r);
	CHECK(call(WEB_POST, "/api/devices/b8:27:eb:01:02:03", LAN, cookie,
	    csrf, "{\"ack\": false}", &r) == 422);
	web_resp_free(&r);
	CHECK(call(WEB_POST, "/api/devices/b8:27:eb:01:02:03", LAN, cookie,
	    csrf, "{}", &r) == 422);
	web_resp_free(&r);
	CHECK(call(WEB_POST, "/api/devices/02:00:00:00:00:99", LAN, cookie,
	    csrf, "{\"ack\": true}", &r) == 404);
	web_resp_free(&r);
	CHECK(d->is_new && d->label[0] == '\0');
	CHECK(call(WEB_POST, "/api/devices/b8:27:eb:01:02:03", LAN, cookie,
	    csrf, "{\"label\": \"Télé <i>\"}", &r) == 200);
	CHECK(strcmp(d->label, "Télé <i>") == 0 && !d->is_new);
	o = json_loadb((const char *)r.body, r.len, 0, NULL);
	CHECK_STR(json_string_value(json_object_get(o, "name")), "Télé <i>");
	json_decref(o);
	web_resp_free(&r);
	/* by IP too */
	CHECK(call(WEB_POST, "/api/devices/10.42.0.5", LAN, cookie, csrf,
	    "{\"ack\": true}", &r) == 200);
	web_resp_free(&r);
	CHECK(call(WEB_GET, "/api/devices", LAN, cookie, NULL, NULL, &r) ==
	    200);
	CHECK(strstr((const char *)r.body, "Télé") != NULL);
	web_resp_free(&r);
	/* forget: gone, and a second time 404 */
	CHECK(call(WEB_DELETE, "/api/devices/b8:27:eb:01:02:03", LAN, cookie,
	    csrf, NULL, &r) == 200);
	CHECK(devices_find(devs, mac) == NULL && devices_saves >= 4);
	web_resp_free(&r);
	CHECK(call(WEB_DELETE, "/api/devices/b8:27:eb:01:02:03", LAN, cookie,
	    csrf, NULL, &r) == 404);
	web_resp_free(&r);
	srv.devices = NULL;
	free(devs);
}

int
main(void)
{
	test_host();
	test_tls();
	test_no_password();
	test_login();
	test_csrf_and_relay();
	test_static();
	test_websocket();
	test_sessions();
	test_password();
	test_traffic();
	test_devices();
	return check_result();
}
