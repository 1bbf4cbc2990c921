/*
 * Handing a child its descriptors: placing them at the table's numbers,
 * and, under systemd, sending them over the children socket.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "handover.h"
#include "proto.h"

/* Above every number a child expects: lifted sources land here. */
#define LIFT_MIN	64

int
handover_place(const int *src, int n)
{
	int	 lifted[1 + LAYOUT_MAX_FDS], i, saved;

	if (n < 0 || n > 1 + LAYOUT_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((lifted[i] = fcntl(src[i], F_DUPFD_CLOEXEC, LIFT_MIN)) ==
		    -1)
			goto fail;
	for (i = 0; i < n; i++)
		if (dup2(lifted[i], FD_PARENT + i) == -1) {
			i = n;
			goto fail;
		}
	for (i = 0; i < n; i++)
		close(lifted[i]);
	return 0;
fail:
	saved = errno;
	while (i-- > 0)
		close(lifted[i]);
	errno = saved;
	return -1;
}

union fd_cmsg {
	struct cmsghdr	hdr;
	char		buf[CMSG_SPACE(LAYOUT_MAX_FDS * sizeof(int))];
};

/* One datagram of buf's bytes with cmsg's room for descriptors. */
static void
msghdr_init(struct msghdr *mh, struct iovec *iov, void *buf, size_t len,
    union fd_cmsg *cmsg)
{
	memset(mh, 0, sizeof(*mh));
	memset(cmsg, 0, sizeof(*cmsg));
	iov->iov_base = buf;
	iov->iov_len = len;
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
	mh->msg_control = cmsg->buf;
	mh->msg_controllen = sizeof(cmsg->buf);
}

int
handover_send(int sock, uint32_t peer, const int *fds, int nfds)
{
	uint8_t		 buf[PROTO_HDR_SIZE + sizeof(struct msg_child_fds)];
	struct msg_child_fds mf = { .peer = peer, .nfds = (uint32_t)nfds };
	struct proto_hdr hdr;
	union fd_cmsg	 cmsg;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;

	if (nfds < 1 || nfds > LAYOUT_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	proto_hdr_init(&hdr, MSG_CHILD_FDS, sizeof(mf), PEER_PARENT);
	memcpy(buf, &hdr, PROTO_HDR_SIZE);
	memcpy(buf + PROTO_HDR_SIZE, &mf, sizeof(mf));
	msghdr_init(&mh, &iov, buf, sizeof(buf), &cmsg);
	mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == -1 ? -1 : 0;
}

/* Takes the descriptors out of the control data, at most max. */
static int
take_fds(struct msghdr *mh, int *fds, int max, int *extra)
{
	struct cmsghdr	*cm;
	int		 n = 0, k, i, fd;

	*extra = 0;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
			if (n < max)
				fds[n++] = fd;
			else {
				close(fd);
				(*extra)++;
			}
		}
	}
	return n;
}

const char *
handover_recv(int sock, uint32_t peer, int *fds, int nfds)
{
	uint8_t		 buf[PROTO_MAX_MSG];
	struct msg_child_fds mf;
	struct proto_msg msg;
	union fd_cmsg	 cmsg;
	struct msghdr	 mh;
	struct iovec	 iov;
	const char	*why = NULL;
	ssize_t		 n;
	int		 got, extra, i;

	if (nfds < 1 || nfds > LAYOUT_MAX_FDS)
		return "bad descriptor count";
	msghdr_init(&mh, &iov, buf, sizeof(buf), &cmsg);
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return "receive failed";
	if (n == 0)
		return "closed by gatekeeperd without descriptors (refused: "
		    "not this daemon's user, or a copy of it runs already)";
	got = take_fds(&mh, fds, nfds, &extra);
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		why = "truncated message";
	else if ((why = proto_decode(buf, (size_t)n, &msg)) != NULL)
		;
	else if (msg.hdr.type != MSG_CHILD_FDS ||
	    msg.hdr.peerid != PEER_PARENT)
		why = "not a descriptor handover from gatekeeperd";
	else {
		memcpy(&mf, msg.data, sizeof(mf));
		if (mf.peer != peer)
			why = "gatekeeperd took this user for another child";
		else if (mf.nfds != (uint32_t)nfds || got != nfds ||
		    extra != 0)
			why = "wrong number of descriptors";
	}
	if (why != NULL)
		for (i = 0; i < got; i++)
			close(fds[i]);
	return why;
}
