/*
 * The suite's wire protocol: every message over every Unix socket of the
 * suite (parent <-> child, child <-> child, gkctl <-> parent) is one
 * SOCK_SEQPACKET datagram: a fixed header, then a payload whose size is
 * fixed or bounded per type and checked in exactly one place,
 * proto_check(). At most one fd rides along (SCM_RIGHTS).
 */
#ifndef GK_PROTO_H
#define GK_PROTO_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

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
	MSG_CONFIG,		/* parent -> child: struct msg_config */
	MSG_CHILD_CTL,		/* parent -> child: struct msg_child_ctl */
	MSG_CHILD_CTL_REPLY,	/* child -> parent: msg_child_ctl_reply + text */
	MSG_HOST_ADD,		/* dhcpd -> dnsd: struct msg_host */
	MSG_HOST_DEL,		/* dhcpd -> dnsd: struct msg_host */
	MSG_HOST_SYNC,		/* dnsd -> dhcpd: struct msg_host_sync */
	MSG_CHILD_CTL_PART,	/* child -> parent: msg_child_ctl_part + bytes */
	MSG_CTL_REPLY_PART,	/* parent -> gkctl: bytes of a long reply */
	MSG_DNS_OBS,		/* dnsd -> webd: struct msg_dns_obs */
	MSG_WEBD_REQUEST,	/* webd -> parent: struct msg_child_ctl */
	MSG_WEBD_REPLY,		/* parent -> webd: msg_child_ctl_reply + text */
	MSG_WEBD_REPLY_PART,	/* parent -> webd: msg_child_ctl_part + bytes */
	MSG_DNS_PTR_REQ,	/* webd -> dnsd: struct msg_dns_ptr */
	MSG_DNS_PTR,		/* dnsd -> webd: struct msg_dns_ptr */
	MSG_CHILD_FDS,		/* parent -> child: msg_child_fds + SCM_RIGHTS */
	MSG_TYPE_MAX
};

/* Sent once by a child after its privilege drop. */
struct msg_hello {
	uint32_t	peer;		/* enum proto_peer */
	uint32_t	uid;		/* getuid() after the drop */
};

/*
 * Under systemd (gatekeeperd -U): the first message on the children
 * socket, the descriptors of the child table for the child the parent
 * took the connecting uid for, in table order, all in one datagram
 * (proto/handover.h).
 */
struct msg_child_fds {
	uint32_t	peer;		/* enum proto_peer it is meant for */
	uint32_t	nfds;
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
 * The configuration every child gets after its hello, and again after each
 * SIGHUP that changed something: the parsed file plus what the parent
 * found or chose at run time.
 */
struct msg_config {
	struct gk_config conf;
	char		 lan_ifname[IF_NAMESIZE];	/* port or bridge */
	uint8_t		 lan_mac[6];
	uint8_t		 pad[2];
	struct in_addr	 wan_addr;		/* 0 when the WAN has none */
	int32_t		 wan_prefix;
	uint32_t	 generation;		/* 1, then +1 per reload */
	/* net.ipv4.ip_local_port_range: the ports the router's own
	 * sockets (dnsd's upstream queries) are given by the kernel; NAT
	 * mappings stay out of it. */
	uint16_t	 local_port_min, local_port_max;
	/* The LAN interface's index (the bridge when several ports): natd
	 * tells what came from the LAN from what came from the WAN by it,
	 * not by the source address, which anyone outside can forge. */
	uint32_t	 lan_ifindex;		/* 0 when unknown */
	/* The LAN's MTU: how natd estimates the packets the wire carried
	 * for a GSO super-packet (proto/capring.h, cap_gso_segments). */
	uint32_t	 lan_mtu;		/* 0 when unknown */
};

/*
 * A gkctl request the parent relays to the daemon that owns the data. The
 * reply carries the same id; ok = 1 with a JSON object, ok = 0 with an
 * error message for the user. webd sends the same struct as
 * MSG_WEBD_REQUEST to run a command on the admin's behalf (uid unused):
 * the parent runs only the commands the catalogue allows webd, and
 * answers with MSG_WEBD_REPLY (and parts) under the same id.
 */
struct msg_child_ctl {
	uint32_t	 id;
	uint32_t	 uid;		/* of the gkctl user */
	struct msg_ctl_request req;
};

struct msg_child_ctl_reply {
	uint32_t	 id;
	uint32_t	 ok;
};

/*
 * A reply longer than one message goes as parts (the bytes of the text,
 * in order, unterminated) and ends with the MSG_CHILD_CTL_REPLY (or, to
 * gkctl, MSG_CTL_REPLY) carrying the last bytes and the NUL. Whole
 * replies are capped at CTL_MAX_REPLY.
 */
struct msg_child_ctl_part {
	uint32_t	 id;
};

#define CTL_PART_SIZE		(PROTO_MAX_PAYLOAD - 64)
#define CTL_MAX_REPLY		(16 * 1024 * 1024)

/* A LAN device's name: added on ACK, deleted on release or expiry. */
struct msg_host {
	struct in_addr	 ip;
	uint32_t	 expiry;	/* unix time */
	char		 name[CONF_MAX_HOSTNAME + 1];	/* one DNS label */
};

/* A (re)started dnsd asks dhcpd for every current name again. */
struct msg_host_sync {
	uint32_t	 reserved;
};

/*
 * dnsd -> webd: which name each LAN client resolved to which address, so
 * the dashboard can label remote hosts. A batch of count observations;
 * only those are sent (the payload is the fixed part and count entries).
 * Names are in text form ("www.example.com."), lowercased, NUL-terminated;
 * dnsd sends only names that need no escaping.
 */
#define DNS_OBS_MAX		64
#define DNS_OBS_NAME		256

struct dns_obs {
	struct in_addr	 client;
	uint32_t	 ttl;		/* seconds, as answered */
	uint8_t		 family;	/* 4 or 6 */
	uint8_t		 pad[3];
	uint8_t		 addr[16];	/* IPv4: the first 4 bytes, rest 0 */
	char		 name[DNS_OBS_NAME];
};

struct msg_dns_obs {
	uint32_t	 count;		/* 1 .. DNS_OBS_MAX */
	uint32_t	 reserved;
	struct dns_obs	 obs[DNS_OBS_MAX];
};

#define DNS_OBS_LEN(n)	(offsetof(struct msg_dns_obs, obs) + \
			    (size_t)(n) * sizeof(struct dns_obs))

/*
 * webd -> dnsd: the PTR name of a remote address no device resolved,
 * and dnsd's answer, the same struct both ways. webd has no network
 * access: dnsd asks through its own resolver and cache. A request has
 * status DNS_PTR_ASK and an empty name; an answer says what came of it,
 * the name in text form ("host.example.net."), lowercased, only letters,
 * digits, '-', '_' and '.', NUL-terminated.
 */
enum dns_ptr_status {
	DNS_PTR_ASK,		/* the request */
	DNS_PTR_FOUND,		/* name holds it */
	DNS_PTR_NONE,		/* NXDOMAIN, no PTR, or not a usable name */
	DNS_PTR_FAILED,		/* no answer, SERVFAIL, or dnsd too busy */
	DNS_PTR_STATUS_MAX
};

struct msg_dns_ptr {
	struct in_addr	 addr;
	uint32_t	 status;	/* enum dns_ptr_status */
	uint32_t	 ttl;		/* seconds the answer holds */
	char		 name[DNS_OBS_NAME];
};

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
 * The single size and sanity check: known type, sent by a peer that may
 * send it, payload length within the type's bounds, text payloads
 * NUL-terminated, request strings terminated.
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
