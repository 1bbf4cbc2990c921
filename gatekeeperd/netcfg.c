/*
 * Links, addresses and routes through rtnetlink (libmnl). Setup is rare,
 * so every call opens its own socket: no state survives between calls and
 * nothing needs closing at exit. Nothing here logs; callers decide what
 * an error means.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* <linux/if.h> has it but clashes with <net/if.h>: the kernel's value. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP	0x10000
#endif

#include <libmnl/libmnl.h>

#include "netcfg.h"

/* libmnl 1.0.4 lacks MNL_SOCKET_DUMP_SIZE; the kernel fills up to 32K. */
#define NL_BUFSIZE	32768

static unsigned int nl_seq;

/*
 * Sends nlh on a fresh NETLINK_ROUTE socket and runs cb on every reply
 * until the ACK or NLMSG_DONE. Returns 0 or -errno.
 */
static int
nl_exchange(struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	struct mnl_socket	*nl;
	char			*buf;
	unsigned int		 portid;
	ssize_t			 n;
	int			 ret = MNL_CB_STOP, err = 0;

	if ((buf = malloc(NL_BUFSIZE)) == NULL)
		return -errno;
	if ((nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL) {
		err = -errno;
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		err = -errno;
		goto close;
	}
	portid = mnl_socket_get_portid(nl);
	if (nl_seq == 0)
		nl_seq = time(NULL);
	nlh->nlmsg_seq = ++nl_seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1) {
		err = -errno;
		goto close;
	}
	do {
		n = mnl_socket_recvfrom(nl, buf, NL_BUFSIZE);
		if (n == -1) {
			err = -errno;
			break;
		}
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq, portid, cb, arg);
		if (ret == MNL_CB_ERROR)
			err = errno ? -errno : -EIO;
	} while (ret > MNL_CB_STOP);
close:
	mnl_socket_close(nl);
out:
	free(buf);
	return err;
}

/* A change request: the kernel answers with an ACK carrying the error. */
static int
nl_request(struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	return nl_exchange(nlh, NULL, NULL);
}

/* A dump: cb sees every object, the exchange ends at NLMSG_DONE. */
static int
nl_dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
	return nl_exchange(nlh, cb, arg);
}

/* Turns a -errno result into the public 0 / -1-with-errno convention. */
static int
nl_result(int err)
{
	if (err == 0)
		return 0;
	errno = -err;
	return -1;
}

static int
link_index(const char *name, int *index)
{
	unsigned int	 i;

	if ((i = if_nametoindex(name)) == 0)
		return -(errno ? errno : ENODEV);
	*index = i;
	return 0;
}

static struct ifinfomsg *
link_msg(char *buf, int type, int flags, int index)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	return ifi;
}

/* ---- links ---- */

struct link_walk {
	struct netcfg_link	*links;
	int			 max;
	int			 n;
	int			 overflow;
};

static int
link_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct link_walk	*w = arg;
	struct ifinfomsg	*ifi = mnl_nlmsg_get_payload(nlh);
	struct netcfg_link	*l;
	struct nlattr		*a;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (w->n >= w->max) {
		w->overflow = 1;
		return MNL_CB_OK;
	}
	l = &w->links[w->n++];
	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	l->up = (ifi->ifi_flags & IFF_UP) != 0;
	l->carrier = (ifi->ifi_flags & IFF_LOWER_UP) != 0;
	l->loopback = (ifi->ifi_flags & IFF_LOOPBACK) != 0;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
				strlcpy(l->name, mnl_attr_get_str(a),
				    sizeof(l->name));
			break;
		case IFLA_MASTER:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				l->master = mnl_attr_get_u32(a);
			break;
		case IFLA_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				l->mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == sizeof(l->mac))
				memcpy(l->mac, mnl_attr_get_payload(a),
				    sizeof(l->mac));
			break;
		}
	}
	return MNL_CB_OK;
}

/* ---- IPv4 addresses ---- */

struct addr_entry {
	int		index;
	struct in_addr	addr;
	int		prefix;
};

typedef int (*addr_fn)(const struct addr_entry *, void *);

struct addr_walk {
	addr_fn		 fn;
	void		*arg;
};

static int
addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct addr_walk	*w = arg;
	struct ifaddrmsg	*ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_entry	 e;
	struct nlattr		*a;
	int			 have_local = 0;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET)
		return MNL_CB_OK;
	memset(&e, 0, sizeof(e));
	e.index = ifa->ifa_index;
	e.prefix = ifa->ifa_prefixlen;
	/* IFA_LOCAL is our address; IFA_ADDRESS is the peer's on ptp. */
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_payload_len(a) != sizeof(e.addr))
			continue;
		if (mnl_attr_get_type(a) == IFA_LOCAL) {
			memcpy(&e.addr, mnl_attr_get_payload(a), 4);
			have_local = 1;
		} else if (mnl_attr_get_type(a) == IFA_ADDRESS && !have_local)
			memcpy(&e.addr, mnl_attr_get_payload(a), 4);
	}
	return w->fn(&e, w->arg);
}

