/*
 * natd's own saved settings, kept in its state directory (its chroot) as
 * "natd.conf": the port forwards added with gkctl and the timeouts set
 * with gkctl, one statement a line:
 *
 *   forward tcp|udp WANPORT LANIP LANPORT
 *   timeout udp|tcp-established|tcp-transitory|icmp|other SECONDS [CONFSECONDS]
 *
 * CONFSECONDS is what gatekeeper.conf said of that timeout when gkctl set
 * it (absent: nothing). The latest change wins: a timeout set with gkctl
 * holds across restarts and reloads until gatekeeper.conf's value of that
 * timeout changes (a reload that sets it anew, or removes it), and then
 * the file's value applies and the gkctl one is forgotten.
 *
 * Pure text code: natd.c does the file I/O.
 */
#ifndef GK_NATD_NATCONF_H
#define GK_NATD_NATCONF_H

#include <stddef.h>

#include "nat.h"

#define NATCONF_FILE	"natd.conf"
#define NATCONF_MAX	(64 * 1024)

struct natconf {
	struct nat_forward	 fwd[NAT_MAX_FORWARDS];
	int			 nfwd;
	struct nat_timeouts	 to;	/* 0 fields: not set, default */
	struct nat_timeouts	 to_base; /* the config's, when set */
};

/* Parses buf; bad lines are skipped and counted. Returns the count. */
int	natconf_parse(struct natconf *, const char *buf, size_t len);
/* Formats into buf (size bytes); returns the length, or -1 if too big. */
int	natconf_format(const struct natconf *, char *buf, size_t size);

/*
 * The timeouts in force (into out): natd's defaults, then the config
 * file's (conf: 0 fields unset), then gkctl's. Before that, a gkctl value
 * whose recorded config value is no longer the config's is dropped;
 * returns 1 when that changed st (to be saved again), else 0.
 */
int	natconf_timeouts(struct natconf *st, const struct nat_timeouts *conf,
	    struct nat_timeouts *out);

/* "tcp" / "udp" to IPPROTO_*, 0 when neither. */
int	natconf_proto(const char *);
const char *natconf_proto_name(int proto);
/* A decimal number in [min, max]; -1 when not. */
long	natconf_number(const char *, long min, long max);

#endif
