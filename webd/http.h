/*
 * webd's HTTP server: evhttp on the parent's listener, requests handed to
 * web.c, relayed commands sent through a callback and answered with
 * http_relay_reply().
 */
#ifndef GK_WEBD_HTTP_H
#define GK_WEBD_HTTP_H

#include <stdint.h>

#include "web.h"

struct event_base;

/* Sends cmd to the parent under id; -1 when it cannot. */
typedef int (*http_relay_fn)(uint32_t id, const struct msg_ctl_request *);

/* Connections (WebSockets included) one source address may hold; the
 * next request gets 429 and is closed. */
#define HTTP_CONNS_PER_SOURCE	16

/* A request's whole exchange; a connection idle as long is closed. */
#define HTTP_TIMEOUT_S		10

struct http_stats {
	uint64_t	 requests;
	uint64_t	 responses;
	uint64_t	 errors;		/* 4xx and 5xx */
	uint64_t	 refused_conns;		/* over the per-source cap */
	uint64_t	 accept_paused;		/* accept() out of descriptors */
	uint64_t	 relay_timeouts;
};

int	 http_start(struct event_base *, int fd, struct web_server *,
	    http_relay_fn);
/* The same server over TLS on fd, after http_start(). */
typedef struct ssl_ctx_st SSL_CTX;
int	 http_start_tls(int fd, SSL_CTX *);
/* The parent's answer to the command sent under id. */
void	 http_relay_reply(uint32_t id, int ok, const char *text);
const struct http_stats *http_stats(void);

#endif
