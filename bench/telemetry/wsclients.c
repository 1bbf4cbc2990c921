/*
 * bench/telemetry's /api/live clients: N WebSockets held by one process
 * (poll; wslay's client side for the framing, masks, pings and close;
 * the upgrade by hand, its Sec-WebSocket-Accept checked with webd's own
 * web_ws_accept), so that the load generator costs the machine little
 * and can be pinned to one CPU and told apart from the router.
 *
 * Each client does what the dashboard does (webd/www/app.js): it
 * subscribes once, then reads every frame and parses it as JSON. It
 * also checks each frame, so the clients are known to be live: a JSON
 * object whose "t" grows, "devices" and "new" arrays, "remotes" an
 * object holding only subscribed devices. Per client it counts frames,
 * gaps (two frames more than GAP_MS apart in "t": a frame coalesced or
 * skipped) and the bytes of the first subscribed device in "devices".
 *
 * usage: telemetry-wsclients COOKIE N SECS DIR SRC[,SRC...] MAC...
 *   N clients to ws://10.42.0.1/api/live, the sources' addresses by
 *   turns (webd takes 16 connections per source), each subscribed to
 *   the MACs. DIR/ready is made once every client has had a frame; the
 *   clients stop after SECS or once DIR/stop exists.
 *   SIGUSR1 prints a line "mark ..." for the time since the previous
 *   mark (or the start): frames per client per second (min, mean, max),
 *   gaps, the first MAC's bytes per client (min, max), bad frames.
 *   At the end: the same over the whole run, per client too.
 *   Exit status 1 when a client failed or a frame was bad.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <resolv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <wslay/wslay.h>

#include "conf.h"
#include "util.h"
#include "web.h"

#define ROUTER		"10.42.0.1"
#define CLIENTS_MAX	64
#define MACS_MAX	8
#define GAP_MS		250	/* frames are 100 ms apart in "t" */
#define HEAD_MAX	4096

struct count {
	uint64_t	 frames;
	uint64_t	 gaps;
	uint64_t	 bytes;		/* the first MAC's, up + down */
};

struct client {
	int		 fd;
	int		 id;
	int		 dead;
	wslay_event_context_ptr ctx;
	uint8_t		 left[HEAD_MAX];	/* read past the 101's head */
	size_t		 nleft, offleft;
	uint64_t	 last_t;
	struct count	 all, mark;	/* since the start, the last mark */
};

static struct client	 cl[CLIENTS_MAX];
static int		 nclients;
static char		 macs[MACS_MAX][MAC_STR_SIZE];
static int		 nmacs;
static uint64_t		 bad;
static volatile sig_atomic_t marked;

static void
on_usr1(int sig)
{
	marked = 1;
}

/* ---- the frames ---- */

static int
is_subscribed(const char *mac)
{
	int	 i;

	for (i = 0; i < nmacs; i++)
		if (strcasecmp(mac, macs[i]) == 0)
			return 1;
	return 0;
}

