/*
 * PTR questions for webd: see ptr.h.
 */
#include <stdio.h>
#include <string.h>

#include "ptr.h"

size_t
ptr_question(struct in_addr a, uint8_t *buf, size_t cap)
{
	const uint8_t	*b = (const uint8_t *)&a.s_addr;
	uint8_t		 qname[DNS_MAX_NAME];
	char		 text[32];

	snprintf(text, sizeof(text), "%u.%u.%u.%u.in-addr.arpa.", b[3], b[2],
	    b[1], b[0]);
	if (dns_name_from_str(text, qname) == -1)
		return 0;
	return dns_build_query(buf, cap, 0, qname, DNS_T_PTR, DNS_C_IN);
}

/* Only what webd shows without escaping: letters, digits, - _ . */
static int
plain_name(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

void
ptr_answer(const uint8_t *reply, size_t len, struct dns_resp *r,
    struct msg_dns_ptr *m)
{
	char	 name[DNS_OBS_NAME * 4];
	size_t	 i;
	int	 k;

	m->status = DNS_PTR_FAILED;
	m->ttl = 0;
	m->name[0] = '\0';
	if (len == 0 || dns_resp_parse(reply, len, r) != NULL)
		return;
	if (r->rcode == DNS_NXDOMAIN) {
		m->status = DNS_PTR_NONE;
		m->ttl = PTR_NONE_TTL;
		return;
	}
	if (r->rcode != DNS_NOERROR || (r->flags & DNS_TC))
		return;
	m->status = DNS_PTR_NONE;
	m->ttl = PTR_NONE_TTL;
	for (k = 0; k < r->nrr; k++) {
		if (r->rr[k].section != DNS_S_AN || r->rr[k].type != DNS_T_PTR)
			continue;
		dns_name_str(r->rr[k].rdata, name, sizeof(name));
		for (i = 0; name[i] != '\0'; i++)
			if (name[i] >= 'A' && name[i] <= 'Z')
				name[i] = (char)(name[i] - 'A' + 'a');
		if (!plain_name(name) || strlen(name) >= sizeof(m->name))
			return;
		strlcpy(m->name, name, sizeof(m->name));
		m->status = DNS_PTR_FOUND;
		m->ttl = r->rr[k].ttl;
		return;
	}
}
