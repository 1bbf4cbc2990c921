/*
 * gkctl: the control tool. It sends one request over the control socket
 * and prints the JSON reply, as a table for people or raw with -j.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "chan.h"
#include "commands.h"
#include "conf.h"

#define REPLY_TIMEOUT_SECS	10

/* Exit statuses (gkctl(8)). */
#define EXIT_FAILED		1	/* the command failed */
#define EXIT_USAGE		2	/* a usage error */

/* The command list, from the catalogue. */
static void
print_commands(FILE *f)
{
	char		 u[256];
	int		 i;

	fprintf(f, "usage: gkctl [-j] [-s socket] command [argument ...]\n"
	    "       gkctl help [command]\n"
	    "commands:\n");
	for (i = 0; i < CMD_MAX; i++) {
		cmd_usage(&gk_commands[i], u, sizeof(u));
		if (strlen(u) < 30)
			fprintf(f, "  %-30s %s\n", u, gk_commands[i].summary);
		else
			fprintf(f, "  %s\n  %-30s %s\n", u, "",
			    gk_commands[i].summary);
	}
}

static __attribute__((noreturn)) void
usage(void)
{
	print_commands(stderr);
	exit(EXIT_USAGE);
}

/* Words of text, folded at width columns. */
static void
print_folded(const char *text, int width)
{
	const char	*p = text;
	int		 col = 0, n;

	while (*p != '\0') {
		n = (int)strcspn(p, " ");
		if (col > 0 && col + 1 + n > width) {
			printf("\n");
			col = 0;
		} else if (col > 0) {
			printf(" ");
			col++;
		}
		printf("%.*s", n, p);
		col += n;
		p += n;
		p += *p == ' ';
	}
	printf("\n");
}

/* gkctl help [COMMAND ...]: on stdout, exit 0; unknown: exit 2. */
static __attribute__((noreturn)) void
help(int argc, char **argv)
{
	const struct gk_command *c;
	char		 u[256], err[512];
	int		 nw, i, shown = 0;

	if (argc == 0) {
		print_commands(stdout);
		exit(0);
	}
	if ((c = cmd_find(argc, (const char *const *)argv, &nw)) != NULL &&
	    nw == argc) {
		cmd_usage(c, u, sizeof(u));
		printf("usage: gkctl %s\n\n", u);
		print_folded(c->text, 72);
		if (c->from == CMD_FROM_ROOT)
			printf("\nRoot only.\n");
		exit(0);
	}
	/* A family ("help lease"): each member. */
	for (i = 0; i < CMD_MAX; i++) {
		c = &gk_commands[i];
		if (strncmp(c->name, argv[0], strlen(argv[0])) != 0 ||
		    c->name[strlen(argv[0])] != ' ' || argc != 1)
			continue;
		cmd_usage(c, u, sizeof(u));
		printf("%susage: gkctl %s\n", shown ? "\n" : "", u);
		print_folded(c->text, 72);
		shown = 1;
	}
	if (shown)
		exit(0);
	(void)cmd_check(argc, (const char *const *)argv, err, sizeof(err));
	fprintf(stderr, "gkctl: %s\n", err);
	exit(EXIT_USAGE);
}

