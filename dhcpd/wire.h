/*
 * DHCPv4 on the wire (RFC 2131, 2132, 3396): parse a client's message,
 * build a reply, and the IPv4/UDP/ARP framing the packet socket needs.
 * Pure: no sockets, no allocation, no clock.
 */
#ifndef GK_DHCPD_WIRE_H
#define GK_DHCPD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_FIXED_LEN		236	/* BOOTP header, up to the cookie */
#define DHCP_MIN_LEN		240	/* plus the magic cookie */
#define DHCP_COOKIE		0x63825363U
#define DHCP_MIN_REPLY		300	/* BOOTP clients expect at least this */
#define DHCP_MAX_MSG		1500	/* largest reply we ever build */
#define DHCP_DEFAULT_MAX	576	/* IP datagram a client must accept */
#define DHCP_IPUDP_LEN		28	/* IPv4 + UDP headers */
#define DHCP_KEY_MAX		64	/* longest client identifier kept */

#define BOOTREQUEST		1
#define BOOTREPLY		2
#define DHCP_FLAG_BROADCAST	0x8000

enum dhcp_msgtype {
	DHCPDISCOVER = 1,
	DHCPOFFER,
	DHCPREQUEST,
	DHCPDECLINE,
	DHCPACK,
	DHCPNAK,
	DHCPRELEASE,
	DHCPINFORM,
};

enum dhcp_option {
	OPT_PAD = 0,
	OPT_SUBNET_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_HOSTNAME = 12,
	OPT_DOMAIN = 15,
	OPT_MTU = 26,
	OPT_BROADCAST = 28,
	OPT_NTP = 42,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE_TIME = 51,
	OPT_OVERLOAD = 52,
	OPT_MSGTYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_PRL = 55,
	OPT_MESSAGE = 56,
	OPT_MAX_SIZE = 57,
	OPT_T1 = 58,
	OPT_T2 = 59,
	OPT_CLIENT_ID = 61,
	OPT_FQDN = 81,
	OPT_SEARCH = 119,
	OPT_CLASSLESS = 121,
	OPT_END = 255,
};

/* Why a message was dropped; each has a counter in dhcpd's status. */
enum dhcp_err {
	DHCP_OK,
	DHCP_ERR_SHORT,		/* shorter than header + cookie */
	DHCP_ERR_OP,		/* op is not BOOTREQUEST (e.g. a BOOTREPLY) */
	DHCP_ERR_HLEN,		/* hlen over 16, or not 6 for Ethernet */
	DHCP_ERR_COOKIE,	/* wrong magic cookie */
	DHCP_ERR_OPTIONS,	/* an option runs past its area */
	DHCP_ERR_NOTYPE,	/* no message type: BOOTP, which we don't do */
	DHCP_ERR_TYPE,		/* unknown or server-only message type */
	DHCP_ERR_OPTVAL,	/* an option with an impossible length */
	DHCP_ERR_MAX
};

const char *dhcp_err_name(enum dhcp_err);
const char *dhcp_type_name(int type);

/* The fixed BOOTP header, as on the wire (no padding: 236 bytes). */
struct dhcp_hdr {
	uint8_t		op, htype, hlen, hops;
	uint32_t	xid;
	uint16_t	secs, flags;
	uint32_t	ciaddr, yiaddr, siaddr, giaddr;	/* network order */
	uint8_t		chaddr[16];
	uint8_t		sname[64];
	uint8_t		file[128];
};

/*
 * Every option of a message, by code. A code that occurs more than once
 * is concatenated in order (RFC 3396), so each option is one value here.
 */
#define DHCP_OPT_SPACE		1500
struct dhcp_opts {
	uint8_t		present[32];		/* bitmap by code */
	uint16_t	off[256], len[256];	/* into data */
	uint8_t		data[DHCP_OPT_SPACE];
	size_t		used;
};

struct dhcp_msg {
	struct dhcp_hdr	 h;
	int		 type;			/* enum dhcp_msgtype */
	struct dhcp_opts opt;
};

/* Parses one message of len bytes; DHCP_OK or why it is dropped. */
enum dhcp_err dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *);

/* The value of option code, its length in *len; NULL when absent. */
const uint8_t *dhcp_opt(const struct dhcp_msg *, int code, size_t *len);
/* Option code with exactly 4 bytes, as a network-order address; 0 if not. */
uint32_t dhcp_opt_addr(const struct dhcp_msg *, int code);

/* A reply under construction: options are appended until they don't fit. */
struct dhcp_build {
	uint8_t		*buf;
	size_t		 len, max;
};

