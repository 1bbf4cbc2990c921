/*
 * The lease database. Addresses are stored in host order so that the
 * sqlite3 shell shows them sortable; MACs as text, client keys as blobs.
 */
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "util.h"

#define STORE_VERSION	1

struct dhcp_store {
	sqlite3		*db;
	sqlite3_stmt	*put_lease, *put_resv, *del_resv;
	int		 in_txn;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"PRAGMA temp_store=MEMORY;"
	"CREATE TABLE IF NOT EXISTS leases ("
	"  ip INTEGER PRIMARY KEY,"
	"  state INTEGER NOT NULL,"
	"  key BLOB,"
	"  mac TEXT NOT NULL,"
	"  hostname TEXT NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  src TEXT);"
	"CREATE TABLE IF NOT EXISTS reservations ("
	"  mac TEXT PRIMARY KEY,"
	"  ip INTEGER NOT NULL UNIQUE,"
	"  name TEXT NOT NULL);";

static int	exec(struct dhcp_store *, const char *);

/*
 * A file from before the leases' src column (the frame source a lease
 * counts against for dhcp-mac-limit) gets it, empty: those leases count
 * against nobody until their client's next exchange.
 */
static int
add_src_column(struct dhcp_store *st)
{
	sqlite3_stmt	*s;

	if (sqlite3_prepare_v2(st->db, "SELECT src FROM leases LIMIT 0", -1,
	    &s, NULL) == SQLITE_OK) {
		sqlite3_finalize(s);
		return 0;
	}
	return exec(st, "ALTER TABLE leases ADD COLUMN src TEXT");
}

const char *
store_error(struct dhcp_store *st)
{
	return sqlite3_errmsg(st->db);
}

static int
mac_parse(const unsigned char *s, uint8_t mac[6])
{
	unsigned int	v[6];
	int		i;

	if (s == NULL || sscanf((const char *)s, "%2x:%2x:%2x:%2x:%2x:%2x",
	    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

struct dhcp_store *
store_open(const char *path, char *err, size_t errlen)
{
	struct dhcp_store *st;
	char		*msg = NULL;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, st->db ?
		    sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 1000);
	if (sqlite3_exec(st->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "schema");
		sqlite3_free(msg);
		goto fail;
	}
	if (add_src_column(st) == -1 ||
	    sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO leases (ip, "
	    "state, key, mac, hostname, expires, first_seen, last_seen, src) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st->put_lease,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO reservations "
	    "VALUES (?, ?, ?)", -1, &st->put_resv, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "DELETE FROM reservations WHERE "
	    "mac = ?", -1, &st->del_resv, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

int
store_checkpoint_mode(struct dhcp_store *st, int automatic)
{
	return exec(st, automatic ? "PRAGMA wal_autocheckpoint=1000" :
	    "PRAGMA wal_autocheckpoint=0");
}

int
store_checkpoint(struct dhcp_store *st, int *pages)
{
	int	log = 0, done = 0;

	if (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    &log, &done) != SQLITE_OK)
		return -1;
	*pages = done;
	return 0;
}

void
store_close(struct dhcp_store *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->put_lease);
	sqlite3_finalize(st->put_resv);
	sqlite3_finalize(st->del_resv);
	sqlite3_close(st->db);
	free(st);
}

static int
exec(struct dhcp_store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    -1;
}

int
store_begin(struct dhcp_store *st)
{
	if (st->in_txn)
		return 0;
	if (exec(st, "BEGIN") == -1)
		return -1;
	st->in_txn = 1;
	return 0;
}

int
store_commit(struct dhcp_store *st)
{
	if (!st->in_txn)
		return 0;
	if (exec(st, "COMMIT") == -1) {
		store_rollback(st);
		return -1;
	}
	st->in_txn = 0;
	return 0;
}

/*
 * SQLite may have rolled back already (a COMMIT that hit a full disk):
 * a second ROLLBACK would fail and replace the error worth telling
 * ("database or disk is full") with "no transaction is active".
 */
void
store_rollback(struct dhcp_store *st)
{
	if (st->in_txn && !sqlite3_get_autocommit(st->db))
		(void)exec(st, "ROLLBACK");
	st->in_txn = 0;
}

int
store_in_txn(const struct dhcp_store *st)
{
	return st->in_txn;
}

static int
step_done(sqlite3_stmt *s)
{
	int	rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_put_lease(struct dhcp_store *st, const struct dhcp_lease *e)
{
	sqlite3_stmt	*s = st->put_lease;
	char		 mac[18], src[18];

	mac_str(e->mac, mac, sizeof(mac));
	sqlite3_bind_int64(s, 1, ntohl(e->ip));
	sqlite3_bind_int(s, 2, e->state);
	if (e->keylen)
		sqlite3_bind_blob(s, 3, e->key, e->keylen, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_text(s, 4, mac, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, e->hostname, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 6, e->expires);
	sqlite3_bind_int64(s, 7, e->first_seen);
	sqlite3_bind_int64(s, 8, e->last_seen);
	if (e->src_linked) {
		mac_str(e->src, src, sizeof(src));
		sqlite3_bind_text(s, 9, src, -1, SQLITE_TRANSIENT);
	} else
		sqlite3_bind_null(s, 9);
	return step_done(s);
}

int
store_load_leases(struct dhcp_store *st,
    void (*fn)(const struct dhcp_lease *, void *), void *arg)
{
	sqlite3_stmt	*s;
	struct dhcp_lease e;
	const void	*blob;
	const unsigned char *text;
	int		 n = 0, rc, bl;

	if (sqlite3_prepare_v2(st->db, "SELECT ip, state, key, mac, hostname, "
	    "expires, first_seen, last_seen, src FROM leases", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.ip = htonl((uint32_t)sqlite3_column_int64(s, 0));
		e.state = (uint8_t)sqlite3_column_int(s, 1);
		blob = sqlite3_column_blob(s, 2);
		bl = sqlite3_column_bytes(s, 2);
		if (blob != NULL && bl > 0 && bl <= DHCP_KEY_MAX) {
			memcpy(e.key, blob, (size_t)bl);
			e.keylen = (uint8_t)bl;
		}
		if (mac_parse(sqlite3_column_text(s, 3), e.mac) == -1)
			memset(e.mac, 0, sizeof(e.mac));
		if ((text = sqlite3_column_text(s, 4)) != NULL)
			strlcpy(e.hostname, (const char *)text,
			    sizeof(e.hostname));
		e.expires = sqlite3_column_int64(s, 5);
		e.first_seen = sqlite3_column_int64(s, 6);
		e.last_seen = sqlite3_column_int64(s, 7);
		e.src_linked = mac_parse(sqlite3_column_text(s, 8),
		    e.src) == 0;
		fn(&e, arg);
		n++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? n : -1;
}

int
store_put_resv(struct dhcp_store *st, const uint8_t mac[6], uint32_t ip,
    const char *name)
{
	sqlite3_stmt	*s = st->put_resv;
	char		 m[18];

	mac_str(mac, m, sizeof(m));
	sqlite3_bind_text(s, 1, m, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, ntohl(ip));
	sqlite3_bind_text(s, 3, name, -1, SQLITE_TRANSIENT);
	return step_done(s);
}

int
store_del_resv(struct dhcp_store *st, const uint8_t mac[6])
{
	sqlite3_stmt	*s = st->del_resv;
	char		 m[18];

	mac_str(mac, m, sizeof(m));
	sqlite3_bind_text(s, 1, m, -1, SQLITE_TRANSIENT);
	return step_done(s);
}

int
store_load_resv(struct dhcp_store *st,
    void (*fn)(const uint8_t mac[6], uint32_t ip, const char *name, void *),
    void *arg)
{
	sqlite3_stmt	*s;
	uint8_t		 mac[6];
	const unsigned char *name;
	int		 n = 0, rc;

	if (sqlite3_prepare_v2(st->db, "SELECT mac, ip, name FROM "
	    "reservations", -1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (mac_parse(sqlite3_column_text(s, 0), mac) == -1)
			continue;
		name = sqlite3_column_text(s, 2);
		fn(mac, htonl((uint32_t)sqlite3_column_int64(s, 1)),
		    name ? (const char *)name : "", arg);
		n++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? n : -1;
}
