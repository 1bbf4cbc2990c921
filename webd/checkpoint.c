/*
 * Checkpoints of the traffic history (checkpoint.h).
 *
 * Once a second the timer looks whether a minute has closed (CLOSE_S
 * after its end, so the drain's turn and the second's close are done);
 * then what is new goes to SQLite in one transaction (store.c). WAL,
 * synchronous FULL: one fsync a minute, on webd's event loop, never on
 * natd's packet path; natd's summaries wait in the ring meanwhile. At
 * exit (SIGTERM: gatekeeperd stopping, gkctl restart webd) everything
 * closed is written, the current minute too, so a clean restart loses
 * nothing and a power cut at most the last minute.
 *
 * A database that SQLite finds damaged (at open, in its quick check, or
 * at a write) is moved aside as history.db.bad-EPOCH with its -wal and
 * -shm, logged and counted, and a new one is started: the next
 * checkpoint writes the whole history again from memory.
 *
 * A clock behind the file at start (a router without a real-time clock,
 * before NTP: store_clock_behind) defers the rebuild: the region takes
 * in traffic as usual, and once the region's clock (the drain's: it
 * moves the region's data with a step) reaches the file, the region's
 * data is written and the region rebuilt from the file (store_catch_up).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <sqlite3.h>

#include "checkpoint.h"
#include "drain.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define DB_FILE		"history.db"
#define CLOSE_S		2	/* a minute is closed so long after its end */

static struct {
	sqlite3		*db;
	struct store	 st;
	int		 ok;
	struct hist	*hs;
	struct event	 ev;
	uint32_t	 tried_min;	/* the last minute a failed file
					 * was tried again */
	int		 deferred;	/* the rebuild waits for the clock */
	uint64_t	 moved_aside, open_failures;
	char		 error[160];
} c;

static uint64_t
now_ms(void)
{
	return mono_ms() + (uint64_t)c.hs->h->wall_offset_ms;
}

static void
close_db(void)
{
	store_fini(&c.st);
	c.st.db = NULL;		/* usage answers 503 meanwhile */
	sqlite3_close(c.db);
	c.db = NULL;
	c.ok = 0;
}

