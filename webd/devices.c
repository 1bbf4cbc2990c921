/*
 * The device registry (devices.h).
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "devices.h"
#include "util.h"

#define FILE_MAGIC	"GKDEVS01"
#define FILE_VERSION	1

struct file_hdr {
	char		 magic[8];
	uint32_t	 version;
	uint32_t	 count;
	uint64_t	 saved_ms;
};

/* One device in the file: what outlives a restart. */
struct file_rec {
	uint8_t		 mac[6];
	uint8_t		 is_new;
	uint8_t		 pad;
	uint32_t	 ip;
	uint32_t	 pad2;
	uint64_t	 first_ms, last_ms, dhcp_ms, traffic_ms;
	char		 hostname[DEVICES_TEXT];
	char		 label[DEVICES_TEXT];
};

void
devices_init(struct devices *t)
{
	zero_lazily(t, sizeof(*t));	/* fresh: unresident until used */
}

/* The index of mac, or where it would go (*found 0). */
static int
slot_of(const struct devices *t, const uint8_t mac[6], int *found)
{
	int	 lo = 0, hi = t->n, mid, c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = memcmp(t->d[mid].mac, mac, 6);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

struct device *
devices_find(struct devices *t, const uint8_t mac[6])
{
	int	 found, i = slot_of(t, mac, &found);

	return found ? &t->d[i] : NULL;
}

struct device *
devices_lookup(struct devices *t, const char *client)
{
	struct in_addr	 a;
	uint8_t		 mac[6];

	if (conf_parse_mac(client, mac) == 0)
		return devices_find(t, mac);
	if (inet_pton(AF_INET, client, &a) == 1)
		return devices_by_ip(t, a.s_addr);
	return NULL;
}

struct device *
devices_by_ip(struct devices *t, uint32_t ip)
{
	struct device	*best = NULL;
	int		 i;

	for (i = 0; i < t->n; i++)
		if (t->d[i].ip == ip && ip != 0 &&
		    (best == NULL || t->d[i].last_ms > best->last_ms))
			best = &t->d[i];
	return best;
}

/* A device's own address: not a group (multicast) one, not zero. The
 * drain's stand-in for a record without a MAC has the group bit set. */
static int
is_device_mac(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return (mac[0] & 0x01) == 0 && memcmp(mac, zero, 6) != 0;
}

static void
touch(struct devices *t, struct device *d, uint64_t ms)
{
	if (ms > d->last_ms) {
		d->last_ms = ms;
		if (t->dirty == 0)
			t->dirty = 2;
	}
}

struct device *
devices_see(struct devices *t, const uint8_t mac[6], uint32_t ip,
    uint64_t ms, enum devices_source src)
{
	struct device	*d;
	int		 found, i;

	if (!is_device_mac(mac)) {
		t->st.not_device++;
		return NULL;
	}
	i = slot_of(t, mac, &found);
	if (!found) {
		if (t->n == DEVICES_MAX) {
			t->st.refused++;
			return NULL;
		}
		memmove(&t->d[i + 1], &t->d[i],
		    (size_t)(t->n - i) * sizeof(t->d[0]));
		t->n++;
		d = &t->d[i];
		memset(d, 0, sizeof(*d));
		memcpy(d->mac, mac, 6);
		d->is_new = 1;
		d->first_ms = d->last_ms = ms;
		t->st.added++;
		t->dirty = 1;
	}
	d = &t->d[i];
	touch(t, d, ms);
	if (ms < d->first_ms)
		d->first_ms = ms;	/* an older DHCP time than traffic's */
	if (src == DEVICES_DHCP && ms > d->dhcp_ms)
		d->dhcp_ms = ms;
	if (src == DEVICES_TRAFFIC && ms > d->traffic_ms)
		d->traffic_ms = ms;
	/* the newest source says where the device is now */
	if (ip != 0 && ms >= d->last_ms && d->ip != ip) {
		d->ip = ip;
		t->dirty = 1;
	}
	return d;
}

/* Length of the valid UTF-8 sequence at s (1 to 4), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t	 n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

const char *
devices_text_problem(const char *s, int ctl)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 n;

	while (*p != '\0') {
		if (!ctl && (*p < 0x20 || *p == 0x7f))
			return "control characters are not allowed";
		if ((n = utf8_len(p)) == 0)
			return "not valid UTF-8";
		p += n;
	}
	return NULL;
}

/* Copies s into dst (DEVICES_TEXT), cut at a character boundary. */
static void
text_copy(char *dst, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 o = 0, n;

	while (p[o] != '\0' && (n = utf8_len(p + o)) > 0 &&
	    o + n < DEVICES_TEXT)
		o += n;
	memcpy(dst, s, o);
	dst[o] = '\0';
}

void
devices_set_hostname(struct devices *t, struct device *d, const char *name)
{
	char	 cut[DEVICES_TEXT];

	if (name == NULL || name[0] == '\0' ||
	    devices_text_problem(name, 1) != NULL)
		return;
	text_copy(cut, name);
	if (strcmp(cut, d->hostname) == 0)
		return;
	memcpy(d->hostname, cut, sizeof(cut));
	t->dirty = 1;
}

const char *
devices_label_problem(const char *label)
{
	if (strlen(label) >= DEVICES_TEXT)
		return "a label is at most 63 bytes";
	return devices_text_problem(label, 0);
}

int
devices_set_label(struct devices *t, struct device *d, const char *label,
    char *err, size_t errlen)
{
	const char	*why;

	if ((why = devices_label_problem(label)) != NULL) {
		snprintf(err, errlen, "label: %s", why);
		return -1;
	}
	strlcpy(d->label, label, sizeof(d->label));
	t->dirty = 1;
	return 0;
}

void
devices_ack(struct devices *t, struct device *d)
{
	if (d->is_new) {
		d->is_new = 0;
		t->dirty = 1;
	}
}

void
devices_forget(struct devices *t, struct device *d)
{
	int	 i = (int)(d - t->d);

	memmove(&t->d[i], &t->d[i + 1], (size_t)(t->n - i - 1) *
	    sizeof(t->d[0]));
	t->n--;
	t->st.forgotten++;
	t->dirty = 1;
}

int
devices_online(const struct device *d, uint64_t now_ms)
{
	uint64_t	 seen = d->dhcp_ms > d->traffic_ms ? d->dhcp_ms :
	    d->traffic_ms;

	return seen + DEVICES_ONLINE_MS >= now_ms;
}

void
devices_count(struct devices *t, const uint8_t mac[6], uint32_t ip, int up,
    uint64_t bytes, uint64_t ms)
{
	static int	 last;		/* records come in runs per device */
	struct device	*d;

	if (last < t->n && memcmp(t->d[last].mac, mac, 6) == 0)
		d = &t->d[last];
	else if ((d = devices_find(t, mac)) == NULL && (ip == 0 ||
	    (d = devices_see(t, mac, ip, ms, DEVICES_TRAFFIC)) == NULL))
		return;
	if (ms < t->day_ms || t->day_ms == 0)
		return;
	last = (int)(d - t->d);
	if (up)
		d->today_up += bytes;
	else
		d->today_down += bytes;
}

void
devices_new_day(struct devices *t, uint64_t midnight_ms)
{
	int	 i;

	if (midnight_ms == t->day_ms)
		return;
	t->day_ms = midnight_ms;
	for (i = 0; i < t->n; i++)
		t->d[i].today_up = t->d[i].today_down = 0;
}

/* ---- the file ---- */

size_t
devices_save_size(const struct devices *t)
{
	return sizeof(struct file_hdr) + (size_t)t->n * sizeof(struct file_rec);
}

void
devices_save(const struct devices *t, uint8_t *buf, uint64_t now_ms)
{
	struct file_hdr	 h;
	struct file_rec	 r;
	const struct device *d;
	int		 i;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, FILE_MAGIC, sizeof(h.magic));
	h.version = FILE_VERSION;
	h.count = (uint32_t)t->n;
	h.saved_ms = now_ms;
	memcpy(buf, &h, sizeof(h));
	buf += sizeof(h);
	for (i = 0; i < t->n; i++) {
		d = &t->d[i];
		memset(&r, 0, sizeof(r));
		memcpy(r.mac, d->mac, 6);
		r.is_new = d->is_new;
		r.ip = d->ip;
		r.first_ms = d->first_ms;
		r.last_ms = d->last_ms;
		r.dhcp_ms = d->dhcp_ms;
		r.traffic_ms = d->traffic_ms;
		memcpy(r.hostname, d->hostname, DEVICES_TEXT);
		memcpy(r.label, d->label, DEVICES_TEXT);
		memcpy(buf, &r, sizeof(r));
		buf += sizeof(r);
	}
}

