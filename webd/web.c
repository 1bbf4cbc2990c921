/*
 * webd's request handling (web.h). Nothing here trusts the request: every
 * header may be missing or hostile, every body malformed. What came from
 * the network reaches the browser as JSON data only; no HTML is built.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <resolv.h>
#include <sha1.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "assets.h"
#include "commands.h"
#include "query.h"
#include "pcap.h"
#include "util.h"
#include "usage.h"
#include "web.h"

#define JSON_TYPE	"application/json"

static void
set_body(struct web_resp *r, int status, const char *type, char *text)
{
	r->status = status;
	r->type = type;
	free(r->owned);
	r->owned = text;
	r->body = (const uint8_t *)text;
	r->len = text != NULL ? strlen(text) : 0;
	r->cache = "no-store";
}

static void
reply_json(struct web_resp *r, int status, json_t *o)
{
	char	*text = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	if (text == NULL) {
		r->status = 500;
		return;
	}
	set_body(r, status, JSON_TYPE, text);
}

static void
reply_error(struct web_resp *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply_error(struct web_resp *r, int status, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_json(r, status, json_pack("{s:s}", "error", msg));
}

/*
 * DNS rebinding: a page of evil.example whose name now resolves to the
 * router must not be served. Only the router's LAN address and its name
 * (gatekeeper.DOMAIN), with the port when it is not the scheme's (80,
 * or 443 over TLS).
 */
static int
host_ok(const struct web_server *srv, const char *host, int tls)
{
	char	 want[300], addr[INET_ADDRSTRLEN];
	char	 port[8] = "";
	unsigned int p = tls ? srv->tls_port : srv->port;

	if (host == NULL)
		return 0;
	if (p != (tls ? 443U : 80U))
		snprintf(port, sizeof(port), ":%u", p);
	inet_ntop(AF_INET, &srv->lan, addr, sizeof(addr));
	snprintf(want, sizeof(want), "%s%s", addr, port);
	if (strcmp(host, want) == 0)
		return 1;
	snprintf(want, sizeof(want), "gatekeeper.%s%s", srv->domain, port);
	return strcasecmp(host, want) == 0;
}

