/*
 * libFuzzer target: a WebSocket client's message to /api/live, as ws.c
 * hands it to live.c (live_message: `{"subscribe": ["MAC", ...]}`), on
 * two sockets of one live state with traffic of the devices it may name,
 * then a frame built and each socket's text made, then one socket falls
 * behind, takes the input as its subscriptions meanwhile and gets the
 * sum of two frames. Whatever the input: no
 * crash, a refused message leaves the socket as it was, no socket holds
 * more than LIVE_SUBS_MAX subscriptions, every text is valid JSON, and
 * every watch is let go when the sockets go.
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "live.h"

static struct live	 l;

static const char *
name_of(void *arg, const uint8_t mac[6], uint32_t lan_ip, uint32_t remote)
{
	return (remote & 1) ? "x\"\\\x01\xff.example." : NULL;
}

static void
traffic(void)
{
	struct live_rec	 r;
	int		 i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < 64; i++) {
		r.mac[0] = 0x02;
		r.mac[5] = (uint8_t)(i % 4);
		r.up = i & 1;
		r.proto = i % 3 ? 6 : 17;
		r.lan_ip = htonl(0x0a2a0010 + (uint32_t)(i % 4));
		r.remote = htonl(0xcb007100 + (uint32_t)i);
		r.port = (uint16_t)(80 + i);
		r.bytes = (uint64_t)(40 + i);
		live_add(&l, &r);
	}
}

static void
text_ok(struct live_sub *s)
{
	char	*t;
	json_t	*o;

	if ((t = live_text(&l, s)) == NULL)
		return;
	if ((o = json_loads(t, 0, NULL)) == NULL)
		abort();
	json_decref(o);
	free(t);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct live_ops ops = { name_of, NULL, NULL, NULL };
	struct live_sub	 a = { 0 }, b = { 0 }, before;
	const char	*half = "{\"subscribe\":[\"02:00:00:00:00:01\"]}";
	size_t		 cut = size / 2;
	int		 i;

	/* resident pages zeroed: a fault each would cost more */
	memset(&l, 0, sizeof(l));
	live_init(&l, &ops);
	(void)live_message(&l, &b, half, strlen(half));
	before = a;
	if (live_message(&l, &a, (const char *)data, size) != NULL &&
	    memcmp(&a, &before, sizeof(a)) != 0)
		abort();
	/* the same bytes cut short, on the other socket */
	(void)live_message(&l, &b, (const char *)data, cut);
	if (a.n > LIVE_SUBS_MAX || b.n > LIVE_SUBS_MAX)
		abort();
	traffic();
	if (live_close(&l, 1000, 1) == 0) {
		text_ok(&a);
		(void)live_behind(&l, &b);
	}
	(void)live_message(&l, &b, (const char *)data, size);
	if (b.n > LIVE_SUBS_MAX)
		abort();
	traffic();
	if (live_close(&l, 1100, 1) == 0) {
		(void)live_behind(&l, &b);
		text_ok(&a);
		text_ok(&b);
	}
	live_drop(&l, &a);
	live_drop(&l, &b);
	if (l.nwatch > LIVE_WATCH_MAX)
		abort();
	for (i = 0; i < l.nwatch; i++) {
		if (l.watch[i].refs != 0)
			abort();
		free(l.watch[i].frag);
	}
	free(l.shared);
	free(l.plain);
	return 0;
}
