/*
 * DNS messages (RFC 1035, 2671/6891, 3597): parsing of untrusted queries
 * and upstream responses, and building of answers. Pure logic: no socket,
 * no allocation, no clock. Every name is checked the same way: labels of
 * at most 63 bytes, at most 255 bytes in all, compression pointers only
 * backwards (so a pointer loop cannot exist) and at most DNS_MAX_JUMPS of
 * them per name.
 */
#ifndef GK_DNSD_DNS_H
#define GK_DNSD_DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN		12
#define DNS_MAX_NAME		255	/* wire form, root byte included */
#define DNS_MAX_LABEL		63
#define DNS_MAX_JUMPS		64
#define DNS_MAX_UDP		512	/* without EDNS */
#define DNS_EDNS_SIZE		1232	/* what we advertise and send */
#define DNS_MAX_MSG		65535
#define DNS_MAX_RR		1024	/* records we accept in a response */

/* header flags */
#define DNS_QR			0x8000
#define DNS_OPCODE_MASK		0x7800
#define DNS_AA			0x0400
#define DNS_TC			0x0200
#define DNS_RD			0x0100
#define DNS_RA			0x0080
#define DNS_AD			0x0020
#define DNS_CD			0x0010
#define DNS_RCODE_MASK		0x000f

enum dns_rcode {
	DNS_NOERROR = 0,
	DNS_FORMERR = 1,
	DNS_SERVFAIL = 2,
	DNS_NXDOMAIN = 3,
	DNS_NOTIMP = 4,
	DNS_REFUSED = 5,
	DNS_BADVERS = 16,	/* extended: upper 8 bits in the OPT TTL */
};

enum dns_type {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6,
	DNS_T_PTR = 12, DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28,
	DNS_T_SRV = 33, DNS_T_DNAME = 39, DNS_T_OPT = 41, DNS_T_TSIG = 250,
	DNS_T_IXFR = 251, DNS_T_AXFR = 252, DNS_T_MAILB = 253,
	DNS_T_MAILA = 254, DNS_T_ANY = 255,
};

#define DNS_C_IN		1

enum dns_section { DNS_S_AN = 1, DNS_S_NS = 2, DNS_S_AR = 3 };

static inline uint16_t
dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
dns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void
dns_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/*
 * Reads the name at *off of msg (len bytes), following compression
 * pointers, into out (uncompressed wire form, DNS_MAX_NAME bytes),
 * lowercased. *off moves past the name as it appears in place. Returns the
 * name's length (1 for the root), or -1 when malformed.
 */
int	dns_name_read(const uint8_t *msg, size_t len, size_t *off,
	    uint8_t *out);
/* Length of an uncompressed, already checked wire name. */
size_t	dns_name_len(const uint8_t *name);
/* Is name (wire form) equal to or below zone (wire form)? Case-blind. */
int	dns_name_under(const uint8_t *name, size_t namelen,
	    const uint8_t *zone, size_t zonelen);
/* Presentation form ("www.example.com.", "." for the root) into buf. */
void	dns_name_str(const uint8_t *name, char *buf, size_t bufsize);
/* Wire form of a presentation name; -1 when it is not a valid name. */
int	dns_name_from_str(const char *str, uint8_t *out);

/* A client's query, checked. */
struct dns_query {
	uint16_t	 id;
	uint16_t	 flags;
	uint8_t		 qname[DNS_MAX_NAME];	/* lowercased wire form */
	uint8_t		 qnamelen;
	uint16_t	 qtype, qclass;
	size_t		 qname_off;	/* where the question's name starts */
	int		 qname_raw;	/* it is uncompressed in place */
	size_t		 qend;		/* offset just past the question */
	int		 edns;		/* an OPT record came with it */
	uint16_t	 edns_size;	/* its UDP size, >= 512 */
	uint8_t		 edns_version;
	int		 edns_do;
};

