/*
 * Logging modelled on OpenBSD's log.c: in the foreground every line goes to
 * stderr, otherwise to syslog; each line starts with the process name so
 * the interleaved output of the suite stays readable.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int	 log_debug_mode;
static int	 log_verbose;
static const char *log_procname = "gatekeeper";

void
log_init(int debug, int facility)
{
	log_debug_mode = debug;
	if (!debug)
		/* LOG_NDELAY: connect now, before a chroot hides /dev/log. */
		openlog("gatekeeper", LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
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
	if (log_debug_mode) {
		if (with_errno)
			fprintf(stderr, "%s: %s%s%s\n", log_procname, msg,
			    fmt != NULL ? ": " : "", strerror(saved_errno));
		else
			fprintf(stderr, "%s: %s\n", log_procname, msg);
		return;
	}
	if (with_errno)
		syslog(pri, "%s: %s%s%s", log_procname, msg,
		    fmt != NULL ? ": " : "", strerror(saved_errno));
	else
		syslog(pri, "%s: %s", log_procname, msg);
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
