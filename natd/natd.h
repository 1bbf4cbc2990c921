/*
 * What natd.c (main, the queue, the timer, the config, natd.conf) and
 * ctl.c (status, gkctl's commands) share: natd's state. Not part of the
 * core (nat.h), which knows nothing of either.
 */
#ifndef GK_NATD_NATD_H
#define GK_NATD_NATD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nat.h"
#include "natconf.h"
#include "verdict.h"

struct ctl_handler;
struct gk_ring_prod;

/* The queue's counters (the core's are in nat.st). */
struct natd_io {
	uint64_t	 received;
	uint64_t	 accepted, dropped;
	uint64_t	 rewritten;
	uint64_t	 truncated;	/* longer than the queue copies */
	uint64_t	 not_ipv4;
	uint64_t	 bad_messages;	/* netlink we could not parse */
	uint64_t	 enobufs;	/* the kernel's queue overflowed */
	uint64_t	 batches;
	uint64_t	 held;		/* verdicts deferred: held fragments */
	uint64_t	 ring_off;	/* summaries not written: no ring */
	uint64_t	 orphans_dropped; /* 1: the batch drop was sent */
	uint64_t	 gso;		/* GSO super-packets passed */
	uint64_t	 gso_segments;	/* the wire packets they stand for */
};

/* natd.c */
extern struct nat		 nat;
extern struct natd_io		 io;
extern struct verdicts		 vq;
extern int			 state_kept;	/* nat_attach()'s answer */
extern struct gk_ring_prod	*ring;		/* NULL: no summaries */
extern struct natconf		 saved;		/* gkctl's forwards, timeouts */
extern struct nat_timeouts	 conf_to;	/* gatekeeper.conf's, 0 unset */
extern int			 configured;
extern char			 fwd_error[256];

int	natconf_save(char *err, size_t errlen);
void	apply_timeouts(struct nat_config *);
int	forwards_sync(char *err, size_t errlen);

/* ctl.c */
void	natd_status(json_t *detail, void *arg);
void	ctl_rates(uint32_t secs);
extern const struct ctl_handler natd_handlers[];
extern const int natd_nhandlers;

#endif
