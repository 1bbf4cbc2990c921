/*
 * webd's own state, shared by its I/O (webd.c) and its status and
 * command handlers (ctl.c); nothing outside webd includes this.
 */
#ifndef GK_WEBD_H
#define GK_WEBD_H

#include <stdint.h>

#include <jansson.h>

#include "child.h"

struct names;
struct proto_chan;

struct webd {
	struct names		*names;
	struct proto_chan	*dnsd_chan;
	uint64_t		 dnsd_unexpected;	/* not MSG_DNS_OBS */
};

extern struct webd	 webd;

/* ctl.c */
extern const struct ctl_handler	webd_handlers[];
extern const int		webd_nhandlers;
void	webd_status(json_t *detail, void *arg);

#endif
