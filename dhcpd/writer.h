/*
 * Group commit of lease changes in a thread of its own, so that the
 * thread answering clients never waits on the disk: it keeps reading and
 * deciding while the writer commits (fsync) the previous batch, and lets
 * each reply go once the batch holding its lease changes is committed.
 *
 * The main thread fills a batch (writer_add), hands it over with
 * writer_submit when the writer is idle, and learns the outcome through
 * writer_fd (readable) and writer_result. One batch is in flight at a
 * time; batches are numbered from 1 in submission order.
 */
#ifndef GK_DHCPD_WRITER_H
#define GK_DHCPD_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"
#include "store.h"

#define WRITER_BATCH_MAX	8192	/* lease changes in one batch */

struct dhcp_writer;

/* Starts the threads (path: the store's, for the checkpointer's own
 * connection); NULL with err filled when it cannot. */
struct dhcp_writer *writer_new(struct dhcp_store *, const char *path,
	    char *err, size_t errlen);
/* Waits for the batch in flight, then stops the thread. */
void	writer_free(struct dhcp_writer *);

/* Readable when a submitted batch is done: call writer_result. */
int	writer_fd(const struct dhcp_writer *);

/* Adds a change to the open batch; -1 when the batch is full (the batch
 * then fails as a whole: its replies must not leave). */
int	writer_add(struct dhcp_writer *, const struct dhcp_lease *);
/* Changes in the open batch, and room left in it. */
size_t	writer_open_count(const struct dhcp_writer *);
size_t	writer_open_room(const struct dhcp_writer *);
/* The number the open batch will have. */
uint64_t writer_open_seq(const struct dhcp_writer *);
/* A batch is being committed. */
int	writer_busy(const struct dhcp_writer *);

/* Hands the open batch (if not empty) to the thread, when it is idle. */
void	writer_submit(struct dhcp_writer *);
/*
 * After writer_fd became readable (or blocking when wait is set): the
 * batch in flight is done. Returns 1 with *seq and *ok, 0 if it is not
 * done yet.
 */
int	writer_result(struct dhcp_writer *, int wait, uint64_t *seq,
	    int *ok, char *err, size_t errlen);

/* Batches committed, and lease changes in them. */
uint64_t writer_commits(const struct dhcp_writer *);
uint64_t writer_changes(const struct dhcp_writer *);
/* The WAL is checkpointed by a thread of its own (else by SQLite). */
int	writer_checkpointing(const struct dhcp_writer *);
/* The longest commit so far, in microseconds. */
uint64_t writer_max_us(const struct dhcp_writer *);

#endif
