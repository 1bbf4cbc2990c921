/*
 * webd's HTTP side: libevent's evhttp on the listener the parent opened
 * (the LAN address and web-listen port only), limits on what a client
 * may send, and the glue between evhttp's requests and web.c, which
 * decides everything. A response that needs the parent (a gkctl command
 * on the admin's behalf) waits here until the reply comes, bounded by a
 * timeout; a client that went away meanwhile is forgotten, never
 * written to.
 */
#include <sys/queue.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include <openssl/ssl.h>

#include "http.h"
#include "log.h"
#include "ws.h"

#define HTTP_MAX_HEADERS	8192
#define RELAY_TIMEOUT_S		5
#define ACCEPT_PAUSE_MS		250	/* after accept() found no descriptor */

/* A response waiting for the parent's reply. */
struct pending {
	uint32_t		 id;
	struct evhttp_request	*req;	/* NULL: the client went away */
	struct evhttp_connection *evcon;
	struct web_resp		 resp;
	struct event		*timer;
	TAILQ_ENTRY(pending)	 entry;
};

/* A connection that has sent a request, counted against its source. */
struct conn {
	struct evhttp_connection *evcon;
	uint32_t		 ip;
	TAILQ_ENTRY(conn)	 entry;
};

static struct {
	struct evhttp		*http;
	struct evhttp		*https;
	struct event_base	*base;
	struct web_server	*srv;
	http_relay_fn		 relay;
	uint32_t		 next_id;
	TAILQ_HEAD(, pending)	 pending;
	TAILQ_HEAD(, conn)	 conns;
	struct {			/* HTTP's and HTTPS's listeners */
		struct evconnlistener *lev;
		struct event	*resume;
	}			 listeners[2];
	struct http_stats	 st;
} h;

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Entity";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 504: return "Gateway Timeout";
	case 503: return "Service Unavailable";
	}
	return "Error";
}

/* The headers every response carries: no framing, no sniffing, no
 * script but our own files, no referrer. */
static void
security_headers(struct evkeyvalq *out)
{
	evhttp_add_header(out, "Content-Security-Policy",
	    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
	    "form-action 'self'");
	evhttp_add_header(out, "X-Frame-Options", "DENY");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "Referrer-Policy", "no-referrer");
	evhttp_add_header(out, "Cross-Origin-Opener-Policy", "same-origin");
}

static void
send_resp(struct evhttp_request *req, struct web_resp *r)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer	*buf;
	char		 n[16];

	security_headers(out);
	if (r->type != NULL)
		evhttp_add_header(out, "Content-Type", r->type);
	if (r->cache != NULL)
		evhttp_add_header(out, "Cache-Control", r->cache);
	if (r->etag[0] != '\0')
		evhttp_add_header(out, "ETag", r->etag);
	if (r->gzip)
		evhttp_add_header(out, "Content-Encoding", "gzip");
	if (r->etag[0] != '\0')
		evhttp_add_header(out, "Vary", "Accept-Encoding");
	if (r->cookie[0] != '\0')
		evhttp_add_header(out, "Set-Cookie", r->cookie);
	if (r->disposition[0] != '\0')
		evhttp_add_header(out, "Content-Disposition", r->disposition);
	if (r->retry_after > 0) {
		snprintf(n, sizeof(n), "%d", r->retry_after);
		evhttp_add_header(out, "Retry-After", n);
	}
	buf = evhttp_request_get_output_buffer(req);
	if (r->len > 0 && r->status != 304 &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(buf, r->body, r->len);
	evhttp_send_reply(req, r->status, reason(r->status), NULL);
	if (r->status >= 400)
		h.st.errors++;
	h.st.responses++;
}

static void
pending_free(struct pending *p)
{
	TAILQ_REMOVE(&h.pending, p, entry);
	event_free(p->timer);
	web_resp_free(&p->resp);
	free(p);
}

static void
pending_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct pending	*p = arg;

	h.st.relay_timeouts++;
	if (p->req != NULL) {
		web_relay_timeout(&p->resp);
		send_resp(p->req, &p->resp);
	}
	pending_free(p);
}

