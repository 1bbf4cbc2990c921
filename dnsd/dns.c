/*
 * DNS message parsing and building. Everything that arrives is untrusted:
 * queries from the LAN and responses from upstream alike. See dns.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"

/* ASCII lowercase by table: every name byte of every query goes
 * through it (a compare and a branch per byte otherwise). */
#define LC1(c)	((uint8_t)((c) >= 'A' && (c) <= 'Z' ? (c) + ('a' - 'A') : (c)))
#define LC4(c)	LC1(c), LC1((c) + 1), LC1((c) + 2), LC1((c) + 3)
#define LC16(c)	LC4(c), LC4((c) + 4), LC4((c) + 8), LC4((c) + 12)
#define LC64(c)	LC16(c), LC16((c) + 16), LC16((c) + 32), LC16((c) + 48)
static const uint8_t lctab[256] = {
	LC64(0), LC64(64), LC64(128), LC64(192)
};

static inline uint8_t
lc(uint8_t c)
{
	return lctab[c];
}

int
dns_name_read(const uint8_t *msg, size_t len, size_t *off, uint8_t *out)
{
	size_t	 pos = *off, floor = *off, ptr, olen = 0, i;
	int	 jumps = 0, jumped = 0;
	uint8_t	 c;

	for (;;) {
		if (pos >= len)
			return -1;
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -1;
			ptr = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			/*
			 * Only strictly backwards from everything read so
			 * far, and never into the header: every jump lands
			 * lower than the last, so no loop can exist.
			 */
			if (ptr >= floor || ptr < DNS_HDR_LEN ||
			    ++jumps > DNS_MAX_JUMPS)
				return -1;
			if (!jumped) {
				*off = pos + 2;
				jumped = 1;
			}
			pos = floor = ptr;
			continue;
		}
		if (c & 0xc0)		/* 0x40, 0x80: obsolete label types */
			return -1;
		if (c == 0) {
			out[olen++] = 0;
			if (!jumped)
				*off = pos + 1;
			return (int)olen;
		}
		if (pos + 1 + c > len || olen + 1 + c + 1 > DNS_MAX_NAME)
			return -1;
		out[olen] = c;
		for (i = 0; i < c; i++)
			out[olen + 1 + i] = lc(msg[pos + 1 + i]);
		olen += 1 + (size_t)c;
		pos += 1 + c;
	}
}

size_t
dns_name_len(const uint8_t *name)
{
	size_t	 n = 0;

	while (name[n] != 0)
		n += 1 + name[n];
	return n + 1;
}

int
dns_name_under(const uint8_t *name, size_t namelen, const uint8_t *zone,
    size_t zonelen)
{
	size_t	 off = 0, i;

	while (namelen - off >= zonelen) {
		if (namelen - off == zonelen) {
			for (i = 0; i < zonelen; i++)
				if (lc(name[off + i]) != lc(zone[i]))
					return 0;
			return 1;
		}
		if (name[off] == 0)
			return 0;
		off += 1 + name[off];
	}
	return 0;
}

void
dns_name_str(const uint8_t *name, char *buf, size_t bufsize)
{
	size_t	 o = 0, i, n;
	uint8_t	 c;

	if (bufsize == 0)
		return;
	buf[0] = '\0';
	if (name[0] == 0) {
		snprintf(buf, bufsize, ".");
		return;
	}
	while (*name != 0) {
		n = *name++;
		for (i = 0; i < n; i++) {
			c = name[i];
			if (c == '.' || c == '\\') {
				if (o + 2 >= bufsize)
					return;
				buf[o++] = '\\';
				buf[o++] = (char)c;
			} else if (c <= ' ' || c >= 0x7f) {
				if (o + 4 >= bufsize)
					return;
				snprintf(buf + o, bufsize - o, "\\%03u", c);
				o += 4;
			} else {
				if (o + 1 >= bufsize)
					return;
				buf[o++] = (char)c;
			}
		}
		name += n;
		if (o + 1 >= bufsize)
			return;
		buf[o++] = '.';
		buf[o] = '\0';
	}
}

int
dns_name_from_str(const char *str, uint8_t *out)
{
	size_t	 olen = 0, lab;
	const char *dot;

	while (*str != '\0' && !(str[0] == '.' && str[1] == '\0')) {
		if ((dot = strchr(str, '.')) == NULL)
			dot = str + strlen(str);
		lab = (size_t)(dot - str);
		if (lab == 0 || lab > DNS_MAX_LABEL ||
		    olen + 1 + lab + 1 > DNS_MAX_NAME)
			return -1;
		out[olen++] = (uint8_t)lab;
		while (str < dot)
			out[olen++] = lc((uint8_t)*str++);
		if (*str == '.')
			str++;
	}
	out[olen++] = 0;
	return (int)olen;
}

