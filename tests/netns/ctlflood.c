/*
 * A control-socket client that misbehaves (tests/netns/control.sh):
 *
 *   ctlflood SOCK repeat N      one connection, N "status" requests, no
 *                               reply ever read; prints "closed after K"
 *                               when the parent hangs up, else "sent N"
 *   ctlflood SOCK conns N SECS  N connections, a request on each, nothing
 *                               read; after SECS prints "open K" (how many
 *                               the parent kept)
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "proto.h"

static int
connect_to(const char *path, int must)
{
	struct sockaddr_un sun;
	int		 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (!must) {
			if (fd != -1)
				close(fd);
			return -1;
		}
		perror(path);
		exit(1);
	}
	return fd;
}

static int
ask_status(int fd)
{
	static struct msg_ctl_request req;

	req.argc = 1;
	strcpy(req.argv[0], "status");
	return proto_send_sync(fd, PEER_GKCTL, MSG_CTL_REQUEST, &req,
	    sizeof(req));
}

/* Closed by the peer: EOF once what it sent is read, or a reset. */
static int
peer_closed(int fd)
{
	char	 buf[PROTO_MAX_MSG];
	ssize_t	 n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return 1;
		if (n == -1)
			return errno != EAGAIN && errno != EWOULDBLOCK;
	}
}

int
main(int argc, char **argv)
{
	int	 i, n, fd, *fds, open_;

	signal(SIGPIPE, SIG_IGN);
	if (argc >= 4 && strcmp(argv[2], "repeat") == 0) {
		n = atoi(argv[3]);
		fd = connect_to(argv[1], 1);
		for (i = 0; i < n; i++)
			if (ask_status(fd) == -1) {
				printf("closed after %d\n", i);
				return 0;
			}
		printf("sent %d\n", n);
		return 0;
	}
	if (argc >= 5 && strcmp(argv[2], "conns") == 0) {
		n = atoi(argv[3]);
		if (n <= 0 || (fds = calloc((size_t)n, sizeof(*fds))) == NULL)
			return 1;
		for (i = 0; i < n; i++) {
			if ((fds[i] = connect_to(argv[1], 0)) != -1)
				ask_status(fds[i]);
		}
		sleep((unsigned)atoi(argv[4]));
		for (open_ = 0, i = 0; i < n; i++)
			open_ += fds[i] != -1 && !peer_closed(fds[i]);
		printf("open %d\n", open_);
		free(fds);
		return 0;
	}
	fprintf(stderr, "usage: ctlflood SOCK repeat N | conns N SECS\n");
	return 2;
}
