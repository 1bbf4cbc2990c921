/*
 * webd's checkpoints of the traffic history to SQLite in its state dir
 * (the I/O around store.c): the file, the minute timer, the rebuild at
 * start, the last write at exit, and a damaged file moved aside.
 */
#ifndef GK_WEBD_CHECKPOINT_H
#define GK_WEBD_CHECKPOINT_H

#include <jansson.h>

#include "history.h"

struct event_base;
struct store;

/* Opens the database (moving a damaged one aside), rebuilds the store
 * from it unless the region was kept (kept 0), and starts the timer. */
void	checkpoint_init(struct event_base *, struct hist *, int kept);
/* The store, for the usage queries (its db is NULL while there is none). */
struct store *checkpoint_store(void);
/* Its counters, for status. */
json_t	*checkpoint_status_json(void);

#endif
