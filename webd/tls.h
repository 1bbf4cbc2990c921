/*
 * webd's HTTPS certificate and context (tls.c).
 */
#ifndef GK_WEBD_TLS_H
#define GK_WEBD_TLS_H

#include <netinet/in.h>

#include <openssl/ssl.h>

/* "AB:CD:..." of SHA-256: 32 bytes, 3 characters each. */
#define TLS_FINGERPRINT_SIZE	(32 * 3)

/* A server context with the state dir's key and certificate, made (and
 * saved) at the first call for lan and gatekeeper.domain; NULL on
 * failure, logged. */
SSL_CTX		*tls_context(struct in_addr lan, const char *domain);
/* The certificate's SHA-256, "" before tls_context(). */
const char	*tls_fingerprint(void);

#endif
