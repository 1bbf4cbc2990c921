/*
 * gkctl's tables: replies for people. Sizes and durations are rounded
 * (the JSON of -j stays exact), unix times shown as local time, and every
 * string that came in a reply (host names chosen by LAN devices, keys)
 * has its control characters escaped before it reaches the terminal.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "print.h"

#define MAX_COLUMNS		24
#define CELL_SIZE		128

/*
 * Copies s to buf with what could move a terminal's cursor or change its
 * colours escaped as \xNN: C0 and C1 controls and DEL. Host names and
 * other strings in replies come from LAN devices.
 */
const char *
print_safe(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 n = 0;

	for (; *p != '\0' && n + 5 < size; p++) {
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* U+0080..U+009F in UTF-8: C1 controls (CSI ...) */
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x",
			    p[1]);
			p++;
		} else
			buf[n++] = (char)*p;
	}
	buf[n] = '\0';
	return buf;
}

/* The string under key, escaped for the terminal; dflt when none. The
 * result lives until the fourth call after. */
static const char *
str_or(json_t *o, const char *key, const char *dflt)
{
	static char	 bufs[4][CELL_SIZE];
	static int	 next;
	const char	*s = json_string_value(json_object_get(o, key));

	if (s == NULL)
		return dflt;
	next = (next + 1) % 4;
	return print_safe(s, bufs[next], sizeof(bufs[next]));
}

/* Seconds for people: "45s", "3m07s", "2h05m", "3d04h". */
static void
duration_cell(double secs, char *buf, size_t size)
{
	long	 s = secs < 0 ? 0 : (long)secs;

	if (s >= 86400)
		snprintf(buf, size, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, size, "%lds", s);
}

/* Bytes for people, in powers of 1024: "512", "1.5K", "23M", "4.1G". */
static void
size_cell(double bytes, const char *suffix, char *buf, size_t size)
{
	static const char units[] = "KMGTP";
	int	 u = -1;

	while (bytes >= 1024 && u + 1 < (int)sizeof(units) - 1) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%.0f%s", bytes, suffix);
	else
		snprintf(buf, size, bytes < 10 ? "%.1f%c%s" : "%.0f%c%s",
		    bytes, units[u], suffix);
}

/* The dashboard's addresses and the certificate to check a browser's
 * warning against, from webd's status. */
static void
print_web(FILE *f, json_t *st)
{
	json_t		*d, *tls;
	size_t		 i;

	json_array_foreach(json_object_get(st, "daemons"), i, d) {
		if (strcmp(str_or(d, "name", ""), "webd") != 0)
			continue;
		tls = json_object_get(json_object_get(d, "detail"), "tls");
		if (json_integer_value(json_object_get(tls, "port")) > 0)
			fprintf(f, "\nHTTPS port %lld, certificate SHA-256\n  %s\n",
			    (long long)json_integer_value(json_object_get(tls,
			    "port")), str_or(tls, "fingerprint", "-"));
	}
}

/* A process's PSS, the shared regions' part in brackets ("1.2M (64K)"). */
static void
print_pss(FILE *f, json_t *o)
{
	json_t	*pss = json_object_get(o, "pss_kb");
	json_t	*shm = json_object_get(o, "pss_shmem_kb");
	char	 a[16], b[16];

	if (!json_is_integer(pss)) {
		fprintf(f, "-");
		return;
	}
	size_cell((double)json_integer_value(pss) * 1024, "", a, sizeof(a));
	fprintf(f, "%s", a);
	if (json_is_integer(shm) && json_integer_value(shm) > 0) {
		size_cell((double)json_integer_value(shm) * 1024, "", b,
		    sizeof(b));
		fprintf(f, " (shared %s)", b);
	}
}

static void
print_memory(FILE *f, json_t *mem)
{
	json_t	*tot = json_object_get(mem, "total_pss_kb");
	json_t	*shm = json_object_get(mem, "total_pss_shmem_kb");
	char	 a[16], b[16];

	if (!json_is_object(mem))
		return;
	fprintf(f, "%-8s %-8s %-6s %-10s %-8s %-7s ", "parent", "", "", "",
	    "", "");
	print_pss(f, json_object_get(mem, "gatekeeperd"));
	fprintf(f, "\n");
	if (!json_is_integer(tot))
		return;
	size_cell((double)json_integer_value(tot) * 1024, "", a, sizeof(a));
	size_cell((double)json_integer_value(shm) * 1024, "", b, sizeof(b));
	fprintf(f, "memory: %s PSS in all, %s of it the shared regions\n",
	    a, b);
}

