/*
 * libFuzzer target: the history's checkpoints read back from a hostile
 * file (webd/store.c, webd/ckpt.c). An input that starts like an SQLite
 * file is opened as the database (in memory) and loaded into a fresh
 * store, then its daily totals are read and two checkpoints written back
 * (the second from the pairs' cursors the first left, whatever minute
 * the file said was done);
 * any other input is a minute's blob (4 bytes of minute, then the blob)
 * decoded and restored into a pair. Either way the store must attach
 * again whole afterwards: anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ckpt.h"
#include "store.h"

#define T0		1800000000000ULL
#define SIZE		HIST_MIN_SIZE

static uint8_t	*mem;

static void
day(const struct store_usage_row *r, void *arg)
{
	*(uint64_t *)arg += r->c[HIST_BU] + r->minutes;
}

static void
from_db(struct hist *hs, const uint8_t *data, size_t len)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct store	 st;
	sqlite3		*db;
	uint8_t		*img;
	uint64_t	 sum = 0;
	char		 err[256];

	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    (img = sqlite3_malloc64(len)) == NULL)
		abort();
	memcpy(img, data, len);
	if (sqlite3_deserialize(db, "main", img, len, len,
	    SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) ==
	    SQLITE_OK && store_init(&st, db, err, sizeof(err)) == 0) {
		store_load(&st, hs, T0, err, sizeof(err));
		store_usage(&st, mac, "2020-01-01", "2030-01-01", day, &sum,
		    err, sizeof(err));
		hist_tick(hs, T0 + 1000);
		store_checkpoint(&st, hs, (uint32_t)(T0 / 1000), T0, err,
		    sizeof(err));
		hist_tick(hs, T0 + 61000);
		store_checkpoint(&st, hs, (uint32_t)(T0 / 1000) + 60,
		    T0 + 60000, err, sizeof(err));
		store_fini(&st);
	}
	sqlite3_close(db);
}

static void
from_blob(struct hist *hs, const uint8_t *data, size_t len)
{
	struct hist_pair m;
	uint32_t	 minute, p;

	if (len < 4)
		return;
	memcpy(&minute, data, 4);
	/* around T0 mostly, so the restore gets as far as the store */
	minute = (uint32_t)(T0 / 60000) - 1440 + minute % 1500;
	memset(&m, 0, sizeof(m));
	m.mac[0] = 0x52;
	m.remote = 0x0100000a;
	m.first_ms = m.last_ms = (uint64_t)minute * 60000;
	if ((p = hist_restore_pair(hs, &m)) == HIST_NONE)
		abort();
	ckpt_restore(hs, p, minute, data + 4, len - 4);
	ckpt_restore(hs, p, minute + 1, data + 4, len - 4);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hist	 hs;

	if (mem == NULL && (mem = malloc(SIZE)) == NULL)
		abort();
	memset(mem, 0, SIZE);
	if (hist_attach(&hs, mem, SIZE, 86400) != 0)
		abort();
	hs.h->now_ms = T0;
	if (len >= 16 && memcmp(data, "SQLite format 3", 16) == 0)
		from_db(&hs, data, len);
	else
		from_blob(&hs, data, len);
	if (hist_attach(&hs, mem, SIZE, 86400) != 1 || hs.h->st.salvaged != 0)
		abort();
	return 0;
}
