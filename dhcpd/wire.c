/*
 * DHCPv4 message parsing and building, and the IPv4/UDP/ARP framing for
 * the packet socket. Everything here reads untrusted bytes: every length
 * is checked before use, and the fuzzer (tests/dhcpd/fuzz_dhcp.c) drives
 * it through the server's message handler.
 */
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "csum.h"
#include "wire.h"

static const char *const err_names[DHCP_ERR_MAX] = {
	[DHCP_OK] = "ok",
	[DHCP_ERR_SHORT] = "short",
	[DHCP_ERR_OP] = "not_request",
	[DHCP_ERR_HLEN] = "bad_hlen",
	[DHCP_ERR_COOKIE] = "bad_cookie",
	[DHCP_ERR_OPTIONS] = "option_overrun",
	[DHCP_ERR_NOTYPE] = "no_message_type",
	[DHCP_ERR_TYPE] = "unknown_message_type",
	[DHCP_ERR_OPTVAL] = "bad_option_length",
};

const char *
dhcp_err_name(enum dhcp_err e)
{
	if ((unsigned)e >= DHCP_ERR_MAX)
		return "?";
	return err_names[e];
}

const char *
dhcp_type_name(int type)
{
	static const char *const names[] = {
		"none", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK",
		"NAK", "RELEASE", "INFORM",
	};

	if (type < 0 || type > DHCPINFORM)
		return "unknown";
	return names[type];
}

/* One option area: the options field, or file/sname when overloaded. */
struct area {
	const uint8_t	*p;
	size_t		 len;
};

/*
 * Walks an area. Pass 0 adds up each code's length; pass 1 copies the
 * values to their place. -1 when an option runs past the area.
 */
static int
walk_area(const struct area *a, struct dhcp_opts *o, int pass)
{
	size_t	i = 0, l;
	int	code;

	while (i < a->len) {
		code = a->p[i];
		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END)
			return 0;
		if (i + 2 > a->len)
			return -1;
		l = a->p[i + 1];
		if (i + 2 + l > a->len)
			return -1;
		if (pass == 0) {
			/* Bounded before any length can wrap. */
			if ((o->used += l) > sizeof(o->data))
				return -1;
			o->present[code / 8] |= 1U << (code % 8);
			o->len[code] += (uint16_t)l;
		} else {
			memcpy(o->data + o->off[code] + o->len[code],
			    a->p + i + 2, l);
			o->len[code] += (uint16_t)l;
		}
		i += 2 + l;
	}
	/* No END: tolerated, many small stacks leave it out. */
	return 0;
}

static int
opt_present(const struct dhcp_opts *o, int code)
{
	return (o->present[code / 8] >> (code % 8)) & 1;
}

static enum dhcp_err
parse_options(const uint8_t *buf, size_t len, struct dhcp_msg *m)
{
	struct dhcp_opts *o = &m->opt;
	struct area	 areas[3];
	size_t		 n = 1, i, total = 0;
	int		 code, overload = 0;

	memset(o->present, 0, sizeof(o->present));
	memset(o->len, 0, sizeof(o->len));
	o->used = 0;
	areas[0].p = buf + DHCP_MIN_LEN;
	areas[0].len = len - DHCP_MIN_LEN;
	if (walk_area(&areas[0], o, 0) == -1)
		return DHCP_ERR_OPTIONS;
	/* Option 52 lives in the options field only; it says whether file
	 * and sname carry options too (file first, RFC 2131 4.1). */
	if (opt_present(o, OPT_OVERLOAD)) {
		if (o->len[OPT_OVERLOAD] != 1)
			return DHCP_ERR_OPTVAL;
		/* Find its value: the one-byte option in the main area. */
		for (i = 0; i + 2 < areas[0].len;) {
			code = areas[0].p[i];
			if (code == OPT_PAD) {
				i++;
				continue;
			}
			if (code == OPT_END)
				break;
			if (code == OPT_OVERLOAD) {
				overload = areas[0].p[i + 2];
				break;
			}
			i += 2 + areas[0].p[i + 1];
		}
		if (overload & 1) {
			areas[n].p = buf + offsetof(struct dhcp_hdr, file);
			areas[n++].len = sizeof(m->h.file);
		}
		if (overload & 2) {
			areas[n].p = buf + offsetof(struct dhcp_hdr, sname);
			areas[n++].len = sizeof(m->h.sname);
		}
		for (i = 1; i < n; i++)
			if (walk_area(&areas[i], o, 0) == -1)
				return DHCP_ERR_OPTIONS;
	}
	for (code = 0; code < 256; code++) {
		if (!opt_present(o, code))
			continue;
		o->off[code] = (uint16_t)total;
		total += o->len[code];
		o->len[code] = 0;
	}
	if (total > sizeof(o->data))
		return DHCP_ERR_OPTIONS;
	o->used = total;
	for (i = 0; i < n; i++)
		(void)walk_area(&areas[i], o, 1);
	return DHCP_OK;
}

