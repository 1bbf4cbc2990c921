/*
 * gatekeeperd's shared state: the privileged parent of the suite.
 */
#ifndef GK_GATEKEEPERD_H
#define GK_GATEKEEPERD_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "conf.h"
#include "netcfg.h"
#include "proto.h"

struct event_base;
struct event;
struct proto_chan;

enum child_state {
	CHILD_STOPPED,
	CHILD_STARTING,		/* exec'd, no hello yet */
	CHILD_RUNNING,
	CHILD_RESTARTING,	/* dead, waiting for its restart */
};

#define CHILD_MAX_FDS	(FD_CHILD_MAX - FD_PARENT - 1)

struct child {
	uint32_t	 peer;			/* enum proto_peer */
	const char	*name;
	const char	*user;
	uid_t		 uid;			/* expected, from getpwnam */
	gid_t		 gid;
	enum child_state state;
	pid_t		 pid;
	unsigned	 restarts;
	unsigned	 quick_deaths;		/* consecutive early deaths */
	struct timespec	 started;		/* CLOCK_MONOTONIC */
	struct proto_chan *chan;
	struct event	*ev_restart;
	int		 fds[CHILD_MAX_FDS];	/* placed at fd 4, 5, ... */
	int		 nfds;
	char		 statedir[CONF_MAX_PATH + 16];
	json_t		*detail;		/* last status, or NULL */
	uint32_t	 detail_seq;
};

#define NCHILDREN	4

struct gatekeeperd {
	struct gk_config conf;
	const char	*conf_path;
	const char	*libexec;
	int		 debug;
	int		 verbose;
	struct event_base *base;
	struct lan_state lan;
	struct rules_state rules;
	struct sysctl_saved sysctls;
	enum queue_backend backend;
	int		 queue_fd;
	/* sockets the parent keeps for the children */
	int		 dhcp_udp, dhcp_packet;
	int		 dns_udp, dns_tcp;
	int		 web_listen;
	int		 pair_dhcpd_dnsd[2];
	int		 pair_dnsd_webd[2];
	int		 pair_natd_webd[2];
	int		 nat_state;		/* memfd, NATD_STATE_SIZE */
	int		 nat_ring;		/* memfd, NATD_RING_SIZE */
	uint32_t	 config_generation;
	struct child	 children[NCHILDREN];
	int		 pidfile_fd;
	int		 control_fd;
	int		 stopping;
	uint32_t	 status_seq;
};

extern struct gatekeeperd *gk;

/* proc.c */
void	 proc_init(void);
void	 proc_start_all(void);
void	 proc_stop_all(void);
void	 proc_reap(void);
int	 proc_restart(const char *name);
struct child *proc_by_name(const char *name);
/* Asks every running child for its status; done(arg) runs when all
 * answered or after a deadline. */
void	 proc_collect_status(void (*done)(void *), void *arg);
/* Sends the current config to one child, or to all running ones. */
void	 proc_send_config(struct child *);
void	 proc_send_config_all(void);
/*
 * Relays a gkctl request to the child owning the data. done(arg, ok, text)
 * runs exactly once: with the child's JSON (ok) or an error message.
 */
typedef void (*relay_done_fn)(void *arg, int ok, const char *text);
void	 proc_relay(uint32_t peer, const struct msg_ctl_request *, uid_t,
	    relay_done_fn, void *arg);

/* control.c */
int	 control_open(void);
void	 control_close(void);
json_t	*control_status_json(void);

/* journal.c: the changes made, for recovery after a crash */
void	 journal_save(void);
void	 journal_remove(void);
void	 journal_recover(void);

/* nfmon.c: nf_tables changes by natd's socket or to our table */
int	 nfmon_start(void);
void	 nfmon_stop(void);

/* socks.c */
int	 socks_open(void);
void	 socks_close(void);

#endif
