/*
 * webd's PTR questions (MSG_DNS_PTR_REQ): the question dnsd puts to
 * itself, as a client would (so its cache, local zones, upstreams and
 * coalescing serve it), and what a reply says, as MSG_DNS_PTR. Pure.
 */
#ifndef GK_DNSD_PTR_H
#define GK_DNSD_PTR_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "proto.h"

#define PTR_NONE_TTL	600	/* a PTR that is not there: asked again */

/* The query for a's PTR (d.c.b.a.in-addr.arpa), id 0: its length, or 0
 * when cap is too small. */
size_t	ptr_question(struct in_addr a, uint8_t *buf, size_t cap);
/* The answer to webd for reply (what srv_query or an upstream gave the
 * question); r is scratch space. */
void	ptr_answer(const uint8_t *reply, size_t len, struct dns_resp *r,
	    struct msg_dns_ptr *m);

#endif
