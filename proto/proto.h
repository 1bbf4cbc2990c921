/*
 * The suite's wire protocol: every message over every Unix socket of the
 * suite (parent <-> child, child <-> child, gkctl <-> parent) is one
 * SOCK_SEQPACKET datagram: a fixed header, then a payload whose size is
 * fixed or bounded per type and checked in exactly one place,
 * proto_check(). At most one fd rides along (SCM_RIGHTS).
 */
#ifndef GK_PROTO_H
#define GK_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION		1
#define PROTO_MAX_PAYLOAD	(64 * 1024)

struct proto_hdr {
	uint16_t	version;
	uint16_t	type;		/* enum proto_type */
	uint32_t	len;		/* payload bytes after the header */
	uint32_t	peerid;		/* enum proto_peer of the sender */
	uint32_t	pid;		/* sender's pid */
};

#define PROTO_HDR_SIZE		sizeof(struct proto_hdr)
#define PROTO_MAX_MSG		(PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD)

enum proto_peer {
	PEER_PARENT,
	PEER_NATD,
	PEER_DHCPD,
	PEER_DNSD,
	PEER_WEBD,
	PEER_GKCTL,
	PEER_MAX
};

enum proto_type {
	MSG_NONE,
	MSG_HELLO,		/* child -> parent: struct msg_hello */
	MSG_STATUS_REQ,		/* parent -> child: struct msg_status_req */
	MSG_STATUS,		/* child -> parent: struct msg_status + JSON */
	MSG_CTL_REQUEST,	/* gkctl -> parent: struct msg_ctl_request */
	MSG_CTL_REPLY,		/* parent -> gkctl: JSON text */
	MSG_CTL_ERROR,		/* parent -> gkctl: error text */
	MSG_TYPE_MAX
};

/* Sent once by a child after its privilege drop. */
struct msg_hello {
	uint32_t	peer;		/* enum proto_peer */
	uint32_t	uid;		/* getuid() after the drop */
};

struct msg_status_req {
	uint32_t	seq;
};

/* Followed by a NUL-terminated JSON object (the daemon's detail). */
struct msg_status {
	uint32_t	seq;
};

#define CTL_MAX_ARGS		8
#define CTL_ARG_SIZE		128

struct msg_ctl_request {
	uint32_t	argc;
	char		argv[CTL_MAX_ARGS][CTL_ARG_SIZE];	/* NUL-terminated */
};

/*
 * Where a child finds its descriptors after exec: the parent channel is
 * always fd 3; the rest are the privileged sockets and child-to-child
 * socketpairs the parent keeps, so a restarted child gets the same ones.
 */
#define FD_PARENT		3
#define FD_NATD_QUEUE		4	/* nfqueue netlink socket */
#define FD_NATD_WEBD		5	/* natd <-> webd socketpair */
#define FD_DHCPD_UDP		4	/* UDP *:67 bound to the LAN */
#define FD_DHCPD_PACKET		5	/* AF_PACKET on the LAN, send only */
#define FD_DHCPD_DNSD		6	/* dhcpd <-> dnsd socketpair */
#define FD_DNSD_UDP		4	/* UDP lan-address:53 */
#define FD_DNSD_TCP		5	/* TCP lan-address:53, listening */
#define FD_DNSD_DHCPD		6
#define FD_DNSD_WEBD		7	/* dnsd <-> webd socketpair */
#define FD_WEBD_HTTP		4	/* TCP lan-address:web-listen */
#define FD_WEBD_NATD		5
#define FD_WEBD_DNSD		6
#define FD_CHILD_MAX		8	/* highest fd any child expects + 1 */

#define NATD_QUEUE_NUM		0	/* the nfqueue the parent binds */

/* A decoded message; data points into the receive buffer. */
struct proto_msg {
	struct proto_hdr hdr;
	const uint8_t	*data;
	size_t		 len;
	int		 fd;		/* received fd or -1; see chan.h */
};

const char *proto_peer_name(uint32_t peer);
const char *proto_type_name(uint32_t type);

/*
 * The single size and sanity check: known type, payload length within the
 * type's bounds, text payloads NUL-terminated, request strings terminated.
 * Returns NULL when the message is acceptable, else why it is not.
 */
const char *proto_check(const struct proto_hdr *, const uint8_t *payload);

/*
 * Decodes one datagram of len bytes. Returns NULL and fills msg (fd = -1)
 * on success, else a static string saying what is wrong.
 */
const char *proto_decode(const uint8_t *buf, size_t len, struct proto_msg *);

/* Builds the header for a message this process sends. */
void	proto_hdr_init(struct proto_hdr *, uint16_t type, uint32_t len,
	    uint32_t self_peer);

#endif
