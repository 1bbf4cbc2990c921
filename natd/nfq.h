/*
 * nfqueue message handling without sockets: split a received buffer into
 * queued packets, and build a batch of verdicts to send in one write.
 */
#ifndef GK_NFQ_H
#define GK_NFQ_H

#include <stddef.h>
#include <stdint.h>

struct nfq_pkt {
	uint32_t	 id;		/* packet id for the verdict */
	uint16_t	 hw_protocol;	/* ethertype, host order */
	uint8_t		 hook;		/* NF_INET_* */
	uint32_t	 skbinfo;	/* NFQA_SKB_INFO bits, host order */
	uint32_t	 indev;		/* NFQA_IFINDEX_INDEV: the input
					 * interface (a bridge, not its
					 * port); 0 when none */
	uint32_t	 caplen;	/* NFQA_CAP_LEN: the packet's real
					 * length when longer than payload;
					 * 0 when whole */
	uint8_t		 hwaddr[6];	/* NFQA_HWADDR: the frame's source
					 * MAC (from the LAN: the device) */
	uint8_t		 has_hwaddr;	/* 1 when a 6-byte one came */
	uint8_t		*payload;	/* the IP packet (natd rewrites it
					 * in place) */
	size_t		 len;
};

/*
 * Parses the netlink messages in buf. Fills up to max packets, returns
 * how many, or -1 when buf is not a well-formed netlink stream (dropped
 * and counted by the caller; nothing in it is trusted).
 */
int	nfq_parse(uint8_t *buf, size_t len, struct nfq_pkt *, int max);

/*
 * Appends a verdict for id on queue qnum to buf (size bytes, used *off).
 * Returns 0, or -1 when it does not fit.
 */
int	nfq_put_verdict(uint8_t *buf, size_t size, size_t *off,
	    uint16_t qnum, uint32_t id, uint32_t verdict);

/*
 * Appends a batch verdict: every packet still queued with an id up to id
 * (in the kernel's wrapping order) gets verdict. Returns 0 or -1.
 */
int	nfq_put_verdict_batch(uint8_t *buf, size_t size, size_t *off,
	    uint16_t qnum, uint32_t id, uint32_t verdict);

/*
 * Writes the head of a verdict message that carries a new packet of plen
 * bytes (NFQA_PAYLOAD, which the caller sends right after the head, then
 * nfq_pad(plen) zero bytes). Returns the head's length, or 0 when it
 * does not fit in size.
 */
size_t	nfq_verdict_head(uint8_t *buf, size_t size, uint16_t qnum,
	    uint32_t id, uint32_t verdict, size_t plen);

static inline size_t
nfq_pad(size_t plen)
{
	return ((plen + 3) & ~(size_t)3) - plen;
}

#endif
