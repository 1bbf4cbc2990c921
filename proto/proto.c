/*
 * Message catalogue and the one place where sizes are checked.
 */
#include <string.h>
#include <unistd.h>

#include "proto.h"

#define TEXT	0x1	/* payload (after the fixed prefix) is NUL-terminated */

struct proto_type_info {
	const char	*name;
	uint32_t	 min;	/* payload bytes */
	uint32_t	 max;
	int		 flags;
};

static const struct proto_type_info types[MSG_TYPE_MAX] = {
	[MSG_NONE] = { "none", 1, 0, 0 },	/* min > max: never valid */
	[MSG_HELLO] = { "hello", sizeof(struct msg_hello),
	    sizeof(struct msg_hello), 0 },
	[MSG_STATUS_REQ] = { "status-req", sizeof(struct msg_status_req),
	    sizeof(struct msg_status_req), 0 },
	[MSG_STATUS] = { "status", sizeof(struct msg_status) + 3,
	    PROTO_MAX_PAYLOAD, TEXT },
	[MSG_CTL_REQUEST] = { "ctl-request", sizeof(struct msg_ctl_request),
	    sizeof(struct msg_ctl_request), 0 },
	[MSG_CTL_REPLY] = { "ctl-reply", 3, PROTO_MAX_PAYLOAD, TEXT },
	[MSG_CTL_ERROR] = { "ctl-error", 1, 1024, TEXT },
	[MSG_CONFIG] = { "config", sizeof(struct msg_config),
	    sizeof(struct msg_config), 0 },
	[MSG_CHILD_CTL] = { "child-ctl", sizeof(struct msg_child_ctl),
	    sizeof(struct msg_child_ctl), 0 },
	[MSG_CHILD_CTL_REPLY] = { "child-ctl-reply",
	    sizeof(struct msg_child_ctl_reply) + 1, PROTO_MAX_PAYLOAD, TEXT },
	[MSG_HOST_ADD] = { "host-add", sizeof(struct msg_host),
	    sizeof(struct msg_host), 0 },
	[MSG_HOST_DEL] = { "host-del", sizeof(struct msg_host),
	    sizeof(struct msg_host), 0 },
	[MSG_HOST_SYNC] = { "host-sync", sizeof(struct msg_host_sync),
	    sizeof(struct msg_host_sync), 0 },
	[MSG_CHILD_CTL_PART] = { "child-ctl-part",
	    sizeof(struct msg_child_ctl_part) + 1, PROTO_MAX_PAYLOAD, 0 },
	[MSG_CTL_REPLY_PART] = { "ctl-reply-part", 1, PROTO_MAX_PAYLOAD, 0 },
	[MSG_DNS_OBS] = { "dns-obs", DNS_OBS_LEN(1), DNS_OBS_LEN(DNS_OBS_MAX),
	    0 },
	[MSG_WEBD_REQUEST] = { "webd-request", sizeof(struct msg_child_ctl),
	    sizeof(struct msg_child_ctl), 0 },
	[MSG_WEBD_REPLY] = { "webd-reply",
	    sizeof(struct msg_child_ctl_reply) + 1, PROTO_MAX_PAYLOAD, TEXT },
	[MSG_WEBD_REPLY_PART] = { "webd-reply-part",
	    sizeof(struct msg_child_ctl_part) + 1, PROTO_MAX_PAYLOAD, 0 },
	[MSG_DNS_PTR_REQ] = { "dns-ptr-req", sizeof(struct msg_dns_ptr),
	    sizeof(struct msg_dns_ptr), 0 },
	[MSG_DNS_PTR] = { "dns-ptr", sizeof(struct msg_dns_ptr),
	    sizeof(struct msg_dns_ptr), 0 },
	[MSG_CHILD_FDS] = { "child-fds", sizeof(struct msg_child_fds),
	    sizeof(struct msg_child_fds), 0 },
};

#define FROM(peer)	(1U << (peer))

/*
 * Who may send a type, where it is fixed (child to child): a sibling
 * must not pass off one kind of message as another's. Unset: any peer
 * (the channel's expected peer and its owner decide).
 */
