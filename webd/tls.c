/*
 * webd's HTTPS: a key and a self-signed certificate made at the first
 * start (EC P-256, for the router's LAN address and its name, ten years)
 * and kept in the state dir, so the fingerprint an admin accepted stays
 * the same; an OpenSSL context for the second evhttp (http.c), whose
 * connections are OpenSSL bufferevents.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tls.h"
#include "util.h"

#define KEY_FILE	"tls.key"
#define CERT_FILE	"tls.crt"
#define CERT_DAYS	3650
#define PEM_MAX		16384

static char	 fingerprint[TLS_FINGERPRINT_SIZE];

static void
log_ssl(const char *what)
{
	unsigned long	 e = ERR_get_error();
	char		 buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	log_warnx("tls: %s: %s", what, e ? buf : "failed");
}

/* The subjectAltName and the name: the router's address and name. */
static int
set_names(X509 *x, struct in_addr lan, const char *domain)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	X509_NAME	*name = X509_get_subject_name(x);
	char		 cn[300], san[400], a[INET_ADDRSTRLEN];
	int		 ok;

	inet_ntop(AF_INET, &lan, a, sizeof(a));
	snprintf(cn, sizeof(cn), "gatekeeper.%s", domain);
	snprintf(san, sizeof(san), "DNS:%s,IP:%s", cn, a);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name))
		return -1;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    san)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static X509 *
make_cert(EVP_PKEY *key, struct in_addr lan, const char *domain)
{
	X509		*x;
	uint8_t		 serial[16];
	BIGNUM		*bn;

	if ((x = X509_new()) == NULL)
		return NULL;
	arc4random_buf(serial, sizeof(serial));
	serial[0] &= 0x7f;		/* positive */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || !X509_set_version(x, 2) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x),
	    (long)CERT_DAYS * 86400) ||
	    !X509_set_pubkey(x, key) || set_names(x, lan, domain) == -1 ||
	    !X509_sign(x, key, EVP_sha256())) {
		BN_free(bn);
		X509_free(x);
		return NULL;
	}
	BN_free(bn);
	return x;
}

/* PEM of what write() writes, into a file replaced atomically. */
static int
save_pem(const char *path, int (*write)(BIO *, void *), void *obj)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*data;
	long	 n;
	int	 rc = -1;

	if (b != NULL && write(b, obj) &&
	    (n = BIO_get_mem_data(b, &data)) > 0 &&
	    file_replace(path, data, (size_t)n) == 0)
		rc = 0;
	BIO_free(b);
	return rc;
}

static int
write_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static int
write_cert(BIO *b, void *x)
{
	return PEM_write_bio_X509(b, x);
}

/* The key and certificate of the state dir, or new ones saved there. */
static int
load_or_make(EVP_PKEY **key, X509 **cert, struct in_addr lan,
    const char *domain)
{
	char	 pem[PEM_MAX];
	size_t	 n;
	BIO	*b;

	*key = NULL;
	*cert = NULL;
	if (file_read(KEY_FILE, pem, sizeof(pem), &n) == 0 &&
	    (b = BIO_new_mem_buf(pem, (int)n)) != NULL) {
		*key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (*key != NULL && file_read(CERT_FILE, pem, sizeof(pem), &n) == 0 &&
	    (b = BIO_new_mem_buf(pem, (int)n)) != NULL) {
		*cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	explicit_bzero(pem, sizeof(pem));
	if (*key != NULL && *cert != NULL &&
	    X509_check_private_key(*cert, *key) == 1)
		return 0;
	EVP_PKEY_free(*key);
	X509_free(*cert);
	log_info("tls: making a key and a self-signed certificate");
	if ((*key = EVP_EC_gen("P-256")) == NULL ||
	    (*cert = make_cert(*key, lan, domain)) == NULL ||
	    save_pem(KEY_FILE, write_key, *key) == -1 ||
	    save_pem(CERT_FILE, write_cert, *cert) == -1) {
		log_ssl("certificate");
		return -1;
	}
	return 0;
}

static void
set_fingerprint(X509 *cert)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n, i;

	if (!X509_digest(cert, EVP_sha256(), md, &n))
		return;
	for (i = 0; i < n && 3 * i + 3 <= sizeof(fingerprint); i++)
		snprintf(fingerprint + 3 * i, 4, "%02X%s", md[i],
		    i + 1 < n ? ":" : "");
}

SSL_CTX *
tls_context(struct in_addr lan, const char *domain)
{
	SSL_CTX		*ctx;
	EVP_PKEY	*key;
	X509		*cert;

	if (load_or_make(&key, &cert, lan, domain) == -1)
		return NULL;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_use_certificate(ctx, cert) ||
	    !SSL_CTX_use_PrivateKey(ctx, key)) {
		log_ssl("context");
		SSL_CTX_free(ctx);
		ctx = NULL;
	} else
		set_fingerprint(cert);
	EVP_PKEY_free(key);
	X509_free(cert);
	return ctx;
}

const char *
tls_fingerprint(void)
{
	return fingerprint;
}
