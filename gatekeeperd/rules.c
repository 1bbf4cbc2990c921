/*
 * The rules that send LAN<->WAN traffic to natd's queue, with conntrack
 * bypassed for it (natd is the connection tracker): everything from the
 * WAN (before routing: natd rewrites the destination), LAN to WAN after
 * routing (natd rewrites the source), and for hairpinning the LAN's
 * packets to the router's other addresses (the WAN address: natd
 * rewrites the destination to the device behind the port) and, routed
 * back out of the LAN, the same packets again (natd rewrites the
 * source). The LAN's own traffic to the router's LAN address (DNS, DHCP,
 * the web) stays out of the queue and tracked. Two backends: nft's
 * queue statement where the kernel has nft_queue, else iptables-nft's
 * NFQUEUE target through the xt compat layer. Neither sets a bypass
 * flag: with no listener the kernel drops, so traffic never crosses the
 * router un-NATed.
 *
 * The helpers run with fork/exec and an argv array, never a shell. What
 * rules_remove leaves must list byte-identical to what was there before
 * rules_install: for iptables-nft that means also removing the nft
 * tables and base chains it creates and never deletes.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netcfg.h"
#include "util.h"

#define RUN_TIMEOUT_MS	30000
#define RUN_OUT_MAX	(4 * 1024 * 1024)
#define RUN_ERR_MAX	1024
#define RULES_TEXT_MAX	4096

#define NFT_TABLE	"gatekeeper"

/* ---- running helper programs ---- */

struct capture {
	char	*buf;		/* NUL-terminated; NULL until any output */
	size_t	 len;
	size_t	 max;
	int	 truncated;
};

struct run {
	pid_t		 pid;
	int		 in, out, err;	/* our pipe ends, -1 when closed */
	const char	*inbuf;
	size_t		 inlen;
	struct capture	*cout, cerr;
};

static void
capture_add(struct capture *c, const char *data, size_t n)
{
	char	*p;

	/* Keep draining past max, so the child never blocks on a pipe. */
	if (n > c->max - c->len) {
		c->truncated = 1;
		n = c->max - c->len;
	}
	if (n == 0)
		return;
	if ((p = realloc(c->buf, c->len + n + 1)) == NULL) {
		c->truncated = 1;
		return;
	}
	c->buf = p;
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

static void
capture_free(struct capture *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/* Places fd at target in the child, keeping it across exec. */
static int
child_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) == -1 ? -1 : 0;
}

static void __attribute__((noreturn))
run_child(const char *const argv[], int in, int out, int err,
    const char *alt1, const char *alt2)
{
	sigset_t	 none;

	/* The parent may block or ignore signals; nft must not inherit. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (child_fd(in, 0) == -1 || child_fd(out, 1) == -1 ||
	    child_fd(err, 2) == -1)
		_exit(127);
	/* Privileged sockets (queue, listeners) stay with the parent. */
	closefrom(3);
	execvp(argv[0], (char *const *)argv);
	/* A minimal PATH (cron, su) may lack the sbin directories. */
	if (errno == ENOENT) {
		execv(alt1, (char *const *)argv);
		execv(alt2, (char *const *)argv);
	}
	_exit(127);
}

static int
run_spawn(struct run *r, const char *const argv[])
{
	char	 alt1[64], alt2[64];
	int	 pin[2] = { -1, -1 }, pout[2] = { -1, -1 };
	int	 perr[2] = { -1, -1 }, null, save;

	snprintf(alt1, sizeof(alt1), "/usr/sbin/%s", argv[0]);
	snprintf(alt2, sizeof(alt2), "/sbin/%s", argv[0]);
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	if ((r->inbuf != NULL && pipe2(pin, O_CLOEXEC) == -1) ||
	    (r->cout != NULL && pipe2(pout, O_CLOEXEC) == -1) ||
	    pipe2(perr, O_CLOEXEC) == -1 || (r->pid = fork()) == -1) {
		save = errno;
		close(null);
		close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
		close(perr[0]), close(perr[1]);
		errno = save;
		return -1;
	}
	if (r->pid == 0)
		run_child(argv, pin[0] != -1 ? pin[0] : null,
		    pout[1] != -1 ? pout[1] : null, perr[1], alt1, alt2);
	close(null);
	close(pin[0]), close(pout[1]), close(perr[1]);
	r->in = pin[1];
	r->out = pout[0];
	r->err = perr[0];
	if (r->in != -1)
		fcntl(r->in, F_SETFL, O_NONBLOCK);
	return 0;
}