/* One frame, as the dashboard's onFrame reads it; -1 when it is not one. */
static int
frame_check(struct client *c, const char *text, size_t len)
{
	json_t		*f, *devs, *rem, *nw, *d, *v;
	const char	*key, *mac;
	json_error_t	 err;
	json_int_t	 t = 0;
	uint64_t	 bytes = 0;
	size_t		 i;
	int		 ok = 0;
	const char	*why = "fields";

	if ((f = json_loadb(text, len, 0, &err)) == NULL) {
		fprintf(stderr, "client %d: not JSON: %s\n", c->id, err.text);
		return -1;
	}
	if (!json_is_integer(v = json_object_get(f, "t")) ||
	    (t = json_integer_value(v)) <= 0)
		goto out;
	if ((uint64_t)t <= c->last_t) {
		why = "t not after the last frame's";
		goto out;
	}
	if (!json_is_array(devs = json_object_get(f, "devices")) ||
	    !json_is_array(nw = json_object_get(f, "new")) ||
	    !json_is_object(rem = json_object_get(f, "remotes")))
		goto out;
	why = "remotes of a device not subscribed";
	json_object_foreach(rem, key, v)
		if (!is_subscribed(key) || !json_is_array(v))
			goto out;
	why = "devices";
	json_array_foreach(devs, i, d) {
		if ((mac = json_string_value(json_object_get(d, "mac"))) ==
		    NULL || !json_is_integer(json_object_get(d, "up")) ||
		    !json_is_integer(json_object_get(d, "down")))
			goto out;
		if (strcasecmp(mac, macs[0]) == 0)
			bytes += (uint64_t)json_integer_value(
			    json_object_get(d, "up")) +
			    (uint64_t)json_integer_value(
			    json_object_get(d, "down"));
	}
	if (c->last_t != 0 && (uint64_t)t - c->last_t > GAP_MS) {
		c->all.gaps++;
		c->mark.gaps++;
	}
	c->last_t = (uint64_t)t;
	c->all.frames++;
	c->mark.frames++;
	c->all.bytes += bytes;
	c->mark.bytes += bytes;
	ok = 1;
out:
	json_decref(f);
	if (!ok)
		fprintf(stderr, "client %d: not a live frame (%s; t %lld, the "
		    "last %llu): %.200s\n", c->id, why, (long long)t,
		    (unsigned long long)c->last_t, text);
	return ok ? 0 : -1;
}

/* ---- wslay ---- */

