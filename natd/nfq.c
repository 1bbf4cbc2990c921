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

/*
 * Parses one queued-packet message of exactly mlen bytes. Attributes are
 * walked here with the message's own length as the bound: the kernel does
 * not pad the last attribute (the payload), so libmnl's walk to the
 * aligned end would read past what was received.
 */
static int
parse_packet(uint8_t *msg, size_t mlen, struct nfq_pkt *p)
{
	struct nfqnl_msg_packet_hdr ph;
	struct nfqnl_msg_packet_hw hw;
	struct nlattr	 nla;
	uint32_t	 v;
	size_t		 off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	size_t		 alen, plen;
	int		 have_hdr = 0;

	memset(p, 0, sizeof(*p));
	while (mlen >= off + sizeof(nla)) {
		memcpy(&nla, msg + off, sizeof(nla));
		alen = nla.nla_len;
		if (alen < sizeof(nla) || alen > mlen - off)
			return -1;
		plen = alen - NLA_HDRLEN;
		switch (nla.nla_type & NLA_TYPE_MASK) {
		case NFQA_PACKET_HDR:
			if (plen < sizeof(ph))
				return -1;
			memcpy(&ph, msg + off + NLA_HDRLEN, sizeof(ph));
			p->id = ntohl(ph.packet_id);
			p->hw_protocol = ntohs(ph.hw_protocol);
			p->hook = ph.hook;
			have_hdr = 1;
			break;
		case NFQA_SKB_INFO:
			if (plen < sizeof(v))
				return -1;
			memcpy(&v, msg + off + NLA_HDRLEN, sizeof(v));
			p->skbinfo = ntohl(v);
			break;
		case NFQA_IFINDEX_INDEV:
			if (plen < sizeof(v))
				return -1;
			memcpy(&v, msg + off + NLA_HDRLEN, sizeof(v));
			p->indev = ntohl(v);
			break;
		case NFQA_CAP_LEN:
			if (plen < sizeof(v))
				return -1;
			memcpy(&v, msg + off + NLA_HDRLEN, sizeof(v));
			p->caplen = ntohl(v);
			break;
		case NFQA_HWADDR:
			/* Only an Ethernet address names a device; any
			 * other length is ignored, not trusted. */
			if (plen < sizeof(hw))
				return -1;
			memcpy(&hw, msg + off + NLA_HDRLEN, sizeof(hw));
			if (ntohs(hw.hw_addrlen) == sizeof(p->hwaddr)) {
				memcpy(p->hwaddr, hw.hw_addr,
				    sizeof(p->hwaddr));
				p->has_hwaddr = 1;
			}
			break;
		case NFQA_PAYLOAD:
			p->payload = msg + off + NLA_HDRLEN;
			p->len = plen;
			break;
		}
		off += NLA_ALIGN(alen);
	}
	return have_hdr ? 0 : -1;
}

/*
 * Walks the messages with unsigned arithmetic of its own: libmnl's
 * mnl_nlmsg_ok() compares nlmsg_len as a signed int, so a length with the
 * top bit set passes it and sends the walk far past the buffer.
 */
int
nfq_parse(uint8_t *buf, size_t len, struct nfq_pkt *pkts, int max)
{
	struct nlmsghdr	 nlh;
	size_t		 off = 0, mlen;
	int		 n = 0;

	while (len - off >= sizeof(nlh)) {
		memcpy(&nlh, buf + off, sizeof(nlh));
		mlen = nlh.nlmsg_len;
		if (mlen < sizeof(nlh) || mlen > len - off)
			return -1;
		/* Packets only; errors and the rest carry nothing for us. */
		if ((nlh.nlmsg_type & 0xff) == NFQNL_MSG_PACKET &&
		    (nlh.nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE) {
			if (n == max)
				return n;
			if (parse_packet(buf + off, mlen, &pkts[n]) == -1)
				return -1;
			n++;
		}
		/* Not NLMSG_ALIGN: its mask is 32-bit and truncates. The
		 * last message may end unpadded. */
		mlen = (mlen + 3) & ~(size_t)3;
		off += mlen < len - off ? mlen : len - off;
	}
	/* Bytes that do not form a whole message: the buffer lies. */
	if (off != len)
		return -1;
	return n;
}

/* One verdict message of type (single or batch) appended to buf. */
static int
put_verdict(uint8_t *buf, size_t size, size_t *off, uint16_t type,
    uint16_t qnum, uint32_t id, uint32_t verdict)
{
	struct nlmsghdr	*nlh;
	/* header + nfgenmsg + verdict attribute, all aligned */
	size_t		 need = MNL_ALIGN(sizeof(struct nlmsghdr)) +
	    MNL_ALIGN(sizeof(struct nfgenmsg)) +
	    MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr));

	if (*off + need > size)
		return -1;
	nlh = nfq_nlmsg_put((char *)buf + *off, type, qnum);
	nfq_nlmsg_verdict_put(nlh, id, verdict);
	*off += nlh->nlmsg_len;
	return 0;
}

int
nfq_put_verdict(uint8_t *buf, size_t size, size_t *off, uint16_t qnum,
    uint32_t id, uint32_t verdict)
{
	return put_verdict(buf, size, off, NFQNL_MSG_VERDICT, qnum, id,
	    verdict);
}

int
nfq_put_verdict_batch(uint8_t *buf, size_t size, size_t *off, uint16_t qnum,
    uint32_t id, uint32_t verdict)
{
	return put_verdict(buf, size, off, NFQNL_MSG_VERDICT_BATCH, qnum, id,
	    verdict);
}

size_t
nfq_verdict_head(uint8_t *buf, size_t size, uint16_t qnum, uint32_t id,
    uint32_t verdict, size_t plen)
{
	struct nlmsghdr	*nlh;
	struct nlattr	 nla;
	size_t		 head = MNL_ALIGN(sizeof(struct nlmsghdr)) +
	    MNL_ALIGN(sizeof(struct nfgenmsg)) +
	    MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr));

	if (head + NLA_HDRLEN > size || plen > 0xffff - NLA_HDRLEN)
		return 0;
	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_VERDICT, qnum);
	nfq_nlmsg_verdict_put(nlh, id, verdict);
	nla.nla_type = NFQA_PAYLOAD;
	nla.nla_len = (uint16_t)(NLA_HDRLEN + plen);
	memcpy(buf + nlh->nlmsg_len, &nla, sizeof(nla));
	/* The payload follows unpadded: the length says where it ends. */
	nlh->nlmsg_len += NLA_HDRLEN + (uint32_t)plen;
	return head + NLA_HDRLEN;
}