void
http_relay_reply(uint32_t id, int ok, const char *text)
{
	struct pending	*p;

	TAILQ_FOREACH(p, &h.pending, entry)
		if (p->id == id)
			break;
	if (p == NULL)
		return;		/* timed out already */
	if (p->req != NULL) {
		web_relay_done(&p->resp, ok, text);
		send_resp(p->req, &p->resp);
	}
	pending_free(p);
}

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct pending	*p;
	struct conn	*c;

	TAILQ_FOREACH(p, &h.pending, entry)
		if (p->evcon == evcon)
			p->req = NULL;
	TAILQ_FOREACH(c, &h.conns, entry)
		if (c->evcon == evcon) {
			TAILQ_REMOVE(&h.conns, c, entry);
			free(c);
			break;
		}
}

/*
 * Counts the connection against its source at its first request; 0 when
 * the source has too many already. (evhttp in libevent 2.1 offers no
 * hook at accept; a connection that never sends a request is closed by
 * the timeout.)
 */
static int
conn_admit(struct evhttp_connection *evcon, uint32_t ip)
{
	struct conn	*c;
	int		 n = 0;

	TAILQ_FOREACH(c, &h.conns, entry) {
		if (c->evcon == evcon)
			return 1;
		n += c->ip == ip;
	}
	if (n >= HTTP_CONNS_PER_SOURCE || (c = calloc(1, sizeof(*c))) == NULL)
		return 0;
	c->evcon = evcon;
	c->ip = ip;
	TAILQ_INSERT_TAIL(&h.conns, c, entry);
	evhttp_connection_set_closecb(evcon, conn_closed, NULL);
	return 1;
}

static enum web_method
method_of(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		return WEB_GET;
	case EVHTTP_REQ_HEAD:
		return WEB_HEAD;
	case EVHTTP_REQ_POST:
		return WEB_POST;
	case EVHTTP_REQ_DELETE:
		return WEB_DELETE;
	default:
		return WEB_OTHER;
	}
}

static void
start_relay(struct evhttp_request *req, struct web_resp *r)
{
	struct timeval	 tv = { RELAY_TIMEOUT_S, 0 };
	struct pending	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		web_relay_done(r, 0, "out of memory");
		send_resp(req, r);
		web_resp_free(r);
		return;
	}
	p->id = ++h.next_id;
	p->req = req;
	p->evcon = evhttp_request_get_connection(req);
	p->resp = *r;
	p->timer = evtimer_new(h.base, pending_timeout, p);
	TAILQ_INSERT_TAIL(&h.pending, p, entry);
	if (p->timer == NULL || evtimer_add(p->timer, &tv) == -1 ||
	    h.relay(p->id, &p->resp.cmd) == -1)
		http_relay_reply(p->id, 0, "gatekeeperd cannot be reached");
}

/* arg: NULL for plain HTTP, the SSL_CTX for HTTPS. */
static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer	*body = evhttp_request_get_input_buffer(req);
	struct web_req	 wr;
	struct web_resp	 r;
	struct in_addr	 ip = { 0 };
	char		*addr = NULL;
	uint16_t	 port = 0;

	evhttp_connection_get_peer(evcon, &addr, &port);
	if (addr == NULL || inet_pton(AF_INET, addr, &ip) != 1)
		ip.s_addr = 0;
	h.st.requests++;
	if (!conn_admit(evcon, ip.s_addr)) {
		h.st.refused_conns++;
		memset(&r, 0, sizeof(r));
		r.status = 429;
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		send_resp(req, &r);
		return;
	}
	memset(&wr, 0, sizeof(wr));
	wr.method = method_of(req);
	wr.uri = evhttp_request_get_uri(req);
	wr.host = evhttp_find_header(in, "Host");
	wr.cookie = evhttp_find_header(in, "Cookie");
	wr.csrf = evhttp_find_header(in, "X-CSRF-Token");
	wr.content_type = evhttp_find_header(in, "Content-Type");
	wr.if_none_match = evhttp_find_header(in, "If-None-Match");
	wr.accept_encoding = evhttp_find_header(in, "Accept-Encoding");
	wr.upgrade = evhttp_find_header(in, "Upgrade");
	wr.connection = evhttp_find_header(in, "Connection");
	wr.origin = evhttp_find_header(in, "Origin");
	wr.ws_key = evhttp_find_header(in, "Sec-WebSocket-Key");
	wr.ws_version = evhttp_find_header(in, "Sec-WebSocket-Version");
	wr.bodylen = evbuffer_get_length(body);
	wr.body = evbuffer_pullup(body, -1);
	wr.peer = ip.s_addr;
	wr.now = (uint64_t)time(NULL);
	wr.tls = arg != NULL;
	if (h.srv->fresh != NULL)
		h.srv->fresh();
	web_handle(h.srv, &wr, &r);
	if (h.srv->sessions_dirty && h.srv->save_sessions != NULL)
		h.srv->save_sessions();
	if (r.status == 101) {
		if (ws_start(req, r.ws_accept) == 0)
			return;
		r.status = 503;
	}
	if (r.relay != RELAY_NONE) {
		start_relay(req, &r);
		return;
	}
	send_resp(req, &r);
	web_resp_free(&r);
}

