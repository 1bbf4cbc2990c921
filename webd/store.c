/*
 * The traffic history in SQLite (store.h): checkpoints of closed
 * minutes, the rebuild at start, and the daily totals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ckpt.h"
#include "store.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER)"
	";"
	"CREATE TABLE IF NOT EXISTS pairs(id INTEGER PRIMARY KEY,"
	" mac BLOB NOT NULL, remote INTEGER NOT NULL, lan_ip INTEGER,"
	" first_ms INTEGER, last_ms INTEGER, ports BLOB, name TEXT,"
	" UNIQUE(mac, remote));"
	"CREATE TABLE IF NOT EXISTS minutes(pair INTEGER NOT NULL,"
	" minute INTEGER NOT NULL, bu INTEGER, bd INTEGER, pu INTEGER,"
	" pd INTEGER, data BLOB NOT NULL, PRIMARY KEY(pair, minute))"
	" WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS minutes_by_time ON minutes(minute);"
	"CREATE TABLE IF NOT EXISTS usage(mac BLOB NOT NULL, day TEXT NOT NULL,"
	" bu INTEGER, bd INTEGER, pu INTEGER, pd INTEGER, minutes INTEGER,"
	" PRIMARY KEY(mac, day)) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO meta VALUES('version', 1);"
	"INSERT OR IGNORE INTO meta VALUES('done', 0);"
	"INSERT OR IGNORE INTO meta VALUES('history', 0);";

static const char *const sql[SQ_MAX] = {
	[SQ_BEGIN] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_PAIR] = "INSERT INTO pairs(mac, remote, lan_ip, first_ms, last_ms,"
	    " ports, name) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(mac, remote) DO UPDATE SET lan_ip = ?3,"
	    " first_ms = min(first_ms, ?4), last_ms = max(last_ms, ?5),"
	    " ports = ?6, name = ?7 RETURNING id",
	[SQ_OLD] = "SELECT bu, bd, pu, pd FROM minutes"
	    " WHERE pair = ? AND minute = ?",
	[SQ_ACTIVE] = "SELECT 1 FROM minutes JOIN pairs ON pairs.id ="
	    " minutes.pair WHERE minutes.minute = ? AND pairs.mac = ? LIMIT 1",
	[SQ_MINUTE] = "INSERT OR REPLACE INTO minutes VALUES(?, ?, ?, ?, ?, ?,"
	    " ?)",
	[SQ_USAGE] = "INSERT INTO usage VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(mac, day) DO UPDATE SET bu = bu + ?3, bd = bd + ?4,"
	    " pu = pu + ?5, pd = pd + ?6, minutes = minutes + ?7",
	[SQ_DONE] = "UPDATE meta SET value = ? WHERE key = 'done'",
	[SQ_HISTORY] = "UPDATE meta SET value = ? WHERE key = 'history'",
	[SQ_PRUNE_MIN] = "DELETE FROM minutes WHERE minute < ?",
	[SQ_PRUNE_PAIRS] = "DELETE FROM pairs WHERE last_ms < ?1 AND NOT"
	    " EXISTS (SELECT 1 FROM minutes WHERE pair = pairs.id)",
	[SQ_PRUNE_USAGE] = "DELETE FROM usage WHERE day < ?",
	[SQ_USAGE_GET] = "SELECT day, bu, bd, pu, pd, minutes FROM usage"
	    " WHERE mac = ? AND day >= ? AND day <= ? ORDER BY day",
};

static int
fail(struct store *s, char *err, size_t len, const char *what)
{
	snprintf(err, len, "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

int
store_quick_check(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt	*q;
	const char	*r = NULL;
	int		 rc, code;

	if ((rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &q,
	    NULL)) == SQLITE_OK) {
		if ((rc = sqlite3_step(q)) == SQLITE_ROW)
			r = (const char *)sqlite3_column_text(q, 0);
	}
	if (r != NULL && strcmp(r, "ok") == 0) {
		sqlite3_finalize(q);
		return 0;
	}
	snprintf(err, errlen, "quick check: %.100s", r != NULL ? r :
	    sqlite3_errmsg(db));
	sqlite3_finalize(q);
	/* a busy or failing disk is not a damaged file */
	code = sqlite3_errcode(db) & 0xff;
	return r != NULL || code == SQLITE_CORRUPT || code == SQLITE_NOTADB ?
	    STORE_DAMAGED : -1;
}

