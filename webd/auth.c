/*
 * Sessions, lockouts and the password hash (auth.h).
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "util.h"

#define SAVE_MAGIC	0x676b7331	/* "gks1" */
#define FUTURE_SLACK	86400		/* a clock set back a day at most */

struct save_hdr {
	uint32_t	 magic;
	uint32_t	 nslots;
};

void
auth_init(struct auth *a)
{
	memset(a, 0, sizeof(*a));
}

static struct auth_source *
source_find(struct auth *a, uint32_t ip)
{
	int	 i;

	for (i = 0; i < AUTH_SOURCES_MAX; i++)
		if (a->src[i].ip == ip)
			return &a->src[i];
	return NULL;
}

/* A slot for ip: its own, a free one, else the one quiet the longest
 * that is not locked out (a flood of sources must not free a lock),
 * else the lock that ends first. */
static struct auth_source *
source_get(struct auth *a, uint32_t ip, uint64_t now)
{
	struct auth_source *s, *best = NULL;
	int	 i;

	if ((s = source_find(a, ip)) != NULL ||
	    (s = source_find(a, 0)) != NULL)
		goto take;
	for (i = 0; i < AUTH_SOURCES_MAX; i++) {
		s = &a->src[i];
		if (s->locked_until <= now &&
		    (best == NULL || s->last < best->last))
			best = s;
	}
	if (best == NULL)
		for (i = 0; i < AUTH_SOURCES_MAX; i++)
			if (best == NULL ||
			    a->src[i].locked_until < best->locked_until)
				best = &a->src[i];
	s = best;
	memset(s, 0, sizeof(*s));
take:
	s->ip = ip;
	return s;
}

uint64_t
auth_locked(struct auth *a, uint32_t ip, uint64_t now)
{
	struct auth_source *s = source_find(a, ip);

	if (s == NULL || s->locked_until <= now)
		return 0;
	a->st.locked_refusals++;
	return s->locked_until - now;
}

void
auth_failed(struct auth *a, uint32_t ip, uint64_t now)
{
	struct auth_source *s = source_get(a, ip, now);

	a->st.login_failures++;
	/* Failures long apart are not one guessing run. */
	if (s->last + AUTH_LOCKOUT_S < now)
		s->fails = 0;
	s->last = now;
	if (++s->fails >= AUTH_FAILS_MAX) {
		s->locked_until = now + AUTH_LOCKOUT_S;
		s->fails = 0;
		a->st.lockouts++;
	}
}

static int
session_live(const struct auth_session *s, uint64_t now)
{
	return s->created != 0 && s->used + AUTH_IDLE_S > now &&
	    s->created + AUTH_LIFETIME_S > now;
}

struct auth_session *
auth_login(struct auth *a, uint32_t ip, uint64_t now,
    const uint8_t random[2 * AUTH_TOKEN_BYTES])
{
	struct auth_session *s, *slot = NULL;
	struct auth_source *src;
	int	 i;

	if ((src = source_find(a, ip)) != NULL)
		memset(src, 0, sizeof(*src));
	for (i = 0; i < AUTH_SESSIONS_MAX; i++) {
		s = &a->s[i];
		if (s->created != 0 && !session_live(s, now)) {
			memset(s, 0, sizeof(*s));
			a->st.expired++;
		}
		if (slot == NULL || s->created == 0 ||
		    (slot->created != 0 && s->created < slot->created))
			slot = s;
	}
	if (slot->created != 0)
		a->st.evicted++;
	memcpy(slot->id, random, AUTH_TOKEN_BYTES);
	memcpy(slot->csrf, random + AUTH_TOKEN_BYTES, AUTH_TOKEN_BYTES);
	slot->created = slot->used = now;
	a->st.logins++;
	return slot;
}

