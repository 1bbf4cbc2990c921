/*
 * What every child does the same way: check the descriptors the parent
 * placed, drop privileges, set up the event loop and the parent channel,
 * say hello, answer status requests. A daemon's main() fills a child_spec
 * and calls child_main().
 */
#ifndef GK_CHILD_H
#define GK_CHILD_H

#include <stdint.h>

#include <jansson.h>

#include "privdrop.h"
#include "proto.h"

struct event_base;

struct child_fd {
	int		 fd;
	int		 family;	/* AF_* the socket must have */
	int		 type;		/* SOCK_* it must have; 0: a memfd */
	const char	*what;
};

struct msg_config;
struct msg_ctl_request;

struct child_spec {
	uint32_t		 peer;		/* enum proto_peer */
	const char		*user;		/* e.g. "gk-natd" */
	uint64_t		 keep_caps;
	enum sandbox_profile	 profile;
	const struct child_fd	*fds;
	int			 nfds;
	/* Called once after the drop, with the event base. */
	void			(*init)(struct event_base *, void *arg);
	/* Fills the daemon's own part of its status. */
	void			(*status)(json_t *detail, void *arg);
	/* A new configuration: once after the hello, again per reload. */
	void			(*config)(const struct msg_config *, void *arg);
	/*
	 * A gkctl command relayed by the parent. Returns a JSON object to
	 * send back, or NULL with err filled for the user. May be NULL when
	 * the daemon has no commands.
	 */
	json_t			*(*ctl)(const struct msg_ctl_request *, uint32_t uid,
				    char *err, size_t errlen, void *arg);
	void			*arg;
};

/* The channel to the parent, for daemons that send more than replies. */
struct proto_chan *child_parent_chan(void);

/* Parses -d -v -S STATEDIR, runs the daemon; never returns. */
void	child_main(int argc, char **argv, const struct child_spec *)
	    __attribute__((noreturn));

#endif