static void
run_close(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

static void
run_read(int *fd, struct capture *c)
{
	char	 buf[4096];
	ssize_t	 n;

	if ((n = read(*fd, buf, sizeof(buf))) > 0)
		capture_add(c, buf, n);
	else if (n == 0 || errno != EINTR)
		run_close(fd);
}

static void
run_write(struct run *r)
{
	ssize_t	 n;

	n = write(r->in, r->inbuf, r->inlen);
	if (n > 0) {
		r->inbuf += n;
		r->inlen -= n;
	}
	/* EPIPE: the child quit reading; its status tells why. */
	if (r->inlen == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
		run_close(&r->in);
}

/* Feeds stdin and drains stdout and stderr until all are closed. */
static int
run_io(struct run *r)
{
	struct pollfd	 pfd[3];
	long		 deadline = (long)mono_ms() + RUN_TIMEOUT_MS;
	int		 n, i;

	while (r->in != -1 || r->out != -1 || r->err != -1) {
		n = 0;
		if (r->in != -1)
			pfd[n++] = (struct pollfd){ r->in, POLLOUT, 0 };
		if (r->out != -1)
			pfd[n++] = (struct pollfd){ r->out, POLLIN, 0 };
		if (r->err != -1)
			pfd[n++] = (struct pollfd){ r->err, POLLIN, 0 };
		if (deadline - (long)mono_ms() <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(pfd, n, deadline - (long)mono_ms()) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == r->in)
				run_write(r);
			else if (pfd[i].fd == r->out)
				run_read(&r->out, r->cout);
			else
				run_read(&r->err, &r->cerr);
		}
	}
	return 0;
}

static void
log_argv(const char *what, const char *const argv[])
{
	char	 line[256] = "";
	int	 i;

	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			strlcat(line, " ", sizeof(line));
		strlcat(line, argv[i], sizeof(line));
	}
	log_debug("%s: %s", what, line);
}

/*
 * Runs argv with in (may be NULL) on stdin and stdout captured into out
 * (may be NULL: /dev/null). Returns the exit status, or -1 with errno
 * when it could not run or did not finish. stderr goes to errmsg (first
 * line, may be NULL) and, when verbose, to the debug log.
 */
