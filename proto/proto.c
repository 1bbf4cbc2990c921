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

static const char *
check_ctl_request(const uint8_t *payload)
{
	struct msg_ctl_request	 req;
	uint32_t		 i;

	memcpy(&req, payload, sizeof(req));
	if (req.argc == 0 || req.argc > CTL_MAX_ARGS)
		return "bad argument count";
	for (i = 0; i < CTL_MAX_ARGS; i++)
		if (memchr(req.argv[i], '\0', CTL_ARG_SIZE) == NULL)
			return "unterminated argument";
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
	if (hdr->len < ti->min || hdr->len > ti->max)
		return "bad payload size for type";
	if ((ti->flags & TEXT) && payload[hdr->len - 1] != '\0')
		return "text payload not NUL-terminated";
	if (hdr->type == MSG_CTL_REQUEST)
		return check_ctl_request(payload);
	return NULL;
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
