/*
 * Pure nfqueue message code: no socket, so the tests and the fuzzer feed
 * it buffers directly.
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfq.h"

struct parse_ctx {
	struct nfq_pkt	*pkts;
	int		 max;
	int		 n;
};

static int
packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct parse_ctx *ctx = data;
	struct nlattr	*attr[NFQA_MAX + 1];
	struct nfqnl_msg_packet_hdr *ph;
	struct nfq_pkt	*p;

	memset(attr, 0, sizeof(attr));
	if (nfq_nlmsg_parse(nlh, attr) < 0)
		return MNL_CB_ERROR;
	if (attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph))
		return MNL_CB_ERROR;
	if (ctx->n == ctx->max)
		return MNL_CB_STOP;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	p = &ctx->pkts[ctx->n++];
	p->id = ntohl(ph->packet_id);
	p->hw_protocol = ntohs(ph->hw_protocol);
	p->hook = ph->hook;
	p->payload = NULL;
	p->len = 0;
	if (attr[NFQA_PAYLOAD] != NULL) {
		p->payload = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		p->len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	return MNL_CB_OK;
}

/*
 * Walks the messages with unsigned arithmetic of its own: libmnl's
 * mnl_nlmsg_ok() compares nlmsg_len as a signed int, so a length with the
 * top bit set passes it and sends the walk far past the buffer.
 */
int
nfq_parse(const uint8_t *buf, size_t len, struct nfq_pkt *pkts, int max)
{
	struct parse_ctx ctx = { pkts, max, 0 };
	const struct nlmsghdr *nlh;
	size_t		 off = 0, mlen;

	while (len - off >= sizeof(*nlh)) {
		nlh = (const struct nlmsghdr *)(buf + off);
		mlen = nlh->nlmsg_len;
		/* libmnl walks attributes up to the aligned end: it must be
		 * inside the buffer too (the kernel always pads). */
		if (mlen < sizeof(*nlh) || mlen > len - off)
			return -1;
		/* Not NLMSG_ALIGN: its mask is 32-bit and truncates. */
		mlen = (mlen + 3) & ~(size_t)3;
		if (mlen > len - off)
			return -1;
		off += mlen;
		/* Packets only; errors and the rest carry nothing for us. */
		if ((nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET ||
		    (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_QUEUE)
			continue;
		if (mlen < MNL_ALIGN(sizeof(*nlh)) +
		    MNL_ALIGN(sizeof(struct nfgenmsg)))
			return -1;
		switch (packet_cb(nlh, &ctx)) {
		case MNL_CB_ERROR:
			return -1;
		case MNL_CB_STOP:
			return ctx.n;
		}
	}
	/* Bytes that do not form a whole message: the buffer lies. */
	if (off != len)
		return -1;
	return ctx.n;
}

int
nfq_put_verdict(uint8_t *buf, size_t size, size_t *off, uint16_t qnum,
    uint32_t id, uint32_t verdict)
{
	struct nlmsghdr	*nlh;
	/* header + nfgenmsg + verdict attribute, all aligned */
	size_t		 need = MNL_ALIGN(sizeof(struct nlmsghdr)) +
	    MNL_ALIGN(sizeof(struct nfgenmsg)) +
	    MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr));

	if (*off + need > size)
		return -1;
	nlh = nfq_nlmsg_put((char *)buf + *off, NFQNL_MSG_VERDICT, qnum);
	nfq_nlmsg_verdict_put(nlh, id, verdict);
	*off += nlh->nlmsg_len;
	return 0;
}
