/*
 * Writes fuzz_history's named seeds (tests/webd/corpus/history) for the
 * region's layout as it is: each a list of 6-byte patches (a 32-bit
 * little-endian offset into the template region fuzz_history.c makes,
 * then 2 bytes to write there) that spoils one thing the attach must
 * refuse or repair: the magic, the sizes, the high-water marks, a
 * pair's chain and open second, a block's link, size, length and data,
 * the starts bitmap, and the checkpoint cursors. Run it again whenever
 * the layout changes (HIST_VERSION): seed_history DIR.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_history.c"

struct seed {
	FILE		*f;
	const uint8_t	*base;
};

static void
patch(struct seed *s, const void *at, uint16_t v)
{
	uint32_t	 off = (uint32_t)((const uint8_t *)at - s->base);
	uint8_t		 b[6];

	memcpy(b, &off, 4);	/* little-endian, this machine's */
	b[4] = (uint8_t)v;
	b[5] = (uint8_t)(v >> 8);
	fwrite(b, 1, sizeof(b), s->f);
}

static void
patch32(struct seed *s, const void *at, uint32_t v)
{
	patch(s, at, (uint16_t)v);
	patch(s, (const uint8_t *)at + 2, (uint16_t)(v >> 16));
}

static int
seed(const char *dir, const char *name, struct seed *s)
{
	char	 path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((s->f = fopen(path, "w")) == NULL) {
		perror(path);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct hist	 hs;
	struct hist_block *b0;
	struct seed	 s;
	uint32_t	 p, h0, h1;
	int		 i;

	if (argc != 2) {
		fprintf(stderr, "usage: seed_history DIR\n");
		return 2;
	}
	init();
	if (hist_attach(&hs, template, SIZE, 86400) != 1)
		return 1;
	s.base = template;
	h0 = hs.pairs[0].head;
	h1 = hs.pairs[1].head;
	b0 = HIST_BLK(&hs, h0);
#define SEED(name) if (seed(argv[1], name, &s) == -1) return 1; else
#define DONE fclose(s.f)
	SEED("none") DONE;
	SEED("magic") { patch(&s, &hs.h->magic, 0x4141); DONE; }
	SEED("header-sizes") {
		patch(&s, &hs.h->pair_size, 0xffff);
		patch(&s, &hs.h->nbuckets, 3);
		DONE;
	}
	SEED("hwm") {
		patch(&s, &hs.h->uhwm, 0xffff);
		patch(&s, &hs.h->phwm, 0x7fff);
		patch(&s, &hs.h->free_head[HIST_BLOCK_UNITS], 5);
		DONE;
	}
	SEED("pair-chain") {
		patch32(&s, &hs.pairs[0].head, 7);
		patch32(&s, &hs.pairs[0].tail, 0);
		DONE;
	}
	SEED("pair-open") {
		patch(&s, &hs.pairs[0].open_sec, 0xffff);
		patch(&s, &hs.pairs[0].open_mask, 0x3ff);
		patch(&s, (uint8_t *)&hs.pairs[0].open_mask + 2, 0xffff);
		DONE;
	}
	SEED("block-next") {	/* into another block's data */
		patch32(&s, &b0->next, h1 + 1);
		DONE;
	}
	SEED("block-next-shared") {	/* two chains meet */
		patch32(&s, &b0->next, h1);
		DONE;
	}
	SEED("block-used") {
		patch(&s, &b0->used, 0x7fff);	/* used, and 31 units */
		patch(&s, &b0->info, 0x0303);	/* level 3, no units */
		DONE;
	}
	SEED("block-units-small") {	/* records past its room */
		patch(&s, &b0->used, (uint16_t)(2 << 2 << 8 | 0xf0));
		DONE;
	}
	SEED("pair-head-inner") {	/* a chain inside another's block */
		patch32(&s, &hs.pairs[1].head, h0 + 4);
		patch32(&s, &hs.pairs[1].tail, h0 + 4);
		DONE;
	}
	SEED("block-span") {
		patch(&s, &b0->span, 0xffff);
		patch32(&s, &b0->base_sec, UINT32_MAX - 100);
		DONE;
	}
	SEED("block-data") {
		for (i = 0; i < 16; i++)
			patch(&s, b0->data + 2 * i, 0xffff);
		DONE;
	}
	SEED("block-data-bits") {	/* codes of 40 zero bits and more */
		for (i = 2; i < 10; i++)
			patch(&s, b0->data + 2 * i, 0);
		DONE;
	}
	SEED("starts") {	/* derived: rebuilt on attach */
		patch(&s, hs.starts, 0xffff);
		patch(&s, hs.starts + 8, 0);
		DONE;
	}
	SEED("cursor-none") { patch32(&s, &hs.pairs[0].ckpt_block, HIST_NONE);
		DONE; }
	SEED("cursor-block-zero") {
		patch32(&s, &hs.pairs[1].ckpt_block, 0);
		DONE;
	}
	SEED("cursor-other-pair") {
		patch32(&s, &hs.pairs[0].ckpt_block, h1);
		patch32(&s, &hs.pairs[2].ckpt_block, h0);
		DONE;
	}
	SEED("cursor-past-pool") {
		patch32(&s, &hs.pairs[0].ckpt_block, hs.h->nunits + 5);
		DONE;
	}
	SEED("cursor-inner") {	/* inside a block: no block starts there */
		patch32(&s, &hs.pairs[0].ckpt_block, h0 + 1);
		DONE;
	}
	SEED("cursor-all-spoiled") {
		for (p = 0; p < hs.h->phwm; p++)
			patch32(&s, &hs.pairs[p].ckpt_block, p % 2 ? h0 + p :
			    hs.pairs[(p + 1) % hs.h->phwm].head);
		DONE;
	}
	return 0;
}
