/*
 * Unit tests for common/log.c: the line format and priorities on each
 * destination (plain stderr, the journal's stream with sd-daemon "<N>"
 * prefixes, syslog under the daemon's identifier) and the process title.
 * Each case runs in a child process, as log.c keeps global state.
 */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

enum how { PLAIN, JOURNAL, JOURNAL_OTHER };

/* Runs the log calls of one case with stderr on a pipe; returns what the
 * child wrote there and sets *status to its exit status. */
static char *
run_case(enum how how, const char *name, int *status)
{
	static char	 out[4096];
	struct stat	 st;
	char		 env[64];
	ssize_t		 n;
	size_t		 len = 0;
	pid_t		 pid;
	int		 p[2];

	if (pipe(p) == -1)
		return NULL;
	if ((pid = fork()) == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		fstat(STDERR_FILENO, &st);
		snprintf(env, sizeof(env), "%llu:%llu",
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino + (how == JOURNAL_OTHER));
		if (how != PLAIN)
			setenv("JOURNAL_STREAM", env, 1);
		else
			unsetenv("JOURNAL_STREAM");
		log_procinit(name);
		log_init(1, LOG_DAEMON);
		log_setverbose(1);
		log_info("hello %d", 1);
		log_debug("details");
		errno = ENOENT;
		log_warn("open %s", "x");
		log_warnx("plain warning");
		fatalx("the end");
	}
	close(p[1]);
	while ((n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, status, 0);
	return out;
}

static void
test_stderr(void)
{
	int	 st;

	CHECK_STR(run_case(PLAIN, "dnsd", &st),
	    "dnsd: hello 1\n"
	    "dnsd: details\n"
	    "dnsd: open x: No such file or directory\n"
	    "dnsd: plain warning\n"
	    "dnsd: the end\n");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	/* JOURNAL_STREAM naming another stream (a daemon started from a
	 * shell inside a unit): plain lines. */
	CHECK_STR(run_case(JOURNAL_OTHER, "dnsd", &st),
	    "dnsd: hello 1\n"
	    "dnsd: details\n"
	    "dnsd: open x: No such file or directory\n"
	    "dnsd: plain warning\n"
	    "dnsd: the end\n");
}

static void
test_journal_stream(void)
{
	int	 st;

	CHECK_STR(run_case(JOURNAL, "dhcpd", &st),
	    "<6>dhcpd: hello 1\n"
	    "<7>dhcpd: details\n"
	    "<3>dhcpd: open x: No such file or directory\n"
	    "<3>dhcpd: plain warning\n"
	    "<2>dhcpd: the end\n");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	CHECK_STR(run_case(JOURNAL, "gatekeeperd", &st),
	    "<6>gatekeeperd: hello 1\n"
	    "<7>gatekeeperd: details\n"
	    "<3>gatekeeperd: open x: No such file or directory\n"
	    "<3>gatekeeperd: plain warning\n"
	    "<2>gatekeeperd: the end\n");
}

static char *
read_file(const char *path, size_t *len)
{
	static char	 buf[4096];
	ssize_t		 n;
	int		 fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	while ((n = read(fd, buf + *len, sizeof(buf) - 1 - *len)) > 0)
		*len += (size_t)n;
	buf[*len] = '\0';
	close(fd);
	return buf;
}

/* ps shows "gatekeeper: natd", top "gk-natd"; the arguments main got
 * stay intact (getopt's optarg points into them). */
static void
test_title(char **argv)
{
	char	*arg0, *s;
	size_t	 len;

	CHECK((arg0 = strdup(argv[0])) != NULL);
	log_procinit("natd");
	CHECK_STR(log_getident(), "gatekeeper-natd");
	s = read_file("/proc/self/cmdline", &len);
	CHECK(s != NULL && len > 0);
	CHECK_STR(s, "gatekeeper: natd");
	/* Only NULs after the title, so ps prints nothing else. */
	for (size_t i = s ? strlen(s) : 0; s != NULL && i < len; i++)
		CHECK(s[i] == '\0');
	s = read_file("/proc/self/comm", &len);
	CHECK_STR(s, "gk-natd\n");
	CHECK_STR(argv[0], arg0);
	free(arg0);
	log_procinit("gatekeeperd");
	CHECK_STR(log_getident(), "gatekeeperd");
}

/*
 * Not in the foreground: syslog under the identifier, with the priority
 * and no name in the text. Needs root: /dev/log is replaced by a socket
 * of ours in a private mount namespace.
 */
static int
test_syslog(void)
{
	struct sockaddr_un sun;
	char		 buf[512], want[128];
	ssize_t		 n;
	pid_t		 pid;
	int		 s, st;

	if (geteuid() != 0 || unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", "/dev", "tmpfs", 0, NULL) == -1) {
		printf("syslog case skipped: needs root and a mount namespace\n");
		return 0;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, "/dev/log", sizeof(sun.sun_path));
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(s != -1 && bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	if ((pid = fork()) == 0) {
		log_procinit("webd");
		log_init(0, LOG_DAEMON);
		log_warnx("disk %s", "full");
		log_info("serving");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	/* <27> is LOG_DAEMON | LOG_ERR, <30> LOG_DAEMON | LOG_INFO. */
	n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "gatekeeper-webd[%d]: disk full",
	    (int)pid);
	CHECK(strncmp(buf, "<27>", 4) == 0 && strstr(buf, want) != NULL);
	if (strstr(buf, want) == NULL)
		fprintf(stderr, "syslog got: %s\n", buf);
	n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "gatekeeper-webd[%d]: serving", (int)pid);
	CHECK(strncmp(buf, "<30>", 4) == 0 && strstr(buf, want) != NULL);
	close(s);
	return 0;
}

/*
 * An exhausted resource's counter rises per packet; its report comes at
 * most once a minute and says how many since the last one: none lost,
 * none said twice.
 */
static void
test_due(void)
{
	struct log_due	 d = { 0 };
	uint64_t	 c, said = 0, reports = 0, n, t;

	CHECK(log_due(&d, 0, 100, 60) == 0);	/* nothing happened */
	CHECK(log_due(&d, 1, 100, 60) == 1);	/* the first, at once */
	/* A flood: one a millisecond for 10 minutes (one check each). */
	for (c = 2, t = 100000; t < 700000; t++, c++)
		if ((n = log_due(&d, c, t / 1000, 60)) > 0) {
			said += n;
			reports++;
		}
	CHECK(reports == 9);		/* at 160, 220 ... 640 s */
	/* The rest, in the next report after the flood: all told. */
	said += log_due(&d, c - 1, 700, 60);
	CHECK(said + 1 == c - 1);
	/* Quiet afterwards: no report without a rise, late or not. */
	CHECK(log_due(&d, c - 1, 10000, 60) == 0);
	/* A counter reset (restart): counts from zero again. */
	CHECK(log_due(&d, 3, 10100, 60) == 3);
	CHECK(log_due(&d, 5, 10101, 60) == 0);
	CHECK(log_due(&d, 5, 10161, 60) == 2);
}

int
main(int argc, char **argv)
{
	(void)argc;
	test_stderr();
	test_journal_stream();
	test_syslog();
	test_title(argv);
	test_due();
	return check_result();
}
