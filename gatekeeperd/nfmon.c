/*
 * The nf_tables monitor. natd keeps CAP_NET_ADMIN (the kernel checks it
 * on every verdict) and sends on the NETLINK_NETFILTER socket the parent
 * opened for the queue: with both it could send nf_tables batches, not
 * only verdicts. rules.c's table is owned by the parent's own socket
 * where the kernel allows it, so neither natd nor anyone else can change
 * it; this watches the rest (docs/security.md, "The netfilter socket").
 *
 * The parent joins NFNLGRP_NFTABLES. Each change event carries the port
 * id of the socket that sent the change (nlmsg_pid), and natd's seccomp
 * profile lets it create no socket, so its only netfilter socket is the
 * queue socket, whose port id the parent knows. Then:
 *
 * - a change sent from natd's socket gets natd killed (proc.c restarts
 *   it) and is undone where it can be: a table it created is deleted
 *   whole (on natd's own socket when natd made it owned), a rule or set
 *   element it added elsewhere is deleted by handle; a deletion or an
 *   update of somebody else's object cannot be undone and is logged;
 * - a change by anybody else to table ip gatekeeper (possible only when
 *   the kernel lacked persistent owner tables, so the table is not owned)
 *   is repaired at once: the whole table replaced in one batch;
 * - lost events (ENOBUFS) are treated as a change to our table.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <libmnl/libmnl.h>

#include "gatekeeperd.h"
#include "log.h"
#include "util.h"

#define NFMON_RCVBUF	(4 * 1024 * 1024)
#define NFMON_UNDO_MAX	256

static struct mnl_socket *mon_nl;
static struct event	*mon_ev;
static uint32_t		 natd_port;
/* The highest handle of a table not created by natd: handles only grow,
 * so a NEWTABLE from natd above it is a table natd created. */
static uint64_t		 table_mark;

struct ev_info {
	int		 type;		/* NFT_MSG_* */
	uint8_t		 family;
	uint32_t	 port;
	const char	*table;		/* attribute 1 of every object */
	uint64_t	 handle;	/* NEWTABLE's NFTA_TABLE_HANDLE */
	uint32_t	 flags;		/* NEWTABLE's NFTA_TABLE_FLAGS */
};

/* natd's changes still to undo, as copies of their events. */
static struct nlmsghdr	*undo[NFMON_UNDO_MAX];
static int		 nundo;