/* Skips one record's fixed part and rdata; fills type, class, ttl. */
static int
rr_head(const uint8_t *msg, size_t len, size_t *off, uint16_t *type,
    uint16_t *class, uint32_t *ttl, uint16_t *rdlen)
{
	const uint8_t *p;

	if (*off + 10 > len)
		return -1;
	p = msg + *off;
	*type = dns_get16(p);
	*class = dns_get16(p + 2);
	*ttl = dns_get32(p + 4);
	*rdlen = dns_get16(p + 8);
	*off += 10;
	if (*off + *rdlen > len)
		return -1;
	return 0;
}

enum dns_qstatus
dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q)
{
	uint8_t	 tmp[DNS_MAX_NAME];
	uint16_t type, class, rdlen, ar, i;
	uint32_t ttl;
	size_t	 off;
	int	 n;

	q->qnamelen = 0;
	q->edns = 0;
	q->edns_size = DNS_MAX_UDP;
	q->edns_version = 0;
	q->edns_do = 0;
	if (len < DNS_HDR_LEN)
		return DNS_Q_DROP;
	q->id = dns_get16(msg);
	q->flags = dns_get16(msg + 2);
	/* Never answer a response: two resolvers would ping-pong. */
	if (q->flags & DNS_QR)
		return DNS_Q_DROP;
	if (q->flags & DNS_OPCODE_MASK)
		return DNS_Q_NOTIMP;
	if (dns_get16(msg + 4) != 1 || dns_get16(msg + 6) != 0 ||
	    dns_get16(msg + 8) != 0)
		return DNS_Q_FORMERR;
	off = DNS_HDR_LEN;
	q->qname_off = off;
	if ((n = dns_name_read(msg, len, &off, q->qname)) < 0)
		return DNS_Q_FORMERR;
	q->qname_raw = (off - DNS_HDR_LEN == (size_t)n);
	if (off + 4 > len)
		return DNS_Q_FORMERR;
	q->qnamelen = (uint8_t)n;
	q->qtype = dns_get16(msg + off);
	q->qclass = dns_get16(msg + off + 2);
	off += 4;
	q->qend = off;
	ar = dns_get16(msg + 10);
	for (i = 0; i < ar; i++) {
		if ((n = dns_name_read(msg, len, &off, tmp)) < 0 ||
		    rr_head(msg, len, &off, &type, &class, &ttl, &rdlen) == -1)
			return DNS_Q_FORMERR;
		if (type == DNS_T_OPT) {
			/* One OPT, owned by the root (RFC 6891 6.1.1). */
			if (q->edns || n != 1)
				return DNS_Q_FORMERR;
			q->edns = 1;
			q->edns_size = class < DNS_MAX_UDP ? DNS_MAX_UDP : class;
			q->edns_version = (ttl >> 16) & 0xff;
			q->edns_do = (ttl & 0x8000) != 0;
		}
		off += rdlen;
	}
	/* Counts that claim less than what came: do not guess. */
	if (off != len)
		return DNS_Q_FORMERR;
	if (q->edns && q->edns_version != 0)
		return DNS_Q_BADVERS;
	return DNS_Q_OK;
}

/* Reads a name inside rdata into the scratch area; it must end by end. */
static int
rdata_name(const uint8_t *msg, size_t *off, size_t end, struct dns_resp *r)
{
	int	 n;

	if (r->scratch_len + DNS_MAX_NAME > sizeof(r->scratch))
		return -1;
	n = dns_name_read(msg, end, off, r->scratch + r->scratch_len);
	if (n < 0)
		return -1;
	r->scratch_len += (size_t)n;
	return 0;
}

static int
rdata_copy(const uint8_t *src, size_t n, struct dns_resp *r)
{
	if (r->scratch_len + n > sizeof(r->scratch))
		return -1;
	memcpy(r->scratch + r->scratch_len, src, n);
	r->scratch_len += n;
	return 0;
}

/*
 * The rdata of one record into scratch: names decompressed for the types
 * that may carry compressed ones, the fixed ones checked for size.
 */
static const char *
rdata_parse(const uint8_t *msg, size_t off, struct dns_rr *rr,
    struct dns_resp *r)
{
	size_t	 end = off + rr->rdlen, start = r->scratch_len;
	size_t	 fixed = 0;
	int	 names = 0;