/* Starts a reply to req in buf (size >= DHCP_MAX_MSG), max bytes at most. */
void	dhcp_build_init(struct dhcp_build *, uint8_t *buf, size_t max,
	    const struct dhcp_hdr *req, int type);
/* Appends an option (split in 255-byte pieces when longer); -1: no room. */
int	dhcp_build_opt(struct dhcp_build *, int code, const void *data,
	    size_t len);
/* Ends with OPT_END and pads to DHCP_MIN_REPLY; returns the length. */
size_t	dhcp_build_finish(struct dhcp_build *);

/* The Internet checksum over len bytes, folded, starting from sum. */

/*
 * Wraps payload in IPv4 and UDP headers (src:sport -> dst:dport, network
 * order) into out (size >= len + 28). Returns the datagram length.
 */
size_t	ipudp_wrap(uint8_t *out, size_t outsize, uint32_t src, uint16_t sport,
	    uint32_t dst, uint16_t dport, const uint8_t *payload, size_t len);

/*
 * A DHCP request as the LAN's frame socket reads it: Ethernet, IPv4,
 * UDP to port 67. The parser checks every header (lengths, version,
 * checksums, fragments, where it is addressed) because the frame is
 * untrusted, and gives the frame's source MAC: who really sent it,
 * whatever chaddr says.
 */
#define ETH_HDR_LEN		14
#define FRAME_MAX_HDRS		(ETH_HDR_LEN + 60 + 8)	/* IP options max */

/* Why a frame was dropped; each has a counter in dhcpd's status. */
enum dhcp_frame_err {
	FRAME_OK,
	FRAME_ERR_SHORT,	/* shorter than the headers it claims */
	FRAME_ERR_ETHER,	/* not IPv4, or a group or zero source MAC */
	FRAME_ERR_IP,		/* version, header length, total length */
	FRAME_ERR_IP_CSUM,	/* IPv4 header checksum */
	FRAME_ERR_FRAGMENT,	/* a fragment: the kernel would reassemble */
	FRAME_ERR_NOT_UDP,
	FRAME_ERR_NOT_OURS,	/* not to us or a broadcast, or not port 67 */
	FRAME_ERR_UDP_LEN,	/* UDP length against the IP length */
	FRAME_ERR_UDP_CSUM,
	FRAME_ERR_MAX
};

const char *dhcp_frame_err_name(enum dhcp_frame_err);

struct dhcp_frame {
	uint8_t		 src_mac[6];	/* the Ethernet source */
	uint32_t	 src, dst;	/* IPv4, network order */
	uint16_t	 sport;		/* host order */
	int		 broadcast;	/* to 255.255.255.255 or the subnet's */
	const uint8_t	*payload;	/* the DHCP message, inside the frame */
	size_t		 len;
};

/*
 * Parses a frame of len bytes (from the Ethernet header on). self is our
 * address and bcast the LAN's broadcast address (network order): a
 * datagram to anything else is not ours (the kernel would forward it).
 * csum_trusted: the kernel checked the UDP checksum or has not computed
 * it yet (PACKET_AUXDATA's TP_STATUS_CSUM_VALID, TP_STATUS_CSUMNOTREADY:
 * a datagram from this host's own veth peer carries only the seed).
 */
enum dhcp_frame_err dhcp_frame_parse(const uint8_t *frame, size_t len,
	    uint32_t self, uint32_t bcast, int csum_trusted,
	    struct dhcp_frame *);

#define ARP_LEN			28
/* An ARP request for tip from (smac, sip) into out[ARP_LEN]. */
void	arp_build_request(uint8_t *out, const uint8_t smac[6], uint32_t sip,
	    uint32_t tip);
/*
 * An Ethernet/IPv4 ARP packet's sender address and hardware address;
 * -1 when buf is not one.
 */
int	arp_parse_sender(const uint8_t *buf, size_t len, uint32_t *sip,
	    uint8_t smac[6]);

/*
 * Cleans a client-supplied name into one DNS label: lower case letters,
 * digits and '-', at most 63, no leading or trailing '-'. For an FQDN
 * only the first label is used. Returns the length (0: nothing usable).
 */
size_t	dhcp_clean_label(const uint8_t *in, size_t len, char *out,
	    size_t outsize);
/* The first label of an option 81 value (RFC 4702), cleaned; 0: none. */
size_t	dhcp_fqdn_label(const uint8_t *val, size_t len, char *out,
	    size_t outsize);
/* A DNS name (dotted) in wire format into out; the length or 0. */
size_t	dns_name_encode(const char *name, uint8_t *out, size_t outsize);

#endif
