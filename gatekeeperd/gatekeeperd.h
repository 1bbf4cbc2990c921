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
#include "layout.h"
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

struct child {
	const struct child_layout *layout;	/* its entry in the table */
	uint32_t	 peer;			/* enum proto_peer */
	const char	*name;
	const char	*user;
	uid_t		 uid;			/* expected, from getpwnam */
	gid_t		 gid;
	enum child_state state;
	pid_t		 pid;
	unsigned	 restarts;
	unsigned	 quick_deaths;		/* consecutive early faults */
	int		 killed_by_parent;	/* kill_child() sent SIGKILL */
	double		 outside_budget;	/* immediate restarts left */
	struct timespec	 outside_at;		/* budget last refilled */
	struct timespec	 started;		/* CLOCK_MONOTONIC */
	struct proto_chan *chan;
	int		 pidfd;		/* started by its unit, else -1 */
	struct event	*ev_restart;
	char		 statedir[CONF_MAX_PATH + 16];
	json_t		*detail;		/* last status, or NULL */
	uint32_t	 detail_seq;
};

#define NCHILDREN	LAYOUT_NCHILDREN

struct gatekeeperd {
	struct gk_config conf;
	const char	*conf_path;
	const char	*libexec;
	int		 debug;
	int		 verbose;
	int		 units;		/* -U: systemd units start the children */
	struct event_base *base;
	struct lan_state lan;
	struct rules_state rules;
	struct sysctl_saved sysctls;
	enum queue_backend backend;
	/* What the parent keeps for the children, by layout.h's names:
	 * the queue (setup()), the rest (socks.c); -1 when not open. */
	int		 res[RES_MAX];
	uint32_t	 config_generation;
	struct child	 children[NCHILDREN];
	int		 pidfile_fd;
	int		 control_fd;
	int		 stopping;
	uint32_t	 status_seq;
};

extern struct gatekeeperd *gk;

struct gk_command;
struct proto_msg;

/* gatekeeperd.c */
/* 0 when the config at path is usable; a missing file means autodetect
 * (*absent set, when not NULL). */
int	 load_config(struct gk_config *, const char *path, int *absent);

/* proc.c: exec, watch, restart and stop the children */
void	 proc_init(void);
/* Execs the children, or with -U opens the socket their units connect
 * to. 0, or -1 when that socket cannot be opened. */
int	 proc_start_all(void);
void	 proc_stop_all(void);
void	 proc_reap(void);
int	 proc_restart(const char *name);
struct child *proc_by_name(const char *name);
/* The child at pid talks to us on chan_fd now; pidfd: -1 when we forked
 * it, else its pidfd (started by its unit). */
void	 proc_attach(struct child *, int chan_fd, pid_t pid, int pidfd);
/* Signals a child by its pidfd when it has one, else by its pid. */
void	 proc_signal(struct child *, int sig);
/* A child started by its unit is gone (channel closed, or its pidfd
 * says it exited): it waits for its unit to start it again. */
void	 proc_gone_unit(struct child *);

/* units.c: the children socket their systemd units connect to (-U) */
int	 units_open(void);
void	 units_close(void);

/* relay.c: status rounds and gkctl commands relayed to the children */
/* Asks every running child for its status; done(arg) runs when all
 * answered or after a deadline. */
void	 relay_status(void (*done)(void *), void *arg);
/* A child's status arrived or a child died: finish the rounds that
 * wait for nothing more. */
void	 relay_status_check(void);
/*
 * Asks each daemon that owns cmd; done(arg, err, reply) runs exactly
 * once: err NULL and the owners' replies merged (arrays of objects
 * joined on "ip"), or the first error for the user.
 */
typedef void (*relay_done_fn)(void *arg, const char *err, json_t *reply);
void	 relay_command(const struct gk_command *, const struct msg_ctl_request *,
	    uid_t, int fd, relay_done_fn, void *arg);
/* A child's answer (the last message, or a part of a long one), and a
 * child gone with requests outstanding. */
void	 relay_child_reply(struct child *, struct proto_msg *);
void	 relay_child_part(struct child *, struct proto_msg *);
void	 relay_child_gone(struct child *, const char *why);

/* webreq.c: webd's commands on the admin's behalf, those the catalogue
 * allows it */
void	 webreq_handle(struct child *, struct proto_msg *);

/* childconf.c: the configuration the children get */
/* Sends the current config to one child, or to all running ones. */
void	 childconf_send(struct child *);
void	 childconf_send_all(void);
/* SIGHUP: re-reads the file and sends what changed. */
void	 childconf_reload(void);
/* What dnsd may send to now (its uid, the LAN, the upstreams it gets);
 * -1 when there is no dnsd user to restrict. */
int	 childconf_dnsout(struct dnsout *);
/* Follows the upstreams (resolv.conf rewritten by the WAN's DHCP
 * client): the rule, then dnsd. */
void	 childconf_watch_start(void);
void	 childconf_watch_stop(void);

/* control.c */
/* The parent's handler table against the catalogue: 0, or -1 with err. */
int	 control_check(char *err, size_t errlen);
/* The commands gatekeeperd answers itself, one a line (-C). */
void	 control_list(void);
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

/* notify.c: sd_notify(3)'s protocol for Type=notify, and the watchdog */
void	 notify_init(void);
void	 notify_send(const char *state);
void	 notify_ready(const char *status);
void	 notify_stopping(void);
int	 notify_fd_take(const char *name, size_t size);
void	 notify_fd_store(int fd, const char *name);
void	 notify_fd_unclaimed(void);

/* socks.c */
int	 socks_open(void);
void	 socks_close(void);

#endif