static int
ev_attr(const struct nlattr *a, void *arg)
{
	struct ev_info	*ei = arg;

	/* NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, ...: all 1 */
	if (mnl_attr_get_type(a) == 1 &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		ei->table = mnl_attr_get_str(a);
	if (ei->type != NFT_MSG_NEWTABLE)
		return MNL_CB_OK;
	if (mnl_attr_get_type(a) == NFTA_TABLE_HANDLE &&
	    mnl_attr_validate(a, MNL_TYPE_U64) == 0)
		ei->handle = be64toh(mnl_attr_get_u64(a));
	if (mnl_attr_get_type(a) == NFTA_TABLE_FLAGS &&
	    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		ei->flags = ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

static int
is_ours(const struct ev_info *ei)
{
	return ei->family == NFPROTO_IPV4 && ei->table != NULL &&
	    strcmp(ei->table, NFT_RULES_TABLE) == 0;
}

static void
undo_add(const struct nlmsghdr *nlh)
{
	if (nundo == NFMON_UNDO_MAX ||
	    (undo[nundo] = malloc(nlh->nlmsg_len)) == NULL) {
		log_warnx("nf_tables: too many changes from natd to undo");
		return;
	}
	memcpy(undo[nundo++], nlh, nlh->nlmsg_len);
}

static void
ev_parse(const struct nlmsghdr *nlh, struct ev_info *ei)
{
	const struct nfgenmsg	*g = mnl_nlmsg_get_payload(nlh);

	memset(ei, 0, sizeof(*ei));
	ei->type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	ei->family = g->nfgen_family;
	ei->port = nlh->nlmsg_pid;
	mnl_attr_parse(nlh, sizeof(*g), ev_attr, ei);
}

/* One event; sets *repair when our table must be rebuilt. */
static void
ev_handle(const struct nlmsghdr *nlh, int *repair, int *natd_bad)
{
	struct ev_info	 ei;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return;
	ev_parse(nlh, &ei);
	if (ei.type == NFT_MSG_NEWGEN)
		return;		/* the end of a transaction */
	if (ei.port != 0 && ei.port == natd_port) {
		if (!*natd_bad)
			log_warnx("nf_tables: natd's socket changed the "
			    "ruleset (message %d, table %s): killing natd, "
			    "undoing it", ei.type, ei.table ? ei.table : "-");
		*natd_bad = 1;
		if (ei.type == NFT_MSG_NEWTABLE && ei.handle <= table_mark)
			log_warnx("nf_tables: natd updated table %s, which "
			    "it did not create: cannot undo", ei.table);
		else if (ei.type == NFT_MSG_NEWTABLE ||
		    ei.type == NFT_MSG_NEWRULE ||
		    ei.type == NFT_MSG_NEWSETELEM ||
		    ei.type == NFT_MSG_NEWCHAIN || ei.type == NFT_MSG_NEWSET ||
		    ei.type == NFT_MSG_NEWOBJ ||
		    ei.type == NFT_MSG_NEWFLOWTABLE)
			undo_add(nlh);	/* in natd's own table: goes with it */
		else if (!is_ours(&ei))
			log_warnx("nf_tables: natd's change (message %d, "
			    "table %s) cannot be undone", ei.type,
			    ei.table ? ei.table : "-");
		if (is_ours(&ei))
			*repair = 1;
		return;
	}
	if (ei.type == NFT_MSG_NEWTABLE && ei.handle > table_mark)
		table_mark = ei.handle;
	if (ei.port != 0 && ei.port == rules_portid())
		return;		/* our own change */
	if (is_ours(&ei)) {
		if (!*repair)
			log_warnx("nf_tables: table ip " NFT_RULES_TABLE
			    " changed by netlink port %u: repairing it",
			    ei.port);
		*repair = 1;
	}
}

/* Was table (family, name) created by natd, among the undo list? */
static int
natd_table(uint8_t family, const char *name)
{
	struct ev_info	 ei;
	int		 i;

	for (i = 0; i < nundo; i++) {
		ev_parse(undo[i], &ei);
		if (ei.type == NFT_MSG_NEWTABLE && ei.family == family &&
		    ei.table != NULL && strcmp(ei.table, name) == 0)
			return 1;
	}
	return 0;
}

/*
 * Tables natd created go first and whole; then, newest first, what it
 * added to tables it did not create.
 */
static void
undo_all(void)
{
	struct ev_info	 ei;
	int		 i, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = nundo - 1; i >= 0; i--) {
			ev_parse(undo[i], &ei);
			if ((ei.type == NFT_MSG_NEWTABLE) != (pass == 0))
				continue;
			if (pass == 1 && ei.table != NULL &&
			    natd_table(ei.family, ei.table))
				continue;
			if (rules_undo(undo[i], -1) == 0)
				continue;
			/* A table natd made owned: only its socket may. */
			if (errno == EPERM && gk->res[RES_QUEUE] != -1 &&
			    rules_undo(undo[i], gk->res[RES_QUEUE]) == 0)
				continue;
			if (errno == EINVAL)
				log_warnx("nf_tables: natd's change (message "
				    "%d, table %s) cannot be undone", ei.type,
				    ei.table ? ei.table : "-");
			else if (errno != ENOENT)
				log_warn("nf_tables: undoing natd's change "
				    "(message %d, table %s)", ei.type,
				    ei.table ? ei.table : "-");
		}
	}
	for (i = 0; i < nundo; i++)
		free(undo[i]);
	nundo = 0;
}

static void
natd_kill(void)
{
	struct child	*c;

	if ((c = proc_by_name("natd")) != NULL && c->pid > 0 &&
	    (c->state == CHILD_RUNNING || c->state == CHILD_STARTING))
		proc_signal(c, SIGKILL);
}

static void
nfmon_read(evutil_socket_t fd, short what, void *arg)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;
	ssize_t		 n;
	int		 len, repair = 0, natd_bad = 0;

	for (;;) {
		if ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				log_warnx("nf_tables: events lost: repairing "
				    "table ip " NFT_RULES_TABLE);
				repair = 1;
				continue;
			}
			if (errno != EAGAIN)
				log_warn("nf_tables monitor");
			break;
		}
		len = n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len))
			ev_handle(nlh, &repair, &natd_bad);
	}
	/* Killed first: natd may be sending more while we undo. */
	if (natd_bad)
		natd_kill();
	undo_all();
	if (repair && rules_repair(&gk->rules) == 0)
		log_info("table ip " NFT_RULES_TABLE " repaired");
}

int
nfmon_start(void)
{
	struct sockaddr_nl	 sa;
	socklen_t		 salen = sizeof(sa);
	int			 group = NFNLGRP_NFTABLES;

	if (getsockname(gk->res[RES_QUEUE], (struct sockaddr *)&sa, &salen) == -1) {
		log_warn("queue socket port id");
		return -1;
	}
	natd_port = sa.nl_pid;
	table_mark = rules_table_handle();
	if ((mon_nl = mnl_socket_open2(NETLINK_NETFILTER,
	    SOCK_CLOEXEC | SOCK_NONBLOCK)) == NULL ||
	    mnl_socket_bind(mon_nl, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    mnl_socket_setsockopt(mon_nl, NETLINK_ADD_MEMBERSHIP, &group,
	    sizeof(group)) == -1) {
		log_warn("nf_tables monitor socket");
		nfmon_stop();
		return -1;
	}
	if (set_rcvbuf(mnl_socket_get_fd(mon_nl), NFMON_RCVBUF) == -1)
		log_warn("nf_tables monitor receive buffer");
	if ((mon_ev = event_new(gk->base, mnl_socket_get_fd(mon_nl),
	    EV_READ | EV_PERSIST, nfmon_read, NULL)) == NULL ||
	    event_add(mon_ev, NULL) == -1) {
		log_warnx("nf_tables monitor event");
		nfmon_stop();
		return -1;
	}
	log_info("nf_tables monitor: natd's netlink port %u, ours %u",
	    natd_port, rules_portid());
	return 0;
}

void
nfmon_stop(void)
{
	if (mon_ev != NULL)
		event_free(mon_ev);
	mon_ev = NULL;
	if (mon_nl != NULL)
		mnl_socket_close(mon_nl);
	mon_nl = NULL;
}