static __attribute__((noreturn, format(printf, 1, 2))) void
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "gkctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static int
connect_control(const char *path)
{
	struct sockaddr_un sun;
	struct timeval	 tv = { REPLY_TIMEOUT_SECS, 0 };
	int		 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		die("%s: path too long", path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die("cannot reach gatekeeperd at %s: %s%s", path,
		    strerror(errno), errno == EACCES ?
		    " (root or group gatekeeper only)" : "");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		die("setsockopt: %s", strerror(errno));
	return fd;
}

static json_t *
request(const char *path, int argc, char **argv)
{
	static uint8_t	 buf[PROTO_MAX_MSG];
	struct msg_ctl_request req;
	struct proto_msg msg;
	const char	*why;
	json_error_t	 err;
	json_t		*body;
	char		*text = NULL, *p;
	size_t		 textlen = 0;
	int		 fd, i;

	if (argc > CTL_MAX_ARGS)
		die("too many arguments");
	memset(&req, 0, sizeof(req));
	req.argc = (uint32_t)argc;
	for (i = 0; i < argc; i++)
		if (strlcpy(req.argv[i], argv[i], CTL_ARG_SIZE) >=
		    CTL_ARG_SIZE)
			die("argument too long: %.20s...", argv[i]);
	fd = connect_control(path);
	if (proto_send_sync(fd, PEER_GKCTL, MSG_CTL_REQUEST, &req,
	    sizeof(req)) == -1)
		die("send: %s", strerror(errno));
	/* A long reply comes as parts, then the final message. */
	for (;;) {
		if ((why = proto_recv_sync(fd, buf, sizeof(buf), &msg)) != NULL)
			die("%s%s", why, errno == EAGAIN ? " (timed out)" : "");
		if (msg.hdr.type == MSG_CTL_ERROR)
			die("%s", (const char *)msg.data);
		if (msg.hdr.type != MSG_CTL_REPLY &&
		    msg.hdr.type != MSG_CTL_REPLY_PART)
			die("unexpected %s reply", proto_type_name(msg.hdr.type));
		if (textlen + msg.len > CTL_MAX_REPLY ||
		    (p = realloc(text, textlen + msg.len)) == NULL)
			die("reply too large");
		text = p;
		memcpy(text + textlen, msg.data, msg.len);
		textlen += msg.len;
		if (msg.hdr.type == MSG_CTL_REPLY)
			break;
	}
	close(fd);
	body = json_loadb(text, textlen - 1, 0, &err);
	free(text);
	if (body == NULL)
		die("bad reply: %s", err.text);
	return body;
}

static const char *
str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static void
print_uptime(double secs)
{
	long	 s = (long)secs;

	if (s >= 86400)
		printf("%ldd%02ldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		printf("%ldh%02ldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		printf("%ldm%02lds", s / 60, s % 60);
	else
		printf("%lds", s);
}

static void
print_status(json_t *st)
{
	json_t		*d, *wan, *lan;
	size_t		 i;

	wan = json_object_get(st, "wan");
	lan = json_object_get(st, "lan");
	printf("WAN   %-8s %s\n", str_or(wan, "ifname", "-"),
	    str_or(wan, "address", "no address"));
	printf("LAN   %-8s %s\n", str_or(lan, "ifname", "-"),
	    str_or(lan, "address", "no address"));
	printf("queue %s\n\n", str_or(st, "queue_backend", "-"));
	printf("%-8s %-8s %-6s %-10s %-8s %s\n", "DAEMON", "PID", "UID",
	    "STATE", "RESTARTS", "UPTIME");
	json_array_foreach(json_object_get(st, "daemons"), i, d) {
		json_t *pid = json_object_get(d, "pid");
		json_t *up = json_object_get(d, "uptime");

		printf("%-8s ", str_or(d, "name", "?"));
		if (json_is_integer(pid))
			printf("%-8lld ", (long long)json_integer_value(pid));
		else
			printf("%-8s ", "-");
		printf("%-6lld %-10s %-8lld ",
		    (long long)json_integer_value(json_object_get(d, "uid")),
		    str_or(d, "state", "?"),
		    (long long)json_integer_value(json_object_get(d,
		    "restarts")));
		if (json_is_number(up))
			print_uptime(json_number_value(up));
		else
			printf("-");
		printf("\n");
	}
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

/* A time cell for people: local date and time. */
static void
time_cell(json_t *v, char *buf, size_t size)
{
	time_t		 t = (time_t)json_integer_value(v);
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
		snprintf(buf, size, "%s", json_string_value(v));
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

static void
row_cell(json_t *row, const char *key, char *buf, size_t size)
{
	if (is_time_key(key))
		time_cell(json_object_get(row, key), buf, size);
	else
		cell(json_object_get(row, key), buf, size);
}

#define MAX_COLUMNS	24
#define CELL_SIZE	128

/* An array of flat objects as a table, columns in order of appearance. */
static void
print_table(json_t *rows)
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
				width[ncols++] = (int)strlen(key);
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
		for (key = cols[c]; *key; key++)
			putchar(*key == '_' ? ' ' : toupper((unsigned char)*key));
		printf("%*s", c + 1 < ncols ? width[c] -
		    (int)strlen(cols[c]) + 2 : 0, "");
	}
	printf("\n");
	json_array_foreach(rows, i, row) {
		for (c = 0; c < ncols; c++) {
			row_cell(row, cols[c], buf, sizeof(buf));
			printf("%-*s", c + 1 < ncols ? width[c] + 2 : 0, buf);
		}
		printf("\n");
	}
}

/* Any other reply: scalars as "key: value", arrays of objects as tables. */
static void
print_generic(json_t *body, int indent)
{
	const char	*key;
	char		 buf[1024];
	json_t		*v;

	json_object_foreach(body, key, v) {
		if (json_is_array(v) && (json_array_size(v) == 0 ||
		    json_is_object(json_array_get(v, 0)))) {
			if (json_array_size(v) == 0)
				printf("%*s%s: none\n", indent, "", key);
			else
				print_table(v);
		} else if (json_is_object(v)) {
			printf("%*s%s:\n", indent, "", key);
			print_generic(v, indent + 2);
		} else {
			if (is_time_key(key))
				time_cell(v, buf, sizeof(buf));
			else
				cell(v, buf, sizeof(buf));
			printf("%*s%s: %s\n", indent, "", key, buf);
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*sock = CONF_DEFAULT_RUN_DIR "/control.sock";
	char		 err[512];
	json_t		*body;
	int		 ch, json_out = 0;

	while ((ch = getopt_long(argc, argv, "+hjs:V", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help(0, NULL);
		case 'j':
			json_out = 1;
			break;
		case 's':
			sock = optarg;
			break;
		case 'V':
			printf("gkctl %s\n", GK_VERSION);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "help") == 0)
		help(argc - 1, argv + 1);
	/* A typo is told here, not as "cannot reach gatekeeperd". */
	if (cmd_check(argc, (const char *const *)argv, err, sizeof(err)) ==
	    NULL) {
		fprintf(stderr, "gkctl: %s\n", err);
		return EXIT_USAGE;
	}
	body = request(sock, argc, argv);
	if (json_out) {
		json_dumpf(body, stdout, JSON_INDENT(2));
		printf("\n");
	} else if (strcmp(argv[0], "status") == 0)
		print_status(body);
	else
		print_generic(body, 0);
	json_decref(body);
	return 0;
}
