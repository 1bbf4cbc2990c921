/*
 * The traffic history's status and `gkctl traffic`, over the store the
 * drain keeps (drain.c); the queries are query.c's.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checkpoint.h"
#include "child.h"
#include "drain.h"
#include "query.h"
#include "trafficctl.h"
#include "usage.h"
#include "util.h"
#include "webd.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static json_t	*reply_json(struct query_reply *, char *, size_t);

static const struct json_counter hist_counters[] = {
	JSON_COUNTER(struct hist_stats, records),
	JSON_COUNTER(struct hist_stats, late),
	JSON_COUNTER(struct hist_stats, pairs_full),
	JSON_COUNTER_AS("coarsened_to_1s", struct hist_stats, coarsened[0]),
	JSON_COUNTER_AS("coarsened_to_10s", struct hist_stats, coarsened[1]),
	JSON_COUNTER_AS("dropped_blocks", struct hist_stats, dropped),
	JSON_COUNTER_AS("expired_blocks", struct hist_stats, expired),
	JSON_COUNTER_AS("broken_pairs_dropped", struct hist_stats, salvaged),
	JSON_COUNTER(struct hist_stats, resets),
};

static const struct json_counter drain_counters[] = {
	JSON_COUNTER(struct drain_stats, drained),
	JSON_COUNTER(struct drain_stats, turns),
	JSON_COUNTER(struct drain_stats, no_mac),
	JSON_COUNTER(struct drain_stats, clock_steps),
	JSON_COUNTER(struct drain_stats, ring_lost),
};

json_t *
traffic_status_json(void)
{
	const struct hist *hs = webd.srv.hist;
	uint64_t	 drops;
	json_t		*o = json_object();

	json_counters(o, drain_stats(&drops), drain_counters,
	    nitems(drain_counters));
	json_object_set_new(o, "ring_drops", json_integer((json_int_t)drops));
	if (hs == NULL) {
		json_object_set_new(o, "history", json_null());
		return o;
	}
	json_counters(o, &hs->h->st, hist_counters, nitems(hist_counters));
	json_object_set_new(o, "pairs", json_integer(hs->h->pairs_used));
	json_object_set_new(o, "max_pairs", json_integer(hs->h->npairs));
	json_object_set_new(o, "pool_bytes_used",
	    json_integer((json_int_t)hist_units_used(hs) * HIST_UNIT));
	json_object_set_new(o, "pool_bytes",
	    json_integer((json_int_t)hs->h->nunits * HIST_UNIT));
	json_object_set_new(o, "memory_bytes",
	    json_integer((json_int_t)hs->h->size));
	json_object_set_new(o, "history_s", json_integer(hs->h->history_s));
	json_object_set_new(o, "store", checkpoint_status_json());
	return o;
}

/* `traffic IP|MAC [--remote ADDR] [--from T] [--to T] [--step D]
 * [--csv]`: the catalogue checked the words; the values are checked
 * here, as the web API's are. */
json_t *
ctl_traffic(const struct ctl_call *call, char *err, size_t errlen)
{
	const char	*v[QP_MAX] = { NULL };
	struct query_reply rep;
	const char	*w, *eq;
	int		 i, k, csv = 0;

	for (i = 0; i < call->argc; i++) {
		w = call->argv[i];
		if (strcmp(w, "--csv") == 0) {
			csv = 1;
			continue;
		}
		if (strncmp(w, "--", 2) != 0 || (eq = strchr(w, '=')) == NULL) {
			v[QP_CLIENT] = w;
			continue;
		}
		for (k = QP_REMOTE; k < QP_MAX; k++)
			if ((size_t)(eq - w - 2) == strlen(query_param_names[k])
			    && strncmp(w + 2, query_param_names[k],
			    (size_t)(eq - w - 2)) == 0)
				v[k] = eq + 1;
	}
	drain_now();
	query_request(webd.srv.hist, 0, csv, v, wall_ms(), &rep);
	return reply_json(&rep, err, errlen);
}

/* `usage IP|MAC [FROM [TO]] [--from DAY] [--to DAY] [--csv]`. */
json_t *
ctl_usage(const struct ctl_call *call, char *err, size_t errlen)
{
	const char	*v[UP_MAX] = { NULL };
	struct query_reply rep;
	const char	*w;
	int		 i, k, pos = UP_CLIENT, csv = 0;

	for (i = 0; i < call->argc; i++) {
		w = call->argv[i];
		if (strcmp(w, "--csv") == 0)
			csv = 1;
		else if (strncmp(w, "--from=", 7) == 0 ||
		    strncmp(w, "--to=", 5) == 0) {
			k = w[2] == 'f' ? UP_FROM : UP_TO;
			if (v[k] != NULL) {
				snprintf(err, errlen, "%s: given twice",
				    usage_param_names[k]);
				return NULL;
			}
			v[k] = strchr(w, '=') + 1;
		} else if (pos < UP_MAX) {
			if (v[pos] != NULL) {
				snprintf(err, errlen, "%s: given twice",
				    usage_param_names[pos]);
				return NULL;
			}
			v[pos++] = w;
		}
	}
	drain_now();
	usage_request(webd.srv.store, webd.srv.hist, csv, v, wall_ms(), &rep);
	return reply_json(&rep, err, errlen);
}

/* A query's reply as a command's: JSON, CSV in {"csv"}, or the error. */
static json_t *
reply_json(struct query_reply *rep, char *err, size_t errlen)
{
	if (rep->status != 200) {
		snprintf(err, errlen, "%s", json_string_value(
		    json_object_get(rep->json, "error")));
		json_decref(rep->json);
		return NULL;
	}
	if (rep->csv != NULL) {
		rep->json = json_pack("{s:s}", "csv", rep->csv);
		free(rep->csv);
	}
	return rep->json;
}
