/*
 * The traffic history's durable half: SQLite (WAL) in webd's state dir,
 * over a connection the caller opened (checkpoint.c does the file, the
 * timer and moving a damaged file aside; the tests and the fuzzer use
 * memory). Pure otherwise: the caller gives the time.
 *
 *   pairs(id, mac, remote, lan_ip, first_ms, last_ms, ports, name)
 *   minutes(pair, minute, bytes/packets up/down, data)
 *	one row per pair and minute with traffic; data is ckpt.h's
 *	encoding; kept for the history (default 24 h)
 *   usage(mac, day, bytes/packets up/down, minutes)
 *	per device and local date, kept USAGE_DAYS days
 *   meta(key, value): the schema's version; "done", the minute before
 *	which everything is written; "history", what it is kept for (the
 *	rebuild comes before the config says)
 *
 * Nothing read back is trusted (a file may be damaged or made by
 * someone else): every row is checked before it reaches the store, and
 * a bad one is skipped and counted.
 */
#ifndef GK_WEBD_STORE_H
#define GK_WEBD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "history.h"

#define STORE_VERSION		1
#define STORE_USAGE_DAYS	400
#define STORE_MAX_HISTORY	(400U * 86400)	/* a meta value believed */

struct store_stats {
	uint64_t	 checkpoints;		/* transactions committed */
	uint64_t	 minutes_written;	/* (pair, minute) rows */
	uint64_t	 write_failures;	/* transactions rolled back */
	uint64_t	 rows_restored;		/* minutes taken in at start */
	uint64_t	 rows_rejected;		/* rows that did not check */
	uint64_t	 records_restored;	/* seconds taken in at start */
	uint64_t	 rows_pruned;		/* older than history / 400 d */
	uint64_t	 last_ms;		/* the last commit's time */
};

enum {
	SQ_BEGIN, SQ_COMMIT, SQ_ROLLBACK, SQ_PAIR, SQ_OLD, SQ_ACTIVE,
	SQ_MINUTE, SQ_USAGE, SQ_DONE, SQ_HISTORY, SQ_PRUNE_MIN, SQ_PRUNE_PAIRS,
	SQ_PRUNE_USAGE, SQ_USAGE_GET, SQ_MAX
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*q[SQ_MAX];
	uint32_t	 done_min;	/* minutes before it are written */
	uint32_t	 history_s;	/* what the file is kept for */
	struct store_stats st;
};

#define STORE_DAMAGED	(-2)

/* SQLite's quick check of the whole file: 0 when it says "ok";
 * STORE_DAMAGED when it finds a problem or SQLite calls the file corrupt;
 * -1 when it could not run (busy, I/O, memory: try again later). err is
 * filled ("quick check: " and the first problem or the error). */
int	store_quick_check(sqlite3 *, char *err, size_t errlen);

/* Creates the schema if missing and prepares the statements: 0, or -1
 * with err filled (a damaged or foreign file). */
int	store_init(struct store *, sqlite3 *, char *err, size_t errlen);
/* Finalizes the statements; the connection stays the caller's. */
void	store_fini(struct store *);

/*
 * Writes, in one transaction, what the store holds of seconds from the
 * minute done_min up to to_sec (exclusive): one row per pair and minute,
 * replacing a row written before from less data, and adds what is new to
 * the daily totals. done_min moves to to_sec's minute (a minute cut short
 * is written again, whole, next time). Prunes what is older than the
 * history and than USAGE_DAYS. 0, or -1 (rolled back, err filled).
 * Each pair's walk starts at its cursor (history.h) and leaves it where
 * the next one may start, so a checkpoint costs the minutes it writes,
 * not the pairs' whole chains.
 */
int	store_checkpoint(struct store *, struct hist *, uint32_t to_sec,
	    uint64_t now_ms, char *err, size_t errlen);

/* Rebuilds the store (a fresh region) from the rows of the history up
 * to now (the longer of the region's and the file's history; the region
 * takes it): the records taken in, or -1 (err filled). */
int	store_load(struct store *, struct hist *, uint64_t now_ms, char *err,
	    size_t errlen);

/*
 * A router without a real-time clock boots with its clock far behind
 * (until NTP): a rebuild then would find nothing in the window. The
 * clock is behind when it is before the start of the file's "done"
 * minute (the last checkpoint was written after that): the rebuild
 * waits (checkpoint.c). Checkpoints go on meanwhile and write nothing
 * (their window starts at "done", after such a clock).
 */
int	store_clock_behind(const struct store *, uint64_t now_ms);
/*
 * The rebuild that waited, once the clock is set (the drain moved what
 * the region took in since start with the step): the region's data is
 * checkpointed, the current second closed with it (its later summaries
 * count as late), then the region is emptied and rebuilt from the file,
 * which holds both. The file is checked first (store_quick_check): a
 * damaged one returns STORE_DAMAGED and the region is left whole, the
 * truth until a new file is written from it (emptied first, a file that
 * proved unreadable would leave no history at all). The records taken
 * in, or -1 (err filled; the region is left as it was when the
 * checkpoint failed).
 */
int	store_catch_up(struct store *, struct hist *, uint64_t now_ms,
	    char *err, size_t errlen);

/* The local date of epoch s as "YYYY-MM-DD". */
void	store_day(uint64_t epoch_s, char out[11]);
/* A day checked ("2027-01-15", a real date), moved by delta days, into
 * out; -1 when it is not a date. */
int	store_day_add(const char *day, int delta, char out[11]);

struct store_usage_row {
	char		 day[11];
	uint64_t	 c[HIST_NC];
	uint64_t	 minutes;	/* active minutes */
};
/* The device's days in [from, to] (dates), oldest first: fn per row.
 * 0, or -1 (err filled). */
int	store_usage(struct store *, const uint8_t mac[6], const char *from,
	    const char *to, void (*fn)(const struct store_usage_row *, void *),
	    void *arg, char *err, size_t errlen);

#endif