static uint64_t
at_most(uint64_t v, uint64_t max)
{
	return v < max ? v : max;
}

/* One record, checked; 0 when it was taken. */
static int
load_rec(struct devices *t, const struct file_rec *r, uint64_t now_ms)
{
	struct device	*d;
	int		 found, i;

	if (!is_device_mac(r->mac) || r->is_new > 1 ||
	    r->first_ms > r->last_ms || r->first_ms == 0 ||
	    memchr(r->hostname, '\0', DEVICES_TEXT) == NULL ||
	    memchr(r->label, '\0', DEVICES_TEXT) == NULL ||
	    devices_text_problem(r->hostname, 1) != NULL ||
	    devices_label_problem(r->label) != NULL)
		return -1;
	i = slot_of(t, r->mac, &found);
	if (found || t->n == DEVICES_MAX)
		return -1;
	memmove(&t->d[i + 1], &t->d[i], (size_t)(t->n - i) *
	    sizeof(t->d[0]));
	t->n++;
	d = &t->d[i];
	memset(d, 0, sizeof(*d));
	memcpy(d->mac, r->mac, 6);
	d->is_new = r->is_new;
	d->ip = r->ip;
	/* A clock that went back (no RTC before NTP) must not make every
	 * device new again: times from the future are cut to now. */
	d->first_ms = at_most(r->first_ms, now_ms);
	d->last_ms = at_most(r->last_ms, now_ms);
	d->dhcp_ms = at_most(r->dhcp_ms, d->last_ms);
	d->traffic_ms = at_most(r->traffic_ms, d->last_ms);
	memcpy(d->hostname, r->hostname, DEVICES_TEXT);
	memcpy(d->label, r->label, DEVICES_TEXT);
	return 0;
}

