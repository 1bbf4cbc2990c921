/*
 * What every child does the same way: check the descriptors the parent
 * placed, drop privileges, set up the event loop and the parent channel,
 * say hello, answer status requests. A daemon's main() fills a child_spec
 * with its callbacks and handlers and calls child_main(), which finds the
 * rest (user, capabilities, seccomp profile, descriptors) in the child
 * table by the peer (layout.h).
 */
#ifndef GK_CHILD_H
#define GK_CHILD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "layout.h"
#include "proto.h"

struct event_base;

struct msg_config;
struct msg_ctl_request;
struct gk_command;
struct proto_msg;

/*
 * A gkctl command relayed by the parent, already checked against the
 * catalogue (count and kind of arguments) by the parent and again here.
 * argv holds the arguments after the command's name.
 */
struct ctl_call {
	const struct gk_command	*cmd;
	int			 argc;
	const char *const	*argv;
	uint32_t		 uid;		/* of the gkctl user */
	void			*arg;		/* child_spec.arg */
	/* A stream command's pipe (commands.h), else -1; the handler
	 * keeps it by setting it to -1, else it is closed after. */
	int			*fd;
};

/* Returns a JSON object to send back, or NULL with err filled for the
 * user. */
typedef json_t *ctl_fn(const struct ctl_call *, char *err, size_t errlen);

/* One per catalogue command the daemon owns (commands.h); child_main()
 * refuses to start when the table and the catalogue disagree
 * (cmd_table_check(), which wants cmd first). */
struct ctl_handler {
	int		 cmd;		/* enum gk_cmd */
	ctl_fn		*fn;
};

struct child_spec {
	uint32_t		 peer;		/* enum proto_peer: its layout */
	/* Called once after the drop, with the event base. */
	void			(*init)(struct event_base *, void *arg);
	/* Fills the daemon's own part of its status. */
	void			(*status)(json_t *detail, void *arg);
	/* A new configuration: once after the hello, again per reload. */
	void			(*config)(const struct msg_config *, void *arg);
	/* Other messages from the parent (webd: the answers to its own
	 * requests); NULL: they are logged and dropped. */
	void			(*parent_msg)(struct proto_msg *, void *arg);
	/* Its command handlers (none: nhandlers 0). */
	const struct ctl_handler *handlers;
	int			 nhandlers;
	void			*arg;
};

/*
 * Counters into a status object from a table of {name, offsetof, size}
 * instead of a json_object_set_new() line each: a counter is an unsigned
 * integer field of 4 or 8 bytes in the struct at base.
 */
struct json_counter {
	const char	*name;
	size_t		 off;
	size_t		 size;
};
#define JSON_COUNTER(type, field)	\
	{ #field, offsetof(type, field), sizeof(((type *)0)->field) }
#define JSON_COUNTER_AS(name, type, field)	\
	{ name, offsetof(type, field), sizeof(((type *)0)->field) }

void	json_counters(json_t *o, const void *base, const struct json_counter *,
	    size_t n);

/* The channel to the parent, for daemons that send more than replies. */
struct proto_chan *child_parent_chan(void);

/*
 * Parses -d -v -S STATEDIR, runs the daemon; never returns. With -L it
 * prints the names of the commands it handles, one a line, and exits.
 */
void	child_main(int argc, char **argv, const struct child_spec *)
	    __attribute__((noreturn));

#endif
