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
	int		 type;		/* SOCK_* the socket must have */
	const char	*what;
};

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
	void			*arg;
};

/* Parses -d -v -S STATEDIR, runs the daemon; never returns. */
void	child_main(int argc, char **argv, const struct child_spec *)
	    __attribute__((noreturn));

#endif