/* The value of cookie name in a Cookie header, into out. */
static int
cookie_value(const char *header, const char *name, char *out, size_t len)
{
	const char	*p = header, *end;
	size_t		 n = strlen(name), vlen;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			vlen = (size_t)(end - (p + n + 1));
			if (vlen >= len)
				return -1;
			memcpy(out, p + n + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes n bytes of s into out ('+' is a space in a query,
 * plus = 1); -1 on a bad escape, a NUL, or no room. */
static int
pct_decode(const char *s, size_t n, char *out, size_t len, int plus)
{
	size_t	 i, o = 0;
	int	 hi, lo, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		if (c == 0 || o + 1 >= len)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* The decoded query parameter name, into out; 0 when present. */
static int
query_param(const char *query, const char *name, char *out, size_t len)
{
	const char	*p = query, *end, *eq;
	size_t		 n = strlen(name);

	while (p != NULL && *p != '\0') {
		end = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL && (size_t)(eq - p) == n &&
		    strncmp(p, name, n) == 0)
			return pct_decode(eq + 1, (size_t)(end - eq - 1), out,
			    len, 1);
		p = *end == '&' ? end + 1 : end;
	}
	return -1;
}

/* ---- static files ---- */

static int
accepts_gzip(const char *ae)
{
	return ae != NULL && strstr(ae, "gzip") != NULL;
}

static void
serve_asset(const struct web_req *req, struct web_resp *r,
    const struct asset *a, const char *query)
{
	char	 v[32];

	r->type = a->type;
	/*
	 * index.html (revalidated on every load) names the other files
	 * with "?v=" and their ETag (gen_assets.py): asked so, a file is
	 * kept for a year, a new content being a new name; asked
	 * otherwise (index.html itself), it is revalidated.
	 */
	if (query_param(query, "v", v, sizeof(v)) == 0 &&
	    strcmp(v, a->etag) == 0)
		r->cache = "max-age=31536000, immutable";
	else
		r->cache = "no-cache";
	snprintf(r->etag, sizeof(r->etag), "\"%s\"", a->etag);
	if (req->if_none_match != NULL &&
	    strcmp(req->if_none_match, r->etag) == 0) {
		r->status = 304;
		return;
	}
	r->status = 200;
	if (a->gz != NULL && accepts_gzip(req->accept_encoding)) {
		r->body = a->gz;
		r->len = a->gzlen;
		r->gzip = 1;
	} else {
		r->body = a->data;
		r->len = a->len;
	}
}

static void
route_static(const struct web_server *srv, const struct web_req *req,
    struct web_resp *r, const char *path, const char *query)
{
	const struct asset *a;

	if (req->method != WEB_GET && req->method != WEB_HEAD) {
		reply_error(r, 405, "method not allowed");
		return;
	}
	/* Until a password is set, every page says how to set one. */
	if (srv->hash[0] == '\0' && (strcmp(path, "/") == 0 ||
	    strcmp(path, "/index.html") == 0))
		path = "/setup.html";
	else if (strcmp(path, "/") == 0)
		path = "/index.html";
	if ((a = asset_find(path)) == NULL) {
		reply_error(r, 404, "no such page");
		return;
	}
	serve_asset(req, r, a, query);
}

/* ---- sessions ---- */

static json_t *
body_json(const struct web_req *req, struct web_resp *r)
{
	json_error_t	 jerr;
	json_t		*o;

	if (req->content_type == NULL ||
	    strncmp(req->content_type, JSON_TYPE, strlen(JSON_TYPE)) != 0) {
		reply_error(r, 415, "the body must be application/json");
		return NULL;
	}
	o = json_loadb((const char *)req->body, req->bodylen,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		reply_error(r, 400, "the body is not a JSON object");
		return NULL;
	}
	return o;
}

/* A string member, or NULL with a 422 response. */
static const char *
field_string(json_t *o, const char *key, struct web_resp *r)
{
	const char	*s = json_string_value(json_object_get(o, key));

	if (s == NULL)
		reply_error(r, 422, "\"%s\": a string is required", key);
	return s;
}

/* Over TLS the cookie is Secure: never sent back over plain HTTP. */
static void
set_cookie(const struct web_req *req, struct web_resp *r, const char *value,
    int max_age)
{
	snprintf(r->cookie, sizeof(r->cookie), "%s=%s; Path=/; Max-Age=%d; "
	    "HttpOnly; SameSite=Strict%s", WEB_COOKIE, value, max_age,
	    req->tls ? "; Secure" : "");
}

static void
reply_csrf(struct web_resp *r, const struct auth_session *s)
{
	char	 csrf[AUTH_TOKEN_HEX];

	auth_hex(s->csrf, csrf);
	reply_json(r, 200, json_pack("{s:s}", "csrf", csrf));
}

static void
api_login(struct web_server *srv, const struct web_req *req,
    struct web_resp *r)
{
	uint8_t		 rnd[2 * AUTH_TOKEN_BYTES];
	struct auth_session *s;
	const char	*pw;
	char		 id[AUTH_TOKEN_HEX];
	uint64_t	 wait;
	json_t		*o;

	if ((wait = auth_locked(srv->auth, req->peer, req->now)) > 0) {
		r->retry_after = (int)wait;
		reply_error(r, 429, "too many failed logins: try again in %d "
		    "minutes", (int)((wait + 59) / 60));
		return;
	}
	if ((o = body_json(req, r)) == NULL)
		return;
	if ((pw = field_string(o, "password", r)) != NULL) {
		if (!auth_check(srv->hash, pw)) {
			auth_failed(srv->auth, req->peer, req->now);
			reply_error(r, 401, "wrong password");
		} else {
			srv->random(rnd, sizeof(rnd));
			s = auth_login(srv->auth, req->peer, req->now, rnd);
			explicit_bzero(rnd, sizeof(rnd));
			auth_hex(s->id, id);
			set_cookie(req, r, id, AUTH_LIFETIME_S);
			reply_csrf(r, s);
			srv->sessions_dirty = 1;
		}
	}
	json_decref(o);
}

int
web_set_password(struct web_server *srv, const char *pw, char *err,
    size_t errlen)
{
	uint8_t		 rnd[16];
	char		 hash[AUTH_HASH_MAX];
	const char	*why;

	if ((why = auth_password_problem(pw)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	srv->random(rnd, sizeof(rnd));
	if (auth_hash(pw, rnd, hash, sizeof(hash)) == -1) {
		snprintf(err, errlen, "cannot hash the password");
		return -1;
	}
	if (srv->store_hash(hash) == -1) {
		snprintf(err, errlen, "cannot store the password");
		return -1;
	}
	strlcpy(srv->hash, hash, sizeof(srv->hash));
	return 0;
}

/* POST /api/password {"old", "new"}: the other sessions end. */
static void
api_password(struct web_server *srv, const struct web_req *req,
    struct web_resp *r, struct auth_session *s)
{
	struct auth_session keep = *s;
	const char	*old, *new;
	char		 err[256];
	json_t		*o;

	if ((o = body_json(req, r)) == NULL)
		return;
	if ((old = field_string(o, "old", r)) == NULL ||
	    (new = field_string(o, "new", r)) == NULL)
		goto done;
	if (!auth_check(srv->hash, old)) {
		reply_error(r, 403, "the current password is wrong");
		goto done;
	}
	if (web_set_password(srv, new, err, sizeof(err)) == -1) {
		reply_error(r, 422, "\"new\": %s", err);
		goto done;
	}
	auth_logout_all(srv->auth);
	*s = keep;
	srv->sessions_dirty = 1;
	reply_json(r, 200, json_pack("{s:b}", "changed", 1));
done:
	json_decref(o);
}

/* ---- commands relayed through the parent ---- */

/* The reply of a relayed command becomes the response: 200 with its
 * JSON, or the error with a status that says which. */
/* The `clients` reply with the registry's devices and fields: it
 * feeds the registry too (dhcpd's times and host names). */
static char *
clients_merged(struct web_server *srv, const char *text, uint64_t now_ms)
{
	json_t	*reply, *out;
	char	*merged;

	if ((reply = json_loads(text, 0, NULL)) == NULL)
		return NULL;
	devices_observe_clients(srv->devices, reply);
	out = devices_merge_clients(srv->devices, reply, web_vendor,
	    (void *)srv->oui, now_ms);
	json_decref(reply);
	merged = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
	json_decref(out);
	return merged;
}

const char *
web_vendor(const uint8_t mac[6], void *oui)
{
	return oui != NULL ? oui_vendor(oui, mac) : (mac[0] & 0x02 ?
	    OUI_PRIVATE : NULL);
}

void
web_relay_done(struct web_resp *r, int ok, const char *text)
{
	char	*merged;

	if (ok && r->relay == RELAY_CLIENTS && r->srv != NULL &&
	    r->srv->devices != NULL) {
		if ((merged = clients_merged(r->srv, text, r->now_ms)) ==
		    NULL) {
			reply_error(r, 502, "the clients reply is not JSON");
			r->relay = RELAY_NONE;
			return;
		}
		set_body(r, 200, JSON_TYPE, merged);
		r->relay = RELAY_NONE;
		if (r->srv->devices->dirty == 1 && r->srv->save_devices)
			r->srv->save_devices();
		return;
	}
	if (ok) {
		set_body(r, 200, JSON_TYPE, strdup(text));
		if (r->owned == NULL)
			r->status = 500;
	} else if (r->relay == RELAY_CHANGE)
		reply_error(r, 409, "%s", text);
	else
		reply_error(r, 502, "%s", text);
	r->relay = RELAY_NONE;
}

void
web_relay_timeout(struct web_resp *r)
{
	reply_error(r, 504, "gatekeeperd did not answer in time");
	r->relay = RELAY_NONE;
}

/* Sets r to relay argv (argc words), after the catalogue's own check:
 * a bad field is the client's (422), never the daemon's. */
static void
relay(struct web_resp *r, enum web_relay kind, int argc,
    const char *const *argv)
{
	const struct gk_command *c;
	char		 err[512];
	int		 i;

	if ((c = cmd_check(argc, argv, err, sizeof(err))) == NULL) {
		reply_error(r, 422, "%s", err);
		return;
	}
	if (!cmd_allowed(c, CMD_FROM_WEBD)) {
		reply_error(r, 403, "%s: not allowed from the web", c->name);
		return;
	}
	memset(&r->cmd, 0, sizeof(r->cmd));
	r->cmd.argc = (uint32_t)argc;
	for (i = 0; i < argc; i++)
		strlcpy(r->cmd.argv[i], argv[i], CTL_ARG_SIZE);
	r->relay = kind;
}

/* A JSON member as a command argument: strings as they are, integers
 * in decimal; absent: "" (the caller says whether that is allowed). */
static int
member_arg(json_t *o, const char *key, char *buf, size_t len)
{
	json_t	*v = json_object_get(o, key);

	buf[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return strlcpy(buf, json_string_value(v), len) < len ? 0 : -1;
	if (json_is_integer(v))
		return snprintf(buf, len, "%lld",
		    (long long)json_integer_value(v)) < (int)len ? 0 : -1;
	return -1;
}

/* Builds a command from words and JSON members ("=key" words), dropping
 * a trailing absent optional member; 422 on a member of a wrong type. */
static void
relay_from_json(const struct web_req *req, struct web_resp *r,
    const char *const *words, int nwords)
{
	char		 args[CTL_MAX_ARGS][CTL_ARG_SIZE];
	const char	*argv[CTL_MAX_ARGS];
	json_t		*o;
	int		 i, argc = 0;

	if ((o = body_json(req, r)) == NULL)
		return;
	for (i = 0; i < nwords && i < CTL_MAX_ARGS; i++) {
		if (words[i][0] != '=') {
			argv[argc++] = words[i];
			continue;
		}
		if (member_arg(o, words[i] + 1, args[i], CTL_ARG_SIZE) ==
		    -1) {
			reply_error(r, 422, "\"%s\": a string or number is "
			    "required", words[i] + 1);
			json_decref(o);
			return;
		}
		argv[argc++] = args[i];
	}
	json_decref(o);
	while (argc > 0 && argv[argc - 1][0] == '\0')
		argc--;
	relay(r, RELAY_CHANGE, argc, argv);
}

/* DELETE /api/leases/MAC, /api/forwards/PROTO/PORT: the path's words. */
static void
relay_from_path(struct web_resp *r, const char *rest, const char *w1,
    const char *w2, int nparts)
{
	char		 parts[2][CTL_ARG_SIZE];
	const char	*argv[4] = { w1, w2, parts[0], parts[1] };
	const char	*slash;
	size_t		 n;
	int		 i;

	for (i = 0; i < nparts; i++) {
		slash = strchr(rest, '/');
		n = slash != NULL && i + 1 < nparts ? (size_t)(slash - rest) :
		    strlen(rest);
		if (n == 0 || pct_decode(rest, n, parts[i], CTL_ARG_SIZE, 0)
		    == -1 || (i + 1 < nparts && slash == NULL)) {
			reply_error(r, 404, "no such resource");
			return;
		}
		rest += n + (slash != NULL);
	}
	relay(r, RELAY_CHANGE, 2 + nparts, argv);
}

static void
relay_get(struct web_resp *r, const char *w1, const char *w2)
{
	const char	*argv[2] = { w1, w2 };

	relay(r, RELAY_READ, w2 != NULL ? 2 : 1, argv);
}

static void
api_dns_log(const char *query, struct web_resp *r)
{
	char		 client[64];
	const char	*argv[3] = { "dns", "log", client };

	if (query_param(query, "client", client, sizeof(client)) == -1) {
		relay(r, RELAY_READ, 2, argv);
		return;
	}
	relay(r, RELAY_READ, 3, argv);
}

/* GET /api/traffic, /api/remotes: the history's queries (query.c). */
static void
api_history(const struct web_server *srv, const struct web_req *req,
    struct web_resp *r, const char *query, int remotes)
{
	char		 buf[QP_MAX][CTL_ARG_SIZE], fmt[8];
	const char	*v[QP_MAX];
	struct query_reply rep;
	int		 i, csv;

	for (i = 0; i < QP_MAX; i++)
		v[i] = query_param(query, query_param_names[i], buf[i],
		    sizeof(buf[i])) == 0 ? buf[i] : NULL;
	csv = query_param(query, "format", fmt, sizeof(fmt)) == 0 &&
	    strcmp(fmt, "csv") == 0;
	query_request(srv->hist, remotes, csv, v, req->now * 1000, &rep);
	if (rep.csv != NULL)
		set_body(r, 200, "text/csv", rep.csv);
	else
		reply_json(r, rep.status, rep.json);
}

/* GET /api/usage: a device's daily totals (usage.c). */
static void
api_usage(struct web_server *srv, const struct web_req *req,
    struct web_resp *r, const char *query)
{
	char		 buf[UP_MAX][CTL_ARG_SIZE], fmt[8];
	const char	*v[UP_MAX];
	struct query_reply rep;
	int		 i, csv;

	for (i = 0; i < UP_MAX; i++)
		v[i] = query_param(query, usage_param_names[i], buf[i],
		    sizeof(buf[i])) == 0 ? buf[i] : NULL;
	csv = query_param(query, "format", fmt, sizeof(fmt)) == 0 &&
	    strcmp(fmt, "csv") == 0;
	usage_request(srv->store, srv->hist, csv, v, req->now * 1000, &rep);
	if (rep.csv != NULL)
		set_body(r, 200, "text/csv", rep.csv);
	else
		reply_json(r, rep.status, rep.json);
}

/* The device's capture ring as a pcap download (pcap.c). */
static void
api_pcap(struct web_server *srv, const struct web_req *req,
    const char *query, struct web_resp *r)
{
	char		 client[64], err[128];
	int		 status;

	if (query_param(query, "client", client, sizeof(client)) == -1) {
		reply_error(r, 422, "client: expected an IP or MAC address");
		return;
	}
	status = pcap_reply(srv->capture, srv->capture_size, client,
	    req->now, srv->devices, r, err, sizeof(err));
	if (status != 200)
		reply_error(r, status, "%s", err);
}

/* ---- the device registry (devices.c) ---- */

/* The device a path's rest names (its MAC, or the IP it holds now), or
 * NULL with a 404. */
static struct device *
path_device(struct web_server *srv, const char *rest, struct web_resp *r)
{
	struct device	*d;

	if (srv->devices == NULL) {
		reply_error(r, 503, "no device registry");
		return NULL;
	}
	if ((d = devices_lookup(srv->devices, rest)) == NULL)
		reply_error(r, 404, "no such device: %s", rest);
	return d;
}

static void
device_changed(struct web_server *srv, struct web_resp *r,
    const struct device *d, uint64_t now_ms)
{
	if (srv->save_devices != NULL)
		srv->save_devices();
	reply_json(r, 200, devices_json(d, web_vendor(d->mac,
	    (void *)srv->oui), now_ms));
}

/* POST /api/devices/MAC {"label": "..."} and/or {"ack": true}. */
static void
api_device_set(struct web_server *srv, const struct web_req *req,
    struct web_resp *r, const char *rest)
{
	struct device	*d;
	json_t		*o, *label, *ack;
	char		 err[128];

	if ((o = body_json(req, r)) == NULL)
		return;
	label = json_object_get(o, "label");
	ack = json_object_get(o, "ack");
	if (label == NULL && ack == NULL)
		reply_error(r, 422, "expected \"label\" or \"ack\"");
	else if (label != NULL && !json_is_string(label))
		reply_error(r, 422, "\"label\": a string is required");
	else if (ack != NULL && !json_is_true(ack))
		reply_error(r, 422, "\"ack\": only true is accepted");
	else if (label != NULL && devices_label_problem(
	    json_string_value(label)) != NULL)
		reply_error(r, 422, "\"label\": %s", devices_label_problem(
		    json_string_value(label)));
	else if ((d = path_device(srv, rest, r)) != NULL) {
		if (label != NULL)
			devices_set_label(srv->devices, d,
			    json_string_value(label), err, sizeof(err));
		devices_ack(srv->devices, d);
		device_changed(srv, r, d, req->now * 1000);
	}
	json_decref(o);
}

/* DELETE /api/devices/MAC: forget it. */
static void
api_device_forget(struct web_server *srv, const struct web_req *req,
    struct web_resp *r, const char *rest)
{
	struct device	*d;
	char		 mac[MAC_STR_SIZE];

	if ((d = path_device(srv, rest, r)) == NULL)
		return;
	mac_str(d->mac, mac, sizeof(mac));
	devices_forget(srv->devices, d);
	if (srv->save_devices != NULL)
		srv->save_devices();
	reply_json(r, 200, json_pack("{s:s}", "forgotten", mac));
}

/* GET /api/devices: the registry, as `gkctl -j devices`. */
static void
api_devices(struct web_server *srv, const struct web_req *req,
    struct web_resp *r)
{
	if (srv->devices == NULL) {
		reply_error(r, 503, "no device registry");
		return;
	}
	reply_json(r, 200, devices_list_json(srv->devices, web_vendor,
	    (void *)srv->oui, req->now * 1000));
}

/* ---- WebSocket ---- */

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int
web_ws_accept(const char *key, char out[32])
{
	uint8_t		 raw[32], digest[SHA1_DIGEST_LENGTH];
	SHA1_CTX	 ctx;

	if (key == NULL || strlen(key) != 24 ||
	    b64_pton(key, raw, sizeof(raw)) != 16)
		return -1;
	SHA1Init(&ctx);
	SHA1Update(&ctx, (const uint8_t *)key, strlen(key));
	SHA1Update(&ctx, (const uint8_t *)WS_GUID, strlen(WS_GUID));
	SHA1Final(digest, &ctx);
	return b64_ntop(digest, sizeof(digest), out, 32) == 28 ? 0 : -1;
}

/* 1 when the comma-separated header value has token (any case). */
static int
has_token(const char *value, const char *token)
{
	const char	*p = value;
	size_t		 n = strlen(token), len;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, ", ");
		if (len == n && strncasecmp(p, token, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

/*
 * GET /api/live: a WebSocket, for a logged-in page of this router only.
 * A browser always sends Origin with an upgrade: it must be the router
 * itself (another site's page may open a WebSocket to any address, and
 * the cookie would ride along were it not SameSite=Strict).
 */
static void
api_live(const struct web_server *srv, const struct web_req *req,
    struct web_resp *r)
{
	const char	*o = req->origin;

	if (req->method != WEB_GET || req->upgrade == NULL ||
	    strcasecmp(req->upgrade, "websocket") != 0 ||
	    req->connection == NULL ||
	    !has_token(req->connection, "upgrade")) {
		reply_error(r, 426, "a WebSocket upgrade is required");
		return;
	}
	if (req->ws_version == NULL || strcmp(req->ws_version, "13") != 0) {
		reply_error(r, 426, "WebSocket version 13 only");
		return;
	}
	if (o == NULL || strncmp(o, req->tls ? "https://" : "http://",
	    req->tls ? 8 : 7) != 0 || !host_ok(srv, o + (req->tls ? 8 : 7),
	    req->tls)) {
		reply_error(r, 403, "a WebSocket must come from this "
		    "router's own page");
		return;
	}
	if (web_ws_accept(req->ws_key, r->ws_accept) == -1) {
		reply_error(r, 400, "bad Sec-WebSocket-Key");
		return;
	}
	r->status = 101;
}

/* ---- the API ---- */

static int
is_change(enum web_method m)
{
	return m == WEB_POST || m == WEB_DELETE;
}

static void
route_session_api(struct web_server *srv, const struct web_req *req,
    struct web_resp *r, const char *path, const char *query,
    struct auth_session *s)
{
	static const char *const lease_add[] = {
		"lease", "add", "=mac", "=ip", "=name" };
	static const char *const forward_add[] = {
		"forward", "add", "=proto", "=wan_port", "=ip", "=port" };
	enum web_method	 m = req->method;

	if (strcmp(path, "/api/session") == 0 && m == WEB_GET)
		reply_csrf(r, s);
	else if (strcmp(path, "/api/logout") == 0 && m == WEB_POST) {
		auth_logout(srv->auth, s);
		srv->sessions_dirty = 1;
		set_cookie(req, r, "", 0);
		reply_json(r, 200, json_pack("{s:b}", "logged_out", 1));
	} else if (strcmp(path, "/api/password") == 0 && m == WEB_POST)
		api_password(srv, req, r, s);
	else if (strcmp(path, "/api/status") == 0 && m == WEB_GET)
		relay_get(r, "status", NULL);
	else if (strcmp(path, "/api/clients") == 0 && m == WEB_GET) {
		relay_get(r, "clients", NULL);
		if (r->relay == RELAY_READ)
			r->relay = RELAY_CLIENTS;
	} else if (strcmp(path, "/api/devices") == 0 && m == WEB_GET)
		api_devices(srv, req, r);
	else if (strncmp(path, "/api/devices/", 13) == 0 && m == WEB_POST)
		api_device_set(srv, req, r, path + 13);
	else if (strncmp(path, "/api/devices/", 13) == 0 && m == WEB_DELETE)
		api_device_forget(srv, req, r, path + 13);
	else if (strcmp(path, "/api/leases") == 0 && m == WEB_GET)
		relay_get(r, "leases", NULL);
	else if (strcmp(path, "/api/leases") == 0 && m == WEB_POST)
		relay_from_json(req, r, lease_add, 5);
	else if (strncmp(path, "/api/leases/", 12) == 0 && m == WEB_DELETE)
		relay_from_path(r, path + 12, "lease", "del", 1);
	else if (strcmp(path, "/api/forwards") == 0 && m == WEB_GET)
		relay_get(r, "forwards", NULL);
	else if (strcmp(path, "/api/forwards") == 0 && m == WEB_POST)
		relay_from_json(req, r, forward_add, 6);
	else if (strncmp(path, "/api/forwards/", 14) == 0 &&
	    m == WEB_DELETE)
		relay_from_path(r, path + 14, "forward", "del", 2);
	else if (strcmp(path, "/api/dns/log") == 0 && m == WEB_GET)
		api_dns_log(query, r);
	else if (strcmp(path, "/api/traffic") == 0 && m == WEB_GET)
		api_history(srv, req, r, query, 0);
	else if (strcmp(path, "/api/remotes") == 0 && m == WEB_GET)
		api_history(srv, req, r, query, 1);
	else if (strcmp(path, "/api/usage") == 0 && m == WEB_GET)
		api_usage(srv, req, r, query);
	else if (strcmp(path, "/api/pcap") == 0 && m == WEB_GET)
		api_pcap(srv, req, query, r);
	else if (strcmp(path, "/api/live") == 0)
		api_live(srv, req, r);
	else
		reply_error(r, 404, "no such API");
}

static void
route_api(struct web_server *srv, const struct web_req *req,
    struct web_resp *r, const char *path, const char *query)
{
	struct auth_session *s = NULL;
	char		 cookie[AUTH_TOKEN_HEX + 1];

	/* What the login page needs: where HTTPS is, and the fingerprint
	 * to check the browser's warning against. Public: the certificate
	 * shows it to anyone. */
	if (strcmp(path, "/api/info") == 0 && req->method == WEB_GET) {
		reply_json(r, 200, json_pack("{s:i,s:s,s:b}", "https_port",
		    (int)srv->tls_port, "fingerprint", srv->fingerprint ?
		    srv->fingerprint : "", "password_set",
		    srv->hash[0] != '\0'));
		return;
	}
	if (srv->hash[0] == '\0') {
		reply_error(r, 403, "no password set: run \"gkctl passwd\" "
		    "on the router");
		return;
	}
	if (strcmp(path, "/api/login") == 0) {
		if (req->method == WEB_POST)
			api_login(srv, req, r);
		else
			reply_error(r, 405, "POST only");
		return;
	}
	if (req->cookie != NULL && cookie_value(req->cookie, WEB_COOKIE,
	    cookie, sizeof(cookie)) == 0)
		s = auth_find(srv->auth, cookie, req->now);
	if (s == NULL) {
		reply_error(r, 401, "not logged in");
		return;
	}
	if (is_change(req->method) &&
	    (req->csrf == NULL || !auth_csrf_ok(srv->auth, s, req->csrf))) {
		reply_error(r, 403, "missing or wrong CSRF token");
		return;
	}
	route_session_api(srv, req, r, path, query, s);
}

void
web_handle(struct web_server *srv, const struct web_req *req,
    struct web_resp *r)
{
	char		 path[1024];
	const char	*q;
	size_t		 n;

	memset(r, 0, sizeof(*r));
	r->status = 500;
	r->srv = srv;
	r->now_ms = req->now * 1000;
	if (!host_ok(srv, req->host, req->tls)) {
		reply_error(r, 421, "this router answers to its own address "
		    "or name only");
		return;
	}
	if (req->uri == NULL || req->uri[0] != '/') {
		reply_error(r, 400, "bad request target");
		return;
	}
	q = strchr(req->uri, '?');
	n = q != NULL ? (size_t)(q - req->uri) : strlen(req->uri);
	if (pct_decode(req->uri, n, path, sizeof(path), 0) == -1 ||
	    strstr(path, "/..") != NULL) {
		reply_error(r, 400, "bad path");
		return;
	}
	if (strncmp(path, "/api/", 5) == 0)
		route_api(srv, req, r, path, q != NULL ? q + 1 : "");
	else
		route_static(srv, req, r, path, q != NULL ? q + 1 : "");
}

void
web_resp_free(struct web_resp *r)
{
	free(r->owned);
	r->owned = NULL;
}
