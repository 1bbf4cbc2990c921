/*
 * The lease writer thread (writer.h). Two batches: the open one, filled
 * by the main thread only, and the one in flight, read by the writer
 * only. The hand-over and the result pass under the mutex; the eventfd
 * wakes the main thread's event loop.
 *
 * A third thread checkpoints the WAL into the database on a connection
 * of its own (PASSIVE: commits go on meanwhile), so that no commit, and
 * so no reply, waits for SQLite's automatic checkpoint, which would copy
 * and fsync megabytes inside a commit every few hundred of them.
 */
#include <sys/types.h>
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "writer.h"
#include "util.h"

struct batch {
	struct dhcp_lease	*rec;
	size_t			 n;
	int			 overflow;	/* a change did not fit */
	uint64_t		 seq;
};

#define CHECKPOINT_MS	200	/* how often the WAL is copied back */

struct dhcp_writer {
	struct dhcp_store	*store;
	struct dhcp_store	*ck;		/* the checkpointer's own */
	pthread_t		 thread, ck_thread;
	int			 ck_running;
	uint64_t		 ck_seen;	/* commits at the last checkpoint */
	uint64_t		 ck_pages;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cv;
	int			 efd;
	struct batch		 b[2];
	struct batch		*open, *flight;
	int			 busy;		/* main: submitted, no result */
	int			 work;		/* thread: flight to commit */
	int			 stop;
	/* The result of the batch in flight, under mtx. */
	int			 done, ok;
	char			 err[256];
	uint64_t		 took_us;	/* of the batch in flight */
	uint64_t		 commits, changes, max_us;
	uint64_t		 ck_commits;	/* under mtx, for the checkpointer */
};

static int
commit(struct dhcp_writer *w, struct batch *b, char *err, size_t errlen)
{
	size_t	i;

	if (b->overflow) {
		snprintf(err, errlen, "more than %d lease changes in one "
		    "batch", WRITER_BATCH_MAX);
		return -1;
	}
	if (store_begin(w->store) == -1)
		goto fail;
	for (i = 0; i < b->n; i++)
		if (store_put_lease(w->store, &b->rec[i]) == -1)
			goto fail;
	if (store_commit(w->store) == -1)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", store_error(w->store));
	store_rollback(w->store);
	return -1;
}

static void *
writer_main(void *arg)
{
	struct dhcp_writer *w = arg;
	char		 err[256];
	uint64_t	 one = 1, t0;
	ssize_t		 wr;
	int		 ok;

	pthread_mutex_lock(&w->mtx);
	for (;;) {
		while (!w->work && !w->stop)
			pthread_cond_wait(&w->cv, &w->mtx);
		if (!w->work)
			break;
		pthread_mutex_unlock(&w->mtx);
		t0 = mono_us();
		ok = commit(w, w->flight, err, sizeof(err)) == 0;
		t0 = mono_us() - t0;
		pthread_mutex_lock(&w->mtx);
		w->took_us = t0;
		if (ok)
			w->ck_commits++;
		w->work = 0;
		w->done = 1;
		w->ok = ok;
		if (!ok)
			memcpy(w->err, err, sizeof(w->err));
		pthread_cond_broadcast(&w->cv);
		/* Wakes the event loop; cannot fail short of a bug. */
		wr = write(w->efd, &one, sizeof(one));
		(void)wr;
	}
	pthread_mutex_unlock(&w->mtx);
	return NULL;
}

static void *
checkpointer_main(void *arg)
{
	struct dhcp_writer *w = arg;
	struct timespec	 ts;
	uint64_t	 done;
	int		 pages;

	pthread_mutex_lock(&w->mtx);
	while (!w->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += CHECKPOINT_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->cv, &w->mtx, &ts);
		done = w->ck_commits;
		if (w->stop || done == w->ck_seen)
			continue;
		pthread_mutex_unlock(&w->mtx);
		/* A failure (busy) is retried on the next round. */
		if (store_checkpoint(w->ck, &pages) == -1)
			pages = 0;
		pthread_mutex_lock(&w->mtx);
		w->ck_seen = done;
		w->ck_pages += (uint64_t)pages;
	}
	pthread_mutex_unlock(&w->mtx);
	return NULL;
}

