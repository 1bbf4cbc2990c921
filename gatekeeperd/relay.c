/*
 * The conversation gatekeeperd holds with the children on gkctl's behalf:
 * status rounds (ask every running child for its detail, answer when all
 * have replied or at a deadline) and commands relayed to the daemons that
 * own them (one request per owner, long replies put together from their
 * parts, the owners' replies merged into one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "chan.h"
#include "commands.h"
#include "gatekeeperd.h"
#include "log.h"

#define STATUS_DEADLINE_MS	500
#define RELAY_DEADLINE_SECS	10

struct status_waiter {
	uint32_t	 seq;
	void		(*done)(void *);
	void		*arg;
	struct event	*timer;
	struct status_waiter *next;
};

static struct status_waiter *waiters;

/* One gkctl command, asked of each of its owners. */
struct relay_req {
	int		 waiting;	/* owners that have not answered */
	char		 err[512];	/* the first error, or "" */
	json_t		*merged;
	relay_done_fn	 done;
	void		*arg;
};

/* The request to one child, until it answers or the deadline;
 * done(arg, ok, text) runs exactly once: with the child's JSON (ok) or
 * an error message. */
typedef void (*child_done_fn)(void *arg, int ok, const char *text);

struct relay {
	uint32_t	 id;
	struct child	*child;
	child_done_fn	 done;
	void		*arg;
	struct event	*timer;
	char		*parts;		/* a long reply so far, or NULL */
	size_t		 partslen;
	struct relay	*next;
};

static struct relay *relays;
static uint32_t	 relay_ids;

/* ---- status rounds ---- */

static int
waiter_satisfied(const struct status_waiter *w)
{
	const struct child *c;
	int		 i;

	for (i = 0; i < NCHILDREN; i++) {
		c = &gk->children[i];
		if (c->state == CHILD_RUNNING && c->chan != NULL &&
		    c->detail_seq < w->seq)
			return 0;
	}
	return 1;
}

static void
waiter_finish(struct status_waiter *w)
{
	struct status_waiter **p;

	for (p = &waiters; *p != NULL; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	event_free(w->timer);
	w->done(w->arg);
	free(w);
}

void
relay_status_check(void)
{
	struct status_waiter *w, *next;

	for (w = waiters; w != NULL; w = next) {
		next = w->next;
		if (waiter_satisfied(w))
			waiter_finish(w);
	}
}

static void
waiter_timeout(evutil_socket_t fd, short ev, void *arg)
{
	waiter_finish(arg);
}

void
relay_status(void (*done)(void *), void *arg)
{
	struct msg_status_req req;
	struct status_waiter *w;
	struct timeval	 tv = { 0, STATUS_DEADLINE_MS * 1000 };
	int		 i;

	req.seq = ++gk->status_seq;
	for (i = 0; i < NCHILDREN; i++)
		if (gk->children[i].state == CHILD_RUNNING &&
		    gk->children[i].chan != NULL)
			proto_chan_send(gk->children[i].chan, MSG_STATUS_REQ,
			    &req, sizeof(req), -1);
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->timer = evtimer_new(gk->base, waiter_timeout, w)) == NULL) {
		free(w);
		done(arg);
		return;
	}
	w->seq = req.seq;
	w->done = done;
	w->arg = arg;
	w->next = waiters;
	waiters = w;
	evtimer_add(w->timer, &tv);
}

/* ---- one request to one child ---- */

static void
relay_finish(struct relay *r, int ok, const char *text)
{
	struct relay	**p;

	for (p = &relays; *p != NULL; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	event_free(r->timer);
	r->done(r->arg, ok, text);
	free(r->parts);
	free(r);
}

static void
relay_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct relay	*r = arg;
	char		 msg[64];

	snprintf(msg, sizeof(msg), "%s did not answer in time",
	    r->child->name);
	relay_finish(r, 0, msg);
}

static void
relay_to_child(uint32_t peer, const struct msg_ctl_request *req, uid_t uid,
    int fd, child_done_fn done, void *arg)
{
	struct msg_child_ctl *cc;
	struct timeval	 tv = { RELAY_DEADLINE_SECS, 0 };
	struct relay	*r;
	struct child	*c = proc_by_name(proto_peer_name(peer));
	char		 msg[64];

	if (c == NULL || c->state != CHILD_RUNNING || c->chan == NULL) {
		snprintf(msg, sizeof(msg), "%s is not running",
		    proto_peer_name(peer));
		done(arg, 0, msg);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (cc = calloc(1, sizeof(*cc))) == NULL ||
	    (r->timer = evtimer_new(gk->base, relay_timeout, r)) == NULL) {
		free(r);
		done(arg, 0, "out of memory");
		return;
	}
	r->id = cc->id = ++relay_ids;
	r->child = c;
	r->done = done;
	r->arg = arg;
	cc->uid = (uint32_t)uid;
	cc->req = *req;
	if (proto_chan_send(c->chan, MSG_CHILD_CTL, cc, sizeof(*cc),
	    fd) == -1) {
		free(cc);
		event_free(r->timer);
		free(r);
		done(arg, 0, "cannot reach the daemon");
		return;
	}
	free(cc);
	r->next = relays;
	relays = r;
	evtimer_add(r->timer, &tv);
}

