/*
 * Logging in the OpenBSD daemons' style: stderr in the foreground (-d),
 * with sd-daemon "<N>" priority prefixes when stderr is the journal's
 * stream, syslog otherwise under the daemon's own identifier.
 */
#ifndef GK_LOG_H
#define GK_LOG_H

#include <stdarg.h>
#include <stdint.h>

void	log_init(int debug, int facility);
/*
 * procname: "gatekeeperd", or a child's short name ("dnsd"): a child logs
 * as "gatekeeper-dnsd" and its process title becomes "gatekeeper: dnsd".
 * Call it before log_init and before the sandbox.
 */
void	log_procinit(const char *procname);
const char *log_getident(void);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * A counter's report, rate-limited (an exhausted resource is hit per
 * packet or per request; its log line must not be): log_due() returns how
 * much the counter rose since the last report when a report is due (it
 * rose, and the last one is at least `every` seconds old), else 0, and
 * the rises accumulate into the next report. now is in any seconds that
 * do not go back (mono_s()). A counter that went back (reset) restarts.
 */
struct log_due {
	uint64_t	 reported;	/* the counter at the last report */
	uint64_t	 at;		/* when */
	int		 said;		/* any report yet */
};
uint64_t log_due(struct log_due *, uint64_t counter, uint64_t now,
	    uint64_t every);

#endif