/* Options whose length is fixed or bounded by the RFCs. */
static enum dhcp_err
check_option_lengths(const struct dhcp_msg *m)
{
	const struct dhcp_opts *o = &m->opt;

	if (opt_present(o, OPT_REQUESTED_IP) && o->len[OPT_REQUESTED_IP] != 4)
		return DHCP_ERR_OPTVAL;
	if (opt_present(o, OPT_SERVER_ID) && o->len[OPT_SERVER_ID] != 4)
		return DHCP_ERR_OPTVAL;
	if (opt_present(o, OPT_MAX_SIZE) && o->len[OPT_MAX_SIZE] != 2)
		return DHCP_ERR_OPTVAL;
	if (opt_present(o, OPT_CLIENT_ID) && (o->len[OPT_CLIENT_ID] < 2 ||
	    o->len[OPT_CLIENT_ID] > DHCP_KEY_MAX))
		return DHCP_ERR_OPTVAL;
	if (opt_present(o, OPT_FQDN) && o->len[OPT_FQDN] < 3)
		return DHCP_ERR_OPTVAL;
	return DHCP_OK;
}

enum dhcp_err
dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m)
{
	const uint8_t	*t;
	uint32_t	 cookie;
	size_t		 tl;
	enum dhcp_err	 e;

	if (len < DHCP_MIN_LEN)
		return DHCP_ERR_SHORT;
	memcpy(&m->h, buf, sizeof(m->h));
	if (m->h.op != BOOTREQUEST)
		return DHCP_ERR_OP;
	if (m->h.hlen > sizeof(m->h.chaddr) || (m->h.htype == 1 &&
	    m->h.hlen != 6))
		return DHCP_ERR_HLEN;
	memcpy(&cookie, buf + DHCP_FIXED_LEN, 4);
	if (ntohl(cookie) != DHCP_COOKIE)
		return DHCP_ERR_COOKIE;
	if ((e = parse_options(buf, len, m)) != DHCP_OK)
		return e;
	if ((t = dhcp_opt(m, OPT_MSGTYPE, &tl)) == NULL)
		return DHCP_ERR_NOTYPE;
	if (tl != 1)
		return DHCP_ERR_OPTVAL;
	m->type = t[0];
	switch (m->type) {
	case DHCPDISCOVER:
	case DHCPREQUEST:
	case DHCPDECLINE:
	case DHCPRELEASE:
	case DHCPINFORM:
		break;
	default:
		return DHCP_ERR_TYPE;
	}
	return check_option_lengths(m);
}

const uint8_t *
dhcp_opt(const struct dhcp_msg *m, int code, size_t *len)
{
	if (code < 0 || code > 255 || !opt_present(&m->opt, code))
		return NULL;
	*len = m->opt.len[code];
	return m->opt.data + m->opt.off[code];
}

uint32_t
dhcp_opt_addr(const struct dhcp_msg *m, int code)
{
	const uint8_t	*p;
	uint32_t	 a;
	size_t		 l;

	if ((p = dhcp_opt(m, code, &l)) == NULL || l != 4)
		return 0;
	memcpy(&a, p, 4);
	return a;
}

void
dhcp_build_init(struct dhcp_build *b, uint8_t *buf, size_t max,
    const struct dhcp_hdr *req, int type)
{
	struct dhcp_hdr	 h;
	uint32_t	 cookie = htonl(DHCP_COOKIE);
	uint8_t		 t = (uint8_t)type;

	memset(&h, 0, sizeof(h));
	h.op = BOOTREPLY;
	h.htype = req->htype;
	h.hlen = req->hlen;
	h.xid = req->xid;
	h.flags = req->flags;
	h.giaddr = req->giaddr;
	memcpy(h.chaddr, req->chaddr, sizeof(h.chaddr));
	if (max > DHCP_MAX_MSG)
		max = DHCP_MAX_MSG;
	if (max < DHCP_MIN_REPLY)
		max = DHCP_MIN_REPLY;
	memset(buf, 0, max);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + DHCP_FIXED_LEN, &cookie, 4);
	b->buf = buf;
	b->len = DHCP_MIN_LEN;
	b->max = max;
	(void)dhcp_build_opt(b, OPT_MSGTYPE, &t, 1);
}