/* dnsd's output rule: where dnsd may send, or why there is no rule. */
static void
print_dnsout(FILE *f, json_t *d)
{
	json_t	*u;
	size_t	 i;

	if (!json_is_object(d))
		return;
	fprintf(f, "dnsd output %s", str_or(d, "mode", "-"));
	if (json_is_string(json_object_get(d, "error"))) {
		fprintf(f, ": %s\n", str_or(d, "error", ""));
		return;
	}
	fprintf(f, ": LAN %s, port 53 of", str_or(d, "lan", "-"));
	if (json_array_size(json_object_get(d, "upstreams")) == 0)
		fprintf(f, " no upstream");
	json_array_foreach(json_object_get(d, "upstreams"), i, u)
		fprintf(f, " %s", json_is_string(u) ? json_string_value(u) :
		    "?");
	u = json_object_get(d, "refused");
	if (json_is_integer(u))
		fprintf(f, "; %lld refused", (long long)json_integer_value(u));
	fputc('\n', f);
}

static void
print_status(FILE *f, json_t *st)
{
	json_t		*d, *wan, *lan;
	char		 cell[32];
	size_t		 i;

	wan = json_object_get(st, "wan");
	lan = json_object_get(st, "lan");
	fprintf(f, "WAN   %-8s %s\n", str_or(wan, "ifname", "-"),
	    str_or(wan, "address", "no address"));
	fprintf(f, "LAN   %-8s %s\n", str_or(lan, "ifname", "-"),
	    str_or(lan, "address", "no address"));
	fprintf(f, "queue %s\n", str_or(st, "queue_backend", "-"));
	print_dnsout(f, json_object_get(st, "dnsd_output"));
	fputc('\n', f);
	fprintf(f, "%-8s %-8s %-6s %-10s %-8s %-7s %s\n", "DAEMON", "PID",
	    "UID", "STATE", "RESTARTS", "UPTIME", "PSS");
	json_array_foreach(json_object_get(st, "daemons"), i, d) {
		json_t *pid = json_object_get(d, "pid");
		json_t *up = json_object_get(d, "uptime");

		fprintf(f, "%-8s ", str_or(d, "name", "?"));
		if (json_is_integer(pid))
			fprintf(f, "%-8lld ", (long long)json_integer_value(pid));
		else
			fprintf(f, "%-8s ", "-");
		fprintf(f, "%-6lld %-10s %-8lld ",
		    (long long)json_integer_value(json_object_get(d, "uid")),
		    str_or(d, "state", "?"),
		    (long long)json_integer_value(json_object_get(d,
		    "restarts")));
		if (json_is_number(up))
			duration_cell(json_number_value(up), cell,
			    sizeof(cell));
		else
			snprintf(cell, sizeof(cell), "-");
		fprintf(f, "%-7s ", cell);
		print_pss(f, d);
		fprintf(f, "\n");
	}
	print_memory(f, json_object_get(st, "memory"));
	print_web(f, st);
}

/* Keys whose integers are unix times (documented with each daemon). */
static int
is_time_key(const char *key)
{
	size_t	 n = strlen(key);

	return strcmp(key, "time") == 0 || strcmp(key, "expires") == 0 ||
	    (n > 8 && strcmp(key + n - 8, "_expires") == 0) ||
	    (n > 5 && strcmp(key + n - 5, "_seen") == 0);
}

enum key_kind { KEY_PLAIN, KEY_TIME, KEY_BYTES, KEY_RATE, KEY_SECONDS };

static int
ends_with(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/*
 * How a number under key reads for people (the keys are documented with
 * each daemon): unix times, byte counts, byte rates per second, seconds.
 */
static enum key_kind
key_kind(const char *key)
{
	if (is_time_key(key))
		return KEY_TIME;
	if (strcmp(key, "bytes") == 0 || strncmp(key, "bytes_", 6) == 0 ||
	    ends_with(key, "_bytes") || strcmp(key, "size") == 0)
		return KEY_BYTES;
	if (strncmp(key, "rate_", 5) == 0)
		return KEY_RATE;
	if (strcmp(key, "idle") == 0 || strcmp(key, "uptime") == 0 ||
	    strcmp(key, "age") == 0 || ends_with(key, "_secs"))
		return KEY_SECONDS;
	return KEY_PLAIN;
}

/* Above this a time is in ms (year 5138 in seconds; 1973 in ms). */
#define TIME_MS_ABOVE	100000000000LL

/* A time cell for people: local date and time; unix seconds, or ms
 * (webd's devices, whose times the dashboard takes as they are). */
static void
time_cell(json_t *v, char *buf, size_t size)
{
	json_int_t	 n = json_integer_value(v);
	time_t		 t = (time_t)(n > TIME_MS_ABOVE ? n / 1000 : n);
	struct tm	 tm;

	if (!json_is_integer(v) || t <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "-");
}

/* One table cell: strings as they are, null as "-", arrays joined. */
static void
cell(json_t *v, char *buf, size_t size)
{
	json_t		*e;
	size_t		 i, off;

	switch (json_typeof(v)) {
	case JSON_STRING:
		print_safe(json_string_value(v), buf, size);
		break;
	case JSON_INTEGER:
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, size, "%.1f", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, size, "yes");
		break;
	case JSON_FALSE:
		snprintf(buf, size, "no");
		break;
	case JSON_ARRAY:
		buf[0] = '\0';
		json_array_foreach(v, i, e) {
			off = strlen(buf);
			if (i > 0 && off + 1 < size)
				buf[off++] = ',';
			cell(e, buf + off, size - off);
		}
		break;
	default:
		snprintf(buf, size, "-");
		break;
	}
}