static const uint32_t senders[MSG_TYPE_MAX] = {
	[MSG_HOST_ADD] = FROM(PEER_DHCPD),
	[MSG_HOST_DEL] = FROM(PEER_DHCPD),
	[MSG_HOST_SYNC] = FROM(PEER_DNSD),
	[MSG_DNS_OBS] = FROM(PEER_DNSD),
	[MSG_WEBD_REQUEST] = FROM(PEER_WEBD),
	[MSG_WEBD_REPLY] = FROM(PEER_PARENT),
	[MSG_WEBD_REPLY_PART] = FROM(PEER_PARENT),
	[MSG_DNS_PTR_REQ] = FROM(PEER_WEBD),
	[MSG_DNS_PTR] = FROM(PEER_DNSD),
	[MSG_CHILD_FDS] = FROM(PEER_PARENT),
};

static const char *peers[PEER_MAX] = {
	[PEER_PARENT] = "gatekeeperd",
	[PEER_NATD] = "natd",
	[PEER_DHCPD] = "dhcpd",
	[PEER_DNSD] = "dnsd",
	[PEER_WEBD] = "webd",
	[PEER_GKCTL] = "gkctl",
};

const char *
proto_peer_name(uint32_t peer)
{
	return peer < PEER_MAX ? peers[peer] : "unknown";
}

const char *
proto_type_name(uint32_t type)
{
	return type < MSG_TYPE_MAX ? types[type].name : "unknown";
}

#define TERMINATED(field)	(memchr((field), '\0', sizeof(field)) != NULL)

static const char *
check_request(const struct msg_ctl_request *req)
{
	uint32_t		 i;

	if (req->argc == 0 || req->argc > CTL_MAX_ARGS)
		return "bad argument count";
	for (i = 0; i < CTL_MAX_ARGS; i++)
		if (!TERMINATED(req->argv[i]))
			return "unterminated argument";
	return NULL;
}

/* Counts and strings of the config: the child indexes arrays by them. */
static const char *
check_config(const struct msg_config *mc)
{
	const struct gk_config *c = &mc->conf;
	int		 i;

	if (c->nlan < 0 || c->nlan > CONF_MAX_LAN ||
	    c->nupstream < 0 || c->nupstream > CONF_MAX_UPSTREAM ||
	    c->nstatic < 0 || c->nstatic > CONF_MAX_STATIC ||
	    c->nforward < 0 || c->nforward > CONF_MAX_FORWARDS ||
	    c->ndhcp_ntp < 0 || c->ndhcp_ntp > CONF_MAX_UPSTREAM ||
	    c->ndhcp_route < 0 || c->ndhcp_route > CONF_MAX_ROUTES ||
	    c->nrebind_allow < 0 ||
	    c->nrebind_allow > CONF_MAX_REBIND_ALLOW ||
	    c->lan_prefix < 0 || c->lan_prefix > 32)
		return "config count out of range";
	if (!TERMINATED(c->wan) || !TERMINATED(c->domain) ||
	    !TERMINATED(c->state_dir) || !TERMINATED(c->run_dir) ||
	    !TERMINATED(mc->lan_ifname))
		return "unterminated config string";
	for (i = 0; i < CONF_MAX_LAN; i++)
		if (!TERMINATED(c->lan[i]))
			return "unterminated config string";
	for (i = 0; i < CONF_MAX_STATIC; i++)
		if (!TERMINATED(c->static_lease[i].name))
			return "unterminated config string";
	for (i = 0; i < CONF_MAX_REBIND_ALLOW; i++)
		if (!TERMINATED(c->rebind_allow[i]))
			return "unterminated config string";
	return NULL;
}

/* The count says the length; every entry is a usable observation. */
static const char *
check_dns_obs(const uint8_t *payload, uint32_t len)
{
	struct dns_obs	 o;
	uint32_t	 count, i;

	memcpy(&count, payload, sizeof(count));
	if (count == 0 || count > DNS_OBS_MAX || len != DNS_OBS_LEN(count))
		return "observation count does not match the size";
	for (i = 0; i < count; i++) {
		memcpy(&o, payload + DNS_OBS_LEN(i), sizeof(o));
		if (o.family != 4 && o.family != 6)
			return "observation of an unknown address family";
		if (!TERMINATED(o.name) || o.name[0] == '\0')
			return "observation without a terminated name";
	}
	return NULL;
}