int
dhcp_build_opt(struct dhcp_build *b, int code, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 pieces, need, l;

	pieces = len == 0 ? 1 : (len + 254) / 255;
	need = len + 2 * pieces;
	/* One byte stays for OPT_END. */
	if (b->len + need + 1 > b->max)
		return -1;
	do {
		l = len > 255 ? 255 : len;
		b->buf[b->len++] = (uint8_t)code;
		b->buf[b->len++] = (uint8_t)l;
		if (l > 0)
			memcpy(b->buf + b->len, p, l);
		b->len += l;
		p += l;
		len -= l;
	} while (len > 0);
	return 0;
}

size_t
dhcp_build_finish(struct dhcp_build *b)
{
	b->buf[b->len++] = OPT_END;
	/* The buffer was zeroed up to max >= DHCP_MIN_REPLY: pad is there. */
	if (b->len < DHCP_MIN_REPLY)
		b->len = DHCP_MIN_REPLY;
	return b->len;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

size_t
ipudp_wrap(uint8_t *out, size_t outsize, uint32_t src, uint16_t sport,
    uint32_t dst, uint16_t dport, const uint8_t *payload, size_t len)
{
	uint8_t		*ip = out, *udp = out + 20;
	uint16_t	 c;
	size_t		 total = len + DHCP_IPUDP_LEN;

	if (total > outsize || total > 0xffff)
		return 0;
	memset(out, 0, DHCP_IPUDP_LEN);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)total);
	put16(ip + 6, 0x4000);		/* DF: never fragmented on a LAN */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = csum_fold(csum_partial(ip, 20, 0));
	memcpy(ip + 10, &c, 2);		/* raw: csum.h sums packet bytes */

	put16(udp, ntohs(sport));
	put16(udp + 2, ntohs(dport));
	put16(udp + 4, (uint16_t)(len + 8));
	memcpy(udp + 8, payload, len);
	/* A computed zero is sent as all ones: zero means "none" (RFC 768). */
	c = csum_l4(udp, len + 8, 6, src, dst, IPPROTO_UDP);
	if (c == 0)
		c = 0xffff;
	memcpy(udp + 6, &c, 2);
	return total;
}

static const char *const frame_err_names[FRAME_ERR_MAX] = {
	[FRAME_OK] = "ok",
	[FRAME_ERR_SHORT] = "short",
	[FRAME_ERR_ETHER] = "bad_ethernet",
	[FRAME_ERR_IP] = "bad_ip_header",
	[FRAME_ERR_IP_CSUM] = "bad_ip_checksum",
	[FRAME_ERR_FRAGMENT] = "fragment",
	[FRAME_ERR_NOT_UDP] = "not_udp",
	[FRAME_ERR_NOT_OURS] = "not_ours",
	[FRAME_ERR_UDP_LEN] = "bad_udp_length",
	[FRAME_ERR_UDP_CSUM] = "bad_udp_checksum",
};

