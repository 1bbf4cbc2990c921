/*
 * gatekeeperd: the privileged parent. It reads the config, configures the
 * LAN, installs the queue rules, opens every privileged socket, execs the
 * four children with their descriptors, restarts a child that dies, and on
 * exit removes everything it changed.
 */
#include <sys/file.h>
#include <sys/stat.h>

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
	fprintf(stderr, "usage: gatekeeperd [-dnv] [-f file] [-L libexecdir]\n");
	exit(1);
}

static void
print_conf_error(void *arg, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

/* Returns 0 when the config is usable; a missing file means autodetect. */
static int
load_config(struct gk_config *conf, const char *path, int must_exist)
{
	int	 errors;

	conf_init(conf);
	errors = conf_parse_file(conf, path, print_conf_error, NULL);
	if (errors == -1) {
		if (errno == ENOENT && !must_exist)
			return 0;
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

/* One instance per run dir: a second one stops before touching anything. */
static int
pidfile_lock(void)
{
	char	 path[CONF_MAX_PATH + 32], buf[32];
	ssize_t	 n;
	int	 fd;

	snprintf(path, sizeof(path), "%s/gatekeeperd.pid", gk->conf.run_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
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
	unlink(path);
	close(gk->pidfile_fd);
	gk->pidfile_fd = -1;
}

/*
 * Order matters for failing closed: forwarding is switched on only after
 * the queue rules are in, and switched off before they go.
 */
static int
setup(void)
{
	char	 key[96];

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
	if (rules_install(&gk->rules, gk->backend, gk->lan.ifname,
	    gk->conf.wan, NATD_QUEUE_NUM) == -1)
		return -1;
	journal_save();
	if ((gk->queue_fd = queue_open(NATD_QUEUE_NUM)) == -1)
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
	journal_save();
	if (socks_open() == -1)
		return -1;
	return 0;
}

static void
teardown(void)
{
	proc_stop_all();
	control_close();
	socks_close();
	sysctl_restore(&gk->sysctls);
	nfmon_stop();
	if (gk->queue_fd != -1)
		queue_close(gk->queue_fd);
	gk->queue_fd = -1;
	rules_remove(&gk->rules);
	lan_teardown(&gk->lan);
	journal_remove();
	pidfile_unlock();
	log_info("stopped; everything changed was restored");
}

/* What only a restart of gatekeeperd can change: interfaces, addresses,
 * directories and the sockets bound to them. */
static int
keep_fixed(struct gk_config *next, const struct gk_config *cur)
{
	int	 changed = 0;

	changed |= next->wan[0] && strcmp(next->wan, cur->wan) != 0;
	changed |= next->nlan && (next->nlan != cur->nlan ||
	    memcmp(next->lan, cur->lan, sizeof(cur->lan)) != 0);
	changed |= next->lan_addr.s_addr &&
	    (next->lan_addr.s_addr != cur->lan_addr.s_addr ||
	    next->lan_prefix != cur->lan_prefix);
	changed |= strcmp(next->state_dir, cur->state_dir) != 0;
	changed |= strcmp(next->run_dir, cur->run_dir) != 0;
	changed |= next->web_port != cur->web_port;
	memcpy(next->wan, cur->wan, sizeof(cur->wan));
	memcpy(next->lan, cur->lan, sizeof(cur->lan));
	next->nlan = cur->nlan;
	next->lan_addr = cur->lan_addr;
	next->lan_prefix = cur->lan_prefix;
	memcpy(next->state_dir, cur->state_dir, sizeof(cur->state_dir));
	memcpy(next->run_dir, cur->run_dir, sizeof(cur->run_dir));
	next->web_port = cur->web_port;
	return changed;
}

/*
 * SIGHUP: re-read the config. A file with errors leaves everything as it
 * is; otherwise the new settings go to the children, except what needs a
 * restart of gatekeeperd, which is reported and kept.
 */
static void
reload(void)
{
	struct gk_config *next;

	if ((next = malloc(sizeof(*next))) == NULL) {
		log_warn("reload");
		return;
	}
	if (load_config(next, gk->conf_path, 0) == -1) {
		log_warnx("reload: %s has errors; keeping the running config",
		    gk->conf_path);
		free(next);
		return;
	}
	if (keep_fixed(next, &gk->conf))
		log_warnx("reload: interfaces, addresses, ports and "
		    "directories change only with a restart of gatekeeperd");
	if (next->dhcp_start.s_addr == 0 && lan_autodetect(next) == -1) {
		free(next);
		return;
	}
	if (memcmp(next, &gk->conf, sizeof(*next)) == 0) {
		log_info("reload: %s read, nothing changed", gk->conf_path);
		free(next);
		return;
	}
	gk->conf = *next;
	free(next);
	gk->config_generation++;
	log_info("reload: configuration %u sent to the daemons",
	    gk->config_generation);
	proc_send_config_all();
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
		reload();
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

int
main(int argc, char **argv)
{
	int	 ch, check_only = 0, rv = 1;

	gk->conf_path = CONF_DEFAULT_PATH;
	gk->libexec = GK_LIBEXECDIR;
	while ((ch = getopt(argc, argv, "df:L:nv")) != -1) {
		switch (ch) {
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
		case 'v':
			gk->verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (load_config(&gk->conf, gk->conf_path, check_only) == -1)
		exit(1);
	if (check_only) {
		if (gk->verbose)
			conf_print(stdout, &gk->conf);
		exit(0);
	}

	log_procinit("gatekeeperd");
	log_init(gk->debug, LOG_DAEMON);
	log_setverbose(gk->verbose);
	if (geteuid() != 0)
		fatalx("must run as root");

	gk->queue_fd = gk->pidfile_fd = gk->control_fd = -1;
	gk->dhcp_udp = gk->dhcp_packet = gk->dns_udp = gk->dns_tcp = -1;
	gk->web_listen = gk->nat_state = gk->nat_ring = -1;
	gk->config_generation = 1;
	gk->pair_dhcpd_dnsd[0] = gk->pair_dhcpd_dnsd[1] = -1;
	gk->pair_dnsd_webd[0] = gk->pair_dnsd_webd[1] = -1;
	gk->pair_natd_webd[0] = gk->pair_natd_webd[1] = -1;

	if (!gk->debug && daemon(0, 0) == -1)
		fatal("daemon");
	if (mkdir_owned(gk->conf.run_dir, 0755, 0, 0) == -1)
		fatal("run dir %s", gk->conf.run_dir);
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
	if (setup() == 0 && control_open() == 0) {
		proc_start_all();
		log_info("started: LAN %s, WAN %s, queue backend %s",
		    gk->lan.ifname, gk->conf.wan,
		    rules_backend_name(gk->backend));
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
