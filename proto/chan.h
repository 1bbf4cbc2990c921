/*
 * A protocol channel on libevent: one SOCK_SEQPACKET socket, messages in
 * and out, at most one fd per message. A message that fails proto_decode()
 * or comes from the wrong peer closes the channel through close_cb with
 * the reason; the owner decides what that means (the parent kills the
 * child that sent it).
 */
#ifndef GK_CHAN_H
#define GK_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct event_base;
struct proto_chan;

/* msg->fd, when not -1, belongs to the callback if it sets it to -1;
 * otherwise the channel closes it after the callback returns. */
typedef void (*proto_msg_cb)(struct proto_chan *, struct proto_msg *,
    void *arg);
/* why is "closed" on EOF, else the protocol error. The channel is still
 * valid here; the callback normally frees it. */
typedef void (*proto_close_cb)(struct proto_chan *, const char *why,
    void *arg);

#define PEER_ANY	UINT32_MAX

struct proto_chan *proto_chan_new(struct event_base *, int fd,
	    uint32_t self_peer, uint32_t expect_peer, proto_msg_cb,
	    proto_close_cb, void *arg);
/* Closes the socket and frees everything queued. */
void	proto_chan_free(struct proto_chan *);
int	proto_chan_fd(const struct proto_chan *);
/* Queues or sends one message; fd (or -1) is duplicated, the caller keeps
 * its own. Returns 0, or -1 when the message is malformed or memory or the
 * socket fails. */
int	proto_chan_send(struct proto_chan *, uint16_t type, const void *data,
	    size_t len, int fd);
/*
 * Sends one message now or not at all: no queue, no allocation, no fd.
 * For data that is worth less than waiting for it (dnsd's observations to
 * webd). Returns 0, or -1 with errno: EAGAIN when the socket is full or
 * queued messages wait (they go first), EINVAL when malformed.
 */
int	proto_chan_send_now(struct proto_chan *, uint16_t type,
	    const void *data, size_t len);
/*
 * Caps the bytes waiting for a peer that does not read (0: no cap, the
 * default): a send that would go over fails with ENOBUFS and queues
 * nothing. proto_chan_queued says how many wait.
 */
void	proto_chan_set_queue_max(struct proto_chan *, size_t max);
size_t	proto_chan_queued(const struct proto_chan *);
/* Sends a prefix struct followed by text and its NUL (MSG_STATUS). */
int	proto_chan_send_text(struct proto_chan *, uint16_t type,
	    const void *prefix, size_t prefixlen, const char *text);

/*
 * Sends text of any length up to CTL_MAX_REPLY: parts of part_type (each
 * with part_prefix) while more than one message is left, then final_type
 * with final_prefix and the rest including the NUL.
 */
int	proto_chan_send_long(struct proto_chan *, uint16_t part_type,
	    const void *part_prefix, size_t part_prefixlen, uint16_t final_type,
	    const void *final_prefix, size_t final_prefixlen, const char *text);

/* Blocking helpers for gkctl and tests: one datagram each way. */
int	proto_send_sync(int fd, uint32_t self_peer, uint16_t type,
	    const void *data, size_t len);
/* The same with passfd going along (a stream command's pipe). */
int	proto_send_sync_fd(int fd, uint32_t self_peer, uint16_t type,
	    const void *data, size_t len, int passfd);
/* Receives into buf (PROTO_MAX_MSG bytes); returns NULL or why it failed. */
const char *proto_recv_sync(int fd, uint8_t *buf, size_t bufsize,
	    struct proto_msg *);

#endif
