/*
 * `gkctl pcap IP|MAC`: the same file as GET /api/pcap, built from a copy
 * of the ring taken now (pcap.c), then written into the pipe gkctl sent
 * with the request (the parent handed it on; commands.h, stream). The
 * pipe is non-blocking and written as gkctl drains it, so webd never
 * waits for it; the reply goes at once and says how many bytes follow,
 * so gkctl can tell a whole file from a cut one. A stream that makes no
 * progress for PCAP_STALL_SECS is cut.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "pcap.h"
#include "pcapctl.h"
#include "util.h"
#include "webd.h"

#define PCAP_STREAMS_MAX	4	/* at once: a ring's copy each */
#define PCAP_STALL_SECS		30

struct pcap_stream {
	struct event	*ev;
	int		 fd;
	uint8_t		*data;
	size_t		 len, off;
};

static struct event_base *base;
static struct pcap_stream streams[PCAP_STREAMS_MAX];

void
pcapctl_init(struct event_base *b)
{
	int	 i;

	base = b;
	for (i = 0; i < PCAP_STREAMS_MAX; i++)
		streams[i].fd = -1;
}

static void
stream_end(struct pcap_stream *s)
{
	event_free(s->ev);
	close(s->fd);
	free(s->data);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static void
stream_write(evutil_socket_t fd, short ev, void *arg)
{
	struct pcap_stream *s = arg;
	ssize_t		 n;

	if (ev & EV_TIMEOUT) {
		log_warnx("gkctl pcap: no progress in %d s, %zu of %zu bytes "
		    "sent", PCAP_STALL_SECS, s->off, s->len);
		stream_end(s);
		return;
	}
	while (s->off < s->len) {
		n = write(s->fd, s->data + s->off, s->len - s->off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;		/* gkctl drains it: called again */
		if (n == -1) {
			/* EPIPE: gkctl went away; it says so itself. */
			stream_end(s);
			return;
		}
		s->off += (size_t)n;
	}
	stream_end(s);
}

json_t *
ctl_pcap(const struct ctl_call *call, char *err, size_t errlen)
{
	struct timeval	 stall = { PCAP_STALL_SECS, 0 };
	struct pcap_stream *s = NULL;
	struct pcap_file f;
	char		 mac[18];
	int		 i, fl;

	if (call->fd == NULL || *call->fd == -1) {
		snprintf(err, errlen, "pcap: no pipe came with the request");
		return NULL;
	}
	for (i = 0; i < PCAP_STREAMS_MAX && s == NULL; i++)
		if (streams[i].fd == -1)
			s = &streams[i];
	if (s == NULL) {
		snprintf(err, errlen, "pcap: %d downloads at once already; "
		    "try again", PCAP_STREAMS_MAX);
		return NULL;
	}
	if (pcap_build(webd.srv.capture, webd.srv.capture_size,
	    call->argv[0], &f, err, errlen) != 200)
		return NULL;
	if ((fl = fcntl(*call->fd, F_GETFL)) == -1 ||
	    fcntl(*call->fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    (s->ev = event_new(base, *call->fd, EV_WRITE | EV_PERSIST,
	    stream_write, s)) == NULL || event_add(s->ev, &stall) == -1) {
		if (s->ev != NULL)
			event_free(s->ev);
		s->ev = NULL;
		free(f.data);
		snprintf(err, errlen, "pcap: cannot write to the pipe");
		return NULL;
	}
	s->fd = *call->fd;
	*call->fd = -1;		/* ours now */
	s->data = f.data;
	s->len = f.len;
	s->off = 0;
	mac_str(f.mac, mac, sizeof(mac));
	return json_pack("{s:s, s:I, s:I}", "mac", mac,
	    "packets", (json_int_t)f.npkts, "bytes", (json_int_t)f.len);
}
