/*
 * webd: the web server of the dashboard, on the listener the parent
 * opened on the LAN address (http.c, request handling in web.c), with
 * its WebSocket /api/live (ws.c, frames from live.c), the admin password
 * and sessions (auth.c) kept in its state dir (its chroot), and the
 * commands it runs on the admin's behalf through the parent (ask.c).
 * This file is the I/O; its status and gkctl commands are in ctl.c.
 *
 * It also keeps the names each LAN device resolved remote addresses by,
 * from dnsd's observations (names.c), for the dashboard to label remote
 * hosts with; `gkctl names [IP]` shows them.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "ask.h"
#include "chan.h"
#include "drain.h"
#include "child.h"
#include "http.h"
#include "log.h"
#include "names.h"
#include "pcapctl.h"
#include "tls.h"
#include "util.h"
#include "webd.h"
#include "ws.h"

#define EXPIRE_INTERVAL_S	10
#define SESSIONS_SAVE_S		60	/* their last use, at most so old */
/* Files at the root of webd's chroot, its state dir. */
#define PASSWORD_FILE		"password"
#define SESSIONS_FILE		"sessions"
/* Request ids with this bit are /api/live's, the rest the web API's. */
#define LIVE_ID			0x80000000U

struct webd		 webd;
static struct event	 ev_expire, ev_tick;

static void
dnsd_msg(struct proto_chan *c, struct proto_msg *msg, void *arg)
{
	static struct msg_dns_obs m;

	if (msg->hdr.type != MSG_DNS_OBS) {
		/* dnsd sends nothing else; proto_check vouched for size */
		webd.dnsd_unexpected++;
		log_warnx("unexpected %s from dnsd",
		    proto_type_name(msg->hdr.type));
		return;
	}
	memset(&m, 0, sizeof(m));
	memcpy(&m, msg->data, msg->len);
	names_observe_batch(webd.names, &m, mono_s());
}

static void
dnsd_closed(struct proto_chan *c, const char *why, void *arg)
{
	log_warnx("dnsd channel %s; no more names from dnsd", why);
	proto_chan_free(c);
	webd.dnsd_chan = NULL;
}

static void
expire_tick(evutil_socket_t fd, short what, void *arg)
{
	names_expire(webd.names, mono_s());
}

/* ---- the admin's password and sessions, in the state dir ---- */

static int
store_hash(const char *hash)
{
	char	 line[AUTH_HASH_MAX + 1];
	size_t	 n;

	n = (size_t)snprintf(line, sizeof(line), "%s\n", hash);
	if (file_replace(PASSWORD_FILE, line, n) == -1) {
		log_warn("%s", PASSWORD_FILE);
		return -1;
	}
	log_info("the dashboard password was set");
	return 0;
}

static void
load_password(void)
{
	char	 buf[AUTH_HASH_MAX];
	size_t	 len;

	if (file_read(PASSWORD_FILE, buf, sizeof(buf) - 1, &len) == -1) {
		if (errno != ENOENT)
			log_warn("%s", PASSWORD_FILE);
		log_info("no dashboard password yet: gkctl passwd sets one");
		return;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (buf[0] != '$') {
		log_warnx("%s: not a password hash, ignored", PASSWORD_FILE);
		return;
	}
	strlcpy(webd.srv.hash, buf, sizeof(webd.srv.hash));
}

void
webd_save_sessions(void)
{
	uint8_t	*buf;

	if ((buf = malloc(auth_save_size())) == NULL)
		return;
	auth_save(&webd.auth, buf);
	if (file_replace(SESSIONS_FILE, buf, auth_save_size()) == -1) {
		log_warn("%s", SESSIONS_FILE);
		webd.save_failures++;
	}
	free(buf);
	webd.srv.sessions_dirty = 0;
	webd.sessions_saved = mono_s();
}

static void
load_sessions(void)
{
	uint8_t	*buf;
	size_t	 len;

	if ((buf = malloc(auth_save_size() + 1)) == NULL)
		return;
	if (file_read(SESSIONS_FILE, buf, auth_save_size() + 1, &len) == 0 &&
	    auth_load(&webd.auth, buf, len, (uint64_t)time(NULL)) == -1)
		log_warnx("%s: not valid, ignored (nobody stays logged in)",
		    SESSIONS_FILE);
	free(buf);
}

static void
web_random(void *buf, size_t n)
{
	arc4random_buf(buf, n);
}

/* ---- answers from the parent ---- */

static void
live_answer(int ok, const char *text)
{
	char	*frame;

	webd.live_asked = 0;
	if (!ok || (frame = live_frame(&webd.live, text, wall_ms())) == NULL)
		return;
	ws_broadcast(frame);
	free(frame);
}

static void
parent_answer(uint32_t id, int ok, const char *text)
{
	if (id & LIVE_ID)
		live_answer(ok, text);
	else
		http_relay_reply(id, ok, text);
}

/* Once a second: the live frame for the WebSockets (natd's counters,
 * through the parent), pings, and the sessions' last use saved. */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
	static uint32_t		 live_id;
	struct msg_ctl_request	 req;

	ws_tick();
	if (ws_count() > 0 && !webd.live_asked) {
		memset(&req, 0, sizeof(req));
		req.argc = 1;
		strlcpy(req.argv[0], "clients", sizeof(req.argv[0]));
		live_id = (live_id + 1) & ~LIVE_ID;
		webd.live_asked = ask_parent(LIVE_ID | live_id, &req) == 0;
	}
	if (webd.srv.sessions_dirty || (auth_count(&webd.auth,
	    (uint64_t)time(NULL)) > 0 &&
	    mono_s() - webd.sessions_saved >= SESSIONS_SAVE_S))
		webd_save_sessions();
}

