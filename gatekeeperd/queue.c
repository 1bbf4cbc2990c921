/*
 * The nfqueue socket. The parent opens and configures it, keeps it for
 * its whole life and hands a copy to each natd it execs, so packets that
 * arrive while natd restarts wait in the kernel instead of being lost.
 *
 * A plain socket() + bind() rather than a struct mnl_socket: the fd is
 * all that crosses exec, and nothing else needs to stay allocated. libmnl
 * only parses the ACKs, libnetfilter_queue only builds the messages.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "log.h"
#include "netcfg.h"
#include "util.h"

/* Room for a burst while natd is busy or restarting. */
#define QUEUE_RCVBUF	(8 * 1024 * 1024)

static unsigned int queue_seq;

/* UNBIND names the queue: remember which one each open socket bound. */
#define QUEUE_MAX_OPEN	8
static struct {
	int		fd;
	uint16_t	qnum;
} queue_bound[QUEUE_MAX_OPEN];
static int queue_nbound;

static void
queue_remember(int fd, uint16_t qnum)
{
	if (queue_nbound == QUEUE_MAX_OPEN)
		return;		/* close() alone still releases it */
	queue_bound[queue_nbound].fd = fd;
	queue_bound[queue_nbound].qnum = qnum;
	queue_nbound++;
}

static int
queue_forget(int fd)
{
	int	 i, qnum;

	for (i = 0; i < queue_nbound; i++) {
		if (queue_bound[i].fd != fd)
			continue;
		qnum = queue_bound[i].qnum;
		queue_bound[i] = queue_bound[--queue_nbound];
		return qnum;
	}
	return -1;
}

static int
queue_send(int fd, struct nlmsghdr *nlh)
{
	struct sockaddr_nl	 kernel = { .nl_family = AF_NETLINK };
	ssize_t			 n;

	if (queue_seq == 0)
		queue_seq = time(NULL);
	nlh->nlmsg_seq = ++queue_seq;
	n = sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel,
	    sizeof(kernel));
	if (n != (ssize_t)nlh->nlmsg_len) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * Waits for the ACK of the last message. No rule queues to us yet, so
 * nothing but the ACK should arrive; mnl_cb_run skips anything else.
 */
static int
queue_ack(int fd)
{
	struct sockaddr_nl	 sa;
	socklen_t		 salen = sizeof(sa);
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t			 n;
	int			 ret;

	if (getsockname(fd, (struct sockaddr *)&sa, &salen) == -1)
		return -1;
	do {
		if ((n = recv(fd, buf, sizeof(buf), 0)) == -1)
			return -1;
		ret = mnl_cb_run(buf, n, queue_seq, sa.nl_pid, NULL, NULL);
	} while (ret > MNL_CB_STOP);
	return ret == MNL_CB_STOP ? 0 : -1;
}

static int
queue_talk(int fd, struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (queue_send(fd, nlh) == -1)
		return -1;
	return queue_ack(fd);
}

static int
queue_bind(int fd, uint16_t qnum)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, qnum);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	if (queue_talk(fd, nlh) == -1) {
		/* The kernel says EPERM for a queue another socket owns. */
		if (errno == EPERM)
			log_warn("binding queue %u (is another program "
			    "bound to it?)", qnum);
		else
			log_warn("binding queue %u", qnum);
		return -1;
	}
	return 0;
}

/*
 * Whole packets (GSO super-packets unsegmented), and no FAIL_OPEN: if
 * natd falls behind, packets drop rather than cross the router untouched.
 */
#define QUEUE_MAXLEN	8192

static int
queue_params(int fd, uint16_t qnum)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, qnum);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	/* Room for bursts while natd waits for a core (the kernel's
	 * default is 1024); full, the kernel drops: still fail closed. */
	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(QUEUE_MAXLEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
	if (queue_talk(fd, nlh) == -1) {
		log_warn("configuring queue %u", qnum);
		return -1;
	}
	return 0;
}

int
queue_open(uint16_t qnum)
{
	struct sockaddr_nl	 sa = { .nl_family = AF_NETLINK };
	int			 fd, flags;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd == -1) {
		log_warn("netfilter netlink socket");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		log_warn("binding netfilter netlink socket");
		goto fail;
	}
	if (queue_bind(fd, qnum) == -1)
		goto fail;
	queue_remember(fd, qnum);
	if (queue_params(fd, qnum) == -1)
		goto unbind;
	if (set_rcvbuf(fd, QUEUE_RCVBUF) == -1)
		log_warn("queue receive buffer");
	/* Blocking until now so the ACKs could be waited for. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		log_warn("queue socket O_NONBLOCK");
		goto unbind;
	}
	log_debug("queue %u bound", qnum);
	return fd;
unbind:
	queue_close(fd);
	return -1;
fail:
	close(fd);
	return -1;
}

void
queue_close(int fd)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;
	int		 qnum;

	if (fd == -1)
		return;
	/*
	 * Closing alone releases the queue only when no natd still holds
	 * a copy of the socket; UNBIND releases it for whoever binds next.
	 */
	if ((qnum = queue_forget(fd)) != -1) {
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, qnum);
		nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
		(void)queue_send(fd, nlh);
	}
	close(fd);
}
