/*
 * Verdicts in batches: each verdict (with the packet's new bytes when it
 * changed) is appended to an iovec array, and the lot goes to the kernel
 * in one sendmsg when the batch is read, or earlier when the array or
 * the byte budget is full. natd and bench/nat's passthru listener both
 * send through it, so the benchmark measures the same send path.
 */
#ifndef GK_NATD_VERDICT_H
#define GK_NATD_VERDICT_H

#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

#define VERDICT_HEADS	128		/* verdicts per send, at most */
#define VERDICT_HEAD	64		/* bytes of one verdict's head */
#define VERDICT_SEND_MAX (256 * 1024)	/* bytes per sendmsg */

struct verdicts {
	int		 fd;		/* the queue's netlink socket */
	uint16_t	 qnum;
	int		 niov, nhead;
	size_t		 bytes;
	uint64_t	 errors;	/* sends that failed */
	uint8_t		 head[VERDICT_HEADS][VERDICT_HEAD];
	struct iovec	 iov[VERDICT_HEADS * 3];
};

void	verdict_init(struct verdicts *, int fd, uint16_t qnum);
/*
 * Appends a verdict for id: bare when pkt is NULL, else with the plen
 * bytes at pkt, which must stay as they are until the next flush.
 */
void	verdict_add(struct verdicts *, uint32_t id, uint32_t verdict,
	    uint8_t *pkt, size_t plen);
/* Appends a batch verdict: every packet queued with an id up to id. */
int	verdict_add_batch(struct verdicts *, uint32_t id, uint32_t verdict);
/* Sends what was appended (nothing when empty). */
void	verdict_flush(struct verdicts *);

#endif
