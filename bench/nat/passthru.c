/*
 * nat-passthru: the do-nothing nfqueue listener of bench/nat, the ceiling
 * of any NAT on the queue path. It binds a queue the way gatekeeperd
 * binds natd's (copy whole packets, GSO super-packets unsegmented, no
 * fail-open), receives in batches with recvmmsg and hands every packet
 * back with its bytes, as a NAT must, unchanged except that a packet
 * flagged CSUMNOTREADY (its transport checksum only the pseudo-header
 * seed) gets its checksum completed: the kernel treats a packet handed
 * back as final. The verdicts of a batch go out in one sendmsg. It uses
 * natd's own nfqueue parser, verdict batching (natd/verdict.c) and
 * checksum routine, so the comparison is of everything but the
 * translation itself.
 *
 * With a COPY range below 65535 (bench/nat uses 128), packets come cut
 * to their headers and every one goes back with a bare verdict,
 * untouched: the queue's round trip alone, nothing copied back and every
 * offload kept. No NAT can do that (it must hand its rewrite back), so
 * it is the floor under any listener on the queue path, not a
 * competitor.
 *
 * Usage: nat-passthru [QUEUE [MAXLEN [COPY]]]   (default 0, the kernel's
 * queue length, 1024, and 65535; runs until SIGTERM/SIGINT)
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "csum.h"
#include "nfq.h"
#include "verdict.h"

#define BATCH		32
#define BUFSZ		(65536 + 4096)

static uint8_t		 rbuf[BATCH][BUFSZ];
static struct mmsghdr	 rmsg[BATCH];
static struct iovec	 riov[BATCH];
static struct verdicts	 vq;
static uint16_t		 qnum;
static uint32_t		 maxlen;		/* 0: the kernel's default */
static uint32_t		 copy = 0xffff;		/* bytes of each packet */
static int		 bare;			/* verdicts without the packet */
static volatile sig_atomic_t stop;
static unsigned long long npkts, nbatches, nfull;

static void
on_signal(int sig)
{
	stop = 1;
}

static int
talk(int fd, struct nlmsghdr *nlh)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t		 n;
	struct nlmsgerr	*e;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1)
		return -1;
	if ((n = recv(fd, buf, sizeof(buf), 0)) < (ssize_t)NLMSG_HDRLEN)
		return -1;
	nlh = (struct nlmsghdr *)buf;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		e = mnl_nlmsg_get_payload(nlh);
		if (e->error != 0) {
			errno = -e->error;
			return -1;
		}
	}
	return 0;
}

static int
queue_open(void)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr	*nlh;
	int		 fd, size = 8 * 1024 * 1024, one = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		perror("netfilter netlink socket");
		return -1;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, qnum);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	if (talk(fd, nlh) == -1) {
		perror("binding the queue");
		return -1;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, qnum);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, copy);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
	if (maxlen != 0)
		mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(maxlen));
	if (talk(fd, nlh) == -1) {
		perror("queue parameters");
		return -1;
	}
	/* The same buffers natd has: gatekeeperd's receive, natd's send. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1)
		perror("SO_RCVBUFFORCE");
	size = 1024 * 1024;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size)) == -1)
		perror("SO_SNDBUFFORCE");
	/* ENOBUFS on overflow is reported, not fatal. */
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	return fd;
}

/* The transport checksum made complete, as natd does for a seed. */
static void
complete(uint8_t *ip, size_t len)
{
	size_t		 hlen, tot, off;
	uint8_t		*l4;
	uint16_t	 c;
	uint32_t	 s, d;

	if (len < 20 || (ip[0] >> 4) != 4)
		return;
	hlen = (size_t)(ip[0] & 0xf) * 4;
	tot = (size_t)ip[2] << 8 | ip[3];
	if (hlen < 20 || tot > len || tot < hlen + 8 ||
	    (ip[6] & 0x3f) != 0 || ip[7] != 0)
		return;
	l4 = ip + hlen;
	if (ip[9] == IPPROTO_TCP && tot >= hlen + 20)
		off = 16;
	else if (ip[9] == IPPROTO_UDP)
		off = 6;
	else
		return;
	memcpy(&s, ip + 12, 4);
	memcpy(&d, ip + 16, 4);
	c = csum_l4(l4, tot - hlen, off, s, d, ip[9]);
	if (c == 0 && ip[9] == IPPROTO_UDP)
		c = 0xffff;
	memcpy(l4 + off, &c, 2);
	nfull++;
}

static void
verdict(struct nfq_pkt *p)
{
	if (p->payload == NULL || p->caplen != 0 || bare) {
		verdict_add(&vq, p->id, NF_ACCEPT, NULL, 0);
		return;
	}
	if (p->skbinfo & NFQA_SKB_CSUMNOTREADY)
		complete(p->payload, p->len);
	verdict_add(&vq, p->id, NF_ACCEPT, p->payload, p->len);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct nfq_pkt	 pkts[4];
	int		 fd, n, i, j, k;

	if (argc > 1)
		qnum = (uint16_t)strtoul(argv[1], NULL, 10);
	if (argc > 2)
		maxlen = (uint32_t)strtoul(argv[2], NULL, 10);
	if (argc > 3)
		copy = (uint32_t)strtoul(argv[3], NULL, 10);
	if (copy == 0 || copy > 0xffff) {
		fprintf(stderr, "nat-passthru: COPY is 1 to 65535\n");
		return 1;
	}
	bare = copy < 0xffff;
	if ((fd = queue_open()) == -1)
		return 1;
	verdict_init(&vq, fd, qnum);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < BATCH; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = BUFSZ;
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	fprintf(stderr, "nat-passthru: queue %u\n", qnum);
	while (!stop) {
		/* Blocks for the first, then takes what is there. */
		n = recvmmsg(fd, rmsg, BATCH, MSG_WAITFORONE, NULL);
		if (n == -1) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			perror("recvmmsg");
			break;
		}
		nbatches++;
		for (i = 0; i < n; i++) {
			if (rmsg[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			k = nfq_parse(rbuf[i], rmsg[i].msg_len, pkts, 4);
			for (j = 0; j < k; j++) {
				npkts++;
				verdict(&pkts[j]);
			}
			rmsg[i].msg_hdr.msg_flags = 0;
		}
		verdict_flush(&vq);
	}
	fprintf(stderr, "nat-passthru: %llu packets, %llu batches, %llu "
	    "checksums completed, %llu send errors\n", npkts, nbatches, nfull,
	    (unsigned long long)vq.errors);
	return 0;
}