static int
unhex(const char *text, uint8_t out[AUTH_TOKEN_BYTES])
{
	unsigned int	 v;
	int		 i;

	if (text == NULL || strlen(text) != 2 * AUTH_TOKEN_BYTES)
		return -1;
	for (i = 0; i < AUTH_TOKEN_BYTES; i++) {
		if (strchr("0123456789abcdef", text[2 * i]) == NULL ||
		    strchr("0123456789abcdef", text[2 * i + 1]) == NULL ||
		    sscanf(text + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

void
auth_hex(const uint8_t token[AUTH_TOKEN_BYTES], char *out)
{
	int	 i;

	for (i = 0; i < AUTH_TOKEN_BYTES; i++)
		snprintf(out + 2 * i, 3, "%02x", token[i]);
}

struct auth_session *
auth_find(struct auth *a, const char *cookie, uint64_t now)
{
	struct auth_session *s, *found = NULL;
	uint8_t		 id[AUTH_TOKEN_BYTES];
	int		 i;

	if (unhex(cookie, id) == -1)
		return NULL;
	/* Every slot compared, in constant time: no early exit. */
	for (i = 0; i < AUTH_SESSIONS_MAX; i++) {
		s = &a->s[i];
		if (s->created != 0 &&
		    ct_equal(s->id, id, sizeof(id)))
			found = s;
	}
	if (found == NULL)
		return NULL;
	if (!session_live(found, now)) {
		memset(found, 0, sizeof(*found));
		a->st.expired++;
		return NULL;
	}
	found->used = now;
	return found;
}

int
auth_csrf_ok(struct auth *a, const struct auth_session *s,
    const char *token)
{
	uint8_t	 t[AUTH_TOKEN_BYTES];

	if (unhex(token, t) == 0 &&
	    ct_equal(s->csrf, t, sizeof(t)))
		return 1;
	a->st.bad_csrf++;
	return 0;
}

void
auth_logout(struct auth *a, struct auth_session *s)
{
	memset(s, 0, sizeof(*s));
	a->st.logouts++;
}

void
auth_logout_all(struct auth *a)
{
	memset(a->s, 0, sizeof(a->s));
}

int
auth_count(const struct auth *a, uint64_t now)
{
	int	 i, n = 0;

	for (i = 0; i < AUTH_SESSIONS_MAX; i++)
		n += session_live(&a->s[i], now);
	return n;
}

size_t
auth_save_size(void)
{
	return sizeof(struct save_hdr) + sizeof(((struct auth *)0)->s);
}

void
auth_save(const struct auth *a, uint8_t *buf)
{
	struct save_hdr	 h = { SAVE_MAGIC, AUTH_SESSIONS_MAX };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), a->s, sizeof(a->s));
}

int
auth_load(struct auth *a, const uint8_t *buf, size_t len, uint64_t now)
{
	struct auth_session s[AUTH_SESSIONS_MAX];
	struct save_hdr	 h;
	int		 i;

	if (len != auth_save_size())
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != SAVE_MAGIC || h.nslots != AUTH_SESSIONS_MAX)
		return -1;
	memcpy(s, buf + sizeof(h), sizeof(s));
	for (i = 0; i < AUTH_SESSIONS_MAX; i++)
		if (s[i].created > now + FUTURE_SLACK ||
		    s[i].used > now + FUTURE_SLACK ||
		    (s[i].created != 0 && s[i].used < s[i].created))
			return -1;
	for (i = 0; i < AUTH_SESSIONS_MAX; i++)
		if (s[i].created != 0 && !session_live(&s[i], now))
			memset(&s[i], 0, sizeof(s[i]));
	memcpy(a->s, s, sizeof(s));
	return 0;
}

const char *
auth_password_problem(const char *pw)
{
	size_t	 n = strlen(pw), i;

	if (n < AUTH_PASSWORD_MIN)
		return "a password has 8 characters at least";
	if (n > AUTH_PASSWORD_MAX)
		return "a password has 127 bytes at most";
	for (i = 0; i < n; i++)
		if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f)
			return "a password has no control characters";
	return NULL;
}

/* crypt's work area is 32 KiB: one, webd is single-threaded. */
static struct crypt_data cd;

int
auth_hash(const char *pw, const uint8_t random[16], char *out,
    size_t outlen)
{
	char	 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char	*h;

	/* count 0: libcrypt's default cost for yescrypt */
	if (crypt_gensalt_rn("$y$", 0, (const char *)random, 16, setting,
	    sizeof(setting)) == NULL)
		return -1;
	memset(&cd, 0, sizeof(cd));
	if ((h = crypt_rn(pw, setting, &cd, sizeof(cd))) == NULL ||
	    strlen(h) >= outlen)
		return -1;
	strlcpy(out, h, outlen);
	explicit_bzero(&cd, sizeof(cd));
	return 0;
}

int
auth_check(const char *hash, const char *pw)
{
	char	*h;
	int	 ok;

	if (hash == NULL || hash[0] != '$')
		return 0;
	memset(&cd, 0, sizeof(cd));
	h = crypt_rn(pw, hash, &cd, sizeof(cd));
	ok = h != NULL && strlen(h) == strlen(hash) &&
	    ct_equal(h, hash, strlen(hash));
	explicit_bzero(&cd, sizeof(cd));
	return ok;
}