static int
run(const char *const argv[], const char *in, struct capture *out,
    char *errmsg, size_t errlen)
{
	struct sigaction	 ign = { .sa_handler = SIG_IGN }, old;
	struct run		 r;
	int			 status, ret, save;

	memset(&r, 0, sizeof(r));
	r.inbuf = in;
	r.inlen = in != NULL ? strlen(in) : 0;
	r.cout = out;
	r.cerr.max = RUN_ERR_MAX;
	if (out != NULL && out->max == 0)
		out->max = RUN_OUT_MAX;
	log_argv("run", argv);
	/* A child that exits early must not kill us with SIGPIPE. */
	sigaction(SIGPIPE, &ign, &old);
	if (run_spawn(&r, argv) == -1) {
		save = errno;
		sigaction(SIGPIPE, &old, NULL);
		errno = save;
		return -1;
	}
	ret = run_io(&r);
	save = errno;
	sigaction(SIGPIPE, &old, NULL);
	run_close(&r.in), run_close(&r.out), run_close(&r.err);
	if (ret == -1)
		kill(r.pid, SIGKILL);
	while (waitpid(r.pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (r.cerr.buf != NULL) {
		log_debug("%s: %s", argv[0], r.cerr.buf);
		if (errmsg != NULL) {
			strlcpy(errmsg, r.cerr.buf, errlen);
			errmsg[strcspn(errmsg, "\n")] = '\0';
		}
	}
	capture_free(&r.cerr);
	if (ret == -1) {
		errno = save;
		return -1;
	}
	if (!WIFEXITED(status)) {
		errno = EINTR;
		return -1;
	}
	return WEXITSTATUS(status);
}

/* Runs and wants exit 0; errmsg gets the reason otherwise. */
static int
run_ok(const char *const argv[], const char *in, struct capture *out,
    char *errmsg, size_t errlen)
{
	int	 status;

	if (errmsg != NULL && errlen > 0)
		errmsg[0] = '\0';
	if ((status = run(argv, in, out, errmsg, errlen)) == 0)
		return 0;
	if (errmsg != NULL && errmsg[0] == '\0') {
		if (status == -1)
			snprintf(errmsg, errlen, "%s", strerror(errno));
		else if (status == 127)
			snprintf(errmsg, errlen, "cannot run %s", argv[0]);
		else
			snprintf(errmsg, errlen, "exit status %d", status);
	}
	return -1;
}

/* ---- what nft shows ---- */

/* Is "table ip <table>" among the lines of `nft list tables`? */
static int
nft_has_table(const char *tables, const char *table)
{
	char		 want[64];
	const char	*p;
	size_t		 len;

	len = snprintf(want, sizeof(want), "table ip %s", table);
	for (p = tables; (p = strstr(p, want)) != NULL; p += len)
		if ((p == tables || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return 1;
	return 0;
}

static int
line_is(const char *line, size_t len, const char *want)
{
	while (len > 0 && isspace((unsigned char)*line))
		line++, len--;
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	return len == strlen(want) && memcmp(line, want, len) == 0;
}

/* Does `nft list chains` show chain <chain> in table ip <table>? */
static int
nft_has_chain(const char *chains, const char *table, const char *chain)
{
	char		 thead[64], chead[64];
	const char	*p, *nl;
	size_t		 len;
	int		 in = 0;

	snprintf(thead, sizeof(thead), "table ip %s {", table);
	snprintf(chead, sizeof(chead), "chain %s {", chain);
	for (p = chains; *p != '\0'; p = nl + (*nl != '\0')) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		len = nl - p;
		if (strncmp(p, "table ", 6) == 0)
			in = line_is(p, len, thead);
		else if (in && line_is(p, len, chead))
			return 1;
	}
	return 0;
}

/* Lists with nft; NULL (nothing known) when nft cannot. */
static char *
nft_list(const char *what)
{
	const char	*argv[] = { "nft", "list", what, NULL };
	struct capture	 out = { NULL, 0, 0, 0 };

	if (run_ok(argv, NULL, &out, NULL, 0) == -1 || out.truncated) {
		capture_free(&out);
		return NULL;
	}
	if (out.buf == NULL)
		return strdup("");
	return out.buf;
}

/*
 * Does table ip <table> (or one chain of it) hold no rule? 1 empty, 0
 * not, -1 gone or unknown: we only delete what we are sure is ours.
 */
static int
nft_empty(const char *table, const char *chain)
{
	const char	*targv[] = { "nft", "-j", "list", "table", "ip",
			    table, NULL };
	const char	*cargv[] = { "nft", "-j", "list", "chain", "ip",
			    table, chain, NULL };
	struct capture	 out = { NULL, 0, 0, 0 };
	int		 empty;

	if (run_ok(chain ? cargv : targv, NULL, &out, NULL, 0) == -1 ||
	    out.buf == NULL || out.truncated) {
		capture_free(&out);
		return -1;
	}
	empty = strstr(out.buf, "{\"rule\":") == NULL;
	capture_free(&out);
	return empty;
}

static void
nft_delete(const char *kind, const char *table, const char *chain)
{
	const char	*argv[] = { "nft", "delete", kind, "ip", table, chain,
			    NULL };
	char		 err[128];
	int		 empty;

	if ((empty = nft_empty(table, chain)) == -1)
		return;
	if (empty == 0) {
		log_info("leaving %s ip %s%s%s: it has rules now", kind,
		    table, chain ? " " : "", chain ? chain : "");
		return;
	}
	if (run_ok(argv, NULL, NULL, err, sizeof(err)) == -1)
		log_warnx("nft delete %s ip %s%s%s: %s", kind, table,
		    chain ? " " : "", chain ? chain : "", err);
}

/* ---- probing ---- */

static int
probe_nft(void)
{
	const char	*argv[] = { "nft", "-c", "-f", "-", NULL };
	/* -c goes through the kernel, which refuses queue without nft_queue */
	const char	*text =
	    "table ip gatekeeper_probe {\n"
	    "\tchain probe {\n"
	    "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
	    "\t\tqueue num 0\n"
	    "\t}\n"
	    "}\n";
	char		 err[128];

	if (run_ok(argv, text, NULL, err, sizeof(err)) == -1) {
		log_debug("nft queue statement: %s", err);
		return -1;
	}
	return 0;
}

static int
probe_iptables(void)
{
	const char	*argv[] = { "iptables-nft", "-t", "mangle", "-S",
			    NULL };
	char		*before, *after, err[128];
	int		 ret;

	/* Older iptables-nft create the table just by listing it. */
	before = nft_list("tables");
	ret = run_ok(argv, NULL, NULL, err, sizeof(err));
	if (ret == -1)
		log_debug("iptables-nft: %s", err);
	if (before != NULL && !nft_has_table(before, "mangle") &&
	    (after = nft_list("tables")) != NULL) {
		if (nft_has_table(after, "mangle"))
			nft_delete("table", "mangle", NULL);
		free(after);
	}
	free(before);
	return ret;
}

const char *
rules_backend_name(enum queue_backend b)
{
	switch (b) {
	case QUEUE_BACKEND_NFT:
		return "nft";
	case QUEUE_BACKEND_IPTABLES:
		return "iptables-nft";
	default:
		return "none";
	}
}

enum queue_backend
rules_probe(void)
{
	if (probe_nft() == 0) {
		log_info("queue rules: nft queue statement");
		return QUEUE_BACKEND_NFT;
	}
	if (probe_iptables() == 0) {
		log_info("queue rules: iptables-nft NFQUEUE (this kernel has "
		    "no nft queue statement)");
		return QUEUE_BACKEND_IPTABLES;
	}
	log_warnx("cannot queue packets: neither nft's queue statement nor "
	    "iptables-nft works");
	return QUEUE_BACKEND_NONE;
}

/* ---- installing and removing ---- */

/* Names go into rule text: no quotes, spaces or wildcards ('+'). */
static int
valid_ifname(const char *name)
{
	size_t	 i, len = strlen(name);

	if (len == 0 || len >= IF_NAMESIZE)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("-_.", name[i]) == NULL)
			return 0;
	return 1;
}

static int
nft_install(struct rules_state *st)
{
	const char	*argv[] = { "nft", "-f", "-", NULL };
	char		 text[RULES_TEXT_MAX], err[256];

	/* The first two lines drop a table an earlier run left, atomically. */
	snprintf(text, sizeof(text),
	    "table ip " NFT_TABLE "\n"
	    "delete table ip " NFT_TABLE "\n"
	    "table ip " NFT_TABLE " {\n"
	    "\tchain raw_prerouting {\n"
	    "\t\ttype filter hook prerouting priority raw; policy accept;\n"
	    "\t\tiifname \"%s\" fib daddr . iif type local return\n"
	    "\t\tiifname \"%s\" notrack\n"
	    "\t\tiifname \"%s\" notrack\n"
	    "\t}\n"
	    "\tchain mangle_prerouting {\n"
	    "\t\ttype filter hook prerouting priority mangle; "
	    "policy accept;\n"
	    "\t\tiifname \"%s\" queue num %u\n"
	    "\t\tiifname \"%s\" fib daddr . iif type local return\n"
	    "\t\tiifname \"%s\" fib daddr type local queue num %u\n"
	    "\t}\n"
	    "\tchain mangle_forward {\n"
	    "\t\ttype filter hook forward priority mangle; policy accept;\n"
	    "\t\tiifname \"%s\" oifname \"%s\" queue num %u\n"
	    "\t\tiifname \"%s\" oifname \"%s\" queue num %u\n"
	    "\t}\n"
	    "}\n",
	    st->lan, st->lan, st->wan,
	    st->wan, st->qnum, st->lan, st->lan, st->qnum,
	    st->lan, st->wan, st->qnum, st->lan, st->lan, st->qnum);
	if (run_ok(argv, text, NULL, err, sizeof(err)) == -1) {
		log_warnx("nft: installing queue rules: %s", err);
		return -1;
	}
	return 0;
}

static void
nft_remove(struct rules_state *st)
{
	const char	*argv[] = { "nft", "delete", "table", "ip", NFT_TABLE,
			    NULL };
	char		 err[128];

	if (run_ok(argv, NULL, NULL, err, sizeof(err)) == -1) {
		if (st->installed)
			log_warnx("nft delete table ip " NFT_TABLE ": %s",
			    err);
	}
}

/*
 * Notes which nft tables and base chains exist before iptables-nft
 * creates its own, so removal can take away exactly those. Returns 1
 * when chains of an earlier run are still there.
 */
static int
ipt_snapshot(struct rules_state *st)
{
	char	*tables, *chains;
	int	 stale = 0;

	tables = nft_list("tables");
	chains = nft_list("chains");
	if (tables == NULL || chains == NULL) {
		log_info("nft cannot list the ruleset: tables iptables-nft "
		    "creates will stay after exit");
		goto out;
	}
	st->created_table_raw = !nft_has_table(tables, "raw");
	st->created_table_mangle = !nft_has_table(tables, "mangle");
	st->created_chain_raw_pre = !st->created_table_raw &&
	    !nft_has_chain(chains, "raw", "PREROUTING");
	st->created_chain_mangle_pre = !st->created_table_mangle &&
	    !nft_has_chain(chains, "mangle", "PREROUTING");
	st->created_chain_mangle_fwd = !st->created_table_mangle &&
	    !nft_has_chain(chains, "mangle", "FORWARD");
	stale = nft_has_chain(chains, "raw", "GK_RAW_PRE") ||
	    nft_has_chain(chains, "mangle", "GK_MANGLE_PRE") ||
	    nft_has_chain(chains, "mangle", "GK_MANGLE_FWD");
out:
	free(tables);
	free(chains);
	return stale;
}

/* Removes every jump to chain, then the chain; absent parts are fine. */
static void
ipt_unhook(const char *table, const char *hook, const char *chain)
{
	const char	*del[] = { "iptables-nft", "-t", table, "-D", hook,
			    "-j", chain, NULL };
	const char	*flush[] = { "iptables-nft", "-t", table, "-F", chain,
			    NULL };
	const char	*xdel[] = { "iptables-nft", "-t", table, "-X", chain,
			    NULL };
	int		 i;

	for (i = 0; i < 16 && run(del, NULL, NULL, NULL, 0) == 0; i++)
		;
	(void)run(flush, NULL, NULL, NULL, 0);
	(void)run(xdel, NULL, NULL, NULL, 0);
}

static void
ipt_unhook_all(void)
{
	ipt_unhook("raw", "PREROUTING", "GK_RAW_PRE");
	ipt_unhook("mangle", "PREROUTING", "GK_MANGLE_PRE");
	ipt_unhook("mangle", "FORWARD", "GK_MANGLE_FWD");
}

static void
ipt_remove(struct rules_state *st)
{
	ipt_unhook_all();
	/* iptables-nft never deletes the tables and base chains it made. */
	if (st->created_table_raw)
		nft_delete("table", "raw", NULL);
	else if (st->created_chain_raw_pre)
		nft_delete("chain", "raw", "PREROUTING");
	if (st->created_table_mangle)
		nft_delete("table", "mangle", NULL);
	else {
		if (st->created_chain_mangle_pre)
			nft_delete("chain", "mangle", "PREROUTING");
		if (st->created_chain_mangle_fwd)
			nft_delete("chain", "mangle", "FORWARD");
	}
}

static int
ipt_install(struct rules_state *st)
{
	const char	*argv[] = { "iptables-nft-restore", "--noflush",
			    NULL };
	char		 text[RULES_TEXT_MAX], err[256];

	if (ipt_snapshot(st)) {
		log_warnx("removing queue rules left by an earlier run");
		ipt_unhook_all();
	}
	/* -I 1: ahead of whatever the admin has in the same hooks. */
	snprintf(text, sizeof(text),
	    "*raw\n"
	    ":GK_RAW_PRE - [0:0]\n"
	    "-A GK_RAW_PRE -i %s -m addrtype --dst-type LOCAL "
	    "--limit-iface-in -j RETURN\n"
	    "-A GK_RAW_PRE -i %s -j CT --notrack\n"
	    "-A GK_RAW_PRE -i %s -j CT --notrack\n"
	    "-I PREROUTING 1 -j GK_RAW_PRE\n"
	    "COMMIT\n"
	    "*mangle\n"
	    ":GK_MANGLE_PRE - [0:0]\n"
	    ":GK_MANGLE_FWD - [0:0]\n"
	    "-A GK_MANGLE_PRE -i %s -j NFQUEUE --queue-num %u\n"
	    "-A GK_MANGLE_PRE -i %s -m addrtype --dst-type LOCAL "
	    "--limit-iface-in -j RETURN\n"
	    "-A GK_MANGLE_PRE -i %s -m addrtype --dst-type LOCAL "
	    "-j NFQUEUE --queue-num %u\n"
	    "-A GK_MANGLE_FWD -i %s -o %s -j NFQUEUE --queue-num %u\n"
	    "-A GK_MANGLE_FWD -i %s -o %s -j NFQUEUE --queue-num %u\n"
	    "-I PREROUTING 1 -j GK_MANGLE_PRE\n"
	    "-I FORWARD 1 -j GK_MANGLE_FWD\n"
	    "COMMIT\n",
	    st->lan, st->lan, st->wan,
	    st->wan, st->qnum, st->lan, st->lan, st->qnum,
	    st->lan, st->wan, st->qnum, st->lan, st->lan, st->qnum);
	if (run_ok(argv, text, NULL, err, sizeof(err)) == -1) {
		log_warnx("iptables-nft-restore: installing queue rules: %s",
		    err);
		return -1;
	}
	return 0;
}

int
rules_install(struct rules_state *st, enum queue_backend backend,
    const char *lan, const char *wan, uint16_t qnum)
{
	int	 ret;

	memset(st, 0, sizeof(*st));
	if (backend != QUEUE_BACKEND_NFT && backend != QUEUE_BACKEND_IPTABLES) {
		log_warnx("queue rules: no backend to install them with");
		return -1;
	}
	if (!valid_ifname(lan) || !valid_ifname(wan) ||
	    strcmp(lan, wan) == 0) {
		log_warnx("queue rules: bad interfaces lan \"%s\" wan \"%s\"",
		    lan, wan);
		return -1;
	}
	st->backend = backend;
	strlcpy(st->lan, lan, sizeof(st->lan));
	strlcpy(st->wan, wan, sizeof(st->wan));
	st->qnum = qnum;
	if (backend == QUEUE_BACKEND_NFT)
		ret = nft_install(st);
	else
		ret = ipt_install(st);
	if (ret == -1) {
		rules_remove(st);
		return -1;
	}
	st->installed = 1;
	log_info("queue rules installed: %s <-> %s to queue %u (%s)", lan,
	    wan, qnum, rules_backend_name(backend));
	return 0;
}

void
rules_remove(struct rules_state *st)
{
	if (st->backend == QUEUE_BACKEND_NFT)
		nft_remove(st);
	else if (st->backend == QUEUE_BACKEND_IPTABLES)
		ipt_remove(st);
	else
		return;
	if (st->installed)
		log_info("queue rules removed");
	memset(st, 0, sizeof(*st));
}