const char *
dhcp_frame_err_name(enum dhcp_frame_err e)
{
	if ((unsigned)e >= FRAME_ERR_MAX)
		return "?";
	return frame_err_names[e];
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The Ethernet header: IPv4, from a unicast, non-zero MAC. */
static enum dhcp_frame_err
frame_ether(const uint8_t *f, size_t len, struct dhcp_frame *out)
{
	static const uint8_t zero[6];

	if (len < ETH_HDR_LEN + 20 + 8)
		return FRAME_ERR_SHORT;
	if (get16(f + 12) != 0x0800 || (f[6] & 1) ||
	    memcmp(f + 6, zero, 6) == 0)
		return FRAME_ERR_ETHER;
	memcpy(out->src_mac, f + 6, 6);
	return FRAME_OK;
}

/* The IPv4 header at ip (room bytes to the frame's end); *ihl, *tot. */
static enum dhcp_frame_err
frame_ip(const uint8_t *ip, size_t room, size_t *ihl, size_t *tot)
{
	*ihl = (size_t)(ip[0] & 0x0f) * 4;
	*tot = get16(ip + 2);
	if ((ip[0] >> 4) != 4 || *ihl < 20 || *tot < *ihl)
		return FRAME_ERR_IP;
	/* Trailing bytes are Ethernet padding (a 60-byte minimum frame);
	 * fewer than the IP length say is a cut frame. */
	if (*tot > room || *ihl + 8 > *tot)
		return FRAME_ERR_SHORT;
	if (csum_fold(csum_partial(ip, *ihl, 0)) != 0)
		return FRAME_ERR_IP_CSUM;
	/* MF or an offset: a piece of a datagram, never a whole request. */
	if (get16(ip + 6) & 0x3fff)
		return FRAME_ERR_FRAGMENT;
	if (ip[9] != IPPROTO_UDP)
		return FRAME_ERR_NOT_UDP;
	return FRAME_OK;
}

enum dhcp_frame_err
dhcp_frame_parse(const uint8_t *f, size_t len, uint32_t self, uint32_t bcast,
    int csum_trusted, struct dhcp_frame *out)
{
	const uint8_t	*ip, *udp;
	enum dhcp_frame_err e;
	size_t		 ihl, tot, ulen;
	uint16_t	 ucsum;

	memset(out, 0, sizeof(*out));
	if ((e = frame_ether(f, len, out)) != FRAME_OK)
		return e;
	ip = f + ETH_HDR_LEN;
	if ((e = frame_ip(ip, len - ETH_HDR_LEN, &ihl, &tot)) != FRAME_OK)
		return e;
	memcpy(&out->src, ip + 12, 4);
	memcpy(&out->dst, ip + 16, 4);
	out->broadcast = out->dst == INADDR_BROADCAST || out->dst == bcast;
	udp = ip + ihl;
	out->sport = get16(udp);
	if ((out->dst != self && !out->broadcast) || get16(udp + 2) != 67)
		return FRAME_ERR_NOT_OURS;
	ulen = get16(udp + 4);
	if (ulen < 8 || ulen > tot - ihl)
		return FRAME_ERR_UDP_LEN;
	memcpy(&ucsum, udp + 6, 2);
	/* Zero: the sender computed none (RFC 768). */
	if (ucsum != 0 && !csum_trusted && csum_fold(csum_partial(udp, ulen,
	    csum_pseudo(out->src, out->dst, IPPROTO_UDP,
	    (uint32_t)ulen))) != 0)
		return FRAME_ERR_UDP_CSUM;
	out->payload = udp + 8;
	out->len = ulen - 8;
	return FRAME_OK;
}

void
arp_build_request(uint8_t *out, const uint8_t smac[6], uint32_t sip,
    uint32_t tip)
{
	put16(out, 1);			/* Ethernet */
	put16(out + 2, 0x0800);		/* IPv4 */
	out[4] = 6;
	out[5] = 4;
	put16(out + 6, 1);		/* request */
	memcpy(out + 8, smac, 6);
	memcpy(out + 14, &sip, 4);
	memset(out + 18, 0, 6);
	memcpy(out + 24, &tip, 4);
}

int
arp_parse_sender(const uint8_t *buf, size_t len, uint32_t *sip,
    uint8_t smac[6])
{
	if (len < ARP_LEN)
		return -1;
	if (buf[0] != 0 || buf[1] != 1 || buf[2] != 0x08 || buf[3] != 0 ||
	    buf[4] != 6 || buf[5] != 4)
		return -1;
	memcpy(smac, buf + 8, 6);
	memcpy(sip, buf + 14, 4);
	return 0;
}

size_t
dhcp_clean_label(const uint8_t *in, size_t len, char *out, size_t outsize)
{
	size_t	i, n = 0, max = outsize - 1;
	int	c, dash = 0;

	if (max > 63)
		max = 63;
	for (i = 0; i < len && n < max; i++) {
		c = in[i];
		if (c == '.' || c == '\0')
			break;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && n > 0 && n + 1 < max)
				out[n++] = '-';
			dash = 0;
			out[n++] = (char)c;
		} else if (c == '-' || c == '_' || c == ' ')
			dash = 1;
		/* anything else (quotes, UTF-8 bytes...) is left out */
	}
	out[n] = '\0';
	return n;
}

size_t
dhcp_fqdn_label(const uint8_t *val, size_t len, char *out, size_t outsize)
{
	size_t	l;

	out[0] = '\0';
	if (len < 3)
		return 0;
	val += 3;
	len -= 3;
	if (val[-3] & 0x04) {
		/* E bit: canonical wire format, take the first label. */
		if (len < 1)
			return 0;
		l = val[0];
		if (l > 63 || l + 1 > len)
			return 0;
		return dhcp_clean_label(val + 1, l, out, outsize);
	}
	return dhcp_clean_label(val, len, out, outsize);
}

size_t
dns_name_encode(const char *name, uint8_t *out, size_t outsize)
{
	size_t	n = 0, l;
	const char *dot;

	while (*name != '\0') {
		dot = strchr(name, '.');
		l = dot ? (size_t)(dot - name) : strlen(name);
		if (l == 0 || l > 63 || n + l + 2 > outsize)
			return 0;
		out[n++] = (uint8_t)l;
		memcpy(out + n, name, l);
		n += l;
		name += l;
		if (*name == '.')
			name++;
	}
	if (n + 1 > outsize)
		return 0;
	out[n++] = 0;
	return n;
}