/* One statement, reset and with its bindings cleared, ready to bind. */
static sqlite3_stmt *
stmt(struct store *s, int i)
{
	sqlite3_reset(s->q[i]);
	sqlite3_clear_bindings(s->q[i]);
	return s->q[i];
}

static int
run(struct store *s, int i)
{
	int	 rc = sqlite3_step(s->q[i]);

	sqlite3_reset(s->q[i]);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int
store_init(struct store *s, sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt	*q;
	int		 i, v = -1;

	memset(s, 0, sizeof(*s));
	s->db = db;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, err, errlen, "schema");
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &q,
	    NULL) != SQLITE_OK)
		return fail(s, err, errlen, "meta");
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(q, 0);

		if (k != NULL && strcmp(k, "version") == 0)
			v = sqlite3_column_int(q, 1);
		else if (k != NULL && strcmp(k, "done") == 0 &&
		    sqlite3_column_int64(q, 1) >= 0 &&
		    sqlite3_column_int64(q, 1) < UINT32_MAX / 60)
			s->done_min = (uint32_t)sqlite3_column_int64(q, 1);
		else if (k != NULL && strcmp(k, "history") == 0 &&
		    sqlite3_column_int64(q, 1) > 0 &&
		    sqlite3_column_int64(q, 1) <= STORE_MAX_HISTORY)
			s->history_s = (uint32_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (v != STORE_VERSION) {
		snprintf(err, errlen, "schema version %d, not %d", v,
		    STORE_VERSION);
		return -1;
	}
	for (i = 0; i < SQ_MAX; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &s->q[i], NULL) != SQLITE_OK) {
			store_fini(s);
			return fail(s, err, errlen, "prepare");
		}
	return 0;
}

void
store_fini(struct store *s)
{
	int	 i;

	for (i = 0; i < SQ_MAX; i++) {
		sqlite3_finalize(s->q[i]);
		s->q[i] = NULL;
	}
}

/* ---- days ---- */

void
store_day(uint64_t epoch_s, char out[11])
{
	time_t		 t = (time_t)epoch_s;
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		strlcpy(out, "1970-01-01", 11);
}

int
store_day_add(const char *day, int delta, char out[11])
{
	struct tm	 tm;
	const char	*end;
	char		 back[11];
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(day) != 10 || day[4] != '-' || day[7] != '-' ||
	    (end = strptime(day, "%Y-%m-%d", &tm)) == NULL || *end != '\0' ||
	    tm.tm_year < 70 || tm.tm_year > 8000)
		return -1;
	tm.tm_hour = 12;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	/* a date that is not (2027-02-30) does not come back the same */
	gmtime_r(&t, &tm);
	strftime(back, sizeof(back), "%Y-%m-%d", &tm);
	if (strcmp(back, day) != 0)
		return -1;
	t += (time_t)delta * 86400;
	gmtime_r(&t, &tm);
	if (strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		return -1;
	return 0;
}

/* ---- checkpoints ---- */

struct wctx {
	struct store	*s;
	const struct hist *hs;
	uint32_t	 p;
	int64_t		 id;		/* the pair's row; -1 until asked */
	int		 failed;
};

static void
ports_blob(const struct hist_pair *e, uint8_t b[HIST_PORTS * 3])
{
	int	 i;

	for (i = 0; i < HIST_PORTS; i++) {
		b[i * 3] = e->ports[i].proto;
		b[i * 3 + 1] = (uint8_t)(e->ports[i].port >> 8);
		b[i * 3 + 2] = (uint8_t)e->ports[i].port;
	}
}

static int64_t
pair_row(struct store *s, const struct hist_pair *e)
{
	sqlite3_stmt	*q = stmt(s, SQ_PAIR);
	uint8_t		 ports[HIST_PORTS * 3];
	char		 name[HIST_NAME];
	int64_t		 id = -1;

	ports_blob(e, ports);
	memcpy(name, e->name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	sqlite3_bind_blob(q, 1, e->mac, 6, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, e->remote);
	sqlite3_bind_int64(q, 3, e->lan_ip);
	sqlite3_bind_int64(q, 4, (int64_t)e->first_ms);
	sqlite3_bind_int64(q, 5, (int64_t)e->last_ms);
	sqlite3_bind_blob(q, 6, ports, sizeof(ports), SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 7, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(q) == SQLITE_ROW)
		id = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return id;
}

/* The sums already written for (id, minute); 0 when there is no row. */
static int
old_sums(struct store *s, int64_t id, uint32_t minute, uint64_t old[HIST_NC])
{
	sqlite3_stmt	*q = stmt(s, SQ_OLD);
	int		 i, found = 0;

	memset(old, 0, sizeof(uint64_t) * HIST_NC);
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, minute);
	if (sqlite3_step(q) == SQLITE_ROW) {
		found = 1;
		for (i = 0; i < HIST_NC; i++) {
			int64_t v = sqlite3_column_int64(q, i);

			old[i] = v > 0 ? (uint64_t)v : 0;
		}
	}
	sqlite3_reset(q);
	return found;
}