	switch (rr->type) {
	case DNS_T_A:
		if (rr->rdlen != 4)
			return "A record not 4 bytes";
		break;
	case DNS_T_AAAA:
		if (rr->rdlen != 16)
			return "AAAA record not 16 bytes";
		break;
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_DNAME:
		names = 1;
		break;
	case DNS_T_MX:
		fixed = 2;
		names = 1;
		break;
	case DNS_T_SRV:
		fixed = 6;
		names = 1;
		break;
	case DNS_T_SOA:
		names = 2;
		break;
	}
	if (names == 0) {
		if (rdata_copy(msg + off, rr->rdlen, r) == -1)
			return "response too large";
	} else {
		if (fixed > rr->rdlen || rdata_copy(msg + off, fixed, r) == -1)
			return "rdata too short";
		off += fixed;
		while (names-- > 0)
			if (rdata_name(msg, &off, end, r) == -1)
				return "bad name in rdata";
		if (rr->type == DNS_T_SOA) {
			if (off + 20 != end || rdata_copy(msg + off, 20, r) == -1)
				return "SOA rdata of the wrong size";
			off += 20;
		}
		if (off != end)
			return "rdata longer than its content";
	}
	if (r->scratch_len - start > UINT16_MAX)
		return "rdata too large";
	rr->rdata = r->scratch + start;
	rr->rdlen = (uint16_t)(r->scratch_len - start);
	return NULL;
}

const char *
dns_resp_parse(const uint8_t *msg, size_t len, struct dns_resp *r)
{
	struct dns_rr	*rr;
	const char	*why;
	uint32_t	 an, ns, ar, total, i;
	size_t		 off;
	int		 n;

	r->nrr = 0;
	r->edns = 0;
	r->scratch_len = 0;
	if (len < DNS_HDR_LEN)
		return "shorter than a header";
	r->id = dns_get16(msg);
	r->flags = dns_get16(msg + 2);
	if (!(r->flags & DNS_QR))
		return "not a response";
	if (r->flags & DNS_OPCODE_MASK)
		return "opcode not QUERY";
	if (dns_get16(msg + 4) != 1)
		return "question count not 1";
	an = dns_get16(msg + 6);
	ns = dns_get16(msg + 8);
	ar = dns_get16(msg + 10);
	total = an + ns + ar;
	if (total > DNS_MAX_RR)
		return "too many records";
	off = DNS_HDR_LEN;
	if ((n = dns_name_read(msg, len, &off, r->qname)) < 0)
		return "bad question name";
	if (off + 4 > len)
		return "truncated question";
	r->qnamelen = (uint8_t)n;
	r->qtype = dns_get16(msg + off);
	r->qclass = dns_get16(msg + off + 2);
	off += 4;
	r->rcode = r->flags & DNS_RCODE_MASK;
	for (i = 0; i < total; i++) {
		rr = &r->rr[r->nrr];
		rr->section = i < an ? DNS_S_AN : i < an + ns ? DNS_S_NS :
		    DNS_S_AR;
		if (r->scratch_len + DNS_MAX_NAME > sizeof(r->scratch))
			return "response too large";
		if ((n = dns_name_read(msg, len, &off,
		    r->scratch + r->scratch_len)) < 0)
			return "bad record name";
		rr->name = r->scratch + r->scratch_len;
		rr->namelen = (uint8_t)n;
		r->scratch_len += (size_t)n;
		if (rr_head(msg, len, &off, &rr->type, &rr->class, &rr->ttl,
		    &rr->rdlen) == -1)
			return "truncated record";
		/* RFC 2181 8: a TTL with the top bit set means zero. */
		if (rr->ttl & 0x80000000U)
			rr->ttl = 0;
		if (rr->type == DNS_T_OPT) {
			if (rr->section != DNS_S_AR || r->edns || n != 1)
				return "misplaced OPT record";
			r->edns = 1;
			r->rcode |= (int)((rr->ttl >> 24) & 0xff) << 4;
			off += rr->rdlen;
			continue;
		}
		if ((why = rdata_parse(msg, off, rr, r)) != NULL)
			return why;
		off += dns_get16(msg + off - 2);
		r->nrr++;
	}
	if (off != len)
		return "bytes after the last record";
	return NULL;
}

void
dns_w_init(struct dns_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = 0;
	w->ncomp = 0;
}

