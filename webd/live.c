/*
 * /api/live's frames from the `clients` reply (live.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "live.h"

void
live_init(struct live *l)
{
	memset(l, 0, sizeof(*l));
}

static struct live_dev *
dev_get(struct live *l, const char *ip, int *fresh)
{
	int	 i;

	*fresh = 0;
	for (i = 0; i < l->ndev; i++)
		if (strcmp(l->dev[i].ip, ip) == 0)
			return &l->dev[i];
	if (l->ndev == LIVE_DEVICES_MAX || strlen(ip) >= sizeof(l->dev[0].ip))
		return NULL;
	*fresh = 1;
	strlcpy(l->dev[l->ndev].ip, ip, sizeof(l->dev[0].ip));
	return &l->dev[l->ndev++];
}

static uint64_t
counter(json_t *row, const char *key)
{
	json_int_t	 v = json_integer_value(json_object_get(row, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* Bytes since the last total; a total that went down restarted. */
static uint64_t
delta(uint64_t now, uint64_t *last, int fresh)
{
	uint64_t	 d = fresh || now < *last ? 0 : now - *last;

	*last = now;
	return d;
}

static json_t *
device_json(struct live *l, json_t *row)
{
	struct live_dev	*d;
	const char	*ip = json_string_value(json_object_get(row, "ip"));
	json_t		*mac = json_object_get(row, "mac");
	int		 fresh;

	if (ip == NULL || (d = dev_get(l, ip, &fresh)) == NULL)
		return NULL;
	return json_pack("{s:O,s:s,s:I,s:I}",
	    "mac", json_is_string(mac) ? mac : json_null(),
	    "ip", ip,
	    "up", (json_int_t)delta(counter(row, "bytes_up"), &d->up, fresh),
	    "down", (json_int_t)delta(counter(row, "bytes_down"), &d->down,
	    fresh));
}

char *
live_frame(struct live *l, const char *clients_json, uint64_t t_ms)
{
	json_t		*reply, *rows, *row, *devs, *o;
	char		*text;
	size_t		 i;

	reply = json_loads(clients_json, 0, NULL);
	rows = json_object_get(reply, "clients");
	if (!json_is_array(rows)) {
		json_decref(reply);
		l->bad_replies++;
		return NULL;
	}
	devs = json_array();
	json_array_foreach(rows, i, row) {
		/* a reservation with no traffic yet has no counters */
		if (json_object_get(row, "bytes_up") == NULL ||
		    (o = device_json(l, row)) == NULL)
			continue;
		json_array_append_new(devs, o);
	}
	json_decref(reply);
	o = json_pack("{s:I,s:o}", "t", (json_int_t)t_ms, "devices", devs);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	l->frames += text != NULL;
	return text;
}
