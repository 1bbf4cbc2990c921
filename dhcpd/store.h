/*
 * leases.db: the leases and the gkctl reservations in SQLite, WAL mode,
 * synchronous=FULL, so a committed transaction survives kill -9 and power
 * loss. The caller groups many lease changes into one transaction (one
 * fsync) and sends the replies only after the commit.
 */
#ifndef GK_DHCPD_STORE_H
#define GK_DHCPD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

struct dhcp_store;

/* NULL with err filled when the database cannot be opened or created. */
struct dhcp_store *store_open(const char *path, char *err, size_t errlen);
void	store_close(struct dhcp_store *);
const char *store_error(struct dhcp_store *);

/*
 * Checkpoints: automatic (SQLite's, inside a commit, which then takes
 * as long as copying the WAL into the database) or left to
 * store_checkpoint() on another connection, which copies what is
 * committed (PASSIVE: it never blocks a commit) and says how many pages.
 */
int	store_checkpoint_mode(struct dhcp_store *, int automatic);
int	store_checkpoint(struct dhcp_store *, int *pages);

int	store_begin(struct dhcp_store *);
int	store_commit(struct dhcp_store *);
void	store_rollback(struct dhcp_store *);
int	store_in_txn(const struct dhcp_store *);

int	store_put_lease(struct dhcp_store *, const struct dhcp_lease *);
/* Calls fn for every stored lease; returns how many, or -1. */
int	store_load_leases(struct dhcp_store *,
	    void (*fn)(const struct dhcp_lease *, void *), void *);

/* gkctl reservations (static-lease lines live in the config only). */
int	store_put_resv(struct dhcp_store *, const uint8_t mac[6], uint32_t ip,
	    const char *name);
int	store_del_resv(struct dhcp_store *, const uint8_t mac[6]);
int	store_load_resv(struct dhcp_store *,
	    void (*fn)(const uint8_t mac[6], uint32_t ip, const char *name,
	    void *), void *);

#endif
