/*
 * webd's requests to the parent: gkctl commands run on the admin's
 * behalf (MSG_WEBD_REQUEST), answered under their id (MSG_WEBD_REPLY, a
 * long reply in parts). The parent runs only what the catalogue allows
 * webd.
 */
#ifndef GK_WEBD_ASK_H
#define GK_WEBD_ASK_H

#include <stdint.h>

#include "proto.h"

/* The answer to the request sent under id: ok with JSON text, or not ok
 * with a message for the user. */
typedef void (*ask_done_fn)(uint32_t id, int ok, const char *text);

void	 ask_init(ask_done_fn);
/* Sends req under id; -1 when the parent cannot be reached. */
int	 ask_parent(uint32_t id, const struct msg_ctl_request *req);
/* A message from the parent that child.c does not handle itself. */
void	 ask_parent_msg(struct proto_msg *, void *arg);

#endif
