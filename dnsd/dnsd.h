/*
 * dnsd's own state, shared by its I/O (dnsd.c) and its status and
 * command handlers (ctl.c); nothing outside dnsd includes this. What
 * only the I/O needs (sockets, queries in flight) stays static there.
 */
#ifndef GK_DNSD_H
#define GK_DNSD_H

#include <stdint.h>

#include <jansson.h>

#include "child.h"
#include "observe.h"
#include "server.h"

struct dnsd {
	struct server	 srv;		/* the decisions, counters, log */
	struct obs	 obs;		/* the batch for webd */
	uint64_t	 dhcp_names_added, dhcp_names_refused;
	/* webd's PTR questions: asked, answered with a name, refused
	 * (PTR_INFLIGHT out), answers webd's channel did not take */
	uint64_t	 ptr_asked, ptr_found, ptr_busy, ptr_lost;
};

extern struct dnsd	 dnsd;

/* ctl.c */
extern const struct ctl_handler	dnsd_handlers[];
extern const int		dnsd_nhandlers;
void	dnsd_status(json_t *detail, void *arg);

#endif
