/*
 * webd's PTR questions in dnsd (dnsd/ptr.c): the question for an
 * address is a valid query for its in-addr.arpa name; a reply becomes
 * the answer webd gets: the name lowercased, none for NXDOMAIN, NODATA
 * or a name webd would have to escape, failed for SERVFAIL, a truncated
 * or malformed reply, or none at all.
 */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dns.h"
#include "ptr.h"

static struct dns_resp	 r;

/* A reply to the question q (qlen bytes) with rcode and, when target is
 * not NULL, one PTR record to it (wire form). */
static size_t
reply(uint8_t *m, const uint8_t *q, size_t qlen, int rcode,
    const uint8_t *target, uint16_t extra)
{
	uint8_t		 qname[DNS_MAX_NAME];
	struct dns_writer w;
	size_t		 off = DNS_HDR_LEN;

	if (dns_name_read(q, qlen, &off, qname) == -1)
		abort();
	dns_w_init(&w, m, 1500);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, (uint16_t)(DNS_QR | DNS_RD | DNS_RA | extra | rcode));
	dns_w_u16(&w, 1);
	dns_w_u16(&w, target != NULL);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, 0);
	dns_w_name(&w, qname, 1);
	dns_w_u16(&w, DNS_T_PTR);
	dns_w_u16(&w, DNS_C_IN);
	if (target != NULL)
		dns_w_rr(&w, qname, DNS_T_PTR, DNS_C_IN, 3600, target,
		    (uint16_t)dns_name_len(target));
	return w.overflow ? 0 : w.len;
}

int
main(void)
{
	uint8_t		 q[512], m[1500], qname[DNS_MAX_NAME], raw[4];
	struct in_addr	 a;
	struct dns_query dq;
	struct msg_dns_ptr p;
	char		 name[300];
	size_t		 n;

	inet_pton(AF_INET, "203.0.113.7", &a);
	n = ptr_question(a, q, sizeof(q));
	CHECK(n > 0 && dns_query_parse(q, n, &dq) == DNS_Q_OK);
	CHECK(dq.qtype == DNS_T_PTR && dq.qclass == DNS_C_IN);
	dns_name_str(dq.qname, name, sizeof(name));
	CHECK_STR(name, "7.113.0.203.in-addr.arpa.");
	CHECK(ptr_question(a, q, 20) == 0);
	n = ptr_question(a, q, sizeof(q));

	dns_name_from_str("Seven.Example.TEST", qname);
	/* dns_name_from_str lowercases: the upstream's capitals by hand */
	qname[1] = 'S';
	qname[7] = 'E';
	ptr_answer(m, reply(m, q, n, DNS_NOERROR, qname, 0), &r, &p);
	CHECK(p.status == DNS_PTR_FOUND && p.ttl == 3600);
	CHECK_STR(p.name, "seven.example.test.");
	/* a name webd would have to escape is none */
	memcpy(qname, "\x05" "a b<c" "\x07" "example" "\x00", 15);
	ptr_answer(m, reply(m, q, n, DNS_NOERROR, qname, 0), &r, &p);
	CHECK(p.status == DNS_PTR_NONE && p.name[0] == '\0');
	ptr_answer(m, reply(m, q, n, DNS_NXDOMAIN, NULL, 0), &r, &p);
	CHECK(p.status == DNS_PTR_NONE && p.ttl == PTR_NONE_TTL);
	ptr_answer(m, reply(m, q, n, DNS_NOERROR, NULL, 0), &r, &p);
	CHECK(p.status == DNS_PTR_NONE);
	ptr_answer(m, reply(m, q, n, DNS_SERVFAIL, NULL, 0), &r, &p);
	CHECK(p.status == DNS_PTR_FAILED);
	ptr_answer(m, reply(m, q, n, DNS_NOERROR, qname, DNS_TC), &r, &p);
	CHECK(p.status == DNS_PTR_FAILED);
	ptr_answer(NULL, 0, &r, &p);
	CHECK(p.status == DNS_PTR_FAILED);
	memset(raw, 0xff, sizeof(raw));
	ptr_answer(raw, sizeof(raw), &r, &p);
	CHECK(p.status == DNS_PTR_FAILED && p.name[0] == '\0');
	return check_result();
}
