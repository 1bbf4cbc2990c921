/*
 * Vendors from the OUI (oui.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "oui.h"

struct ent {
	uint32_t	 prefix;
	uint32_t	 raw;		/* the name in the raw pool */
	uint32_t	 off;		/* the name in o->names */
};

/* "XX-XX-XX   (hex)\t\tNAME" at line (n bytes): the prefix and the
 * name's bounds; -1 when the line is not one. */
static int
parse_line(const char *line, size_t n, uint32_t *prefix, const char **name,
    size_t *namelen)
{
	static const char tag[] = "(hex)";
	char		 hex[7];
	size_t		 i, k = 0;

	if (n < 8)
		return -1;
	for (i = 0; i < 8; i++) {
		if (i % 3 == 2 ? line[i] != '-' :
		    !isxdigit((unsigned char)line[i]))
			return -1;
		if (i % 3 != 2)
			hex[k++] = line[i];
	}
	hex[k] = '\0';
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (n - i < sizeof(tag) - 1 || memcmp(line + i, tag, sizeof(tag) - 1))
		return -1;
	i += sizeof(tag) - 1;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (n > i && isspace((unsigned char)line[n - 1]))
		n--;
	if (n == i)
		return -1;
	*prefix = (uint32_t)strtoul(hex, NULL, 16);
	*name = line + i;
	*namelen = n - i > OUI_NAME_MAX - 1 ? OUI_NAME_MAX - 1 : n - i;
	return 0;
}

static const char *cmp_pool;

static int
by_name(const void *a, const void *b)
{
	return strcmp(cmp_pool + ((const struct ent *)a)->raw,
	    cmp_pool + ((const struct ent *)b)->raw);
}

static int
by_prefix(const void *a, const void *b)
{
	uint32_t	 x = ((const struct ent *)a)->prefix;
	uint32_t	 y = ((const struct ent *)b)->prefix;

	if (x != y)
		return x < y ? -1 : 1;
	/* the same prefix twice: the first in the file stands */
	x = ((const struct ent *)a)->raw;
	y = ((const struct ent *)b)->raw;
	return x < y ? -1 : x > y;
}

/* Every distinct name once in o->names; e[].off into it. */
static int
dedup(struct oui *o, struct ent *e, size_t n, const char *raw)
{
	size_t	 i, len;

	cmp_pool = raw;
	qsort(e, n, sizeof(*e), by_name);
	cmp_pool = NULL;
	o->names_len = 0;
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(raw + e[i].raw, raw + e[i - 1].raw) == 0) {
			e[i].off = e[i - 1].off;
			continue;
		}
		len = strlen(raw + e[i].raw) + 1;
		e[i].off = (uint32_t)o->names_len;
		memcpy(o->names + o->names_len, raw + e[i].raw, len);
		o->names_len += len;
	}
	/* the pool shrinks to what is used */
	if (o->names_len > 0 && (raw = realloc(o->names, o->names_len)) !=
	    NULL)
		o->names = (char *)raw;
	return 0;
}

/* The "(hex)" lines into e and the raw pool; returns how many. */
static size_t
scan(struct oui *o, const char *text, size_t len, struct ent *e,
    size_t max, char *raw, size_t *rawlen)
{
	const char	*line = text, *nl, *name;
	size_t		 n = 0, ll, nlen;
	uint32_t	 prefix;

	while (line < text + len && n < max) {
		nl = memchr(line, '\n', (size_t)(text + len - line));
		ll = nl != NULL ? (size_t)(nl - line) : (size_t)(text + len -
		    line);
		if (parse_line(line, ll, &prefix, &name, &nlen) == 0) {
			memcpy(raw + *rawlen, name, nlen);
			raw[*rawlen + nlen] = '\0';
			if (devices_text_problem(raw + *rawlen, 0) == NULL) {
				e[n].prefix = prefix;
				e[n].raw = (uint32_t)*rawlen;
				*rawlen += nlen + 1;
				n++;
			} else
				o->skipped++;
		} else if (ll >= 14 && memmem(line, ll < 40 ? ll : 40,
		    "(hex)", 5) != NULL)
			o->skipped++;
		line += ll + 1;
	}
	return n;
}

long
oui_load(struct oui *o, const char *text, size_t len)
{
	struct ent	*e;
	char		*raw;
	size_t		 n, i, k, max, rawlen = 0;

	memset(o, 0, sizeof(*o));
	/* a line of ours is at least 16 bytes: room for all of them */
	max = len / 16 + 1;
	e = calloc(max, sizeof(*e));
	raw = malloc(len + max);
	o->names = malloc(len + max);
	if (e == NULL || raw == NULL || o->names == NULL)
		goto fail;
	n = scan(o, text, len, e, max, raw, &rawlen);
	dedup(o, e, n, raw);
	free(raw);
	raw = NULL;
	qsort(e, n, sizeof(*e), by_prefix);
	o->prefix = calloc(n + 1, sizeof(uint32_t));
	o->name = calloc(n + 1, sizeof(uint32_t));
	if (o->prefix == NULL || o->name == NULL)
		goto fail;
	for (i = k = 0; i < n; i++) {
		if (k > 0 && o->prefix[k - 1] == e[i].prefix) {
			o->skipped++;	/* the first one stands */
			continue;
		}
		o->prefix[k] = e[i].prefix;
		o->name[k++] = e[i].off;
	}
	o->n = k;
	free(e);
	return (long)k;
fail:
	free(e);
	free(raw);
	oui_free(o);
	return -1;
}

void
oui_free(struct oui *o)
{
	free(o->prefix);
	free(o->name);
	free(o->names);
	memset(o, 0, sizeof(*o));
}

const char *
oui_vendor(const struct oui *o, const uint8_t mac[6])
{
	uint32_t	 p = (uint32_t)mac[0] << 16 | mac[1] << 8 | mac[2];
	size_t		 lo = 0, hi = o->n, mid;

	if (mac[0] & 0x02)
		return OUI_PRIVATE;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (o->prefix[mid] == p)
			return o->names + o->name[mid];
		if (o->prefix[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