void
dns_w_bytes(struct dns_writer *w, const void *p, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void
dns_w_u16(struct dns_writer *w, uint16_t v)
{
	uint8_t	 b[2];

	dns_put16(b, v);
	dns_w_bytes(w, b, 2);
}

void
dns_w_u32(struct dns_writer *w, uint32_t v)
{
	uint8_t	 b[4];

	dns_put32(b, v);
	dns_w_bytes(w, b, 4);
}

/* Offset of an earlier name equal to the suffix, or -1. */
static int
comp_find(const struct dns_writer *w, const uint8_t *suffix, size_t slen)
{
	uint8_t	 tmp[DNS_MAX_NAME];
	size_t	 off;
	int	 i, n;

	for (i = 0; i < w->ncomp; i++) {
		off = w->comp[i];
		n = dns_name_read(w->buf, w->len, &off, tmp);
		if (n == (int)slen && dns_name_under(suffix, slen, tmp,
		    (size_t)n))
			return w->comp[i];
	}
	return -1;
}

void
dns_w_name(struct dns_writer *w, const uint8_t *name, int compress)
{
	const uint8_t	*p = name;
	size_t		 left = dns_name_len(name);
	int		 o;

	while (*p != 0) {
		if (compress && (o = comp_find(w, p, left)) >= 0) {
			dns_w_u16(w, 0xc000 | (uint16_t)o);
			return;
		}
		if (!w->overflow && w->len < 0x3fff && w->ncomp < DNS_COMP_MAX)
			w->comp[w->ncomp++] = (uint16_t)w->len;
		dns_w_bytes(w, p, 1 + (size_t)*p);
		left -= 1 + (size_t)*p;
		p += 1 + *p;
	}
	dns_w_bytes(w, "", 1);
}

size_t
dns_w_rr(struct dns_writer *w, const uint8_t *name, uint16_t type,
    uint16_t class, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	size_t	 ttl_off, rd_off, n;

	dns_w_name(w, name, 1);
	dns_w_u16(w, type);
	dns_w_u16(w, class);
	ttl_off = w->len;
	dns_w_u32(w, ttl);
	dns_w_u16(w, 0);
	rd_off = w->len;
	switch (type) {
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
		dns_w_name(w, rdata, 1);
		break;
	case DNS_T_MX:
		dns_w_bytes(w, rdata, 2);
		dns_w_name(w, rdata + 2, 1);
		break;
	case DNS_T_SOA:
		n = dns_name_len(rdata);
		dns_w_name(w, rdata, 1);
		dns_w_name(w, rdata + n, 1);
		n += dns_name_len(rdata + n);
		dns_w_bytes(w, rdata + n, 20);
		break;
	default:
		/* SRV and DNAME targets stay uncompressed (RFC 2782, 6672) */
		dns_w_bytes(w, rdata, rdlen);
		break;
	}
	if (w->overflow)
		return 0;
	dns_put16(w->buf + rd_off - 2, (uint16_t)(w->len - rd_off));
	return ttl_off;
}

void
dns_w_opt(struct dns_writer *w, int ext_rcode)
{
	dns_w_bytes(w, "", 1);
	dns_w_u16(w, DNS_T_OPT);
	dns_w_u16(w, DNS_EDNS_SIZE);
	dns_w_u32(w, (uint32_t)(ext_rcode & 0xff) << 24);
	dns_w_u16(w, 0);
}

size_t
dns_reply_short(uint8_t *buf, size_t cap, const uint8_t *qmsg,
    const struct dns_query *q, int with_question, int rcode,
    uint16_t extra_flags)
{
	struct dns_writer w;
	uint16_t	 flags;

	with_question = with_question && q->qnamelen > 0;
	flags = DNS_QR | DNS_RA | (q->flags & (DNS_OPCODE_MASK | DNS_RD |
	    DNS_CD)) | extra_flags | (rcode & DNS_RCODE_MASK);
	dns_w_init(&w, buf, cap);
	dns_w_u16(&w, q->id);
	dns_w_u16(&w, flags);
	dns_w_u16(&w, with_question ? 1 : 0);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, q->edns ? 1 : 0);
	if (with_question) {
		/* The client's own spelling: 0x20-randomizing clients
		 * compare it byte for byte. */
		if (q->qname_raw)
			dns_w_bytes(&w, qmsg + q->qname_off, q->qnamelen);
		else
			dns_w_bytes(&w, q->qname, q->qnamelen);
		dns_w_u16(&w, q->qtype);
		dns_w_u16(&w, q->qclass);
	}
	if (q->edns)
		dns_w_opt(&w, rcode >> 4);
	return w.overflow ? 0 : w.len;
}

size_t
dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname,
    uint16_t qtype, uint16_t qclass)
{
	struct dns_writer w;

	dns_w_init(&w, buf, cap);
	dns_w_u16(&w, id);
	dns_w_u16(&w, DNS_RD);
	dns_w_u16(&w, 1);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, 1);
	dns_w_name(&w, qname, 0);
	dns_w_u16(&w, qtype);
	dns_w_u16(&w, qclass);
	dns_w_opt(&w, 0);
	return w.overflow ? 0 : w.len;
}