enum dns_qstatus {
	DNS_Q_OK,		/* answer it */
	DNS_Q_DROP,		/* no reply at all: too short, or a response */
	DNS_Q_FORMERR,		/* reply FORMERR (header and id only) */
	DNS_Q_NOTIMP,		/* reply NOTIMP: an opcode other than QUERY */
	DNS_Q_BADVERS,		/* reply BADVERS: EDNS version above 0 */
};

/* Checks one query; q is filled as far as the check went. */
enum dns_qstatus dns_query_parse(const uint8_t *msg, size_t len,
	    struct dns_query *q);

/* One record of a parsed response; name and rdata point into the
 * response's scratch area, rdata with its embedded names uncompressed. */
struct dns_rr {
	uint8_t		 section;	/* enum dns_section */
	uint8_t		 namelen;
	uint16_t	 type, class;
	uint32_t	 ttl;
	uint16_t	 rdlen;
	const uint8_t	*name;
	const uint8_t	*rdata;
};

/* An upstream response, checked and decompressed. Large: keep it static. */
struct dns_resp {
	uint16_t	 id, flags;
	uint8_t		 qname[DNS_MAX_NAME];
	uint8_t		 qnamelen;
	uint16_t	 qtype, qclass;
	int		 edns;
	int		 rcode;		/* with the extended bits of the OPT */
	int		 nrr;
	struct dns_rr	 rr[DNS_MAX_RR];
	size_t		 scratch_len;
	uint8_t		 scratch[DNS_MAX_MSG + DNS_MAX_RR * (3 * DNS_MAX_NAME + 32)];
};

/*
 * Checks a response: header, exactly one question, every record complete
 * and inside the message, names valid, the rdata of the types that carry
 * names (NS CNAME PTR DNAME MX SOA SRV) well formed and decompressed, the
 * fixed-size ones (A AAAA) of their size. Returns NULL or why not.
 */
const char *dns_resp_parse(const uint8_t *msg, size_t len,
	    struct dns_resp *r);

/* A message writer with name compression; overflow is sticky. */
#define DNS_COMP_MAX		64
struct dns_writer {
	uint8_t		*buf;
	size_t		 cap, len;
	int		 overflow;
	int		 ncomp;
	uint16_t	 comp[DNS_COMP_MAX];	/* offsets of written names */
};

void	dns_w_init(struct dns_writer *, uint8_t *buf, size_t cap);
void	dns_w_bytes(struct dns_writer *, const void *, size_t);
void	dns_w_u16(struct dns_writer *, uint16_t);
void	dns_w_u32(struct dns_writer *, uint32_t);
/* Writes an uncompressed wire name, compressed against earlier ones. */
void	dns_w_name(struct dns_writer *, const uint8_t *name, int compress);
/* Writes one record; the names inside rdata of known types are
 * compressed too (RFC 3597 allows it for the RFC 1035 types only).
 * Returns the offset of its TTL field, or 0 on overflow. */
size_t	dns_w_rr(struct dns_writer *, const uint8_t *name, uint16_t type,
	    uint16_t class, uint32_t ttl, const uint8_t *rdata,
	    uint16_t rdlen);
/* The OPT pseudo-record we send: our UDP size, version 0, and the upper
 * bits of an extended rcode. */
void	dns_w_opt(struct dns_writer *, int ext_rcode);

/*
 * A reply with only the header (and the question when q has one):
 * FORMERR, NOTIMP, REFUSED, SERVFAIL, or a TC answer. Returns its length.
 */
size_t	dns_reply_short(uint8_t *buf, size_t cap, const uint8_t *qmsg,
	    const struct dns_query *q, int with_question, int rcode,
	    uint16_t extra_flags);

/* Builds the query we send upstream: rd, EDNS with our size. */
size_t	dns_build_query(uint8_t *buf, size_t cap, uint16_t id,
	    const uint8_t *qname, uint16_t qtype, uint16_t qclass);

#endif
