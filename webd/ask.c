/*
 * webd's requests to the parent (ask.h). Long answers arrive in parts and
 * are put back together here, one answer at a time per id, capped at
 * CTL_MAX_REPLY like every other reply.
 */
#include <stdlib.h>
#include <string.h>

#include "ask.h"
#include "chan.h"
#include "child.h"
#include "log.h"

static ask_done_fn	 done;
static uint32_t		 part_id;	/* the answer being put together */
static char		*parts;
static size_t		 partslen;

void
ask_init(ask_done_fn fn)
{
	done = fn;
}

int
ask_parent(uint32_t id, const struct msg_ctl_request *req)
{
	struct msg_child_ctl	*cc;
	int			 rc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return -1;
	cc->id = id;
	cc->req = *req;
	rc = proto_chan_send(child_parent_chan(), MSG_WEBD_REQUEST, cc,
	    sizeof(*cc), -1);
	free(cc);
	return rc;
}

static void
parts_reset(void)
{
	free(parts);
	parts = NULL;
	partslen = 0;
}

static int
parts_append(uint32_t id, const void *bytes, size_t n)
{
	char	*p;

	if (parts != NULL && part_id != id)
		parts_reset();	/* the last one's end never came */
	part_id = id;
	if (partslen + n > CTL_MAX_REPLY ||
	    (p = realloc(parts, partslen + n)) == NULL) {
		parts_reset();
		return -1;
	}
	memcpy(p + partslen, bytes, n);
	parts = p;
	partslen += n;
	return 0;
}

static void
got_reply(struct proto_msg *msg)
{
	struct msg_child_ctl_reply rep;
	const char	*text = (const char *)msg->data + sizeof(rep);

	memcpy(&rep, msg->data, sizeof(rep));
	if (parts == NULL || part_id != rep.id) {
		parts_reset();
		done(rep.id, rep.ok != 0, text);
		return;
	}
	if (parts_append(rep.id, text, strlen(text) + 1) == -1)
		done(rep.id, 0, "reply too large");
	else if (strlen(parts) + 1 != partslen)
		done(rep.id, 0, "malformed long reply");
	else
		done(rep.id, rep.ok != 0, parts);
	parts_reset();
}

void
ask_parent_msg(struct proto_msg *msg, void *arg)
{
	struct msg_child_ctl_part part;

	switch (msg->hdr.type) {
	case MSG_WEBD_REPLY:
		got_reply(msg);
		break;
	case MSG_WEBD_REPLY_PART:
		memcpy(&part, msg->data, sizeof(part));
		if (parts_append(part.id, msg->data + sizeof(part),
		    msg->len - sizeof(part)) == -1)
			done(part.id, 0, "reply too large");
		break;
	default:
		log_warnx("unexpected %s message from the parent",
		    proto_type_name(msg->hdr.type));
		break;
	}
}
