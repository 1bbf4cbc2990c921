/*
 * libFuzzer target: the WebSocket path as /api/live runs it, from the
 * client's bytes on: libwslay's server context configured as ws.c does
 * (the 4 KiB message limit, the same callbacks), fed the input as the
 * stream a client sent, answering pings and closes into a sink, and the
 * handshake key's check (web_ws_accept) on the first line. Frames must
 * be masked, fragments joined, control frames short: whatever the input,
 * no crash and no unbounded buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wslay/wslay.h>

#include "web.h"

struct feed {
	const uint8_t	*p;
	size_t		 left;
	size_t		 sent;
};

static ssize_t
recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	struct feed	*f = arg;
	size_t		 n = len < f->left ? len : f->left;

	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	/* odd sizes: frames split across reads, as TCP may */
	if (n > 7 && (f->left & 1))
		n = 7;
	memcpy(buf, f->p, n);
	f->p += n;
	f->left -= n;
	return (ssize_t)n;
}

static ssize_t
send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct feed	*f = arg;

	f->sent += len;
	return (ssize_t)len;
}

static int
genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *arg)
{
	memset(buf, 0x5a, len);
	return 0;
}

static void
msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	/* ws.c counts text messages; nothing else reads them yet */
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct wslay_event_callbacks cb = {
		recv_cb, send_cb, genmask_cb, NULL, NULL, NULL, msg_cb
	};
	struct feed	 f = { data, len, 0 };
	wslay_event_context_ptr ctx;
	const uint8_t	*nl;
	char		 key[64], acc[32];
	size_t		 n;
	int		 i;

	/* The first line, if short, is also tried as a handshake key. */
	nl = memchr(data, '\n', len);
	n = nl != NULL ? (size_t)(nl - data) : len;
	if (nl != NULL && n < sizeof(key)) {
		memcpy(key, data, n);
		key[n] = '\0';
		(void)web_ws_accept(key, acc);
	}
	if (wslay_event_context_server_init(&ctx, &cb, &f) != 0)
		return 0;
	wslay_event_config_set_max_recv_msg_length(ctx, 4096);
	for (i = 0; i < 64 && f.left > 0; i++) {
		if (wslay_event_recv(ctx) != 0)
			break;
		if (wslay_event_send(ctx) != 0)
			break;
	}
	wslay_event_context_free(ctx);
	return 0;
}