/* Calls fn for every IPv4 address of every link. */
static int
addr_walk(addr_fn fn, void *arg)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;
	struct addr_walk	 w = { fn, arg };

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	return nl_dump(nlh, addr_cb, &w);
}

static int
mark_ipv4(const struct addr_entry *e, void *arg)
{
	struct link_walk	*w = arg;
	int			 i;

	for (i = 0; i < w->n; i++)
		if (w->links[i].index == e->index)
			w->links[i].has_ipv4 = 1;
	return MNL_CB_OK;
}

/*
 * Fills at most max links. When there are more, the first max are
 * filled, *n = max and -1/ENOBUFS is returned.
 */
int
netcfg_list_links(struct netcfg_link *links, int max, int *n)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct link_walk	 w = { links, max, 0, 0 };
	int			 err;

	*n = 0;
	link_msg(buf, RTM_GETLINK, 0, 0);
	if ((err = nl_dump((struct nlmsghdr *)buf, link_cb, &w)) != 0)
		return nl_result(err);
	if ((err = addr_walk(mark_ipv4, &w)) != 0)
		return nl_result(err);
	*n = w.n;
	return w.overflow ? nl_result(-ENOBUFS) : 0;
}

int
netcfg_link_get(const char *name, struct netcfg_link *link)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct link_walk	 w = { link, 1, 0, 0 };
	int			 index, err;

	if ((err = link_index(name, &index)) != 0)
		return nl_result(err);
	/* A plain GET answers with the object; ask for an ACK to end it. */
	link_msg(buf, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, index);
	if ((err = nl_exchange((struct nlmsghdr *)buf, link_cb, &w)) != 0)
		return nl_result(err);
	if (w.n != 1)
		return nl_result(-ENODEV);
	if ((err = addr_walk(mark_ipv4, &w)) != 0)
		return nl_result(err);
	return 0;
}

int
netcfg_link_set_up(const char *name, int up)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifinfomsg	*ifi;
	int			 index, err;

	if ((err = link_index(name, &index)) != 0)
		return nl_result(err);
	ifi = link_msg(buf, RTM_NEWLINK, 0, index);
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return nl_result(nl_request((struct nlmsghdr *)buf));
}

int
netcfg_link_set_master(const char *name, const char *master)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	int			 index, mindex = 0, err;

	if ((err = link_index(name, &index)) != 0)
		return nl_result(err);
	if (master != NULL && (err = link_index(master, &mindex)) != 0)
		return nl_result(err);
	link_msg(buf, RTM_NEWLINK, 0, index);
	mnl_attr_put_u32((struct nlmsghdr *)buf, IFLA_MASTER, mindex);
	return nl_result(nl_request((struct nlmsghdr *)buf));
}

int
netcfg_bridge_create(const char *name)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh = (struct nlmsghdr *)buf;
	struct nlattr	*info;

	if (strlen(name) == 0 || strlen(name) >= IF_NAMESIZE)
		return nl_result(-EINVAL);
	/* EXCL: never adopt a bridge someone else made. */
	link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return nl_result(nl_request(nlh));
}

int
netcfg_link_delete(const char *name)
{
	char	 buf[MNL_SOCKET_BUFFER_SIZE];
	int	 index, err;

	if ((err = link_index(name, &index)) != 0)
		return nl_result(err);
	link_msg(buf, RTM_DELLINK, 0, index);
	return nl_result(nl_request((struct nlmsghdr *)buf));
}

static uint32_t
prefix_mask(int prefix)
{
	return prefix <= 0 ? 0 : htonl(0xffffffffU << (32 - prefix));
}

static int
addr_change(int type, int flags, const char *name, struct in_addr addr,
    int prefix)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;
	struct in_addr		 brd;
	int			 index, err;

	if (prefix < 0 || prefix > 32)
		return -EINVAL;
	if ((err = link_index(name, &index)) != 0)
		return err;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = index;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	/* As "ip addr add ... brd +": /31 and /32 have no broadcast. */
	if (type == RTM_NEWADDR && prefix < 31) {
		brd.s_addr = addr.s_addr | ~prefix_mask(prefix);
		mnl_attr_put(nlh, IFA_BROADCAST, sizeof(brd), &brd);
	}
	return nl_request(nlh);
}

int
netcfg_addr_add(const char *name, struct in_addr addr, int prefix)
{
	return nl_result(addr_change(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
	    name, addr, prefix));
}

