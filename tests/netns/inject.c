/*
 * Plays a compromised child: takes a copy of a running child's channel to
 * the parent (its fd 3) with pidfd_getfd(2) and sends what the test asks
 * for through it. The parent must kill that child and restart it.
 *
 * usage: inject PID DAEMON garbage|wrong-pid|wrong-type|two-fds
 *        inject PID webd web-request WORD...
 *
 * web-request sends a well-formed MSG_WEBD_REQUEST, as webd would, with
 * the command the words make: the parent must run only the commands the
 * catalogue allows webd, and refuse (and log) the others.
 */
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "proto.h"

static int
send_with_fds(int sock, const void *buf, size_t len, int nfds)
{
	struct msghdr	 mh;
	struct iovec	 iov = { (void *)buf, len };
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	int		 fds[2] = { 0, 1 };

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm.hdr.cmsg_len = CMSG_LEN(nfds * sizeof(int));
		cm.hdr.cmsg_level = SOL_SOCKET;
		cm.hdr.cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(&cm.hdr), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &mh, 0) == -1 ? -1 : 0;
}

static int
web_request(pid_t pid, int argc, char **argv)
{
	struct {
		struct proto_hdr	 hdr;
		struct msg_child_ctl	 cc;
	} m;
	int		 pidfd, chan, i;

	if (argc < 1 || argc > CTL_MAX_ARGS)
		return 2;
	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1 ||
	    (chan = (int)syscall(SYS_pidfd_getfd, pidfd, FD_PARENT, 0)) == -1) {
		fprintf(stderr, "inject: pid %d: %s\n", (int)pid,
		    strerror(errno));
		return 77;
	}
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, MSG_WEBD_REQUEST, sizeof(m.cc), PEER_WEBD);
	m.hdr.pid = (uint32_t)pid;
	m.cc.id = 0x7fff0001;
	m.cc.req.argc = (uint32_t)argc;
	for (i = 0; i < argc; i++)
		snprintf(m.cc.req.argv[i], CTL_ARG_SIZE, "%s", argv[i]);
	if (send_with_fds(chan, &m, sizeof(m), 0) == -1) {
		fprintf(stderr, "inject: send: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct {
		struct proto_hdr hdr;
		struct msg_hello hello;
	} m;
	pid_t		 pid;
	uint32_t	 peer;
	int		 pidfd, chan, rv;

	if (argc < 4) {
		fprintf(stderr, "usage: inject PID DAEMON garbage|wrong-pid|"
		    "wrong-type|two-fds|web-request WORD...\n");
		return 2;
	}
	pid = (pid_t)atoi(argv[1]);
	for (peer = PEER_NATD; peer < PEER_GKCTL; peer++)
		if (strcmp(proto_peer_name(peer), argv[2]) == 0)
			break;
	if (peer == PEER_GKCTL) {
		fprintf(stderr, "inject: no daemon %s\n", argv[2]);
		return 2;
	}
	if (strcmp(argv[3], "web-request") == 0)
		return web_request(pid, argc - 4, argv + 4);
	argv[2] = argv[3];
	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1 ||
	    (chan = (int)syscall(SYS_pidfd_getfd, pidfd, FD_PARENT, 0)) == -1) {
		fprintf(stderr, "inject: pid %d: %s\n", (int)pid,
		    strerror(errno));
		return 77;
	}
	proto_hdr_init(&m.hdr, MSG_HELLO, sizeof(m.hello), peer);
	m.hdr.pid = (uint32_t)pid;
	m.hello.peer = peer;
	m.hello.uid = 0;
	if (strcmp(argv[2], "garbage") == 0) {
		memset(&m, 0xa5, sizeof(m));
		rv = send_with_fds(chan, &m, sizeof(m), 0);
	} else if (strcmp(argv[2], "wrong-pid") == 0) {
		m.hdr.pid = 1;
		rv = send_with_fds(chan, &m, sizeof(m), 0);
	} else if (strcmp(argv[2], "wrong-type") == 0) {
		/* Well-formed, but a child never sends a control reply. */
		m.hdr.type = MSG_CTL_REPLY;
		m.hdr.len = 3;
		memcpy(&m.hello, "{}", 3);
		rv = send_with_fds(chan, &m, sizeof(m.hdr) + 3, 0);
	} else if (strcmp(argv[2], "two-fds") == 0) {
		rv = send_with_fds(chan, &m, sizeof(m), 2);
	} else {
		fprintf(stderr, "inject: unknown mode %s\n", argv[2]);
		return 2;
	}
	if (rv == -1) {
		fprintf(stderr, "inject: send: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
