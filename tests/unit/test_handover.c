/*
 * The descriptor handover (proto/handover.c): a child's descriptors end at
 * the table's numbers whatever numbers they had, the same objects (by
 * inode); a handover meant for another child, with the wrong count, with
 * no descriptor or that is not one at all is refused with every
 * descriptor that came closed.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "check.h"
#include "handover.h"
#include "proto.h"

static ino_t
inode(int fd)
{
	struct stat	 st;

	return fstat(fd, &st) == -1 ? 0 : st.st_ino;
}

static int
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* How many descriptors are open below 256. */
static int
open_count(void)
{
	int	 fd, n = 0;

	for (fd = 0; fd < 256; fd++)
		n += is_open(fd);
	return n;
}

/* Sources that sit on each other's targets: 5 goes to 3, 3 to 4, 4 to 5. */
static void
test_place(void)
{
	int	 src[3] = { 5, 3, 4 }, i, before;
	ino_t	 want[3];

	/* Three different files at 3, 4 and 5. */
	for (i = 0; i < 3; i++) {
		int	 fd = memfd_create("place", MFD_CLOEXEC);

		CHECK(fd != -1 && dup2(fd, 3 + i) == 3 + i);
		if (fd != 3 + i)
			close(fd);
	}
	for (i = 0; i < 3; i++)
		want[i] = inode(src[i]);
	CHECK(want[0] != want[1] && want[1] != want[2]);
	before = open_count();
	CHECK(handover_place(src, 3) == 0);
	for (i = 0; i < 3; i++) {
		CHECK(inode(FD_PARENT + i) == want[i]);
		CHECK((fcntl(FD_PARENT + i, F_GETFD) & FD_CLOEXEC) == 0);
	}
	/* The lifted copies are gone again. */
	CHECK(open_count() == before);
	CHECK(handover_place(src, 1 + LAYOUT_MAX_FDS + 1) == -1 &&
	    errno == EINVAL);
	for (i = 3; i <= 5; i++)
		close(i);
}

static void
test_send_recv(void)
{
	int	 sp[2], fds[3], got[3], i, before;
	ino_t	 want[3];

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == 0);
	for (i = 0; i < 3; i++) {
		fds[i] = memfd_create("handover", 0);
		want[i] = inode(fds[i]);
	}
	CHECK(handover_send(sp[0], PEER_DNSD, fds, 3) == 0);
	CHECK(handover_recv(sp[1], PEER_DNSD, got, 3) == NULL);
	for (i = 0; i < 3; i++) {
		CHECK(inode(got[i]) == want[i]);
		CHECK(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
		close(got[i]);
	}

	/* Meant for another child: refused, and nothing left open. */
	before = open_count();
	CHECK(handover_send(sp[0], PEER_WEBD, fds, 3) == 0);
	CHECK_STR(handover_recv(sp[1], PEER_DNSD, got, 3),
	    "gatekeeperd took this user for another child");
	CHECK(open_count() == before);

	/* Fewer, or more, than the table says. */
	CHECK(handover_send(sp[0], PEER_DNSD, fds, 2) == 0);
	CHECK_STR(handover_recv(sp[1], PEER_DNSD, got, 3),
	    "wrong number of descriptors");
	CHECK(handover_send(sp[0], PEER_DNSD, fds, 3) == 0);
	CHECK_STR(handover_recv(sp[1], PEER_DNSD, got, 2),
	    "wrong number of descriptors");
	CHECK(open_count() == before);

	/* Another message, or the same claim from a child's end. */
	CHECK(proto_send_sync(sp[0], PEER_PARENT, MSG_STATUS_REQ,
	    &(struct msg_status_req){ 1 }, sizeof(struct msg_status_req)) == 0);
	CHECK_STR(handover_recv(sp[1], PEER_DNSD, got, 3),
	    "not a descriptor handover from gatekeeperd");
	{
		uint8_t		 buf[PROTO_HDR_SIZE + sizeof(struct msg_child_fds)];
		struct msg_child_fds mf = { PEER_DNSD, 3 };
		struct proto_hdr hdr;

		proto_hdr_init(&hdr, MSG_CHILD_FDS, sizeof(mf), PEER_DNSD);
		memcpy(buf, &hdr, PROTO_HDR_SIZE);
		memcpy(buf + PROTO_HDR_SIZE, &mf, sizeof(mf));
		CHECK(send(sp[0], buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
		CHECK_STR(handover_recv(sp[1], PEER_DNSD, got, 3),
		    "message type not allowed from this peer");
	}

	/* The parent closing without a word: a refusal. */
	close(sp[0]);
	CHECK(handover_recv(sp[1], PEER_DNSD, got, 3) != NULL);
	CHECK(strstr(handover_recv(sp[1], PEER_DNSD, got, 3), "refused") !=
	    NULL);
	close(sp[1]);
	CHECK(handover_send(-1, PEER_DNSD, fds, 0) == -1 && errno == EINVAL);
	for (i = 0; i < 3; i++)
		close(fds[i]);
}

int
main(void)
{
	test_place();
	test_send_recv();
	return check_result();
}