int
netcfg_addr_del(const char *name, struct in_addr addr, int prefix)
{
	return nl_result(addr_change(RTM_DELADDR, 0, name, addr, prefix));
}

struct addr_query {
	int		index;
	struct in_addr	addr;
	int		prefix;
	int		found;
};

static int
first_addr(const struct addr_entry *e, void *arg)
{
	struct addr_query	*q = arg;

	if (q->found || e->index != q->index)
		return MNL_CB_OK;
	q->addr = e->addr;
	q->prefix = e->prefix;
	q->found = 1;
	return MNL_CB_OK;
}

int
netcfg_addr_get(const char *name, struct in_addr *addr, int *prefix)
{
	struct addr_query	 q;
	int			 err;

	memset(&q, 0, sizeof(q));
	if ((err = link_index(name, &q.index)) != 0)
		return nl_result(err);
	if ((err = addr_walk(first_addr, &q)) != 0)
		return nl_result(err);
	if (!q.found)
		return nl_result(-ENOENT);
	*addr = q.addr;
	*prefix = q.prefix;
	return 0;
}

static int
same_addr(const struct addr_entry *e, void *arg)
{
	struct addr_query	*q = arg;

	if (e->index == q->index && e->addr.s_addr == q->addr.s_addr &&
	    e->prefix == q->prefix)
		q->found = 1;
	return MNL_CB_OK;
}

/* 1 when name has exactly addr/prefix, 0 when not, -1 on error. */
int
netcfg_addr_has(const char *name, struct in_addr addr, int prefix)
{
	struct addr_query	 q;
	int			 err;

	memset(&q, 0, sizeof(q));
	q.addr = addr;
	q.prefix = prefix;
	if ((err = link_index(name, &q.index)) != 0)
		return nl_result(err);
	if ((err = addr_walk(same_addr, &q)) != 0)
		return nl_result(err);
	return q.found;
}

static int
overlaps(const struct addr_entry *e, void *arg)
{
	struct addr_query	*q = arg;
	int			 p;

	/* Two prefixes overlap when they agree on the shorter one. */
	p = e->prefix < q->prefix ? e->prefix : q->prefix;
	if (((e->addr.s_addr ^ q->addr.s_addr) & prefix_mask(p)) == 0)
		q->found = 1;
	return MNL_CB_OK;
}

/* 1 when in use, 0 when free, -1 on error. */
int
netcfg_subnet_in_use(struct in_addr addr, int prefix)
{
	struct addr_query	 q;
	int			 err;

	if (prefix < 0 || prefix > 32)
		return nl_result(-EINVAL);
	memset(&q, 0, sizeof(q));
	q.addr = addr;
	q.prefix = prefix;
	if ((err = addr_walk(overlaps, &q)) != 0)
		return nl_result(err);
	return q.found;
}

/* ---- routes ---- */

struct route_query {
	int		oif;
	uint32_t	metric;
	int		found;
};

/* First next hop's device of a multipath route. */
static int
multipath_oif(const struct nlattr *a)
{
	const struct rtnexthop	*nh = mnl_attr_get_payload(a);

	if (mnl_attr_get_payload_len(a) < sizeof(*nh))
		return 0;
	return nh->rtnh_ifindex;
}

static int
route_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct route_query	*q = arg;
	struct rtmsg		*rtm = mnl_nlmsg_get_payload(nlh);
	struct nlattr		*a;
	uint32_t		 table = rtm->rtm_table, metric = 0;
	int			 oif = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET ||
	    rtm->rtm_dst_len != 0 || rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				table = mnl_attr_get_u32(a);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				oif = mnl_attr_get_u32(a);
			break;
		case RTA_PRIORITY:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				metric = mnl_attr_get_u32(a);
			break;
		case RTA_MULTIPATH:
			if (oif == 0)
				oif = multipath_oif(a);
			break;
		}
	}
	/* Several defaults: the kernel prefers the lowest metric. */
	if (table != RT_TABLE_MAIN || oif == 0 ||
	    (q->found && metric >= q->metric))
		return MNL_CB_OK;
	q->oif = oif;
	q->metric = metric;
	q->found = 1;
	return MNL_CB_OK;
}

int
netcfg_default_route_dev(char name[IF_NAMESIZE])
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct rtmsg		*rtm;
	struct route_query	 q;
	int			 err;

	memset(&q, 0, sizeof(q));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	if ((err = nl_dump(nlh, route_cb, &q)) != 0)
		return nl_result(err);
	if (!q.found)
		return nl_result(-ENOENT);
	if (if_indextoname(q.oif, name) == NULL)
		return -1;
	return 0;
}
