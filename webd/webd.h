/*
 * webd's own state, shared by its I/O (webd.c) and its status and
 * command handlers (ctl.c); nothing outside webd includes this.
 */
#ifndef GK_WEBD_H
#define GK_WEBD_H

#include <netinet/in.h>

#include <stdint.h>

#include <jansson.h>

#include "auth.h"
#include "child.h"
#include "devices.h"
#include "oui.h"
#include "live.h"
#include "web.h"

struct names;
struct proto_chan;

struct webd {
	struct names		*names;
	struct proto_chan	*dnsd_chan;
	uint64_t		 dnsd_unexpected;	/* not MSG_DNS_OBS */
	struct auth		 auth;		/* sessions, lockouts */
	struct web_server	 srv;
	int			 serving;	/* http_start() done */
	struct live		 live;		/* /api/live's last totals */
	int			 live_asked;	/* a clients request out */
	uint32_t		 sessions_saved;	/* mono s */
	uint64_t		 save_failures;
	struct devices		*devices;	/* the registry (devices.h) */
	struct oui		 oui;		/* vendors */
	uint32_t		 devices_saved;	/* mono s */
	uint64_t		 devices_save_failures;
	uint32_t		 clients_asked;	/* mono s */
};

extern struct webd	 webd;

/* webd.c */
/* The name of remote (IPv4, network order) as client knows it: the one
 * it resolved, else the PTR, which is asked of dnsd (limited) when not
 * known yet; NULL meanwhile. */
const char *webd_remote_name(struct in_addr client, uint32_t remote);
/* Saves the sessions to the state dir (they outlive a restart). */
void	webd_save_sessions(void);
/* Saves the device registry (devices.h) to the state dir. */
void	webd_save_devices(void);

/* ctl.c */
extern const struct ctl_handler	webd_handlers[];
extern const int		webd_nhandlers;
void	webd_status(json_t *detail, void *arg);

#endif
