/*
 * Logging modelled on OpenBSD's log.c, with what systemd's journal needs
 * to tell the daemons and their priorities apart:
 *
 *  - not in the foreground: syslog(3) under the daemon's own identifier
 *    (gatekeeperd, gatekeeper-natd, ...), so `journalctl -t` selects one;
 *  - in the foreground with stderr being the journal's stream (systemd
 *    sets JOURNAL_STREAM to its device and inode): each line starts with
 *    an sd-daemon(3) "<N>" priority prefix, so `journalctl -p` works;
 *  - otherwise (a terminal, a test harness) plain lines on stderr.
 *
 * In the last two cases each line also starts with the short name, as
 * several daemons may share one stream.
 */
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_IDENT_PREFIX	"gatekeeper-"
#define LOG_TITLE_PREFIX	"gatekeeper: "
#define LOG_COMM_PREFIX		"gk-"
#define LOG_PARENT		"gatekeeperd"

enum log_dest {
	LOG_TO_SYSLOG,
	LOG_TO_STDERR,
	LOG_TO_JOURNAL_STREAM,
};

static enum log_dest log_dest = LOG_TO_STDERR;
static int	 log_verbose;
static const char *log_procname = "gatekeeper";
/* openlog(3) keeps the pointer: this must outlive every syslog call. */
static char	 log_ident[64] = "gatekeeper";

/*
 * The argument area of the process, for the title. The constructor runs
 * before main: it moves the arguments to the heap so getopt's optarg and
 * everything else main keeps point there, and the original area can be
 * overwritten later without changing any string in use.
 */
static char	*title_area;
static size_t	 title_size;
static char	*argv_copy;

static void __attribute__((constructor))
log_save_args(int argc, char **argv, char **envp)
{
	char	*end;
	int	 i;

	(void)envp;
	if (argc < 1 || argv == NULL || argv[0] == NULL)
		return;
	/* The kernel lays the strings out back to back; check it. */
	end = argv[0] + strlen(argv[0]) + 1;
	for (i = 1; i < argc; i++) {
		if (argv[i] != end)
			return;
		end += strlen(argv[i]) + 1;
	}
	if ((argv_copy = malloc((size_t)(end - argv[0]))) == NULL)
		return;
	memcpy(argv_copy, argv[0], (size_t)(end - argv[0]));
	title_area = argv[0];
	title_size = (size_t)(end - argv[0]);
	for (i = argc - 1; i >= 0; i--)
		argv[i] = argv_copy + (argv[i] - title_area);
	program_invocation_name = argv[0];
	if ((end = strrchr(argv[0], '/')) != NULL)
		program_invocation_short_name = end + 1;
	else
		program_invocation_short_name = argv[0];
}

/*
 * What ps(1) and top(1) show: the command line becomes "gatekeeper:
 * dnsd" and the 15-byte comm "gk-dnsd" (the daemon's user name), so no
 * child passes for ISC's dhcpd. Done before the sandbox: seccomp does not
 * need to allow prctl.
 */
static void
set_title(const char *name)
{
	char	 comm[16];

	if (title_area != NULL) {
		memset(title_area, 0, title_size);
		snprintf(title_area, title_size, "%s%s", LOG_TITLE_PREFIX,
		    name);
	}
	snprintf(comm, sizeof(comm), "%s%s", LOG_COMM_PREFIX, name);
	(void)prctl(PR_SET_NAME, comm, 0, 0, 0);
}

/* 1 when stderr is the stream that JOURNAL_STREAM ("DEV:INO") names. */
static int
stderr_is_journal(void)
{
	const char		*env = getenv("JOURNAL_STREAM");
	unsigned long long	 dev, ino;
	struct stat		 st;
	char			 tail;

	if (env == NULL ||
	    sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(int debug, int facility)
{
	if (!debug) {
		log_dest = LOG_TO_SYSLOG;
		/* LOG_NDELAY: connect now, before a chroot hides /dev/log. */
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
	} else if (stderr_is_journal())
		log_dest = LOG_TO_JOURNAL_STREAM;
	else
		log_dest = LOG_TO_STDERR;
	tzset();
}

void
log_procinit(const char *procname)
{
	if (procname == NULL)
		return;
	log_procname = procname;
	if (strcmp(procname, LOG_PARENT) == 0) {
		strlcpy(log_ident, procname, sizeof(log_ident));
		return;
	}
	snprintf(log_ident, sizeof(log_ident), "%s%s", LOG_IDENT_PREFIX,
	    procname);
	set_title(procname);
}

const char *
log_getident(void)
{
	return log_ident;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

/* Formats one line; with_errno appends strerror(saved_errno). */
static void vlog(int, int, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
vlog(int pri, int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	char	 msg[1024];

	msg[0] = '\0';
	if (fmt != NULL)
		vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		if (fmt != NULL)
			strlcat(msg, ": ", sizeof(msg));
		strlcat(msg, strerror(saved_errno), sizeof(msg));
	}
	switch (log_dest) {
	case LOG_TO_SYSLOG:
		syslog(pri, "%s", msg);
		break;
	case LOG_TO_JOURNAL_STREAM:
		fprintf(stderr, "<%d>%s: %s\n", pri, log_procname, msg);
		break;
	case LOG_TO_STDERR:
		fprintf(stderr, "%s: %s\n", log_procname, msg);
		break;
	}
}

void
log_warn(const char *fmt, ...)
{
	int	 saved_errno = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, 1, saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, 0, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, 0, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, 0, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int	 saved_errno = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, 1, saved_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

uint64_t
log_due(struct log_due *d, uint64_t counter, uint64_t now, uint64_t every)
{
	uint64_t	 rose;

	if (counter < d->reported)
		d->reported = 0;
	if (counter == d->reported ||
	    (d->said && now >= d->at && now - d->at < every))
		return 0;
	rose = counter - d->reported;
	d->reported = counter;
	d->at = now;
	d->said = 1;
	return rose;
}