int
devices_load(struct devices *t, const uint8_t *buf, size_t len,
    uint64_t now_ms)
{
	struct file_hdr	 h;
	struct file_rec	 r;
	uint32_t	 i;

	t->n = 0;
	t->saved_ms = 0;
	if (len < sizeof(h))
		goto corrupt;
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, FILE_MAGIC, sizeof(h.magic)) != 0 ||
	    h.version != FILE_VERSION || h.count > DEVICES_MAX ||
	    len != sizeof(h) + (size_t)h.count * sizeof(r))
		goto corrupt;
	t->saved_ms = at_most(h.saved_ms, now_ms);
	for (i = 0; i < h.count; i++) {
		memcpy(&r, buf + sizeof(h) + i * sizeof(r), sizeof(r));
		if (load_rec(t, &r, now_ms) == -1) {
			t->st.load_bad++;
			t->dirty = 1;	/* saved without it */
		}
	}
	return 0;
corrupt:
	t->st.load_corrupt++;
	t->dirty = 1;
	return -1;
}

/* ---- the API's view ---- */

void
devices_name(const struct device *d, const char *vendor, char *buf,
    size_t len)
{
	char	 mac[MAC_STR_SIZE];

	mac_str(d->mac, mac, sizeof(mac));
	if (d->label[0] != '\0')
		snprintf(buf, len, "%s", d->label);
	else if (d->hostname[0] != '\0')
		snprintf(buf, len, "%s", d->hostname);
	else if (vendor != NULL)
		snprintf(buf, len, "%s %s", vendor, mac + 9);
	else
		snprintf(buf, len, "%s", mac);
}

json_t *
devices_json(const struct device *d, const char *vendor, uint64_t now_ms)
{
	char	 mac[MAC_STR_SIZE], ip[INET_ADDRSTRLEN], name[160];
	json_t	*o, *n;

	mac_str(d->mac, mac, sizeof(mac));
	devices_name(d, vendor, name, sizeof(name));
	o = json_object();
	json_object_set_new(o, "mac", json_string(mac));
	json_object_set_new(o, "ip", d->ip != 0 ? json_string(inet_ntop(
	    AF_INET, &d->ip, ip, sizeof(ip))) : json_null());
	json_object_set_new(o, "vendor", vendor != NULL ?
	    json_string(vendor) : json_null());
	json_object_set_new(o, "online", json_boolean(devices_online(d,
	    now_ms)));
	json_object_set_new(o, "label", json_string(d->label));
	json_object_set_new(o, "new", json_boolean(d->is_new));
	json_object_set_new(o, "first_seen", json_integer(
	    (json_int_t)d->first_ms));
	json_object_set_new(o, "last_seen", json_integer(
	    (json_int_t)d->last_ms));
	json_object_set_new(o, "hostname", json_string(d->hostname));
	/* a name cut in the middle of a character is not a string */
	if ((n = json_string(name)) == NULL)
		n = json_string(mac);
	json_object_set_new(o, "name", n);
	json_object_set_new(o, "today_up", json_integer(
	    (json_int_t)d->today_up));
	json_object_set_new(o, "today_down", json_integer(
	    (json_int_t)d->today_down));
	return o;
}

