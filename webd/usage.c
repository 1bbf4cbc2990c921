/*
 * A device's daily totals (usage.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usage.h"

const char *const usage_param_names[UP_MAX] = { "client", "from", "to" };

struct days {
	json_t		*rows;		/* JSON */
	FILE		*csv;		/* or CSV */
	uint64_t	 total[HIST_NC], minutes;
};

static json_t *
u64(uint64_t v)
{
	return json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v));
}

static void
add_day(const struct store_usage_row *r, void *arg)
{
	struct days	*d = arg;
	int		 i;

	for (i = 0; i < HIST_NC; i++)
		d->total[i] += r->c[i];
	d->minutes += r->minutes;
	if (d->csv != NULL) {
		fprintf(d->csv, "%s,%llu,%llu,%llu,%llu,%llu\n", r->day,
		    (unsigned long long)r->c[HIST_BU],
		    (unsigned long long)r->c[HIST_BD],
		    (unsigned long long)r->c[HIST_PU],
		    (unsigned long long)r->c[HIST_PD],
		    (unsigned long long)r->minutes);
		return;
	}
	json_array_append_new(d->rows, json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}",
	    "day", r->day, "bytes_up", u64(r->c[HIST_BU]),
	    "bytes_down", u64(r->c[HIST_BD]), "packets_up", u64(r->c[HIST_PU]),
	    "packets_down", u64(r->c[HIST_PD]),
	    "active_minutes", u64(r->minutes)));
}

static void
reply_error(struct query_reply *rep, int status, const char *msg)
{
	rep->status = status;
	rep->json = json_pack("{s:s}", "error", msg);
}

/* The window: [from, to] as checked dates; -1 with err filled. */
static int
window(const char *const v[UP_MAX], uint64_t now_ms, char from[11],
    char to[11], char *err, size_t errlen)
{
	char	 today[11];

	store_day(now_ms / 1000, today);
	strlcpy(to, today, 11);
	if (v[UP_TO] != NULL && store_day_add(v[UP_TO], 0, to) == -1) {
		snprintf(err, errlen, "to: \"%.32s\" is not a date "
		    "(YYYY-MM-DD)", v[UP_TO]);
		return -1;
	}
	store_day_add(to, -STORE_USAGE_DAYS, from);
	if (v[UP_FROM] != NULL && store_day_add(v[UP_FROM], 0, from) == -1) {
		snprintf(err, errlen, "from: \"%.32s\" is not a date "
		    "(YYYY-MM-DD)", v[UP_FROM]);
		return -1;
	}
	if (strcmp(from, to) > 0) {
		snprintf(err, errlen, "from: must not be after to");
		return -1;
	}
	return 0;
}

void
usage_request(struct store *s, const struct hist *hs, int csv,
    const char *const v[UP_MAX], uint64_t now_ms, struct query_reply *rep)
{
	struct days	 d;
	uint8_t		 mac[6];
	char		 from[11], to[11], err[256], m[18];
	char		*buf = NULL;
	size_t		 len = 0;
	int		 rc;

	memset(rep, 0, sizeof(*rep));
	memset(&d, 0, sizeof(d));
	if (s == NULL || s->db == NULL) {
		reply_error(rep, 503, "no usage store (see webd's status)");
		return;
	}
	if (v[UP_CLIENT] == NULL) {
		reply_error(rep, 422, "client: required");
		return;
	}
	if ((hs != NULL ? query_client(hs, v[UP_CLIENT], mac) :
	    query_client_mac(v[UP_CLIENT], mac)) == -1) {
		snprintf(err, sizeof(err), "client: \"%.64s\" is not a known "
		    "device's MAC or IPv4 address", v[UP_CLIENT]);
		reply_error(rep, 422, err);
		return;
	}
	if (window(v, now_ms, from, to, err, sizeof(err)) == -1) {
		reply_error(rep, 422, err);
		return;
	}
	if (csv) {
		if ((d.csv = open_memstream(&buf, &len)) == NULL) {
			reply_error(rep, 500, "out of memory");
			return;
		}
		fputs("day,bytes_up,bytes_down,packets_up,packets_down,"
		    "active_minutes\n", d.csv);
	} else
		d.rows = json_array();
	rc = store_usage(s, mac, from, to, add_day, &d, err, sizeof(err));
	if (d.csv != NULL && fclose(d.csv) != 0)
		rc = -1;
	if (rc == -1) {
		free(buf);
		json_decref(d.rows);
		reply_error(rep, 500, err);
		return;
	}
	rep->status = 200;
	if (csv) {
		rep->csv = buf;
		return;
	}
	snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
	    mac[2], mac[3], mac[4], mac[5]);
	rep->json = json_pack("{s:s,s:s,s:s,s:o,s:{s:o,s:o,s:o,s:o,s:o}}",
	    "client", m, "from", from, "to", to, "days", d.rows, "totals",
	    "bytes_up", u64(d.total[HIST_BU]), "bytes_down",
	    u64(d.total[HIST_BD]), "packets_up", u64(d.total[HIST_PU]),
	    "packets_down", u64(d.total[HIST_PD]), "active_minutes",
	    u64(d.minutes));
}