/* The checkpointer, if it can start; else SQLite checkpoints itself. */
static void
checkpointer_start(struct dhcp_writer *w, const char *path)
{
	char	err[256];

	if ((w->ck = store_open(path, err, sizeof(err))) == NULL)
		return;
	if (store_checkpoint_mode(w->store, 0) == -1 ||
	    pthread_create(&w->ck_thread, NULL, checkpointer_main, w) != 0) {
		(void)store_checkpoint_mode(w->store, 1);
		store_close(w->ck);
		w->ck = NULL;
		return;
	}
	w->ck_running = 1;
}

struct dhcp_writer *
writer_new(struct dhcp_store *st, const char *path, char *err, size_t errlen)
{
	struct dhcp_writer *w;
	int		 i, rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->store = st;
	for (i = 0; i < 2; i++)
		if ((w->b[i].rec = calloc(WRITER_BATCH_MAX,
		    sizeof(struct dhcp_lease))) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	w->open = &w->b[0];
	w->flight = &w->b[1];
	w->open->seq = 1;
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&w->mtx, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
		snprintf(err, errlen, "thread: %s", strerror(rc));
		close(w->efd);
		goto fail;
	}
	checkpointer_start(w, path);
	return w;
fail:
	free(w->b[0].rec);
	free(w->b[1].rec);
	free(w);
	return NULL;
}

void
writer_free(struct dhcp_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mtx);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mtx);
	pthread_join(w->thread, NULL);
	if (w->ck_running) {
		pthread_join(w->ck_thread, NULL);
		(void)store_checkpoint_mode(w->store, 1);
		store_close(w->ck);
	}
	close(w->efd);
	pthread_mutex_destroy(&w->mtx);
	pthread_cond_destroy(&w->cv);
	free(w->b[0].rec);
	free(w->b[1].rec);
	free(w);
}

int
writer_fd(const struct dhcp_writer *w)
{
	return w->efd;
}

int
writer_add(struct dhcp_writer *w, const struct dhcp_lease *e)
{
	struct batch	*b = w->open;

	if (b->n == WRITER_BATCH_MAX) {
		b->overflow = 1;
		return -1;
	}
	b->rec[b->n++] = *e;
	return 0;
}

size_t
writer_open_count(const struct dhcp_writer *w)
{
	return w->open->n + (size_t)w->open->overflow;
}

size_t
writer_open_room(const struct dhcp_writer *w)
{
	return WRITER_BATCH_MAX - w->open->n;
}

uint64_t
writer_open_seq(const struct dhcp_writer *w)
{
	return w->open->seq;
}

int
writer_busy(const struct dhcp_writer *w)
{
	return w->busy;
}

void
writer_submit(struct dhcp_writer *w)
{
	struct batch	*b;
	uint64_t	 next;

	if (w->busy || writer_open_count(w) == 0)
		return;
	next = w->open->seq + 1;
	pthread_mutex_lock(&w->mtx);
	b = w->flight;
	w->flight = w->open;
	w->open = b;
	w->work = 1;
	w->done = 0;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mtx);
	w->open->n = 0;
	w->open->overflow = 0;
	w->open->seq = next;
	w->busy = 1;
}

int
writer_result(struct dhcp_writer *w, int wait, uint64_t *seq, int *ok,
    char *err, size_t errlen)
{
	uint64_t	v;

	/* Clears the wakeup, also a stale one after a blocking wait;
	 * nothing to read (EAGAIN) is fine. */
	if (read(w->efd, &v, sizeof(v)) == -1)
		v = 0;
	if (!w->busy)
		return 0;
	pthread_mutex_lock(&w->mtx);
	while (wait && !w->done)
		pthread_cond_wait(&w->cv, &w->mtx);
	if (!w->done) {
		pthread_mutex_unlock(&w->mtx);
		return 0;
	}
	*seq = w->flight->seq;
	*ok = w->ok;
	if (w->took_us > w->max_us)
		w->max_us = w->took_us;
	if (w->ok) {
		w->commits++;
		w->changes += w->flight->n;
	} else
		snprintf(err, errlen, "%s", w->err);
	w->done = 0;
	pthread_mutex_unlock(&w->mtx);
	w->busy = 0;
	return 1;
}

uint64_t
writer_commits(const struct dhcp_writer *w)
{
	return w->commits;
}

uint64_t
writer_changes(const struct dhcp_writer *w)
{
	return w->changes;
}

uint64_t
writer_max_us(const struct dhcp_writer *w)
{
	return w->max_us;
}

int
writer_checkpointing(const struct dhcp_writer *w)
{
	return w->ck_running;
}
