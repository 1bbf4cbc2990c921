/*
 * /api/usage and `gkctl usage`: a device's daily totals from the store
 * (store.h), as JSON or CSV. Every parameter is untrusted and checked
 * here.
 */
#ifndef GK_WEBD_USAGE_H
#define GK_WEBD_USAGE_H

#include <stdint.h>

#include "query.h"
#include "store.h"

/* A request's parameters, by name; NULL: absent. */
enum { UP_CLIENT, UP_FROM, UP_TO, UP_MAX };
extern const char *const usage_param_names[UP_MAX];

/*
 * client: a MAC, or an IPv4 address meaning the device seen last with it
 * in the history; from and to: dates (YYYY-MM-DD, local), by default the
 * USAGE_DAYS days kept up to today. Status 200 with json or (csv set)
 * csv, else 4xx/5xx with json {"error"}.
 */
void	usage_request(struct store *, const struct hist *, int csv,
	    const char *const params[UP_MAX], uint64_t now_ms,
	    struct query_reply *);

#endif
