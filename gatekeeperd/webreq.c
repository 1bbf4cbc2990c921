/*
 * The conversation gatekeeperd holds with webd: webd acts on the admin's
 * behalf with the same commands gkctl sends (MSG_WEBD_REQUEST), and holds
 * no authority of its own. The parent checks each against the catalogue
 * and runs only those it allows webd (CMD_FROM_WEBD); the answer goes back
 * under the request's id (MSG_WEBD_REPLY, long ones in parts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "commands.h"
#include "gatekeeperd.h"
#include "log.h"

/* A request of webd's being answered; webd may be restarted meanwhile. */
struct webreq {
	uint32_t	 id;
	pid_t		 pid;		/* the webd that asked */
};

static void
reply(struct webreq *w, const char *err, const char *text)
{
	struct child	*c = proc_by_name("webd");
	struct msg_child_ctl_reply rep = { w->id, err == NULL };
	struct msg_child_ctl_part part = { w->id };

	/* The webd that asked is gone: its successor did not ask. */
	if (c == NULL || c->pid != w->pid || c->chan == NULL)
		return;
	if (proto_chan_send_long(c->chan, MSG_WEBD_REPLY_PART, &part,
	    sizeof(part), MSG_WEBD_REPLY, &rep, sizeof(rep),
	    err != NULL ? err : text) == -1) {
		rep.ok = 0;
		proto_chan_send_text(c->chan, MSG_WEBD_REPLY, &rep,
		    sizeof(rep), "reply too large");
	}
}

static void
reply_json(struct webreq *w, json_t *body)
{
	char	*text;

	text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12));
	reply(w, text == NULL ? "cannot encode the reply" : NULL, text);
	free(text);
}

static void
status_done(void *arg)
{
	struct webreq	*w = arg;
	json_t		*st = control_status_json();

	reply_json(w, st);
	json_decref(st);
	free(w);
}

static void
relayed(void *arg, const char *err, json_t *body)
{
	struct webreq	*w = arg;

	if (err != NULL)
		reply(w, err, NULL);
	else
		reply_json(w, body);
	free(w);
}

void
webreq_handle(struct child *c, struct proto_msg *msg)
{
	const struct gk_command *cmd;
	struct msg_child_ctl cc;
	struct webreq	*w;
	const char	*argv[CTL_MAX_ARGS];
	char		 err[512];
	uint32_t	 i;

	memcpy(&cc, msg->data, sizeof(cc));
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return;
	w->id = cc.id;
	w->pid = c->pid;
	for (i = 0; i < cc.req.argc; i++)
		argv[i] = cc.req.argv[i];
	if ((cmd = cmd_check((int)cc.req.argc, argv, err, sizeof(err))) ==
	    NULL) {
		reply(w, err, NULL);
		free(w);
		return;
	}
	if (!cmd_allowed(cmd, CMD_FROM_WEBD)) {
		log_warnx("webd asked for \"%s\", which the catalogue does "
		    "not allow it: refused", cmd->name);
		snprintf(err, sizeof(err), "%s: not allowed from the web",
		    cmd->name);
		reply(w, err, NULL);
		free(w);
		return;
	}
	/* The one command the parent answers that webd may send. */
	if (cmd->id == CMD_STATUS) {
		relay_status(status_done, w);
		return;
	}
	relay_command(cmd, &cc.req, c->uid, -1, relayed, w);
}
