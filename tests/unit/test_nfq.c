/*
 * natd's nfqueue message code: packets are split out of a receive buffer
 * with their ids, malformed buffers are rejected, and a batch of verdicts
 * is laid out as consecutive netlink messages.
 */
#include <arpa/inet.h>

#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "check.h"
#include "nfq.h"

/* Builds a queued-packet message as the kernel sends it. */
static size_t
put_packet(uint8_t *buf, uint32_t id, const void *payload, size_t len)
{
	struct nfqnl_msg_packet_hdr ph;
	struct nlmsghdr	*nlh;

	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_PACKET, 0);
	memset(&ph, 0, sizeof(ph));
	ph.packet_id = htonl(id);
	ph.hw_protocol = htons(0x0800);
	ph.hook = NF_INET_FORWARD;
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFQA_PAYLOAD, len, payload);
	return nlh->nlmsg_len;
}

static void
test_parse(void)
{
	static uint8_t	 buf[8192];
	uint8_t		 ip[40];
	struct nfq_pkt	 pkts[4];
	size_t		 n;

	memset(ip, 0x45, sizeof(ip));
	n = put_packet(buf, 7, ip, sizeof(ip));
	n += put_packet(buf + n, 8, ip, 20);
	CHECK(nfq_parse(buf, n, pkts, 4) == 2);
	CHECK(pkts[0].id == 7 && pkts[0].len == sizeof(ip));
	CHECK(pkts[0].hw_protocol == 0x0800);
	CHECK(pkts[0].hook == NF_INET_FORWARD);
	CHECK(memcmp(pkts[0].payload, ip, sizeof(ip)) == 0);
	CHECK(pkts[1].id == 8 && pkts[1].len == 20);

	/* Room for one only: the first is returned, not overrun. */
	CHECK(nfq_parse(buf, n, pkts, 1) == 1);

	/* A message cut short is malformed. */
	CHECK(nfq_parse(buf, 30, pkts, 4) == -1);

	/* The kernel leaves the payload, the last attribute, unpadded. */
	n = put_packet(buf, 9, ip, 37);
	((struct nlmsghdr *)buf)->nlmsg_len -= 3;
	CHECK(nfq_parse(buf, n - 3, pkts, 4) == 1);
	CHECK(pkts[0].id == 9 && pkts[0].len == 37);
}

static void
test_verdicts(void)
{
	uint8_t		 buf[256];
	size_t		 off = 0;
	const struct nlmsghdr *nlh;
	int		 count = 0, len;

	CHECK(nfq_put_verdict(buf, sizeof(buf), &off, 0, 1, NF_DROP) == 0);
	CHECK(nfq_put_verdict(buf, sizeof(buf), &off, 0, 2, NF_ACCEPT) == 0);
	len = (int)off;
	for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
	    nlh = mnl_nlmsg_next(nlh, &len)) {
		const struct nlattr *a;

		CHECK((nlh->nlmsg_type & 0xff) == NFQNL_MSG_VERDICT);
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
			const struct nfqnl_msg_verdict_hdr *vh;

			if (mnl_attr_get_type(a) != NFQA_VERDICT_HDR)
				continue;
			vh = mnl_attr_get_payload(a);
			CHECK(ntohl(vh->id) == (uint32_t)count + 1);
			CHECK(ntohl(vh->verdict) ==
			    (count == 0 ? NF_DROP : NF_ACCEPT));
		}
		count++;
	}
	CHECK(count == 2);
	/* A full buffer refuses instead of overflowing. */
	while (nfq_put_verdict(buf, sizeof(buf), &off, 0, 3, NF_DROP) == 0)
		CHECK(off <= sizeof(buf));
	CHECK(off <= sizeof(buf));
}

/*
 * NFQA_SKB_INFO, NFQA_CAP_LEN and NFQA_IFINDEX_INDEV reach natd; bad
 * sizes are refused.
 */
static void
test_skbinfo(void)
{
	static uint8_t	 buf[4096];
	struct nfqnl_msg_packet_hdr ph;
	struct nlmsghdr	*nlh;
	struct nfq_pkt	 p[1];
	uint8_t		 ip[20] = { 0x45 };

	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_PACKET, 0);
	memset(&ph, 0, sizeof(ph));
	ph.packet_id = htonl(5);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFQA_SKB_INFO, htonl(NFQA_SKB_CSUMNOTREADY |
	    NFQA_SKB_GSO));
	mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(70000));
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(7));
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(ip), ip);
	CHECK(nfq_parse(buf, nlh->nlmsg_len, p, 1) == 1);
	CHECK(p[0].skbinfo == (NFQA_SKB_CSUMNOTREADY | NFQA_SKB_GSO));
	CHECK(p[0].caplen == 70000 && p[0].len == sizeof(ip));
	CHECK(p[0].indev == 7);

	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFQA_SKB_INFO, 2, ip);	/* too short */
	CHECK(nfq_parse(buf, nlh->nlmsg_len, p, 1) == -1);
	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFQA_IFINDEX_INDEV, 3, ip);
	CHECK(nfq_parse(buf, nlh->nlmsg_len, p, 1) == -1);
}