/* 1 when the device has a row for minute already (an active minute). */
static int
device_active(struct store *s, const uint8_t mac[6], uint32_t minute)
{
	sqlite3_stmt	*q = stmt(s, SQ_ACTIVE);
	int		 rc;

	sqlite3_bind_int64(q, 1, minute);
	sqlite3_bind_blob(q, 2, mac, 6, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return rc;
}

static int
add_usage(struct store *s, const uint8_t mac[6], uint32_t minute,
    const uint64_t d[HIST_NC], int new_minute)
{
	sqlite3_stmt	*q = stmt(s, SQ_USAGE);
	char		 day[11];
	int		 i;

	store_day((uint64_t)minute * 60, day);
	sqlite3_bind_blob(q, 1, mac, 6, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, day, 10, SQLITE_TRANSIENT);
	for (i = 0; i < HIST_NC; i++)
		sqlite3_bind_int64(q, 3 + i, (int64_t)d[i]);
	sqlite3_bind_int64(q, 7, new_minute);
	return run(s, SQ_USAGE);
}

/*
 * One pair's minute: replaces the row unless the row holds more (the
 * store lost some under its cap, or a rebuild fell short), and adds the
 * difference to the device's day.
 */
static int
write_minute(uint32_t minute, const uint8_t *blob, size_t len,
    const uint64_t sum[HIST_NC], void *arg)
{
	struct wctx	*w = arg;
	struct store	*s = w->s;
	const struct hist_pair *e = &w->hs->pairs[w->p];
	sqlite3_stmt	*q;
	uint64_t	 old[HIST_NC], d[HIST_NC];
	int		 i, had, active;

	if (w->id == -1 && (w->id = pair_row(s, e)) == -1)
		return w->failed = -1;
	had = old_sums(s, w->id, minute, old);
	if (had && sum[HIST_BU] + sum[HIST_BD] <= old[HIST_BU] + old[HIST_BD] &&
	    sum[HIST_PU] + sum[HIST_PD] <= old[HIST_PU] + old[HIST_PD])
		return 0;
	active = !had && !device_active(s, e->mac, minute);
	q = stmt(s, SQ_MINUTE);
	sqlite3_bind_int64(q, 1, w->id);
	sqlite3_bind_int64(q, 2, minute);
	for (i = 0; i < HIST_NC; i++) {
		sqlite3_bind_int64(q, 3 + i, (int64_t)sum[i]);
		d[i] = sum[i] > old[i] ? sum[i] - old[i] : 0;
	}
	sqlite3_bind_blob(q, 7, blob, (int)len, SQLITE_STATIC);
	if (run(s, SQ_MINUTE) == -1 || add_usage(s, e->mac, minute, d,
	    active) == -1)
		return w->failed = -1;
	s->st.minutes_written++;
	return 0;
}

static int
bind_run(struct store *s, int i, int64_t v)
{
	sqlite3_bind_int64(stmt(s, i), 1, v);
	return run(s, i);
}

static int
prune(struct store *s, const struct hist *hs, uint64_t now_ms)
{
	uint64_t	 now = now_ms / 1000, keep = hs->h->history_s;
	uint64_t	 cut = now > keep ? now - keep : 0;
	char		 today[11], oldest[11];
	int		 n0 = sqlite3_total_changes(s->db);

	store_day(now, today);
	if (bind_run(s, SQ_PRUNE_MIN, (int64_t)(cut / 60)) == -1 ||
	    bind_run(s, SQ_PRUNE_PAIRS, (int64_t)cut * 1000) == -1 ||
	    store_day_add(today, -STORE_USAGE_DAYS, oldest) == -1)
		return -1;
	sqlite3_bind_text(stmt(s, SQ_PRUNE_USAGE), 1, oldest, 10,
	    SQLITE_TRANSIENT);
	if (run(s, SQ_PRUNE_USAGE) == -1)
		return -1;
	s->st.rows_pruned += (uint64_t)(sqlite3_total_changes(s->db) - n0);
	return 0;
}

int
store_checkpoint(struct store *s, struct hist *hs, uint32_t to_sec,
    uint64_t now_ms, char *err, size_t errlen)
{
	struct wctx	 w = { s, hs, 0, -1, 0 };
	uint32_t	 from, keep = hs->h->history_s, now = (uint32_t)(now_ms /
	    1000), next;
	const struct hist_pair *e;
	struct hist_cursor cur;

	/* nothing older than the history, nothing newer than now */
	from = s->done_min * 60;
	if (now > keep && from < now - keep)
		from = (now - keep) / 60 * 60;
	if (to_sec > now)
		to_sec = now;
	/* where the next checkpoint starts, if this one commits */
	next = (to_sec / 60 > s->done_min ? to_sec / 60 : s->done_min) * 60;
	if (run(s, SQ_BEGIN) == -1)
		return fail(s, err, errlen, "begin");
	for (w.p = 0; w.p < hs->h->phwm && from < to_sec; w.p++) {
		e = &hs->pairs[w.p];
		if (!e->used || e->last_ms / 1000 < from)
			continue;
		w.id = -1;
		hist_cursor_resume(hs, w.p, from, &cur);
		if (ckpt_encode(hs, w.p, &cur, from, to_sec, write_minute,
		    &w) != 0)
			break;
		/* a rollback keeps done_min behind the cursor: it then
		 * fails its check and the next walk is from the head,
		 * longer, never short */
		hist_cursor_keep(hs, w.p, &cur, next);
	}
	if (w.failed || bind_run(s, SQ_DONE, to_sec / 60 > s->done_min ?
	    to_sec / 60 : s->done_min) == -1 ||
	    bind_run(s, SQ_HISTORY, keep) == -1 ||
	    prune(s, hs, now_ms) == -1 || run(s, SQ_COMMIT) == -1) {
		fail(s, err, errlen, "checkpoint");
		run(s, SQ_ROLLBACK);
		s->st.write_failures++;
		return -1;
	}
	if (to_sec / 60 > s->done_min)
		s->done_min = to_sec / 60;
	s->history_s = keep;
	s->st.checkpoints++;
	s->st.last_ms = now_ms;
	return 0;
}

/* ---- the rebuild ---- */

/* A pairs row into meta; -1 when a field does not check. */
static int
pair_meta(sqlite3_stmt *q, struct hist_pair *m)
{
	const uint8_t	*mac = sqlite3_column_blob(q, 1);
	const uint8_t	*ports;
	const unsigned char *name;
	int64_t		 remote, lan, first, last;
	int		 i, n;

	memset(m, 0, sizeof(*m));
	remote = sqlite3_column_int64(q, 2);
	lan = sqlite3_column_int64(q, 3);
	first = sqlite3_column_int64(q, 4);
	last = sqlite3_column_int64(q, 5);
	if (mac == NULL || sqlite3_column_bytes(q, 1) != 6 || remote <= 0 ||
	    remote > UINT32_MAX || lan < 0 || lan > UINT32_MAX ||
	    first <= 0 || last < first || last > (int64_t)UINT32_MAX * 1000)
		return -1;
	memcpy(m->mac, mac, 6);
	m->remote = (uint32_t)remote;
	m->lan_ip = (uint32_t)lan;
	m->first_ms = (uint64_t)first;
	m->last_ms = (uint64_t)last;
	ports = sqlite3_column_blob(q, 6);
	if (ports != NULL && sqlite3_column_bytes(q, 6) == HIST_PORTS * 3)
		for (i = 0; i < HIST_PORTS; i++) {
			m->ports[i].proto = ports[i * 3];
			m->ports[i].port = (uint16_t)(ports[i * 3 + 1] << 8 |
			    ports[i * 3 + 2]);
		}
	/* a name shown on the dashboard: printable ASCII, or none */
	name = sqlite3_column_text(q, 7);
	n = sqlite3_column_bytes(q, 7);
	if (name != NULL && n < HIST_NAME) {
		for (i = 0; i < n && name[i] >= 0x20 && name[i] < 0x7f; i++)
			m->name[i] = (char)name[i];
		if (i < n)
			memset(m->name, 0, sizeof(m->name));
	}
	return 0;
}

static int
load_minutes(struct store *s, sqlite3_stmt *mq, struct hist *hs, uint32_t p,
    int64_t id)
{
	const uint8_t	*blob;
	int64_t		 minute;
	int		 n, rc;

	sqlite3_bind_int64(mq, 1, id);
	while ((rc = sqlite3_step(mq)) == SQLITE_ROW) {
		minute = sqlite3_column_int64(mq, 0);
		blob = sqlite3_column_blob(mq, 1);
		n = sqlite3_column_bytes(mq, 1);
		if (blob == NULL || minute <= 0 || minute >= UINT32_MAX / 60 ||
		    (n = ckpt_restore(hs, p, (uint32_t)minute, blob,
		    (size_t)n)) == -1) {
			s->st.rows_rejected++;
			continue;
		}
		s->st.rows_restored++;
		s->st.records_restored += (uint64_t)n;
	}
	sqlite3_reset(mq);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_load(struct store *s, struct hist *hs, uint64_t now_ms, char *err,
    size_t errlen)
{
	sqlite3_stmt	*pq = NULL, *mq = NULL;
	struct hist_pair m;
	uint64_t	 before = s->st.records_restored;
	uint32_t	 now = (uint32_t)(now_ms / 1000), p;
	uint32_t	 from = now > hs->h->history_s ? now - hs->h->history_s :
	    0;
	int		 rc;

	/* the history the file was kept for, till the config says (it
	 * comes after the rebuild) */
	if (s->history_s > hs->h->history_s) {
		hs->h->history_s = s->history_s;
		from = now > s->history_s ? now - s->history_s : 0;
	}
	hs->h->now_ms = now_ms;
	if (sqlite3_prepare_v2(s->db, "SELECT id, mac, remote, lan_ip,"
	    " first_ms, last_ms, ports, name FROM pairs WHERE last_ms >= ?"
	    " ORDER BY id", -1, &pq, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT minute, data FROM minutes"
	    " WHERE pair = ?1 AND minute >= ?2 AND minute <= ?3"
	    " ORDER BY minute", -1, &mq, NULL) != SQLITE_OK) {
		sqlite3_finalize(pq);
		return fail(s, err, errlen, "load");
	}
	sqlite3_bind_int64(pq, 1, (int64_t)from * 1000);
	sqlite3_bind_int64(mq, 2, from / 60);
	sqlite3_bind_int64(mq, 3, now / 60);
	while ((rc = sqlite3_step(pq)) == SQLITE_ROW) {
		if (pair_meta(pq, &m) == -1) {
			s->st.rows_rejected++;
			continue;
		}
		if ((p = hist_restore_pair(hs, &m)) == HIST_NONE)
			continue;
		if (load_minutes(s, mq, hs, p, sqlite3_column_int64(pq, 0)) ==
		    -1) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	sqlite3_finalize(mq);
	sqlite3_finalize(pq);
	if (rc != SQLITE_DONE)
		return fail(s, err, errlen, "load");
	return (int)(s->st.records_restored - before);
}

int
store_clock_behind(const struct store *s, uint64_t now_ms)
{
	return now_ms < (uint64_t)s->done_min * 60000;
}

int
store_catch_up(struct store *s, struct hist *hs, uint64_t now_ms, char *err,
    size_t errlen)
{
	uint64_t	 end = now_ms / 1000 * 1000 + 1000;
	int		 rc;

	if ((rc = store_quick_check(s->db, err, errlen)) != 0)
		return rc;
	hist_tick(hs, end);
	if (store_checkpoint(s, hs, (uint32_t)(end / 1000), end, err,
	    errlen) == -1)
		return -1;
	hist_reset(hs);
	return store_load(s, hs, end, err, errlen);
}

/* ---- daily totals ---- */

int
store_usage(struct store *s, const uint8_t mac[6], const char *from,
    const char *to, void (*fn)(const struct store_usage_row *, void *),
    void *arg, char *err, size_t errlen)
{
	sqlite3_stmt	*q = stmt(s, SQ_USAGE_GET);
	struct store_usage_row r;
	const unsigned char *day;
	int64_t		 v;
	int		 i, rc;

	sqlite3_bind_blob(q, 1, mac, 6, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, to, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		day = sqlite3_column_text(q, 0);
		if (day == NULL || sqlite3_column_bytes(q, 0) != 10 ||
		    store_day_add((const char *)day, 0, r.day) == -1) {
			s->st.rows_rejected++;
			continue;
		}
		for (i = 0; i < HIST_NC; i++) {
			v = sqlite3_column_int64(q, 1 + i);
			r.c[i] = v > 0 ? (uint64_t)v : 0;
		}
		v = sqlite3_column_int64(q, 5);
		r.minutes = v > 0 && v <= 1500 ? (uint64_t)v : 0;
		fn(&r, arg);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return fail(s, err, errlen, "usage");
	return 0;
}
