/*
 * Handing a child its descriptors. Forked by gatekeeperd, a child finds
 * them in place after exec; started by its systemd unit (gatekeeperd -U),
 * it connects to the parent's children socket and receives them in one
 * MSG_CHILD_FDS datagram. Either way they end at the child table's
 * numbers by handover_place(), and from there the child's life is one
 * code path (child.c).
 *
 * Pure system calls: no libevent, no jansson.
 */
#ifndef GK_HANDOVER_H
#define GK_HANDOVER_H

#include <stdint.h>

#include "layout.h"

/*
 * Puts src[i] at FD_PARENT + i for i < n, whatever numbers the sources
 * have (each is first lifted above the targets, so no dup2 clobbers a
 * source not yet placed), and closes the lifted copies. The placed
 * descriptors are not close-on-exec. Only fcntl, dup2 and close: safe
 * between fork and exec. Returns 0, or -1 with errno.
 */
int	handover_place(const int *src, int n);

/* The parent: peer's descriptors, in table order, in one datagram.
 * Returns 0, or -1 with errno. */
int	handover_send(int sock, uint32_t peer, const int *fds, int nfds);

/*
 * The child: receives the datagram meant for peer with exactly nfds
 * descriptors into fds (close-on-exec). Returns NULL, or why not, with
 * every descriptor that came closed.
 */
const char *handover_recv(int sock, uint32_t peer, int *fds, int nfds);

#endif