/* HTTPS, with the state dir's certificate (made at the first start for
 * the router's address and name); without one, plain HTTP only. */
static void
start_tls(void)
{
	SSL_CTX	*ctx;

	if ((ctx = tls_context(webd.srv.lan, webd.srv.domain)) == NULL ||
	    http_start_tls(FD_WEBD_HTTPS, ctx) == -1) {
		log_warnx("no HTTPS: the dashboard is served over HTTP only");
		webd.srv.tls_port = 0;
		return;
	}
	webd.srv.fingerprint = tls_fingerprint();
	log_info("HTTPS on port %u, certificate SHA-256 %s",
	    webd.srv.tls_port, tls_fingerprint());
}

static void
webd_config(const struct msg_config *mc, void *arg)
{
	drain_config(mc->conf.history);
	webd.srv.lan = mc->conf.lan_addr;
	webd.srv.port = mc->conf.web_port;
	strlcpy(webd.srv.domain, mc->conf.domain, sizeof(webd.srv.domain));
	if (webd.serving)
		return;
	webd.srv.tls_port = mc->conf.web_tls_port;
	if (http_start(event_get_base(&ev_tick), FD_WEBD_HTTP, &webd.srv,
	    ask_parent) == -1)
		fatalx("cannot serve the web");
	start_tls();
	webd.serving = 1;
}

/*
 * The capture rings natd writes (proto/capring.h), through a read-only
 * descriptor: mapped once, read under each ring's sequence lock.
 */
static void
capture_map(struct web_server *srv)
{
	struct stat	 st;
	void		*p;

	if (fstat(FD_WEBD_CAPTURE, &st) == -1 || st.st_size <= 0 ||
	    (p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED,
	    FD_WEBD_CAPTURE, 0)) == MAP_FAILED) {
		log_warn("capture memory: downloads are off");
		return;
	}
	srv->capture = p;
	srv->capture_size = (size_t)st.st_size;
}

static void
webd_init(struct event_base *base, void *arg)
{
	struct timeval	 tv = { EXPIRE_INTERVAL_S, 0 }, one = { 1, 0 };

	auth_init(&webd.auth);
	live_init(&webd.live);
	webd.srv.auth = &webd.auth;
	webd.srv.store_hash = store_hash;
	webd.srv.random = web_random;
	webd.srv.save_sessions = webd_save_sessions;
	capture_map(&webd.srv);
	load_password();
	load_sessions();
	ask_init(parent_answer);
	event_assign(&ev_tick, base, -1, EV_PERSIST, tick, NULL);
	event_add(&ev_tick, &one);

	if ((webd.names = malloc(sizeof(*webd.names))) == NULL)
		fatal("names table");
	names_init(webd.names);
	webd.dnsd_chan = proto_chan_new(base, FD_WEBD_DNSD, PEER_WEBD,
	    PEER_DNSD, dnsd_msg, dnsd_closed, NULL);
	if (webd.dnsd_chan == NULL)
		fatal("dnsd channel");
	event_assign(&ev_expire, base, -1, EV_PERSIST, expire_tick, NULL);
	event_add(&ev_expire, &tv);
	drain_init(base);
	pcapctl_init(base);
}

int
main(int argc, char **argv)
{
	/* Not static: the handler count is ctl.c's, not a constant here. */
	const struct child_spec spec = {
		.peer = PEER_WEBD,
		.init = webd_init,
		.status = webd_status,
		.config = webd_config,
		.parent_msg = ask_parent_msg,
		.handlers = webd_handlers,
		.nhandlers = webd_nhandlers,
	};

	child_main(argc, argv, &spec);
}