static int
open_db(char *err, size_t errlen)
{
	struct store_stats kept = c.st.st;	/* counted across files */
	int		 rc;

	if (sqlite3_open_v2(DB_FILE, &c.db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "open: %s", c.db != NULL ?
		    sqlite3_errmsg(c.db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(c.db, 1000);
	if (sqlite3_exec(c.db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(c.db));
		return -1;
	}
	if (store_quick_check(c.db, err, errlen) != 0)
		return -1;
	rc = store_init(&c.st, c.db, err, errlen);
	c.st.st = kept;
	if (rc == -1)
		return -1;
	c.ok = 1;
	return 0;
}

/* The damaged file and its journal out of the way, kept for a look. */
static void
move_aside(const char *why)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char		 from[64], to[64];
	long long	 t = (long long)time(NULL);
	size_t		 i;

	close_db();
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(from, sizeof(from), "%s%s", DB_FILE, sfx[i]);
		snprintf(to, sizeof(to), "%s.bad-%lld%s", DB_FILE, t, sfx[i]);
		if (rename(from, to) == -1 && i == 0)
			log_warn("rename %s", from);
	}
	c.moved_aside++;
	log_warnx("%s is damaged (%s): moved aside as %s.bad-%lld, a new one "
	    "is started", DB_FILE, why, DB_FILE, t);
}

static int
open_or_replace(void)
{
	char	 err[160];

	if (open_db(err, sizeof(err)) == 0)
		return 0;
	close_db();
	move_aside(err);
	if (open_db(err, sizeof(err)) == 0)
		return 0;
	close_db();
	c.open_failures++;
	snprintf(c.error, sizeof(c.error), "%s", err);
	log_warnx("%s: %s: the history is not kept across restarts",
	    DB_FILE, err);
	return -1;
}

static void
checkpoint(uint32_t to_sec)
{
	char	 err[160];
	int	 code;

	if (!c.ok && open_or_replace() == -1)
		return;
	if (store_checkpoint(&c.st, c.hs, to_sec, now_ms(), err,
	    sizeof(err)) == 0)
		return;
	snprintf(c.error, sizeof(c.error), "%s", err);
	code = sqlite3_errcode(c.db) & 0xff;
	if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
		move_aside(err);
	else
		log_warnx("%s: %s (tried again next minute)", DB_FILE, err);
}

/* What a rebuild log says. */
static void
log_rebuilt(int n, const char *when)
{
	log_info("traffic history rebuilt from %s%s: %d seconds of %llu "
	    "pair-minutes, %llu rows rejected", DB_FILE, when, n,
	    (unsigned long long)c.st.st.rows_restored,
	    (unsigned long long)c.st.st.rows_rejected);
}

/* The clock reached the file: the rebuild that waited. */
static void
catch_up(void)
{
	char	 err[160];
	int	 n, code;

	c.deferred = 0;
	if (!c.ok)
		return;		/* the file went: the region is all there is */
	drain_flush();
	if ((n = store_catch_up(&c.st, c.hs, now_ms(), err,
	    sizeof(err))) >= 0) {
		log_rebuilt(n, ", the clock set");
		return;
	}
	snprintf(c.error, sizeof(c.error), "%s", err);
	code = sqlite3_errcode(c.db) & 0xff;
	if (n == STORE_DAMAGED || code == SQLITE_CORRUPT ||
	    code == SQLITE_NOTADB)
		move_aside(err);	/* the region stays the truth */
	else {
		log_warnx("%s: %s (the rebuild is tried again)", DB_FILE, err);
		c.deferred = 1;
	}
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	 now = now_ms() / 1000;
	uint32_t	 to_sec;

	if (c.deferred && !store_clock_behind(&c.st, now_ms()))
		catch_up();

	if (now < CLOSE_S)
		return;
	to_sec = (uint32_t)((now - CLOSE_S) / 60 * 60);
	if (c.ok && to_sec / 60 > c.st.done_min)
		checkpoint(to_sec);
	else if (!c.ok && to_sec / 60 != c.tried_min) {
		/* no file: tried again once a minute, not every second */
		c.tried_min = to_sec / 60;
		checkpoint(to_sec);
	}
}

/* Exit (SIGTERM): everything closed, the current minute too. */
static void
last_checkpoint(void)
{
	if (!c.ok)
		return;
	drain_flush();
	checkpoint((uint32_t)(now_ms() / 1000));
	close_db();
}

void
checkpoint_init(struct event_base *base, struct hist *hs, int kept)
{
	struct timeval	 one = { 1, 0 };
	char		 err[160];
	int		 n;

	c.hs = hs;
	/* kept too: a webd restarted while the rebuild waited has a
	 * region without the file's history */
	if (open_or_replace() == 0 && store_clock_behind(&c.st, now_ms())) {
		c.deferred = 1;
		log_warnx("the clock (%llu s) is before %s's last checkpoint "
		    "(%llu s): its history is rebuilt once the clock is set",
		    (unsigned long long)(now_ms() / 1000), DB_FILE,
		    (unsigned long long)c.st.done_min * 60);
	} else if (c.ok && !kept) {
		if ((n = store_load(&c.st, hs, now_ms(), err,
		    sizeof(err))) == -1)
			log_warnx("%s: %s", DB_FILE, err);
		else
			log_rebuilt(n, "");
	}
	event_assign(&c.ev, base, -1, EV_PERSIST, tick, NULL);
	event_add(&c.ev, &one);
	atexit(last_checkpoint);
}

struct store *
checkpoint_store(void)
{
	return &c.st;
}

json_t *
checkpoint_status_json(void)
{
	const struct store_stats *s = &c.st.st;

	return json_pack("{s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:s}", "open", c.ok, "rebuild_deferred", c.deferred,
	    "checkpoints", (json_int_t)s->checkpoints,
	    "minutes_written", (json_int_t)s->minutes_written,
	    "write_failures", (json_int_t)s->write_failures,
	    "rows_restored", (json_int_t)s->rows_restored,
	    "rows_rejected", (json_int_t)s->rows_rejected,
	    "records_restored", (json_int_t)s->records_restored,
	    "rows_pruned", (json_int_t)s->rows_pruned,
	    "last_checkpoint_ms", (json_int_t)s->last_ms,
	    "moved_aside", (json_int_t)c.moved_aside,
	    "open_failures", (json_int_t)c.open_failures,
	    "last_error", c.error);
}
