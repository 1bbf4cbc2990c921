/*
 * webd's request handling, without sockets: a request (already parsed by
 * evhttp, or built by a test or the fuzzer) in, a response out. Every
 * check a request meets is here, in this order: the Host header (DNS
 * rebinding), the password being set, the session, the CSRF token, the
 * route, the fields. A response either is complete, or names a gkctl
 * command for the parent to run on the admin's behalf (the catalogue's
 * webd set); the caller sends it and completes the response with
 * web_relay_done().
 */
#ifndef GK_WEBD_WEB_H
#define GK_WEBD_WEB_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "devices.h"
#include "history.h"
#include "oui.h"
#include "proto.h"

#define WEB_MAX_BODY		(16 * 1024)	/* a request's body */
#define WEB_COOKIE		"gk_session"

enum web_method {
	WEB_GET,
	WEB_HEAD,
	WEB_POST,
	WEB_DELETE,
	WEB_OTHER,
};

struct store;

struct web_req {
	enum web_method	 method;
	const char	*uri;		/* path and query, as received */
	const char	*host;		/* headers, NULL when absent */
	const char	*cookie;
	const char	*csrf;		/* X-CSRF-Token */
	const char	*content_type;
	const char	*if_none_match;
	const char	*accept_encoding;
	/* a WebSocket upgrade's headers */
	const char	*upgrade;
	const char	*connection;
	const char	*origin;
	const char	*ws_key;	/* Sec-WebSocket-Key */
	const char	*ws_version;	/* Sec-WebSocket-Version */
	const uint8_t	*body;
	size_t		 bodylen;
	uint32_t	 peer;		/* source IPv4, network order */
	uint64_t	 now;		/* wall-clock seconds */
	int		 tls;		/* came over HTTPS */
};

/* How a relayed command's reply becomes the response. */
enum web_relay {
	RELAY_NONE,
	RELAY_READ,		/* a GET: the reply as it is */
	RELAY_CHANGE,		/* POST/DELETE: the reply; errors are 409 */
	RELAY_CLIENTS,		/* `clients`, merged with the registry */
};

struct web_server;

struct web_resp {
	int		 status;
	const char	*type;		/* Content-Type */
	const uint8_t	*body;		/* static, or owned below */
	size_t		 len;
	char		*owned;		/* freed by web_resp_free() */
	int		 gzip;		/* body is gzip-encoded */
	const char	*cache;		/* Cache-Control */
	char		 etag[48];	/* "" when none */
	char		 cookie[192];	/* Set-Cookie, "" when none */
	int		 retry_after;	/* seconds, 0 when none */
	/* status 101: the Sec-WebSocket-Accept value; the caller switches
	 * the connection to WebSocket framing */
	char		 ws_accept[32];
	char		 disposition[192];	/* Content-Disposition */
	enum web_relay	 relay;
	struct msg_ctl_request cmd;	/* with relay: what to run */
	struct web_server *srv;		/* RELAY_CLIENTS merges with its */
	uint64_t	 now_ms;	/* the request's, for RELAY_CLIENTS */
};

/* What the server knows; set by webd from its config and files. */
struct web_server {
	struct auth	*auth;
	char		 hash[AUTH_HASH_MAX];	/* "": no password set */
	struct in_addr	 lan;
	uint16_t	 port;			/* web-listen */
	uint16_t	 tls_port;		/* web-tls-listen, 0: none */
	const char	*fingerprint;		/* of the TLS certificate */
	char		 domain[256];
	/* 1 when the sessions changed and should be saved */
	int		 sessions_dirty;
	/* Called after a request that changed them (a login, a logout). */
	void		(*save_sessions)(void);
	/* Called before each request: the history brought up to now. */
	void		(*fresh)(void);
	/* A new password hash to keep; 0 on success. */
	int		(*store_hash)(const char *hash);
	/* n random bytes. */
	void		(*random)(void *, size_t);
	/* the traffic history (query.h); NULL: none */
	const struct hist *hist;
	/* its daily totals (usage.h); NULL: none */
	struct store	*store;
	/* The capture rings, read-only (proto/capring.h); NULL: none. */
	const void	*capture;
	size_t		 capture_size;
	/* the device registry and the vendors (NULL: none) */
	struct devices	*devices;
	const struct oui *oui;
	/* Called after a request changed the registry. */
	void		(*save_devices)(void);
};

void	web_handle(struct web_server *, const struct web_req *,
	    struct web_resp *);
/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455, 4.2.2): -1
 * when the key is not the base64 of 16 bytes. */
int	web_ws_accept(const char *key, char out[32]);
/* The parent's reply to resp's command: ok with JSON text, or not ok
 * with an error message. */
void	web_relay_done(struct web_resp *, int ok, const char *text);
/* No reply from the parent in time: 504. */
void	web_relay_timeout(struct web_resp *);
void	web_resp_free(struct web_resp *);
/* The vendor of mac from the table oui (a struct oui *, may be NULL). */
const char *web_vendor(const uint8_t mac[6], void *oui);

/* `passwd NEW`, relayed from gkctl: checks and stores the password. */
int	web_set_password(struct web_server *, const char *pw, char *err,
	    size_t errlen);

#endif