static struct relay *
relay_find(struct child *c, uint32_t id)
{
	struct relay	*r;

	for (r = relays; r != NULL; r = r->next)
		if (r->id == id && r->child == c)
			return r;
	return NULL;		/* timed out already */
}

/* Appends n bytes to r's long reply; -1 past CTL_MAX_REPLY. */
static int
relay_append(struct relay *r, const void *bytes, size_t n)
{
	char	*p;

	if (r->partslen + n > CTL_MAX_REPLY ||
	    (p = realloc(r->parts, r->partslen + n)) == NULL)
		return -1;
	memcpy(p + r->partslen, bytes, n);
	r->parts = p;
	r->partslen += n;
	return 0;
}

void
relay_child_part(struct child *c, struct proto_msg *msg)
{
	struct msg_child_ctl_part part;
	struct relay	*r;

	memcpy(&part, msg->data, sizeof(part));
	if ((r = relay_find(c, part.id)) == NULL)
		return;
	if (relay_append(r, msg->data + sizeof(part),
	    msg->len - sizeof(part)) == -1)
		relay_finish(r, 0, "reply too large");
}

void
relay_child_reply(struct child *c, struct proto_msg *msg)
{
	struct msg_child_ctl_reply rep;
	struct relay	*r;
	const char	*text = (const char *)msg->data + sizeof(rep);

	memcpy(&rep, msg->data, sizeof(rep));
	if ((r = relay_find(c, rep.id)) == NULL)
		return;
	if (r->parts == NULL) {
		relay_finish(r, rep.ok != 0, text);
		return;
	}
	if (relay_append(r, text, strlen(text) + 1) == -1) {
		relay_finish(r, 0, "reply too large");
		return;
	}
	/* A NUL inside the parts would cut the text short: not valid. */
	if (strlen(r->parts) + 1 != r->partslen)
		relay_finish(r, 0, "malformed long reply");
	else
		relay_finish(r, rep.ok != 0, r->parts);
}

void
relay_child_gone(struct child *c, const char *why)
{
	struct relay	*r, *next;
	char		 msg[96];

	snprintf(msg, sizeof(msg), "%s %s", c->name, why);
	for (r = relays; r != NULL; r = next) {
		next = r->next;
		if (r->child == c)
			relay_finish(r, 0, msg);
	}
}

/* ---- the owners' replies, merged ---- */

static json_t *
find_by_ip(json_t *array, const char *ip)
{
	const char	*have;
	json_t		*e;
	size_t		 i;

	json_array_foreach(array, i, e) {
		have = json_string_value(json_object_get(e, "ip"));
		if (have != NULL && strcmp(have, ip) == 0)
			return e;
	}
	return NULL;
}

/* Joins the entries of two arrays of objects on their "ip" member. */
static void
merge_array(json_t *into, json_t *from)
{
	const char	*ip;
	json_t		*f, *t;
	size_t		 i;

	json_array_foreach(from, i, f) {
		ip = json_string_value(json_object_get(f, "ip"));
		if (ip != NULL && json_is_object(f) &&
		    (t = find_by_ip(into, ip)) != NULL)
			json_object_update(t, f);
		else
			json_array_append(into, f);
	}
}

static void
merge_reply(json_t *into, json_t *from)
{
	const char	*key;
	json_t		*v, *have;

	json_object_foreach(from, key, v) {
		have = json_object_get(into, key);
		if (json_is_array(have) && json_is_array(v))
			merge_array(have, v);
		else
			json_object_set(into, key, v);
	}
}

static void
relay_done(void *arg, int ok, const char *text)
{
	struct relay_req *rr = arg;
	json_error_t	 jerr;
	json_t		*body;

	if (!ok && rr->err[0] == '\0')
		strlcpy(rr->err, text, sizeof(rr->err));
	if (ok) {
		if ((body = json_loads(text, 0, &jerr)) == NULL ||
		    !json_is_object(body))
			strlcpy(rr->err, "daemon sent a malformed reply",
			    sizeof(rr->err));
		else
			merge_reply(rr->merged, body);
		json_decref(body);
	}
	if (--rr->waiting > 0)
		return;
	rr->done(rr->arg, rr->err[0] != '\0' ? rr->err : NULL, rr->merged);
	json_decref(rr->merged);
	free(rr);
}

/* Asks each daemon that owns the command, handing each fd (or -1: a
 * stream command's pipe, commands.h); relay_done() answers. */
void
relay_command(const struct gk_command *cmd, const struct msg_ctl_request *req,
    uid_t uid, int fd, relay_done_fn done, void *arg)
{
	struct relay_req *rr;
	uint32_t	 p;

	if ((rr = calloc(1, sizeof(*rr))) == NULL ||
	    (rr->merged = json_object()) == NULL) {
		free(rr);
		done(arg, "out of memory", NULL);
		return;
	}
	rr->done = done;
	rr->arg = arg;
	for (p = 0; p < PEER_MAX; p++)
		rr->waiting += (cmd->owners >> p) & 1;
	for (p = 0; p < PEER_MAX; p++)
		if (cmd->owners & (1U << p))
			relay_to_child(p, req, uid, fd, relay_done, rr);
}

