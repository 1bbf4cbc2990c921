/*
 * gatekeeperd: the privileged parent. It reads the config, configures the
 * LAN, installs the queue rules, opens every privileged socket, execs the
 * four children with their descriptors (or, with -U, hands them over to
 * the children their systemd units start), restarts a child that dies,
 * and on exit removes everything it changed.
 */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "gatekeeperd.h"
#include "log.h"
#include "util.h"

static struct gatekeeperd gk_state;
struct gatekeeperd *gk = &gk_state;

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: gatekeeperd [-dnUv] [-f file] [-L libexecdir]\n"
	    "       gatekeeperd -C\n");
	exit(1);
}

static void
print_conf_error(void *arg, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

/*
 * Returns 0 when the config is usable; a missing file means autodetect
 * (*absent set, when not NULL).
 */
int
load_config(struct gk_config *conf, const char *path, int *absent)
{
	int	 errors;

	conf_init(conf);
	errors = conf_parse_file(conf, path, print_conf_error, NULL);
	if (errors == -1) {
		if (errno == ENOENT) {
			if (absent != NULL)
				*absent = 1;
			return 0;
		}
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (errors > 0) {
		fprintf(stderr, "%s: %d error%s\n", path, errors,
		    errors == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/*
 * The interfaces the config names must exist: at start a missing one is
 * an error (before anything is changed); with -n a warning, as the file
 * may be written for a machine whose ports are not plugged in yet.
 * Returns how many are missing.
 */
static int
check_interfaces(const struct gk_config *conf, const char *path,
    const char *what)
{
	int	 i, missing = 0;

	if (conf->wan[0] != '\0' && if_nametoindex(conf->wan) == 0) {
		fprintf(stderr, "%s: %swan: no interface %s\n", path, what,
		    conf->wan);
		missing++;
	}
	for (i = 0; i < conf->nlan; i++)
		if (if_nametoindex(conf->lan[i]) == 0) {
			fprintf(stderr, "%s: %slan: no interface %s\n", path,
			    what, conf->lan[i]);
			missing++;
		}
	return missing;
}

/*
 * gatekeeperd -n: every error, the interfaces, and without a file the
 * setup autodetection would choose; an OK line on success. With -v the
 * normalized config with every default on stdout. Returns the exit status.
 */
static int
check_config(void)
{
	struct gk_config *conf = &gk->conf;
	int		 absent = 0;

	log_procinit("gatekeeperd");
	log_init(1, LOG_DAEMON);
	if (load_config(conf, gk->conf_path, &absent) == -1)
		return 1;
	if (absent)
		fprintf(stderr, "%s: no such file: checking the autodetected "
		    "setup\n", gk->conf_path);
	(void)check_interfaces(conf, gk->conf_path, "warning: ");
	/* What the start would choose for what the file leaves open. */
	if (lan_autodetect(conf) == -1) {
		fprintf(stderr, "%s: autodetection failed (above): set wan, "
		    "lan and lan-address\n", gk->conf_path);
		return 1;
	}
	if (gk->verbose)
		conf_print(stdout, conf);
	fprintf(stderr, "%s: no errors\n", gk->conf_path);
	return 0;
}

/* The run dir, open: the pid file is made and removed through it. */
static int	 run_dirfd = -1;

/* One instance per run dir: a second one stops before touching anything. */
static int
pidfile_lock(void)
{
	char	 path[CONF_MAX_PATH + 32], buf[32];
	ssize_t	 n;
	int	 fd;

	snprintf(path, sizeof(path), "%s/gatekeeperd.pid", gk->conf.run_dir);
	if ((fd = openat(run_dirfd, "gatekeeperd.pid", O_RDWR | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0644)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_warnx("already running on %s (pid %s)", gk->conf.run_dir,
		    buf[0] ? buf : "unknown");
		close(fd);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, strlen(buf)) == -1) {
		log_warn("%s", path);
		close(fd);
		return -1;
	}
	gk->pidfile_fd = fd;
	return 0;
}

static void
pidfile_unlock(void)
{
	char	 path[CONF_MAX_PATH + 32];

	if (gk->pidfile_fd == -1)
		return;
	snprintf(path, sizeof(path), "%s/gatekeeperd.pid", gk->conf.run_dir);
	if (unlinkat(run_dirfd, "gatekeeperd.pid", 0) == -1)
		log_warn("%s", path);
	close(gk->pidfile_fd);
	gk->pidfile_fd = -1;
}

/*
 * The suite does IPv4 only: until it does IPv6, the router's interfaces
 * have none (no address, so no socket of ours is reachable over it, and
 * nothing they receive is routed) and IPv6 forwarding is off. Restored
 * with the other sysctls on exit. Bridge ports carry no address.
 */
static int
ipv6_off(void)
{
	const char	*ifs[2] = { gk->conf.wan, gk->lan.ifname };
	char		 key[96];
	size_t		 i;

	if (access("/proc/sys/net/ipv6", F_OK) == -1)
		return 0;	/* a kernel without IPv6 */
	if (sysctl_set(&gk->sysctls, "net.ipv6.conf.all.forwarding",
	    "0") == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6",
		    ifs[i]);
		if (sysctl_set(&gk->sysctls, key, "1") == -1)
			return -1;
	}
	return 0;
}

/*
 * Order matters for failing closed: forwarding is switched on only after
 * the queue rules are in, and switched off before they go.
 */
static int
setup(void)
{
	struct dnsout	 dnsout;
	char		 key[96];
	int		 have_dnsout;

	if (lan_autodetect(&gk->conf) == -1)
		return -1;
	if (lan_setup(&gk->conf, &gk->lan) == -1)
		return -1;
	journal_save();
	if ((gk->backend = rules_probe()) == QUEUE_BACKEND_NONE) {
		log_warnx("no way to queue packets: need nft's queue "
		    "statement or iptables-nft's NFQUEUE target");
		return -1;
	}
	/* dnsd's output rule goes in with the rest, before dnsd runs. */
	have_dnsout = childconf_dnsout(&dnsout) == 0;
	if (rules_install(&gk->rules, gk->backend, gk->lan.ifname,
	    gk->conf.wan, NATD_QUEUE_NUM, have_dnsout ? &dnsout : NULL) == -1)
		return -1;
	journal_save();
	if ((gk->res[RES_QUEUE] = queue_open(NATD_QUEUE_NUM)) == -1)
		return -1;
	if (nfmon_start() == -1)
		return -1;
	if (sysctl_set(&gk->sysctls, "net.ipv4.ip_forward", "1") == -1)
		return -1;
	/* Hairpinned packets leave by the LAN they came in on: that is
	 * natd's doing, not a route to correct with an ICMP redirect. */
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/send_redirects",
	    gk->lan.ifname);
	if (sysctl_set(&gk->sysctls, key, "0") == -1 ||
	    sysctl_set(&gk->sysctls, "net.ipv4.conf.all.send_redirects",
	    "0") == -1)
		return -1;
	if (ipv6_off() == -1)
		return -1;
	journal_save();
	if (socks_open() == -1)
		return -1;
	childconf_watch_start();
	return 0;
}

static void
teardown(void)
{
	notify_stopping();
	childconf_watch_stop();
	proc_stop_all();
	control_close();
	socks_close();
	sysctl_restore(&gk->sysctls);
	nfmon_stop();
	queue_close(gk->res[RES_QUEUE]);
	gk->res[RES_QUEUE] = -1;
	rules_remove(&gk->rules);
	lan_teardown(&gk->lan);
	journal_remove();
	pidfile_unlock();
	log_info("stopped; everything changed was restored");
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: shutting down", (int)sig);
		event_base_loopbreak(gk->base);
		break;
	case SIGHUP:
		childconf_reload();
		break;
	case SIGCHLD:
		proc_reap();
		break;
	}
}

static struct event *signal_events[4];

static void
add_signal(int slot, int sig)
{
	struct event	*ev;

	if ((ev = evsignal_new(gk->base, sig, on_signal, NULL)) == NULL ||
	    evsignal_add(ev, NULL) == -1)
		fatalx("signal %d", sig);
	signal_events[slot] = ev;
}

/*
 * The daemons' big private tables (dnsd's query log, webd's live state)
 * are zero memory touched where used: a few pages of each resident. Where transparent huge pages are "always", the first touch
 * of an aligned 2 MB would make all of it resident, and khugepaged
 * would fill in the rest. Off for the suite: the setting is inherited
 * by every child, across fork and exec.
 */
static void
no_huge_pages(void)
{
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == -1)
		log_warn("transparent huge pages left on");
}

int
main(int argc, char **argv)
{
	char	 err[128];
	int	 ch, check_only = 0, list = 0, rv = 1, r;

	gk->conf_path = CONF_DEFAULT_PATH;
	gk->libexec = GK_LIBEXECDIR;
	while ((ch = getopt(argc, argv, "Cdf:L:nUv")) != -1) {
		switch (ch) {
		case 'C':
			list = 1;
			break;
		case 'd':
			gk->debug = 1;
			break;
		case 'f':
			gk->conf_path = optarg;
			break;
		case 'L':
			gk->libexec = optarg;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'U':
			gk->units = 1;
			break;
		case 'v':
			gk->verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	/* As every child does with its own: a table that disagrees with the
	 * catalogue is a build mistake, caught before anything runs. */
	if (control_check(err, sizeof(err)) == -1) {
		fprintf(stderr, "gatekeeperd: %s\n", err);
		exit(1);
	}
	if (list) {
		control_list();
		exit(0);
	}

	if (check_only)
		exit(check_config());
	if (load_config(&gk->conf, gk->conf_path, NULL) == -1 ||
	    check_interfaces(&gk->conf, gk->conf_path, "") > 0)
		exit(1);

	log_procinit("gatekeeperd");
	log_init(gk->debug, LOG_DAEMON);
	log_setverbose(gk->verbose);
	if (geteuid() != 0)
		fatalx("must run as root");
	no_huge_pages();
	notify_init();

	gk->pidfile_fd = gk->control_fd = -1;
	for (r = 0; r < RES_MAX; r++)
		gk->res[r] = -1;
	gk->config_generation = 1;

	if (!gk->debug && daemon(0, 0) == -1)
		fatal("daemon");
	if ((run_dirfd = dir_open_owned(gk->conf.run_dir, 0755, 0, 0)) == -1)
		fatal("run dir %s (a symlink, or its parent writable by "
		    "others?)", gk->conf.run_dir);
	if (pidfile_lock() == -1)
		exit(1);
	journal_recover();
	if ((gk->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signal(SIGPIPE, SIG_IGN);
	add_signal(0, SIGTERM);
	add_signal(1, SIGINT);
	add_signal(2, SIGHUP);
	add_signal(3, SIGCHLD);

	/* Users and state dirs first: a missing user must stop us before
	 * anything in the network is changed. */
	proc_init();
	if (setup() == 0 && control_open() == 0 && proc_start_all() == 0) {
		char	 status[128];

		snprintf(status, sizeof(status), "LAN %s, WAN %s, queue "
		    "backend %s", gk->lan.ifname, gk->conf.wan,
		    rules_backend_name(gk->backend));
		log_info("started: %s", status);
		notify_ready(status);
		event_base_dispatch(gk->base);
		rv = 0;
	}
	teardown();
	for (size_t i = 0; i < sizeof(signal_events) / sizeof(*signal_events);
	    i++)
		event_free(signal_events[i]);
	event_base_free(gk->base);
	return rv;
}
