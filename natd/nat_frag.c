/*
 * Fragments: later ones follow their first by (addresses, protocol, IP
 * id); one that comes before its first is held (RFC 4787 REQ-14), a copy
 * here while the kernel's queue keeps the packet under the caller's id,
 * until the first releases it or it times out.
 */
#include "nat_impl.h"

static uint32_t
frag_key(const struct pk *p)
{
	return ((uint32_t)ld16(p->ip + 4) << 8) | p->proto;
}

/* A held fragment given up: its id goes to the caller for a drop. */
static void
hold_evict(struct nat *n, struct nat_hold *h)
{
	if (n->nhold_drop < sizeof(n->hold_drop) / sizeof(n->hold_drop[0]))
		n->hold_drop[n->nhold_drop++] = h->id;
	h->state = HOLD_FREE;
	n->st.frag_evicted++;
}

/* The first fragment f came: the held ones it leads are translated. */
static void
hold_release(struct nat *n, const struct nat_frag *f)
{
	struct nat_hold	*h;
	struct pk	 p;
	int		 i;

	for (i = 0; i < NAT_HOLD; i++) {
		h = &n->hold[i];
		if (h->state != HOLD_WAIT || h->out != f->out ||
		    h->src != f->src || h->dst != f->dst ||
		    h->id_proto != f->id_proto)
			continue;
		if (parse_ip(&p, h->pkt, h->len) != 1) {
			hold_evict(n, h);
			continue;
		}
		p.csum = NULL;
		set_addr(&p, p.ip + (f->out ? 12 : 16), f->addr);
		h->state = HOLD_READY;
		h->accept = 1;
		n->st.frag_released++;
	}
}

void
frag_note(struct nat *n, const struct pk *p, uint32_t src, uint32_t dst,
    uint32_t addr, int out)
{
	struct nat_frag	*f = &n->frags[n->frag_next++ % NAT_FRAGS];

	f->src = src;
	f->dst = dst;
	f->id_proto = frag_key(p);
	f->addr = addr;
	f->when = (uint16_t)n->now;
	f->out = (uint8_t)out;
	f->used = 1;
	hold_release(n, f);
}

/*
 * A later fragment before its first: held (a copy here, the packet in the
 * kernel's queue) when it is small enough and its sender does not hold
 * too many already; the oldest held one makes room if need be.
 */
static int
frag_hold(struct nat *n, struct pk *p, int out)
{
	struct nat_hold	*h, *slot = NULL, *old = NULL;
	int		 i, from_src = 0;

	if (p->len > NAT_HOLD_SLOT) {
		n->st.frag_unknown++;
		return 0;
	}
	for (i = 0; i < NAT_HOLD; i++) {
		h = &n->hold[i];
		if (h->state == HOLD_FREE && slot == NULL)
			slot = h;
		if (h->state != HOLD_WAIT)
			continue;
		if (h->src == p->src)
			from_src++;
		if (old == NULL || age(n, h->since) > age(n, old->since))
			old = h;
	}
	if (from_src >= NAT_HOLD_PER_SRC || (slot == NULL && old == NULL)) {
		n->st.frag_unknown++;
		return 0;
	}
	if (slot == NULL) {
		hold_evict(n, old);
		slot = old;
	}
	memcpy(slot->pkt, p->ip, p->len);
	slot->len = (uint16_t)p->len;
	slot->id = p->id;
	slot->out = (uint8_t)out;
	slot->src = p->src;
	slot->dst = p->dst;
	slot->id_proto = frag_key(p);
	slot->since = n->now;
	slot->accept = 0;
	slot->state = HOLD_WAIT;
	n->st.frag_held++;
	return NAT_HELD;
}

int
frag_later(struct nat *n, struct pk *p, int out, struct nat_result *res)
{
	uint32_t	 key = frag_key(p);
	int		 i;
	struct nat_frag	*f;

	for (i = 0; i < NAT_FRAGS; i++) {
		f = &n->frags[i];
		if (!f->used || f->out != out || f->src != p->src ||
		    f->dst != p->dst || f->id_proto != key ||
		    (uint16_t)((uint16_t)n->now - f->when) > 30)
			continue;
		p->csum = NULL;
		set_addr(p, p->ip + (out ? 12 : 16), f->addr);
		res->modified = 1;
		return 1;
	}
	/* Out of order: the first not seen yet. */
	return frag_hold(n, p, out);
}

int
nat_hold_take(struct nat *n, uint32_t *id, int *accept, uint8_t **pkt,
    size_t *len)
{
	struct nat_hold	*h;
	int		 i;

	if (n->nhold_drop > 0) {
		*id = n->hold_drop[--n->nhold_drop];
		*accept = 0;
		*pkt = NULL;
		*len = 0;
		return 1;
	}
	for (i = 0; i < NAT_HOLD; i++) {
		h = &n->hold[i];
		if (h->state != HOLD_READY)
			continue;
		h->state = HOLD_TAKEN;
		*id = h->id;
		*accept = 1;
		*pkt = h->pkt;
		*len = h->len;
		return 1;
	}
	return 0;
}

void
nat_hold_sent(struct nat *n)
{
	int	 i;

	for (i = 0; i < NAT_HOLD; i++)
		if (n->hold[i].state == HOLD_TAKEN)
			n->hold[i].state = HOLD_FREE;
}

/* Held fragments whose first did not come in time. */
void
hold_expire(struct nat *n)
{
	int	 i;

	for (i = 0; i < NAT_HOLD; i++)
		if (n->hold[i].state == HOLD_WAIT &&
		    age(n, n->hold[i].since) >= NAT_HOLD_SECS)
			hold_evict(n, &n->hold[i]);
}