static void
accept_resume(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	evconnlistener_enable(arg);
}

/*
 * accept() failed with more than a retry can mend: no descriptor left
 * (EMFILE: a LAN host holding thousands of idle connections) or no
 * memory. The listener stays readable and libevent would call accept()
 * and print a warning again at once, in a loop; pause it instead. Idle
 * connections end by the request timeout and give descriptors back.
 */
static void
accept_failed(struct evconnlistener *lev, void *arg)
{
	struct timeval	 tv = { 0, ACCEPT_PAUSE_MS * 1000 };
	size_t		 i;

	(void)arg;
	h.st.accept_paused++;
	for (i = 0; i < sizeof(h.listeners) / sizeof(h.listeners[0]); i++)
		if (h.listeners[i].lev == lev &&
		    evconnlistener_disable(lev) == 0 &&
		    evtimer_add(h.listeners[i].resume, &tv) == 0)
			return;
}

/* Listener slot i pauses on accept() failures instead of spinning. */
static int
pause_on_accept_failure(struct evhttp_bound_socket *bound, size_t i)
{
	struct evconnlistener *lev = evhttp_bound_socket_get_listener(bound);

	h.listeners[i].lev = lev;
	h.listeners[i].resume = evtimer_new(h.base, accept_resume, lev);
	if (h.listeners[i].resume == NULL)
		return -1;
	evconnlistener_set_error_cb(lev, accept_failed);
	return 0;
}

/* An evhttp on the listener fd with the same limits and handler. */
static struct evhttp *
server_on(int fd, void *arg)
{
	struct evhttp	*http;
	struct evhttp_bound_socket *bound;

	if ((http = evhttp_new(h.base)) == NULL)
		return NULL;
	evhttp_set_max_headers_size(http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(http, WEB_MAX_BODY);
	evhttp_set_timeout(http, HTTP_TIMEOUT_S);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(http, request_cb, arg);
	if ((bound = evhttp_accept_socket_with_handle(http, fd)) == NULL ||
	    pause_on_accept_failure(bound, arg != NULL) == -1) {
		log_warnx("http: cannot accept on fd %d", fd);
		evhttp_free(http);
		return NULL;
	}
	return http;
}

int
http_start(struct event_base *base, int fd, struct web_server *srv,
    http_relay_fn relay)
{
	h.base = base;
	h.srv = srv;
	h.relay = relay;
	TAILQ_INIT(&h.pending);
	TAILQ_INIT(&h.conns);
	return (h.http = server_on(fd, NULL)) != NULL ? 0 : -1;
}

/* Each HTTPS connection gets an OpenSSL bufferevent doing the accept. */
static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
	SSL	*ssl = SSL_new(arg);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

int
http_start_tls(int fd, SSL_CTX *ctx)
{
	if ((h.https = server_on(fd, ctx)) == NULL)
		return -1;
	evhttp_set_bevcb(h.https, tls_bev, ctx);
	return 0;
}

const struct http_stats *
http_stats(void)
{
	return &h.st;
}