/*
 * NFQA_HWADDR: a 6-byte address is the device's MAC; another length is
 * ignored; an attribute too short for its struct is refused.
 */
static void
test_hwaddr(void)
{
	static uint8_t	 buf[4096];
	struct nfqnl_msg_packet_hdr ph;
	struct nfqnl_msg_packet_hw hw;
	struct nlmsghdr	*nlh;
	struct nfq_pkt	 p[1];
	uint8_t		 ip[20] = { 0x45 };
	const uint8_t	 mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

	memset(&ph, 0, sizeof(ph));
	ph.packet_id = htonl(6);
	memset(&hw, 0, sizeof(hw));
	hw.hw_addrlen = htons(6);
	memcpy(hw.hw_addr, mac, 6);
	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFQA_HWADDR, sizeof(hw), &hw);
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(ip), ip);
	CHECK(nfq_parse(buf, nlh->nlmsg_len, p, 1) == 1);
	CHECK(p[0].has_hwaddr == 1);
	CHECK(memcmp(p[0].hwaddr, mac, 6) == 0);

	/* None: none known. */
	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(ip), ip);
	CHECK(nfq_parse(buf, nlh->nlmsg_len, p, 1) == 1);
	CHECK(p[0].has_hwaddr == 0);

	/* Not Ethernet's length: ignored. */
	hw.hw_addrlen = htons(8);
	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFQA_HWADDR, sizeof(hw), &hw);
	CHECK(nfq_parse(buf, nlh->nlmsg_len, p, 1) == 1);
	CHECK(p[0].has_hwaddr == 0);

	/* Shorter than its struct: malformed. */
	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFQA_HWADDR, 6, &hw);
	CHECK(nfq_parse(buf, nlh->nlmsg_len, p, 1) == -1);
}

/* A verdict that carries the rewritten packet, unpadded then padded. */
static void
test_verdict_payload(void)
{
	uint8_t		 buf[64], all[256];
	uint8_t		 pkt[37];
	size_t		 hl, pad;
	const struct nlmsghdr *nlh;
	const struct nlattr *a;
	int		 seen = 0;

	memset(pkt, 0xab, sizeof(pkt));
	hl = nfq_verdict_head(buf, sizeof(buf), 0, 9, NF_ACCEPT, sizeof(pkt));
	CHECK(hl > 0 && hl + sizeof(pkt) <= sizeof(all));
	pad = nfq_pad(sizeof(pkt));
	CHECK(pad == 3);
	memcpy(all, buf, hl);
	memcpy(all + hl, pkt, sizeof(pkt));
	memset(all + hl + sizeof(pkt), 0, pad);
	nlh = (const struct nlmsghdr *)all;
	CHECK(nlh->nlmsg_len == hl + sizeof(pkt));
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFQA_PAYLOAD) {
			CHECK(mnl_attr_get_payload_len(a) == sizeof(pkt));
			CHECK(memcmp(mnl_attr_get_payload(a), pkt,
			    sizeof(pkt)) == 0);
			seen = 1;
		}
	}
	CHECK(seen);
	CHECK(nfq_verdict_head(buf, 8, 0, 9, NF_ACCEPT, 10) == 0);
	CHECK(nfq_verdict_head(buf, sizeof(buf), 0, 9, NF_ACCEPT, 65535) == 0);
}

/* A batch verdict (a restarted natd's drop of what the old one left). */
static void
test_verdict_batch(void)
{
	uint8_t		 buf[128];
	size_t		 off = 0;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nlattr *a;
	const struct nfqnl_msg_verdict_hdr *vh;
	int		 seen = 0;

	CHECK(nfq_put_verdict_batch(buf, sizeof(buf), &off, 0, 41,
	    NF_DROP) == 0);
	CHECK(off == nlh->nlmsg_len);
	CHECK((nlh->nlmsg_type & 0xff) == NFQNL_MSG_VERDICT_BATCH);
	CHECK((nlh->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFQA_VERDICT_HDR)
			continue;
		vh = mnl_attr_get_payload(a);
		CHECK(ntohl(vh->id) == 41 && ntohl(vh->verdict) == NF_DROP);
		seen = 1;
	}
	CHECK(seen);
	off = sizeof(buf) - 8;
	CHECK(nfq_put_verdict_batch(buf, sizeof(buf), &off, 0, 1,
	    NF_DROP) == -1);
}

int
main(void)
{
	test_parse();
	test_skbinfo();
	test_hwaddr();
	test_verdict_payload();
	test_verdicts();
	test_verdict_batch();
	return check_result();
}
