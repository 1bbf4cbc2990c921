/*
 * The command catalogue: every gkctl command, once. The parent routes
 * from it (and refuses unknown commands, wrong argument counts and kinds,
 * and senders the command does not allow), gkctl prints its help and
 * checks a command from it before connecting, each daemon registers one
 * handler per command it owns (child.h), and gkctl(8)'s COMMANDS section
 * is generated from it. A command that is not built is not here.
 *
 * Pure data and string checks: no libevent, no jansson.
 */
#ifndef GK_COMMANDS_H
#define GK_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

enum gk_cmd {
	CMD_STATUS,
	CMD_RESTART,
	CMD_CLIENTS,
	CMD_LEASES,
	CMD_LEASE_ADD,
	CMD_LEASE_DEL,
	CMD_DNS_STATS,
	CMD_DNS_FLUSH,
	CMD_DNS_LOG,
	CMD_NAT,
	CMD_NAT_TIMEOUT,
	CMD_FORWARDS,
	CMD_FORWARD_ADD,
	CMD_FORWARD_DEL,
	CMD_NAMES,
	CMD_PASSWD,
	CMD_TRAFFIC,
	CMD_PCAP,
	CMD_USAGE,
	CMD_PCAP_CLEAR,
	CMD_DEVICES,
	CMD_LABEL,
	CMD_FORGET,
	CMD_MAX
};

/* What an argument must look like; checked by gkctl and the parent. */
enum cmd_arg_kind {
	ARG_IPV4,		/* dotted quad */
	ARG_MAC,		/* aa:bb:cc:dd:ee:ff */
	ARG_HOSTNAME,		/* one DNS label, as static-lease takes */
	ARG_PROTO,		/* tcp or udp */
	ARG_PORT,		/* 1 to 65535 */
	ARG_DAEMON,		/* natd, dhcpd, dnsd or webd */
	ARG_TIMEOUT_NAME,	/* udp, tcp-established, ... */
	ARG_SECONDS,		/* 1 to 2592000 */
	/* A secret gkctl reads from the terminal (no echo) or one line
	 * of standard input, never from its command line (ps shows that);
	 * left out of the usage. */
	ARG_SECRET,
	ARG_CLIENT,		/* a device: its MAC or IPv4 address */
	ARG_TIME,		/* epoch ms or ISO 8601 (webd checks more) */
	ARG_STEP,		/* ms, or a number with ms, s, m or h */
	ARG_LABEL,		/* free text: < 64 bytes, no control chars */
	ARG_DAY,		/* a date, YYYY-MM-DD (webd checks it is real) */
	ARG_ROWS,		/* a number of rows: 1 to 100000 */
};

struct cmd_arg {
	const char		*name;		/* as in the usage: "MAC" */
	enum cmd_arg_kind	 kind;
};

/*
 * An option: typed "--from T", sent as one word "--from=T" (gkctl joins
 * them, cmd_join_options()), anywhere after the command's name; no meta:
 * a flag ("--csv").
 */
struct cmd_opt {
	const char		*name;		/* "--from" */
	const char		*meta;		/* "T"; NULL: a flag */
	enum cmd_arg_kind	 kind;
};

#define CMD_MAX_OPTS		8

/* Who may send a command (gk_command.from). */
#define CMD_FROM_ROOT		0x1	/* gkctl run by root */
#define CMD_FROM_GROUP		0x2	/* gkctl run by group gatekeeper */
#define CMD_FROM_WEBD		0x4	/* webd, on the admin's behalf */
#define CMD_FROM_ANYONE		(CMD_FROM_ROOT | CMD_FROM_GROUP)

#define CMD_MAX_WORDS		2	/* "lease add" */
#define CMD_MAX_ARGS		6	/* argument words after the name */

struct gk_command {
	enum gk_cmd		 id;
	const char		*name;		/* its words: "lease add" */
	/*
	 * Arguments after the name: the first nreq are required, the rest
	 * optional, in order. With repeat, the optional ones come in
	 * groups of that many, as often as fit ("nat timeout udp 30 icmp
	 * 60"), each group whole.
	 */
	struct cmd_arg		 args[CMD_MAX_ARGS];
	uint8_t			 nargs, nreq, repeat;
	struct cmd_opt		 opts[CMD_MAX_OPTS];
	uint8_t			 nopts;
	/* The daemons that answer it (1 << PEER_*); PEER_PARENT alone:
	 * gatekeeperd answers itself. Two owners: their replies are
	 * merged, array entries joined on "ip". */
	uint32_t		 owners;
	uint32_t		 from;		/* CMD_FROM_* */
	/*
	 * 1: the answer is a file on gkctl's standard output, not JSON:
	 * gkctl sends the write end of a pipe with the request, the parent
	 * hands it to the owner, which streams the file into it, and the
	 * JSON reply only says what was sent. Never over the JSON relay.
	 */
	uint8_t			 stream;
	const char		*summary;	/* one line, for gkctl help */
	const char		*text;		/* gkctl(8) and help COMMAND */
};

extern const struct gk_command gk_commands[CMD_MAX];

/*
 * Finds the command that argv (argc words, the command's name first)
 * names, by its longest matching name; NULL when none does. *nwords gets
 * how many words the name took.
 */
const struct gk_command *cmd_find(int argc, const char *const *argv,
	    int *nwords);
/*
 * The whole check of a request: a known command, the right count and
 * kind of arguments. Returns the command, or NULL with err filled for
 * the user (the usage line, or "did you mean ..." for a typo).
 */
const struct gk_command *cmd_check(int argc, const char *const *argv,
	    char *err, size_t errlen);
/*
 * gkctl, before cmd_check(): joins each option of the command argv names
 * with its value ("--from" "T" -> "--from=T"), in place; returns the new
 * count. The joined words are allocated (gkctl's, freed at exit).
 */
int	 cmd_join_options(int argc, char **argv);
/* 1 when a sender of kind from (CMD_FROM_*) may send cmd. */
int	 cmd_allowed(const struct gk_command *, uint32_t from);
/* "lease add MAC IP [NAME]" into buf. */
void	 cmd_usage(const struct gk_command *, char *buf, size_t len);
/* The catalogue command whose name is closest to word, or NULL. */
const struct gk_command *cmd_suggest(const char *word);
/* The peer that answers a single-owner command (PEER_*). */
uint32_t cmd_owner(const struct gk_command *);

/*
 * A program's handler table: n entries of size bytes, each starting with
 * its command (enum gk_cmd, as an int), e.g. child.h's ctl_handler.
 * Every program checks its table at start with cmd_table_check(), so a
 * table and the catalogue cannot disagree in a running program: a handler
 * for every command peer (PEER_*) owns, none for a command it does not.
 * Returns 0, or -1 with err filled.
 */
int	 cmd_table_check(uint32_t peer, const void *table, size_t n,
	    size_t size, char *err, size_t errlen);
/* The entry for cmd, or NULL. */
const void *cmd_table_find(const void *table, size_t n, size_t size,
	    int cmd);
/* The names of the table's commands, one a line, in its order (-L). */
void	 cmd_table_print(const void *table, size_t n, size_t size);

#endif
