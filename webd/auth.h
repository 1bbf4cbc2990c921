/*
 * The dashboard's admin: the password (a yescrypt hash), the sessions of
 * those who logged in, and the lockout of sources that keep guessing.
 * Pure logic on times the caller gives (wall-clock seconds: sessions are
 * saved to the state dir and outlive a webd restart), plus crypt(3) for
 * the hash. The I/O (reading and replacing the files) is the caller's.
 */
#ifndef GK_WEBD_AUTH_H
#define GK_WEBD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_SESSIONS_MAX	32	/* the oldest is evicted past this */
#define AUTH_IDLE_S		(30 * 60)
#define AUTH_LIFETIME_S		(12 * 3600)
#define AUTH_FAILS_MAX		5	/* failed logins before a lockout */
#define AUTH_LOCKOUT_S		(15 * 60)
#define AUTH_SOURCES_MAX	256	/* sources whose failures we count */
#define AUTH_TOKEN_BYTES	32	/* 256 random bits */
#define AUTH_TOKEN_HEX		(2 * AUTH_TOKEN_BYTES + 1)
#define AUTH_HASH_MAX		256	/* a crypt(3) hash, NUL included */
#define AUTH_PASSWORD_MAX	127	/* what one gkctl argument carries */
#define AUTH_PASSWORD_MIN	8

struct auth_session {
	uint8_t		 id[AUTH_TOKEN_BYTES];	/* the cookie */
	uint8_t		 csrf[AUTH_TOKEN_BYTES]; /* X-CSRF-Token */
	uint64_t	 created;		/* wall s; 0: slot free */
	uint64_t	 used;			/* last request, wall s */
};

struct auth_source {
	uint32_t	 ip;			/* network order; 0: free */
	uint32_t	 fails;			/* in a row */
	uint64_t	 last;			/* last failure, wall s */
	uint64_t	 locked_until;		/* wall s; 0: not locked */
};

struct auth_stats {
	uint64_t	 logins;
	uint64_t	 login_failures;
	uint64_t	 lockouts;		/* sources locked out */
	uint64_t	 locked_refusals;	/* attempts while locked */
	uint64_t	 logouts;
	uint64_t	 expired;		/* idle or too old */
	uint64_t	 evicted;		/* pushed out by a newer one */
	uint64_t	 bad_csrf;
};

struct auth {
	struct auth_session	 s[AUTH_SESSIONS_MAX];
	struct auth_source	 src[AUTH_SOURCES_MAX];
	struct auth_stats	 st;
};

void	auth_init(struct auth *);

/* Seconds the source ip stays locked out at now; 0 when it may try. */
uint64_t auth_locked(struct auth *, uint32_t ip, uint64_t now);
/* A failed login from ip; locks it out at the AUTH_FAILS_MAX-th. */
void	auth_failed(struct auth *, uint32_t ip, uint64_t now);
/* A good login from ip: its failures are forgotten, a session made from
 * the 2 * AUTH_TOKEN_BYTES random bytes given (id, then CSRF token). */
struct auth_session *auth_login(struct auth *, uint32_t ip, uint64_t now,
	    const uint8_t random[2 * AUTH_TOKEN_BYTES]);
/* The live session whose id is the hex text cookie, touched; NULL when
 * none (unknown, malformed, idle too long or too old: then freed). */
struct auth_session *auth_find(struct auth *, const char *cookie,
	    uint64_t now);
/* 1 when token (hex) is the session's CSRF token; compared in constant
 * time. */
int	auth_csrf_ok(struct auth *, const struct auth_session *,
	    const char *token);
void	auth_logout(struct auth *, struct auth_session *);
/* Ends every session (a new password). */
void	auth_logout_all(struct auth *);
/* Live sessions at now. */
int	auth_count(const struct auth *, uint64_t now);

/* Hex of a token into out (AUTH_TOKEN_HEX bytes). */
void	auth_hex(const uint8_t token[AUTH_TOKEN_BYTES], char *out);

/*
 * The sessions as saved to the state dir, and back: a fixed header and
 * the slots. auth_load() trusts nothing: a wrong size, magic or a slot
 * from the future (beyond now + a day) rejects the file (-1) and leaves
 * no session.
 */
size_t	auth_save_size(void);
void	auth_save(const struct auth *, uint8_t *buf);
int	auth_load(struct auth *, const uint8_t *buf, size_t len, uint64_t now);

/*
 * The password. auth_hash() makes a yescrypt hash of pw with a salt from
 * the 16 random bytes given; auth_check() says whether pw matches hash
 * (through crypt, compared in constant time). A password is 8 to 127
 * bytes of printable text: auth_password_problem() says what is wrong,
 * NULL when nothing.
 */
int	auth_hash(const char *pw, const uint8_t random[16], char *out,
	    size_t outlen);
int	auth_check(const char *hash, const char *pw);
const char *auth_password_problem(const char *pw);

#endif
