/*
 * The summary ring (proto/ring.h) against a hostile other side: whatever
 * the consumer writes into its tail, and whatever anyone writes into the
 * ring's header, the producer writes only its own slots; whatever the
 * header says, the consumer copies only records inside its mapping and
 * never more than asked. The ring and the tail sit between PROT_NONE
 * guard pages, so a write outside them kills the test.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "ring.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define NRECS	64
#define RSIZE	(sizeof(struct gk_ring_hdr) + NRECS * sizeof(struct gk_ring_rec))

static size_t	 pagesz;

/* size bytes, page-aligned at the end so the guard follows at once. */
static void *
guarded(size_t size)
{
	size_t	 span = (size + pagesz - 1) / pagesz * pagesz;
	uint8_t	*p;

	p = mmap(NULL, span + 2 * pagesz, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		abort();
	mprotect(p, pagesz, PROT_NONE);
	mprotect(p + pagesz + span, pagesz, PROT_NONE);
	return p + pagesz + span - size;
}

static struct gk_ring_rec
rec(uint64_t i)
{
	struct gk_ring_rec	 r;

	memset(&r, 0, sizeof(r));
	r.mono_us = i;
	r.packets = 1;
	return r;
}

static void
test_roundtrip(void)
{
	struct gk_ring_prod	 p;
	struct gk_ring_cons	 c;
	struct gk_ring_rec	 out[NRECS], r;
	void			*mem = guarded(RSIZE), *tail = guarded(64);
	uint64_t		 i;

	memset(mem, 0, RSIZE);
	memset(tail, 0, 64);
	CHECK(gk_ring_attach(&p, mem, RSIZE, tail, 64) == 0);
	CHECK(p.nrecs == NRECS);
	CHECK(gk_ring_open(&c, mem, RSIZE, tail, 64) == 0);
	for (i = 0; i < NRECS + 5; i++) {
		r = rec(i);
		gk_ring_push(&p, &r);
	}
	CHECK(p.head == NRECS && p.drops == 5);
	CHECK(gk_ring_pop(&c, out, 10) == 10);
	CHECK(out[0].mono_us == 0 && out[9].mono_us == 9);
	CHECK(gk_ring_pop(&c, out, NRECS) == NRECS - 10);
	CHECK(out[NRECS - 11].mono_us == NRECS - 1);
	/* a restarted producer keeps its head and the consumer's place */
	CHECK(gk_ring_attach(&p, mem, RSIZE, tail, 64) == 1);
	CHECK(p.head == NRECS && p.drops == 5);
	r = rec(1000);
	gk_ring_push(&p, &r);
	CHECK(gk_ring_pop(&c, out, 4) == 1 && out[0].mono_us == 1000);
	/* too small for a ring, or no tail */
	CHECK(gk_ring_attach(&p, mem, sizeof(struct gk_ring_hdr), tail,
	    64) == -1);
	CHECK(gk_ring_attach(&p, mem, RSIZE, tail, 8) == -1);
	CHECK(gk_ring_open(&c, mem, RSIZE, NULL, 64) == -1);
}

/* The PoC: the consumer sets head, nrecs and tail to its choosing. */
static void
test_hostile_consumer(void)
{
	static const uint64_t	 wild[] = {
		0, 1, NRECS - 1, NRECS, NRECS + 1, UINT64_MAX,
		UINT64_MAX - NRECS, (uint64_t)1 << 40, 0x8000000000000000ULL,
	};
	struct gk_ring_prod	 p;
	struct gk_ring_hdr	*h;
	struct gk_ring_tail	*t;
	struct gk_ring_rec	 r, *recs;
	void			*mem = guarded(RSIZE), *tail = guarded(64);
	size_t			 i, j, k;
	uint64_t		 written = 0;

	memset(mem, 0, RSIZE);
	memset(tail, 0, 64);
	h = mem;
	t = tail;
	recs = (struct gk_ring_rec *)(h + 1);
	CHECK(gk_ring_attach(&p, mem, RSIZE, tail, 64) == 0);
	srandom(16);
	for (i = 0; i < 20000; i++) {
		/* every byte of the header and of the tail, scribbled */
		for (k = 0; k < sizeof(*h); k++)
			((uint8_t *)h)[k] = (uint8_t)random();
		if (i % 3 == 0)
			atomic_store(&t->tail, wild[i % NITEMS(wild)]);
		else if (i % 3 == 1)
			atomic_store(&t->tail, p.head - wild[(i / 3) %
			    NITEMS(wild)]);
		else
			for (k = 0; k < sizeof(*t); k++)
				((uint8_t *)t)[k] = (uint8_t)random();
		r = rec(i);
		r.flags = 0x5a5a;
		gk_ring_push(&p, &r);
		if (p.head > written)
			written = p.head;
		CHECK(p.nrecs == NRECS);
	}
	/* the producer's own positions, never the scribbled ones */
	CHECK(p.head == written);
	for (j = 0; j < NRECS; j++)
		CHECK(recs[j].flags == 0 || recs[j].flags == 0x5a5a);
}

/* The producer's header lies to the consumer: head anywhere. */
static void
test_hostile_producer(void)
{
	struct gk_ring_prod	 p;
	struct gk_ring_cons	 c;
	struct gk_ring_hdr	*h;
	struct gk_ring_rec	 out[4], r;
	void			*mem = guarded(RSIZE), *tail = guarded(64);
	uint64_t		 before;
	size_t			 i, n;

	memset(mem, 0, RSIZE);
	memset(tail, 0, 64);
	h = mem;
	CHECK(gk_ring_attach(&p, mem, RSIZE, tail, 64) == 0);
	CHECK(gk_ring_open(&c, mem, RSIZE, tail, 64) == 0);
	r = rec(1);
	gk_ring_push(&p, &r);
	srandom(6);
	for (i = 0; i < 20000; i++) {
		before = c.pos;
		atomic_store(&h->head, (uint64_t)random() << (i % 40));
		if (i % 7 == 0)
			h->nrecs = (uint64_t)random();
		else
			h->nrecs = NRECS;
		n = gk_ring_pop(&c, out, NITEMS(out));
		CHECK(n <= NITEMS(out));
		CHECK(c.pos - before <= NRECS || c.pos == atomic_load(&h->head));
	}
	/* a wrong record count in the header: nothing is read */
	h->nrecs = NRECS * 1000;
	atomic_store(&h->head, c.pos + 2);
	CHECK(gk_ring_pop(&c, out, NITEMS(out)) == 0);
}

int
main(void)
{
	pagesz = (size_t)sysconf(_SC_PAGESIZE);
	test_roundtrip();
	test_hostile_consumer();
	test_hostile_producer();
	return check_result();
}
