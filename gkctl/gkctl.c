/*
 * gkctl: the control tool. It sends one request over the control socket
 * and prints the JSON reply, as a table for people or raw with -j.
 * Tables round sizes and durations for people and show child-supplied
 * strings (host names a LAN device chose) with control characters
 * escaped; -j passes the reply through exact.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "chan.h"
#include "commands.h"
#include "conf.h"
#include "print.h"

#define REPLY_TIMEOUT_SECS	10

/* Exit statuses (gkctl(8), CONTRACT.md). */
#define EXIT_FAILED		1	/* the command failed */
#define EXIT_USAGE		2	/* a usage error */
#define EXIT_UNREACHABLE	3	/* gatekeeperd cannot be reached */

static int	 json_out;		/* -j */

static void	 fail(int, const char *, ...)
		    __attribute__((noreturn, format(printf, 2, 3)));

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
	if (json_out)
		fail(EXIT_USAGE, "no command");
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
	fail(EXIT_USAGE, "%s", err);
}

/* The message on stderr, and with -j also {"error": ...} on stdout. */
static void
fail(int status, const char *fmt, ...)
{
	char	 msg[1024], shown[1024];
	json_t	*o;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "gkctl: %s\n", print_safe(msg, shown, sizeof(shown)));
	/* jansson takes UTF-8 only: else the escaped text. */
	if (json_out && ((o = json_pack("{s:s}", "error", msg)) != NULL ||
	    (o = json_pack("{s:s}", "error", shown)) != NULL)) {
		json_dumpf(o, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(o);
	}
	exit(status);
}

#define die(...)	fail(EXIT_FAILED, __VA_ARGS__)

/* Errors of connect(2) that mean nobody is listening there. */
static int
unreachable(int e)
{
	return e == ENOENT || e == ECONNREFUSED || e == ENOTDIR ||
	    e == ENOTSOCK || e == EPROTOTYPE;
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
		fail(unreachable(errno) ? EXIT_UNREACHABLE : EXIT_FAILED,
		    "cannot reach gatekeeperd at %s: %s%s", path,
		    strerror(errno), errno == EACCES ?
		    " (root or group gatekeeper only)" : "");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		die("setsockopt: %s", strerror(errno));
	return fd;
}

/* Sends the request, with passfd (or -1); returns the connection. */
static int
send_request(const char *path, int argc, char **argv, int passfd)
{
	struct msg_ctl_request req;
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
	if (proto_send_sync_fd(fd, PEER_GKCTL, MSG_CTL_REQUEST, &req,
	    sizeof(req), passfd) == -1)
		die("send: %s", strerror(errno));
	return fd;
}

/* The reply on fd, which it closes. */
static json_t *
read_reply(int fd)
{
	static uint8_t	 buf[PROTO_MAX_MSG];
	struct proto_msg msg;
	const char	*why;
	json_error_t	 err;
	json_t		*body;
	char		*text = NULL, *p;
	size_t		 textlen = 0;

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

/* One line of standard input, without its newline, echo off on a
 * terminal. -1 at EOF or when the line is too long. */
static int
read_line(const char *prompt, char *buf, size_t len)
{
	struct termios	 old, quiet;
	int		 tty = isatty(STDIN_FILENO), rc = 0;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		if (tcgetattr(STDIN_FILENO, &old) == -1)
			return -1;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(buf, (int)len, stdin) == NULL ||
	    (strchr(buf, '\n') == NULL && !feof(stdin)))
		rc = -1;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return rc;
}

/*
 * A command whose last argument is a secret (passwd): it is read here,
 * asked twice on a terminal, never taken from the command line, where
 * ps would show it. Returns argv with it appended, in *argcp.
 */
static char **
add_secret(int *argcp, char **argv)
{
	static char	 secret[CTL_ARG_SIZE], again[CTL_ARG_SIZE];
	static char	*out[CTL_MAX_ARGS];
	const struct gk_command *c;
	int		 nw, i, argc = *argcp;

	c = cmd_find(argc, (const char *const *)argv, &nw);
	if (c == NULL || argc - nw >= c->nargs || argc >= CTL_MAX_ARGS ||
	    c->args[argc - nw].kind != ARG_SECRET)
		return argv;
	if (read_line("New password: ", secret, sizeof(secret)) == -1)
		fail(EXIT_USAGE, "%s: no password read", c->name);
	if (isatty(STDIN_FILENO) && (read_line("Again: ", again,
	    sizeof(again)) == -1 || strcmp(secret, again) != 0))
		fail(EXIT_USAGE, "%s: the passwords differ", c->name);
	explicit_bzero(again, sizeof(again));
	for (i = 0; i < argc; i++)
		out[i] = argv[i];
	out[argc] = secret;
	*argcp = argc + 1;
	return out;
}

/*
 * A stream command (commands.h, gkctl pcap): the file comes through a
 * pipe whose write end goes with the request (the parent hands it to
 * the daemon that writes it; the bytes never pass through the parent),
 * copied to standard output, which must not be a terminal. The JSON
 * reply says how many bytes were sent: fewer is a failure.
 */
static int
stream(const char *sock, const struct gk_command *c, int argc, char **argv)
{
	static uint8_t	 buf[65536];
	json_t		*body;
	json_int_t	 want;
	uint64_t	 got = 0;
	ssize_t		 n, w, off;
	int		 p[2], fd;

	json_out = 0;		/* standard output is the file's */
	if (isatty(STDOUT_FILENO))
		fail(EXIT_USAGE, "%s: will not write a capture to a terminal; "
		    "redirect it: gkctl %s ... > file", c->name, c->name);
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(p, O_CLOEXEC) == -1)
		die("pipe: %s", strerror(errno));
	/* A larger pipe: fewer turns of webd's loop and ours for 5 MiB
	 * (best effort; pipe-max-size caps it). */
	(void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	fd = send_request(sock, argc, argv, p[1]);
	close(p[1]);
	/* EOF when the writer is done, or never got the pipe. */
	while ((n = read(p[0], buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("read: %s", strerror(errno));
		}
		for (off = 0; off < n; off += w)
			if ((w = write(STDOUT_FILENO, buf + off,
			    (size_t)(n - off))) == -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				die("standard output: %s", strerror(errno));
			}
		got += (uint64_t)n;
	}
	close(p[0]);
	body = read_reply(fd);
	want = json_integer_value(json_object_get(body, "bytes"));
	if (want < 0 || (uint64_t)want != got)
		die("%s: %llu of %lld bytes came; the file is short", c->name,
		    (unsigned long long)got, (long long)want);
	json_decref(body);
	return 0;
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
	const struct gk_command *c;
	char		 err[512];
	json_t		*body;
	int		 ch;

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
	argv = add_secret(&argc, argv);
	argc = cmd_join_options(argc, argv);
	/* A typo is told here, not as "cannot reach gatekeeperd". */
	if ((c = cmd_check(argc, (const char *const *)argv, err,
	    sizeof(err))) == NULL)
		fail(EXIT_USAGE, "%s", err);
	if (c->stream)
		return stream(sock, c, argc, argv);
	body = read_reply(send_request(sock, argc, argv, -1));
	if (json_out) {
		json_dumpf(body, stdout, JSON_INDENT(2));
		printf("\n");
	} else
		print_reply(stdout, argv[0], body);
	json_decref(body);
	return 0;
}
