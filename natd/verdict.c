/*
 * Verdicts in batches (verdict.h): the one file of natd's library that
 * writes to a socket.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <linux/netlink.h>

#include <string.h>

#include "nfq.h"
#include "verdict.h"

static const uint8_t	 zeros[4];

void
verdict_init(struct verdicts *v, int fd, uint16_t qnum)
{
	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->qnum = qnum;
}

void
verdict_flush(struct verdicts *v)
{
	struct sockaddr_nl	 kernel = { .nl_family = AF_NETLINK };
	struct msghdr		 mh;

	if (v->niov == 0)
		return;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &kernel;
	mh.msg_namelen = sizeof(kernel);
	mh.msg_iov = v->iov;
	mh.msg_iovlen = (size_t)v->niov;
	if (sendmsg(v->fd, &mh, 0) == -1)
		v->errors++;
	v->niov = v->nhead = 0;
	v->bytes = 0;
}

/* Room for one more verdict of plen bytes, by sending what is there. */
static void
verdict_room(struct verdicts *v, size_t plen)
{
	if (v->nhead == VERDICT_HEADS ||
	    v->bytes + VERDICT_HEAD + plen + 4 > VERDICT_SEND_MAX)
		verdict_flush(v);
}

/* A head without a packet: a bare or a batch verdict. */
static void
verdict_bare(struct verdicts *v, size_t hl)
{
	v->iov[v->niov++] = (struct iovec){ v->head[v->nhead], hl };
	v->nhead++;
	v->bytes += hl;
}

void
verdict_add(struct verdicts *v, uint32_t id, uint32_t verdict, uint8_t *pkt,
    size_t plen)
{
	size_t		 hl = 0, pad;

	verdict_room(v, pkt == NULL ? 0 : plen);
	if (pkt == NULL) {
		if (nfq_put_verdict(v->head[v->nhead], VERDICT_HEAD, &hl,
		    v->qnum, id, verdict) == 0)
			verdict_bare(v, hl);
		return;
	}
	hl = nfq_verdict_head(v->head[v->nhead], VERDICT_HEAD, v->qnum, id,
	    verdict, plen);
	if (hl == 0)
		return;
	pad = nfq_pad(plen);
	v->iov[v->niov++] = (struct iovec){ v->head[v->nhead], hl };
	v->iov[v->niov++] = (struct iovec){ pkt, plen };
	if (pad > 0)
		v->iov[v->niov++] = (struct iovec){ (void *)zeros, pad };
	v->nhead++;
	v->bytes += hl + plen + pad;
}

int
verdict_add_batch(struct verdicts *v, uint32_t id, uint32_t verdict)
{
	size_t		 hl = 0;

	verdict_room(v, 0);
	if (nfq_put_verdict_batch(v->head[v->nhead], VERDICT_HEAD, &hl,
	    v->qnum, id, verdict) == -1)
		return -1;
	verdict_bare(v, hl);
	return 0;
}