/* A request asks and names nothing; an answer's name is there only
 * when found, and is plain text (webd shows it). */
static const char *
check_dns_ptr(uint16_t type, const struct msg_dns_ptr *m)
{
	size_t	 i;

	if (!TERMINATED(m->name))
		return "unterminated name";
	if ((type == MSG_DNS_PTR_REQ) != (m->status == DNS_PTR_ASK) ||
	    m->status >= DNS_PTR_STATUS_MAX)
		return "PTR status does not fit the message";
	if ((m->status == DNS_PTR_FOUND) != (m->name[0] != '\0'))
		return "PTR name without an answer, or an answer without one";
	for (i = 0; m->name[i] != '\0'; i++)
		if (!((m->name[i] >= 'a' && m->name[i] <= 'z') ||
		    (m->name[i] >= '0' && m->name[i] <= '9') ||
		    m->name[i] == '-' || m->name[i] == '_' ||
		    m->name[i] == '.'))
			return "PTR name with a character webd does not show";
	return NULL;
}

static const char *
check_payload(uint16_t type, const uint8_t *payload, uint32_t len)
{
	union {
		struct msg_ctl_request	 req;
		struct msg_child_ctl	 cc;
		struct msg_config	 mc;
		struct msg_host		 host;
		struct msg_dns_ptr	 ptr;
	} u;

	switch (type) {
	case MSG_CTL_REQUEST:
		memcpy(&u.req, payload, sizeof(u.req));
		return check_request(&u.req);
	case MSG_CHILD_CTL:
	case MSG_WEBD_REQUEST:
		memcpy(&u.cc, payload, sizeof(u.cc));
		return check_request(&u.cc.req);
	case MSG_CONFIG:
		memcpy(&u.mc, payload, sizeof(u.mc));
		return check_config(&u.mc);
	case MSG_HOST_ADD:
	case MSG_HOST_DEL:
		memcpy(&u.host, payload, sizeof(u.host));
		return TERMINATED(u.host.name) ? NULL : "unterminated name";
	case MSG_DNS_OBS:
		return check_dns_obs(payload, len);
	case MSG_DNS_PTR_REQ:
	case MSG_DNS_PTR:
		memcpy(&u.ptr, payload, sizeof(u.ptr));
		return check_dns_ptr(type, &u.ptr);
	}
	return NULL;
}

const char *
proto_check(const struct proto_hdr *hdr, const uint8_t *payload)
{
	const struct proto_type_info *ti;

	if (hdr->version != PROTO_VERSION)
		return "protocol version mismatch";
	if (hdr->type >= MSG_TYPE_MAX)
		return "unknown message type";
	if (hdr->peerid >= PEER_MAX)
		return "unknown peer";
	ti = &types[hdr->type];
	if (senders[hdr->type] != 0 &&
	    !(senders[hdr->type] & FROM(hdr->peerid)))
		return "message type not allowed from this peer";
	if (hdr->len < ti->min || hdr->len > ti->max)
		return "bad payload size for type";
	if ((ti->flags & TEXT) && payload[hdr->len - 1] != '\0')
		return "text payload not NUL-terminated";
	return check_payload(hdr->type, payload, hdr->len);
}

const char *
proto_decode(const uint8_t *buf, size_t len, struct proto_msg *msg)
{
	const char	*why;

	if (len < PROTO_HDR_SIZE)
		return "short message";
	if (len > PROTO_MAX_MSG)
		return "oversized message";
	memcpy(&msg->hdr, buf, PROTO_HDR_SIZE);
	if (msg->hdr.len != len - PROTO_HDR_SIZE)
		return "length field does not match datagram";
	if ((why = proto_check(&msg->hdr, buf + PROTO_HDR_SIZE)) != NULL)
		return why;
	msg->data = buf + PROTO_HDR_SIZE;
	msg->len = msg->hdr.len;
	msg->fd = -1;
	return NULL;
}

void
proto_hdr_init(struct proto_hdr *hdr, uint16_t type, uint32_t len,
    uint32_t self_peer)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = PROTO_VERSION;
	hdr->type = type;
	hdr->len = len;
	hdr->peerid = self_peer;
	hdr->pid = (uint32_t)getpid();
}
