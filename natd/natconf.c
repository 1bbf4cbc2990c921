#include <netinet/in.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natconf.h"

int
natconf_proto(const char *s)
{
	if (strcmp(s, "tcp") == 0)
		return IPPROTO_TCP;
	if (strcmp(s, "udp") == 0)
		return IPPROTO_UDP;
	return 0;
}

const char *
natconf_proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	}
	return "?";
}

long
natconf_number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	return v;
}

static int
parse_line(struct natconf *st, char *line)
{
	char		*w[6], *save = NULL, *t;
	int		 n = 0, proto;
	long		 a, b;
	struct in_addr	 ip;
	uint32_t	*field, *base;

	for (t = strtok_r(line, " \t", &save); t != NULL && n < 6;
	    t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	if (n == 0 || w[0][0] == '#')
		return 0;
	if (strcmp(w[0], "forward") == 0 && n == 5) {
		if ((proto = natconf_proto(w[1])) == 0 ||
		    (a = natconf_number(w[2], 1, 65535)) == -1 ||
		    inet_pton(AF_INET, w[3], &ip) != 1 ||
		    (b = natconf_number(w[4], 1, 65535)) == -1 ||
		    st->nfwd == NAT_MAX_FORWARDS)
			return -1;
		st->fwd[st->nfwd].proto = (uint8_t)proto;
		st->fwd[st->nfwd].from_conf = 0;
		st->fwd[st->nfwd].wan_port = (uint16_t)a;
		st->fwd[st->nfwd].ip = ip.s_addr;
		st->fwd[st->nfwd].port = (uint16_t)b;
		st->nfwd++;
		return 0;
	}
	if (strcmp(w[0], "timeout") == 0 && (n == 3 || n == 4)) {
		if (strcmp(w[1], "udp") == 0) {
			field = &st->to.udp;
			base = &st->to_base.udp;
		} else if (strcmp(w[1], "tcp-established") == 0) {
			field = &st->to.tcp_est;
			base = &st->to_base.tcp_est;
		} else if (strcmp(w[1], "tcp-transitory") == 0) {
			field = &st->to.tcp_trans;
			base = &st->to_base.tcp_trans;
		} else if (strcmp(w[1], "icmp") == 0) {
			field = &st->to.icmp;
			base = &st->to_base.icmp;
		} else if (strcmp(w[1], "other") == 0) {
			field = &st->to.other;
			base = &st->to_base.other;
		} else
			return -1;
		if ((a = natconf_number(w[2], 1, 30L * 86400)) == -1)
			return -1;
		b = 0;
		if (n == 4 && (b = natconf_number(w[3], 1, 0xffffffffL)) == -1)
			return -1;
		*field = (uint32_t)a;
		*base = (uint32_t)b;
		return 0;
	}
	return -1;
}

int
natconf_parse(struct natconf *st, const char *buf, size_t len)
{
	char		 line[256];
	size_t		 i = 0, j;
	int		 bad = 0;

	memset(st, 0, sizeof(*st));
	while (i < len) {
		for (j = i; j < len && buf[j] != '\n'; j++)
			;
		if (j - i >= sizeof(line) || memchr(buf + i, '\0', j - i))
			bad++;
		else {
			memcpy(line, buf + i, j - i);
			line[j - i] = '\0';
			if (parse_line(st, line) == -1)
				bad++;
		}
		i = j + 1;
	}
	return bad;
}

int
natconf_format(const struct natconf *st, char *buf, size_t size)
{
	char		 ip[INET_ADDRSTRLEN];
	size_t		 off = 0;
	int		 i, k;
	struct in_addr	 a;

	k = snprintf(buf, size, "# natd's saved settings (gkctl forward, "
	    "gkctl nat timeout)\n");
	if (k < 0 || (size_t)k >= size)
		return -1;
	off = (size_t)k;
	for (i = 0; i < st->nfwd; i++) {
		a.s_addr = st->fwd[i].ip;
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		k = snprintf(buf + off, size - off, "forward %s %u %s %u\n",
		    natconf_proto_name(st->fwd[i].proto), st->fwd[i].wan_port,
		    ip, st->fwd[i].port);
		if (k < 0 || (size_t)k >= size - off)
			return -1;
		off += (size_t)k;
	}
#define TO(name, f) do {						\
	if (st->to.f != 0 && st->to_base.f != 0)			\
		k = snprintf(buf + off, size - off, "timeout %s %u %u\n", \
		    name, st->to.f, st->to_base.f);			\
	else if (st->to.f != 0)						\
		k = snprintf(buf + off, size - off, "timeout %s %u\n",	\
		    name, st->to.f);					\
	else								\
		k = 0;							\
	if (k < 0 || (size_t)k >= size - off)				\
		return -1;						\
	off += (size_t)k;						\
} while (0)
	TO("udp", udp);
	TO("tcp-established", tcp_est);
	TO("tcp-transitory", tcp_trans);
	TO("icmp", icmp);
	TO("other", other);
#undef TO
	return (int)off;
}

static int
timeout_one(uint32_t *gk, uint32_t *base, uint32_t conf, uint32_t *out)
{
	int	 changed = 0;

	/* The file's value changed since gkctl's: the file's is newer. */
	if (*gk != 0 && *base != conf) {
		*gk = *base = 0;
		changed = 1;
	}
	if (*gk != 0)
		*out = *gk;
	else if (conf != 0)
		*out = conf;
	return changed;
}

int
natconf_timeouts(struct natconf *st, const struct nat_timeouts *conf,
    struct nat_timeouts *out)
{
	int	 changed = 0;

	nat_default_timeouts(out);
	changed |= timeout_one(&st->to.udp, &st->to_base.udp, conf->udp,
	    &out->udp);
	changed |= timeout_one(&st->to.tcp_est, &st->to_base.tcp_est,
	    conf->tcp_est, &out->tcp_est);
	changed |= timeout_one(&st->to.tcp_trans, &st->to_base.tcp_trans,
	    conf->tcp_trans, &out->tcp_trans);
	changed |= timeout_one(&st->to.icmp, &st->to_base.icmp, conf->icmp,
	    &out->icmp);
	changed |= timeout_one(&st->to.other, &st->to_base.other,
	    conf->other, &out->other);
	return changed;
}