/* The cell of value v under key: numbers in the unit the key says. */
static void
key_cell(const char *key, json_t *v, char *buf, size_t size)
{
	enum key_kind	 k = key_kind(key);

	if (k == KEY_TIME)
		time_cell(v, buf, size);
	else if (!json_is_number(v) || k == KEY_PLAIN)
		cell(v, buf, size);
	else if (k == KEY_BYTES)
		size_cell(json_number_value(v), "", buf, size);
	else if (k == KEY_RATE)
		size_cell(json_number_value(v), "/s", buf, size);
	else
		duration_cell(json_number_value(v), buf, size);
}

static void
row_cell(json_t *row, const char *key, char *buf, size_t size)
{
	key_cell(key, json_object_get(row, key), buf, size);
}


/* An array of flat objects as a table, columns in order of appearance. */
static void
print_table(FILE *f, json_t *rows)
{
	const char	*cols[MAX_COLUMNS], *key;
	int		 width[MAX_COLUMNS], ncols = 0, c;
	char		 buf[CELL_SIZE];
	json_t		*row, *v;
	size_t		 i;

	json_array_foreach(rows, i, row) {
		json_object_foreach(row, key, v) {
			for (c = 0; c < ncols && strcmp(cols[c], key); c++)
				;
			if (c == ncols && ncols < MAX_COLUMNS) {
				cols[ncols] = key;
				width[ncols++] = (int)strlen(print_safe(key, buf,
				    sizeof(buf)));
			}
		}
	}
	json_array_foreach(rows, i, row)
		for (c = 0; c < ncols; c++) {
			row_cell(row, cols[c], buf, sizeof(buf));
			if ((int)strlen(buf) > width[c])
				width[c] = (int)strlen(buf);
		}
	for (c = 0; c < ncols; c++) {
		print_safe(cols[c], buf, sizeof(buf));
		for (key = buf; *key; key++)
			fputc(*key == '_' ? ' ' : toupper((unsigned char)*key), f);
		fprintf(f, "%*s", c + 1 < ncols ? width[c] -
		    (int)strlen(buf) + 2 : 0, "");
	}
	fprintf(f, "\n");
	json_array_foreach(rows, i, row) {
		for (c = 0; c < ncols; c++) {
			row_cell(row, cols[c], buf, sizeof(buf));
			fprintf(f, "%-*s", c + 1 < ncols ? width[c] + 2 : 0, buf);
		}
		fprintf(f, "\n");
	}
}

/* Any other reply: scalars as "key: value", arrays of objects as tables. */
static void
print_generic(FILE *f, json_t *body, int indent)
{
	const char	*key;
	char		 buf[1024], k[CELL_SIZE];
	json_t		*v;

	json_object_foreach(body, key, v) {
		print_safe(key, k, sizeof(k));
		if (json_is_array(v) && (json_array_size(v) == 0 ||
		    json_is_object(json_array_get(v, 0)))) {
			if (json_array_size(v) == 0)
				fprintf(f, "%*s%s: none\n", indent, "", k);
			else
				print_table(f, v);
		} else if (json_is_object(v)) {
			fprintf(f, "%*s%s:\n", indent, "", k);
			print_generic(f, v, indent + 2);
		} else {
			key_cell(key, v, buf, sizeof(buf));
			fprintf(f, "%*s%s: %s\n", indent, "", k, buf);
		}
	}
}

void
print_reply(FILE *f, const char *command, json_t *body)
{
	const char	*csv = json_string_value(json_object_get(body, "csv"));

	if (strcmp(command, "status") == 0)
		print_status(f, body);
	else if ((strcmp(command, "traffic") == 0 ||
	    strcmp(command, "usage") == 0) && csv != NULL &&
	    csv[strspn(csv, "0123456789,-_abcdefghijklmnopqrstuvwxyz\n")] ==
	    '\0')
		fputs(csv, f);	/* digits, dates and the header: safe as is */
	else if (strcmp(command, "traffic") == 0) {
		/* the history is JSON for people too (CONTRACT.md) */
		json_dumpf(body, f, JSON_INDENT(2));
		fputc('\n', f);
	}
	else
		print_generic(f, body, 0);
}