json_t *
devices_list_json(struct devices *t, devices_vendor_fn vendor_of, void *arg,
    uint64_t now_ms)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < t->n; i++)
		json_array_append_new(a, devices_json(&t->d[i],
		    vendor_of(t->d[i].mac, arg), now_ms));
	return json_pack("{s:o}", "devices", a);
}

/* A row's MAC, or -1. */
static int
row_mac(json_t *row, uint8_t mac[6])
{
	const char	*s = json_string_value(json_object_get(row, "mac"));

	return s != NULL ? conf_parse_mac(s, mac) : -1;
}

static uint32_t
row_ip(json_t *row)
{
	const char	*s = json_string_value(json_object_get(row, "ip"));
	struct in_addr	 a;

	return s != NULL && inet_pton(AF_INET, s, &a) == 1 ? a.s_addr : 0;
}

void
devices_observe_clients(struct devices *t, json_t *reply)
{
	json_t		*rows = json_object_get(reply, "clients"), *row;
	struct device	*d;
	const char	*name;
	json_int_t	 seen;
	uint8_t		 mac[6];
	size_t		 i;

	json_array_foreach(rows, i, row) {
		/* dhcpd's rows: a device that spoke DHCP, at last_seen */
		seen = json_integer_value(json_object_get(row, "last_seen"));
		if (seen <= 0 || row_mac(row, mac) == -1)
			continue;
		d = devices_see(t, mac, row_ip(row), (uint64_t)seen * 1000,
		    DEVICES_DHCP);
		if (d == NULL)
			continue;
		/* the name as the device sent it, else dhcpd's cleaned one */
		name = json_string_value(json_object_get(row,
		    "client_hostname"));
		if (name == NULL || name[0] == '\0')
			name = json_string_value(json_object_get(row,
			    "hostname"));
		devices_set_hostname(t, d, name);
	}
}

/* The registry's fields over a copy of the row. */
static json_t *
merged_row(json_t *row, const struct device *d, const char *vendor,
    uint64_t now_ms)
{
	json_t		*o = json_deep_copy(row), *dev;
	const char	*dns = json_string_value(json_object_get(row,
	    "hostname"));

	if (o == NULL)
		return NULL;
	/* dhcpd's hostname is the cleaned DNS name; ours is as sent */
	if (dns != NULL)
		json_object_set_new(o, "dns_name", json_string(dns));
	dev = devices_json(d, vendor, now_ms);
	json_object_del(dev, "ip");	/* the row's is the current one */
	json_object_update(o, dev);
	json_decref(dev);
	return o;
}

/*
 * A row without a MAC is natd's alone: an address that is not in
 * dhcpd's leases. It is a device (one with a static address) when
 * something crossed for it; with no traffic it is only an address
 * something points at (a port forward's target, a reservation nobody
 * took yet), not a device.
 */
static int
row_has_traffic(json_t *row)
{
	static const char *const keys[] = { "bytes_up", "bytes_down",
	    "packets_up", "packets_down" };
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_integer_value(json_object_get(row, keys[i])) > 0)
			return 1;
	return 0;
}

json_t *
devices_merge_clients(struct devices *t, json_t *reply,
    devices_vendor_fn vendor_of, void *arg, uint64_t now_ms)
{
	json_t		*rows = json_object_get(reply, "clients"), *row, *out;
	uint8_t		 listed[DEVICES_MAX], mac[6];
	struct device	*d;
	size_t		 i;
	int		 k;

	memset(listed, 0, sizeof(listed));
	out = json_array();
	json_array_foreach(rows, i, row) {
		if (!json_is_object(row))
			continue;
		d = NULL;
		if (row_mac(row, mac) == 0)
			d = devices_find(t, mac);
		else if ((d = devices_by_ip(t, row_ip(row))) != NULL &&
		    !devices_online(d, now_ms))
			d = NULL;	/* an IP of long ago is not proof */
		if (d == NULL) {
			if (row_mac(row, mac) == 0 || row_has_traffic(row))
				json_array_append(out, row);
			continue;
		}
		listed[d - t->d] = 1;
		json_array_append_new(out, merged_row(row, d,
		    vendor_of(d->mac, arg), now_ms));
	}
	for (k = 0; k < t->n; k++)
		if (!listed[k])
			json_array_append_new(out, devices_json(&t->d[k],
			    vendor_of(t->d[k].mac, arg), now_ms));
	return json_pack("{s:o}", "clients", out);
}
