/*
 * bench/dns/floor: the kernel's share of a cached answer, measured. A UDP
 * responder that does no DNS work at all: it takes queries in batches
 * (epoll_wait, recvmmsg of 64, a nap under load, as dnsd does) and
 * sends each back as a response with the question and one fixed A record
 * (sendmmsg). No parsing beyond the question's end, no cache, no log.
 * What it costs per query is about what any server on plain UDP sockets
 * pays at the least (not strictly: how many queries a wakeup finds
 * depends on the server's pace against the client's). Not a DNS server:
 * the bench only, in its own namespace.
 *
 * Usage: floor ADDRESS   (port 53; runs until killed)
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* dnsd.c's UDP_BATCH, UDP_ROUNDS, UDP_NAP_MIN, UDP_LOAD_US, UDP_STREAK
 * and UDP_NAP_NS, which bench/dns/run reads from there and passes as -D. */
#if !defined(BATCH) || !defined(ROUNDS) || !defined(NAP_MIN) || \
    !defined(LOAD_US) || !defined(STREAK) || !defined(NAP_NS)
#error "build it with bench/dns/run: it takes dnsd's batch and nap figures"
#endif
#define QMAX	512

static const unsigned char rr_a[] = {
	0xc0, 12,		/* the question's name */
	0, 1, 0, 1,		/* A IN */
	0, 0, 0x0e, 0x10,	/* TTL 3600 */
	0, 4, 198, 51, 0, 1,
};

static struct mmsghdr	 rm[BATCH], sm[BATCH];
static struct iovec	 ri[BATCH], si[BATCH];
static struct sockaddr_in from[BATCH];
static unsigned char	 rb[BATCH][QMAX], sb[BATCH][QMAX + sizeof(rr_a)];

/* The response to query q (len bytes) into out; 0 when not a query. */
static size_t
respond(const unsigned char *q, size_t len, unsigned char *out)
{
	size_t	 o = 12;

	if (len < 12 || (q[2] & 0x80))
		return 0;
	while (o < len && q[o] != 0)
		o += 1 + (size_t)q[o];
	if (o + 5 > len)
		return 0;
	o += 5;			/* root label, type, class */
	memcpy(out, q, o);
	out[2] = 0x80 | (q[2] & 0x01);	/* QR, RD copied */
	out[3] = 0x80;			/* RA, NOERROR */
	out[6] = 0;
	out[7] = 1;			/* one answer */
	memset(out + 8, 0, 4);		/* no authority, no additional */
	memcpy(out + o, rr_a, sizeof(rr_a));
	return o + sizeof(rr_a);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	static const struct timespec nap = { 0, NAP_NS };
	struct timespec loaded = { 0, 0 };
	int	 fd, ep, i, n, k, round, got, sustained, streak = 0;

	if (argc != 2)
		errx(1, "usage: floor ADDRESS");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1)
		errx(1, "%s: not an IPv4 address", argv[1]);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		err(1, "socket");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind %s", argv[1]);
	if ((ep = epoll_create1(0)) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		err(1, "epoll");
	for (i = 0; i < BATCH; i++) {
		ri[i].iov_base = rb[i];
		ri[i].iov_len = sizeof(rb[i]);
		rm[i].msg_hdr.msg_iov = &ri[i];
		rm[i].msg_hdr.msg_iovlen = 1;
		rm[i].msg_hdr.msg_name = &from[i];
		si[i].iov_base = sb[i];
		sm[i].msg_hdr.msg_iov = &si[i];
		sm[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		if (epoll_wait(ep, &out, 1, -1) == -1)
			continue;
		/* dnsd's udp_read: full batches at once, a nap under load */
		if (mono_since(&loaded) * 1e6 >= LOAD_US)
			streak = 0;
		sustained = streak >= STREAK;
		for (round = 0, got = 0; round < ROUNDS; round++) {
			for (i = 0; i < BATCH; i++)
				rm[i].msg_hdr.msg_namelen = sizeof(from[i]);
			if ((n = recvmmsg(fd, rm, BATCH, MSG_DONTWAIT,
			    NULL)) <= 0)
				break;
			for (i = 0, k = 0; i < n; i++) {
				si[k].iov_len = respond(rb[i], rm[i].msg_len,
				    sb[k]);
				if (si[k].iov_len == 0)
					continue;
				sm[k].msg_hdr.msg_name = &from[i];
				sm[k].msg_hdr.msg_namelen = sizeof(from[i]);
				k++;
			}
			if (k > 0)
				sendmmsg(fd, sm, (unsigned int)k, MSG_DONTWAIT);
			got += n;
			if (n == BATCH)
				continue;
			if (got < NAP_MIN || !sustained || round == ROUNDS - 1)
				break;
			nanosleep(&nap, NULL);
		}
		if (got >= NAP_MIN) {
			mono_now(&loaded);
			if (streak < STREAK)
				streak++;
		} else
			streak = 0;
	}
}