static ssize_t
recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	struct client	*c = arg;
	ssize_t		 n;

	if (c->offleft < c->nleft) {
		n = (ssize_t)(c->nleft - c->offleft < len ?
		    c->nleft - c->offleft : len);
		memcpy(buf, c->left + c->offleft, (size_t)n);
		c->offleft += (size_t)n;
		return n;
	}
	while ((n = recv(c->fd, buf, len, 0)) == -1 && errno == EINTR)
		;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (n <= 0) {
		if (n == 0)
			fprintf(stderr, "client %d: closed by the router\n",
			    c->id);
		else
			fprintf(stderr, "client %d: recv: %s\n", c->id,
			    strerror(errno));
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static ssize_t
send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct client	*c = arg;
	ssize_t		 n;

	while ((n = send(c->fd, data, len, MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR)
		;
	if (n == -1) {
		wslay_event_set_error(ctx, errno == EAGAIN ||
		    errno == EWOULDBLOCK ? WSLAY_ERR_WOULDBLOCK :
		    WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static int
genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *arg)
{
	arc4random_buf(buf, len);
	return 0;
}

static void
msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	struct client	*c = arg;

	if (m->opcode == WSLAY_CONNECTION_CLOSE) {
		fprintf(stderr, "client %d: the router closed with %u\n",
		    c->id, m->status_code);
		return;
	}
	if (m->opcode != WSLAY_TEXT_FRAME)
		return;
	if (frame_check(c, (const char *)m->msg, m->msg_length) == -1)
		bad++;
}

/* ---- the upgrade ---- */

/* A TCP connection from src to the router's port 80, blocking for now. */
static int
dial(const char *src)
{
	struct sockaddr_in	 a;
	struct timeval		 tv = { 10, 0 };
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	if (inet_pton(AF_INET, src, &a.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1)
		goto fail;
	a.sin_port = htons(80);
	if (inet_pton(AF_INET, ROUTER, &a.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* The upgrade on c->fd; what came after the head is kept in c->left. */
static int
upgrade(struct client *c, const char *cookie)
{
	uint8_t		 raw[16];
	char		 key[32], want[32], req[1024], *end, *p;
	size_t		 n = 0;
	ssize_t		 r;
	int		 len;

	arc4random_buf(raw, sizeof(raw));
	if (b64_ntop(raw, sizeof(raw), key, sizeof(key)) != 24 ||
	    web_ws_accept(key, want) == -1)
		return -1;
	len = snprintf(req, sizeof(req), "GET /api/live HTTP/1.1\r\n"
	    "Host: " ROUTER "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
	    "Origin: http://" ROUTER "\r\nCookie: %s\r\n\r\n", key, cookie);
	if (len < 0 || (size_t)len >= sizeof(req) ||
	    send(c->fd, req, (size_t)len, MSG_NOSIGNAL) != len)
		return -1;
	for (;;) {
		if (n == sizeof(c->left) - 1)
			return -1;
		if ((r = recv(c->fd, c->left + n, sizeof(c->left) - 1 - n,
		    0)) <= 0)
			return -1;
		n += (size_t)r;
		c->left[n] = '\0';
		if ((end = strstr((char *)c->left, "\r\n\r\n")) != NULL)
			break;
	}
	*end = '\0';
	if (strncmp((char *)c->left, "HTTP/1.1 101 ", 13) != 0 ||
	    (p = strcasestr((char *)c->left, "\r\nSec-WebSocket-Accept: ")) ==
	    NULL || strncmp(p + 24, want, strlen(want)) != 0) {
		fprintf(stderr, "client %d: not upgraded: %.200s\n", c->id,
		    (char *)c->left);
		return -1;
	}
	c->offleft = (size_t)(end + 4 - (char *)c->left);
	c->nleft = n;
	return 0;
}

static int
client_open(struct client *c, const char *cookie, const char *src)
{
	struct wslay_event_callbacks cb = {
		recv_cb, send_cb, genmask_cb, NULL, NULL, NULL, msg_cb
	};
	struct wslay_event_msg	 m;
	char			 sub[256];
	int			 i, len;

	if ((c->fd = dial(src)) == -1 || upgrade(c, cookie) == -1 ||
	    fcntl(c->fd, F_SETFL, O_NONBLOCK) == -1 ||
	    wslay_event_context_client_init(&c->ctx, &cb, c) != 0)
		return -1;
	wslay_event_config_set_max_recv_msg_length(c->ctx, 1 << 20);
	/* as app.js: JSON.stringify({ subscribe: macs }) */
	len = snprintf(sub, sizeof(sub), "{\"subscribe\":[");
	for (i = 0; i < nmacs; i++)
		len += snprintf(sub + len, sizeof(sub) - (size_t)len,
		    "%s\"%s\"", i ? "," : "", macs[i]);
	len += snprintf(sub + len, sizeof(sub) - (size_t)len, "]}");
	m.opcode = WSLAY_TEXT_FRAME;
	m.msg = (const uint8_t *)sub;
	m.msg_length = (size_t)len;
	return wslay_event_queue_msg(c->ctx, &m) == 0 &&
	    wslay_event_send(c->ctx) == 0 ? 0 : -1;
}

/* ---- the figures ---- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Frames per client per second (min, mean, max), gaps, the first MAC's
 * bytes per client: of the counts since the start, or (mark) since the
 * last mark, over secs. */
static void
figures(const char *what, double secs, int mark)
{
	uint64_t	 fr[CLIENTS_MAX], by[CLIENTS_MAX], gaps = 0, sum = 0;
	struct count	*k;
	int		 i, live = 0;

	for (i = 0; i < nclients; i++) {
		k = mark ? &cl[i].mark : &cl[i].all;
		fr[i] = k->frames;
		by[i] = k->bytes;
		gaps += k->gaps;
		sum += k->frames;
		live += !cl[i].dead;
	}
	qsort(fr, (size_t)nclients, sizeof(fr[0]), cmp_u64);
	qsort(by, (size_t)nclients, sizeof(by[0]), cmp_u64);
	printf("%s %.2f s, %d of %d clients open: frames per client per "
	    "second min %.2f mean %.2f max %.2f; gaps over %d ms %llu; "
	    "bytes of %s per client min %llu max %llu; bad frames %llu\n",
	    what, secs, live, nclients, fr[0] / secs,
	    sum / secs / nclients, fr[nclients - 1] / secs, GAP_MS,
	    (unsigned long long)gaps, macs[0], (unsigned long long)by[0],
	    (unsigned long long)by[nclients - 1], (unsigned long long)bad);
	fflush(stdout);
}

static void
mark(double secs)
{
	int	 i;

	figures("mark", secs, 1);
	for (i = 0; i < nclients; i++)
		memset(&cl[i].mark, 0, sizeof(cl[i].mark));
}

/* ---- the loop ---- */

static void
client_step(struct client *c, short revents)
{
	if (c->dead)
		return;
	if ((revents & (POLLIN | POLLERR | POLLHUP)) &&
	    wslay_event_recv(c->ctx) != 0)
		c->dead = 1;
	else if (wslay_event_want_write(c->ctx) &&
	    wslay_event_send(c->ctx) != 0)
		c->dead = 1;
	else if (!wslay_event_want_read(c->ctx) &&
	    !wslay_event_want_write(c->ctx))
		c->dead = 1;
	if (c->dead)
		fprintf(stderr, "client %d: gone after %llu frames\n", c->id,
		    (unsigned long long)c->all.frames);
}

static int
all_ready(void)
{
	int	 i;

	for (i = 0; i < nclients; i++)
		if (cl[i].all.frames == 0)
			return 0;
	return 1;
}

static void
touch(const char *dir, const char *name)
{
	char	 path[4096];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1)
		close(fd);
}

static int
exists(const char *dir, const char *name)
{
	char		 path[4096];
	struct stat	 sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0;
}

static int
run(double secs, const char *dir)
{
	struct pollfd	 pfd[CLIENTS_MAX];
	uint64_t	 start = mono_ms(), last_mark = start, checked = 0, now;
	int		 i, ready = 0, dead = 0;

	for (;;) {
		now = mono_ms();
		if (marked) {
			marked = 0;
			mark((now - last_mark) / 1000.0);
			last_mark = now;
		}
		if (now - start >= (uint64_t)(secs * 1000))
			break;
		if (now - checked >= 100) {
			checked = now;
			if (exists(dir, "stop"))
				break;
			if (!ready && (ready = all_ready()))
				touch(dir, "ready");
		}
		for (i = 0; i < nclients; i++) {
			pfd[i].fd = cl[i].dead ? -1 : cl[i].fd;
			pfd[i].events = POLLIN;
			if (!cl[i].dead && wslay_event_want_write(cl[i].ctx))
				pfd[i].events |= POLLOUT;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)nclients, 100) == -1 && errno != EINTR) {
			perror("poll");
			return -1;
		}
		for (i = 0; i < nclients; i++)
			if (pfd[i].revents != 0)
				client_step(&cl[i], pfd[i].revents);
	}
	figures("all", (mono_ms() - start) / 1000.0, 0);
	for (i = 0; i < nclients; i++) {
		printf("  client %d: %llu frames, %llu gaps, %llu bytes of %s%s\n",
		    i, (unsigned long long)cl[i].all.frames,
		    (unsigned long long)cl[i].all.gaps,
		    (unsigned long long)cl[i].all.bytes, macs[0],
		    cl[i].dead ? ", gone" : "");
		dead += cl[i].dead;
	}
	return dead == 0 && bad == 0 ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	char		*srcs[CLIENTS_MAX], *p;
	uint8_t		 mac[6];
	int		 nsrc = 0, i;
	double		 secs;

	if (argc < 7 || (nclients = atoi(argv[2])) < 1 ||
	    nclients > CLIENTS_MAX || (secs = atof(argv[3])) <= 0 ||
	    argc - 6 > MACS_MAX) {
		fprintf(stderr, "usage: telemetry-wsclients COOKIE N SECS DIR "
		    "SRC[,SRC...] MAC...\n");
		return 2;
	}
	for (p = strtok(argv[5], ","); p != NULL && nsrc < CLIENTS_MAX;
	    p = strtok(NULL, ","))
		srcs[nsrc++] = p;
	for (i = 6; i < argc; i++) {
		if (conf_parse_mac(argv[i], mac) == -1) {
			fprintf(stderr, "not a MAC: %s\n", argv[i]);
			return 2;
		}
		mac_str(mac, macs[nmacs++], MAC_STR_SIZE);
	}
	if (nsrc == 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART: poll returns */
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < nclients; i++) {
		cl[i].id = i;
		if (client_open(&cl[i], argv[1], srcs[i % nsrc]) == -1) {
			fprintf(stderr, "client %d: cannot open from %s: %s\n",
			    i, srcs[i % nsrc], strerror(errno));
			return 1;
		}
	}
	return run(secs, argv[4]) == 0 ? 0 : 1;
}
