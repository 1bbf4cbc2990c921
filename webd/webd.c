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
#include <time.h>
#include <unistd.h>

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
#define DEVICES_SAVE_S		60	/* last-seen times, at most so old */
#define CLIENTS_POLL_S		5	/* dhcpd's leases into the registry */
/* Files at the root of webd's chroot, its state dir. */
#define PASSWORD_FILE		"password"
#define SESSIONS_FILE		"sessions"
/* Request ids with this bit are /api/live's, the rest the web API's. */
#define LIVE_ID			0x80000000U

struct webd		 webd;
static struct event	 ev_expire, ev_tick, ev_frame;

static void
dnsd_msg(struct proto_chan *c, struct proto_msg *msg, void *arg)
{
	static struct msg_dns_obs m;
	struct msg_dns_ptr	 ptr;

	if (msg->hdr.type == MSG_DNS_PTR) {
		memcpy(&ptr, msg->data, sizeof(ptr));
		names_ptr_answer(webd.names, &ptr, mono_s());
		return;
	}
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

const char *
webd_remote_name(struct in_addr client, uint32_t remote)
{
	struct msg_dns_ptr m;
	const char	*name;
	int		 ask;

	name = names_remote(webd.names, client, remote, mono_s(), &ask);
	if (!ask)
		return name;
	memset(&m, 0, sizeof(m));
	m.addr.s_addr = remote;
	m.status = DNS_PTR_ASK;
	if (webd.dnsd_chan == NULL || proto_chan_send_now(webd.dnsd_chan,
	    MSG_DNS_PTR_REQ, &m, sizeof(m)) == -1) {
		/* not asked after all: counted failed, asked again later */
		m.status = DNS_PTR_FAILED;
		names_ptr_answer(webd.names, &m, mono_s());
	}
	return NULL;
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

/* ---- the device registry and the vendors ---- */

void
webd_save_devices(void)
{
	uint8_t	*buf;
	size_t	 len = devices_save_size(webd.devices);

	if ((buf = malloc(len)) == NULL)
		return;
	devices_save(webd.devices, buf, wall_ms());
	if (file_replace(DEVICES_FILE, buf, len) == -1) {
		log_warn("%s", DEVICES_FILE);
		webd.devices_save_failures++;
	} else
		webd.devices->dirty = 0;
	free(buf);
	webd.devices_saved = mono_s();
}

/* A file that does not validate is kept aside for a look, reported,
 * and rebuilt: from the history now, from what is seen after. */
static void
load_devices(void)
{
	size_t	 max = devices_save_size(webd.devices) + 1, len;
	uint8_t	*buf;

	max += DEVICES_MAX * (max + 1024);	/* room for a full file */
	if ((buf = malloc(max)) == NULL)
		fatal("devices");
	if (file_read(DEVICES_FILE, buf, max, &len) == -1) {
		if (errno != ENOENT)
			log_warn("%s: the device registry starts afresh",
			    DEVICES_FILE);
	} else if (devices_load(webd.devices, buf, len, wall_ms()) == -1) {
		log_warnx("%s: not a device registry (%zu bytes), kept as "
		    "%s.corrupt; rebuilt from the traffic history and what "
		    "is seen from now", DEVICES_FILE, len, DEVICES_FILE);
		(void)file_replace(DEVICES_FILE ".corrupt", buf, len);
	} else if (webd.devices->st.load_bad > 0)
		log_warnx("%s: %llu bad records dropped", DEVICES_FILE,
		    (unsigned long long)webd.devices->st.load_bad);
	log_info("device registry: %d devices", webd.devices->n);
	free(buf);
}

/*
 * The OUI table, through the descriptor the parent opened (we are
 * chrooted): read whole with pread (the parent's offset is shared),
 * parsed, and the descriptor closed. Run from the event loop just after
 * the hello: parsing 5 MB takes long enough (half a second under the
 * sanitizers) to keep a restarted webd from being back within a second,
 * and a vendor missing from the first answers is no loss.
 */
static void
load_oui(evutil_socket_t fd, short what, void *arg)
{
	struct stat	 st;
	char		*buf;
	size_t		 got = 0;
	ssize_t		 n;
	uint64_t	 t0 = mono_ms();
	long		 count;

	if (fstat(FD_WEBD_OUI, &st) == -1 || st.st_size <= 0 ||
	    (uint64_t)st.st_size > OUI_FILE_MAX) {
		log_warnx("%s: empty or too big; device vendors are unknown",
		    OUI_PATH);
		close(FD_WEBD_OUI);
		return;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL)
		fatal("OUI table");
	while (got < (size_t)st.st_size && (n = pread(FD_WEBD_OUI,
	    buf + got, (size_t)st.st_size - got, (off_t)got)) > 0)
		got += (size_t)n;
	close(FD_WEBD_OUI);
	count = oui_load(&webd.oui, buf, got);
	free(buf);
	log_info("%s: %ld vendor prefixes (%zu bytes of names) in %llu ms",
	    OUI_PATH, count, webd.oui.names_len,
	    (unsigned long long)(mono_ms() - t0));
}

/* Local midnight today, in wall ms (the zone was read before the
 * chroot: main() calls tzset()). */
static uint64_t
local_midnight(void)
{
	time_t		 now = time(NULL), mid;
	struct tm	 tm;

	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	mid = mktime(&tm);
	return mid > 0 ? (uint64_t)mid * 1000 : 0;
}

static void
devices_tick(void)
{
	struct devices	*t = webd.devices;

	devices_new_day(t, local_midnight());
	if (t->dirty == 1 || (t->dirty == 2 &&
	    mono_s() - webd.devices_saved >= DEVICES_SAVE_S))
		webd_save_devices();
}

static void
web_random(void *buf, size_t n)
{
	arc4random_buf(buf, n);
}

/* ---- answers from the parent ---- */

/* The `clients` reply: the hostnames live frames give new devices. */
static void
live_answer(int ok, const char *text)
{
	json_t	*reply;

	webd.live_asked = 0;
	if (!ok)
		return;
	if ((reply = json_loads(text, 0, NULL)) != NULL) {
		devices_observe_clients(webd.devices, reply);
		json_decref(reply);
	}
	(void)live_hosts(&webd.live, text);
}

static void
parent_answer(uint32_t id, int ok, const char *text)
{
	if (id & LIVE_ID)
		live_answer(ok, text);
	else
		http_relay_reply(id, ok, text);
}

/*
 * The next frame's timer, on a fixed schedule (a timer re-armed after
 * each run would drift by the run's own time and the loop's delays):
 * 10 frames a second on average. A loop so late that the next frame
 * would come less than half a frame after this one moves the schedule
 * instead: two frames back to back would carry the same "t" (the coarse
 * wall clock) and a dashboard drops a frame whose time did not advance,
 * its bytes with it (bench/telemetry's clients caught it under load).
 */
static void
frame_arm(void)
{
	static uint64_t	 due;
	struct timeval	 tv;
	uint64_t	 now = mono_ms(), wait;

	due = due == 0 ? now + LIVE_FRAME_MS : due + LIVE_FRAME_MS;
	if (due < now + LIVE_FRAME_MS / 2)
		due = now + LIVE_FRAME_MS / 2;
	wait = due - now;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	event_add(&ev_frame, &tv);
}

/*
 * Every LIVE_FRAME_MS: the ring drained up to now, the interval closed
 * as a frame, the frame to every WebSocket. With nobody listening only
 * the counts move on (no text is built). An idle network still gets a
 * frame every 100 ms with empty lists: the dashboard's clock.
 */
static void
frame_tick(evutil_socket_t fd, short what, void *arg)
{
	int	 listening = ws_count() > 0;

	frame_arm();
	drain_now();
	if (live_close(&webd.live, wall_ms(), listening) == 0 && listening)
		ws_frame();
}

/* The live frames' names: the one the device resolved, else the PTR. */
static const char *
live_name(void *arg, const uint8_t mac[6], uint32_t lan_ip, uint32_t remote)
{
	struct in_addr	 client = { lan_ip };

	return webd_remote_name(client, remote);
}

/* A device is new to the live frames when the registry, which outlives
 * restarts and holds the history's devices too, has never seen it. */
static int
live_known(void *arg, const uint8_t mac[6])
{
	return devices_find(webd.devices, mac) != NULL;
}

/*
 * Exhaustion, said in the log at most once a minute per cause (the
 * counters, in gkctl -j status, rise per request): how many since the
 * last report.
 */
static void
report_exhaustion(void)
{
	static struct log_due conns, sessions, accepts;
	uint32_t	 now = mono_s();
	uint64_t	 k;

	if ((k = log_due(&conns, http_stats()->refused_conns, now, 60)) > 0)
		log_warnx("web: %llu requests refused with 429: their source "
		    "holds its %d connections or WebSockets (refused_conns); "
		    "other sources are served", (unsigned long long)k,
		    HTTP_CONNS_PER_SOURCE);
	if ((k = log_due(&accepts, http_stats()->accept_paused, now, 60)) > 0)
		log_warnx("web: new connections paused %llu times: no "
		    "descriptor left for accept() (accept_paused); idle ones "
		    "end within %d s", (unsigned long long)k, HTTP_TIMEOUT_S);
	if ((k = log_due(&sessions, webd.auth.st.evicted, now, 60)) > 0)
		log_warnx("web: %llu sessions ended by newer logins: %d at "
		    "most, the oldest goes (auth.evicted)",
		    (unsigned long long)k, AUTH_SESSIONS_MAX);
}

static const char *
live_vendor(void *arg, const uint8_t mac[6])
{
	return oui_vendor(&webd.oui, mac);
}

/* Once a second: dhcpd's leases for the live frames' hostnames and the
 * device registry (through the parent; every CLIENTS_POLL_S with no
 * WebSocket open), pings, the sessions' last use and the registry saved. */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
	static uint32_t		 live_id;
	struct msg_ctl_request	 req;

	ws_tick();
	if (!webd.live_asked && (ws_count() > 0 ||
	    mono_s() - webd.clients_asked >= CLIENTS_POLL_S)) {
		webd.clients_asked = mono_s();
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
	devices_tick();
	report_exhaustion();
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
	struct timeval	 now = { 0, 0 };
	const struct live_ops ops = { live_name, live_known, live_vendor,
	    NULL };

	auth_init(&webd.auth);
	live_init(&webd.live, &ops);
	ws_init(&webd.live);
	webd.srv.auth = &webd.auth;
	webd.srv.store_hash = store_hash;
	webd.srv.random = web_random;
	webd.srv.save_sessions = webd_save_sessions;
	webd.srv.fresh = drain_now;
	capture_map(&webd.srv);
	load_password();
	load_sessions();
	if ((webd.devices = malloc(sizeof(*webd.devices))) == NULL)
		fatal("device registry");
	devices_init(webd.devices);
	load_devices();
	if (event_base_once(base, -1, EV_TIMEOUT, load_oui, NULL, &now) == -1)
		fatalx("event_base_once");
	webd.srv.devices = webd.devices;
	webd.srv.oui = &webd.oui;
	webd.srv.save_devices = webd_save_devices;
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
	devices_new_day(webd.devices, local_midnight());
	drain_today(webd.devices, webd.devices->day_ms);
	if (webd.devices->dirty)
		webd_save_devices();
	event_assign(&ev_frame, base, -1, 0, frame_tick, NULL);
	frame_arm();
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

	/*
	 * The local zone, read while /etc/localtime is in
	 * reach (child_main() chroots): "today" and the daily totals are per
	 * local date. With TZ unset, glibc's mktime() would look for the file
	 * again on every call, find nothing in the chroot and fall back to
	 * UTC; a TZ naming it is read once.
	 */
	if (getenv("TZ") == NULL)
		setenv("TZ", ":/etc/localtime", 1);
	tzset();
	child_main(argc, argv, &spec);
}
