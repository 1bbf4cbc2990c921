/*
 * webd's device registry (webd/devices.c) and vendors (webd/oui.c): a
 * device seen by DHCP and by traffic, new until acknowledged, labels and
 * their checks, forget and come back new, the bound, the file saved and
 * loaded (and a corrupt one refused, a bad record dropped), the merged
 * /api/clients rows, today's totals; the OUI parser on lines of the real
 * oui.txt and on the installed file (Debian's ieee-data).
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "devices.h"
#include "oui.h"
#include "util.h"

#define T0	1800000000000ULL	/* ms, 2027 */

static const uint8_t MAC_A[6] = { 0xb8, 0x27, 0xeb, 0x01, 0x02, 0x03 };
static const uint8_t MAC_B[6] = { 0x3c, 0x5a, 0xb4, 0xaa, 0xbb, 0xcc };
static const uint8_t MAC_P[6] = { 0xda, 0xa1, 0x19, 0x00, 0x00, 0x01 };

static uint32_t
ip4(const char *s)
{
	struct in_addr	 a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static void
test_see(struct devices *t)
{
	static const uint8_t group[6] = { 0xff, 0xfe, 10, 0, 0, 5 };
	static const uint8_t zero[6];
	struct device	*d, *e;

	devices_init(t);
	d = devices_see(t, MAC_A, ip4("10.0.0.5"), T0, DEVICES_DHCP);
	CHECK(d != NULL && d->is_new && d->first_ms == T0 &&
	    d->last_ms == T0 && d->dhcp_ms == T0 && d->traffic_ms == 0);
	CHECK(t->dirty == 1 && t->st.added == 1);
	t->dirty = 0;
	d = devices_see(t, MAC_A, ip4("10.0.0.5"), T0 + 1000,
	    DEVICES_TRAFFIC);
	CHECK(d != NULL && d->last_ms == T0 + 1000 &&
	    d->traffic_ms == T0 + 1000 && t->dirty == 2 &&
	    t->st.added == 1);
	/* an older DHCP time does not move last_seen back */
	d = devices_see(t, MAC_A, ip4("10.0.0.9"), T0 + 500, DEVICES_DHCP);
	CHECK(d->last_ms == T0 + 1000 && d->dhcp_ms == T0 + 500);
	CHECK(d->ip == ip4("10.0.0.5"));
	/* a newer one moves the IP */
	d = devices_see(t, MAC_A, ip4("10.0.0.9"), T0 + 2000, DEVICES_DHCP);
	CHECK(d->ip == ip4("10.0.0.9") && t->dirty == 1);
	CHECK(devices_by_ip(t, ip4("10.0.0.9")) == d);
	CHECK(devices_by_ip(t, ip4("10.0.0.5")) == NULL);
	/* sorted by MAC: B (3c:...) before A (b8:...) */
	e = devices_see(t, MAC_B, 0, T0, DEVICES_TRAFFIC);
	CHECK(t->n == 2 && e == &t->d[0] && devices_find(t, MAC_A) ==
	    &t->d[1]);
	/* not devices: the drain's stand-in, zero */
	CHECK(devices_see(t, group, 0, T0, DEVICES_TRAFFIC) == NULL);
	CHECK(devices_see(t, zero, 0, T0, DEVICES_TRAFFIC) == NULL);
	CHECK(t->n == 2 && t->st.not_device == 2);
	/* online: 5 minutes after the last traffic or DHCP */
	d = devices_find(t, MAC_A);
	CHECK(devices_online(d, T0 + 2000 + DEVICES_ONLINE_MS));
	CHECK(!devices_online(d, T0 + 2001 + DEVICES_ONLINE_MS));
}

static void
test_label(struct devices *t)
{
	struct device	*d;
	char		 err[128], long64[65];

	devices_init(t);
	d = devices_see(t, MAC_A, 0, T0, DEVICES_DHCP);
	CHECK(devices_set_label(t, d, "Kitchen tablet", err,
	    sizeof(err)) == 0);
	CHECK_STR(d->label, "Kitchen tablet");
	CHECK(devices_set_label(t, d, "Zoë's \xf0\x9f\x93\xb1", err,
	    sizeof(err)) == 0);
	CHECK(devices_set_label(t, d, "tab\there", err, sizeof(err)) == -1);
	CHECK(strstr(err, "control") != NULL);
	CHECK(devices_set_label(t, d, "bad \xc3", err, sizeof(err)) == -1);
	CHECK(strstr(err, "UTF-8") != NULL);
	CHECK(devices_set_label(t, d, "overlong \xc0\xaf", err,
	    sizeof(err)) == -1);
	memset(long64, 'x', 64);
	long64[64] = '\0';
	CHECK(devices_set_label(t, d, long64, err, sizeof(err)) == -1);
	CHECK(strstr(err, "63") != NULL);
	long64[63] = '\0';
	CHECK(devices_set_label(t, d, long64, err, sizeof(err)) == 0);
	CHECK(devices_set_label(t, d, "", err, sizeof(err)) == 0 &&
	    d->label[0] == '\0');

	/* host names: as sent, kept when a later message has none */
	devices_set_hostname(t, d, "<img src=x onerror=alert(1)>");
	CHECK_STR(d->hostname, "<img src=x onerror=alert(1)>");
	devices_set_hostname(t, d, "");
	CHECK_STR(d->hostname, "<img src=x onerror=alert(1)>");
	/* cut at a character boundary: 62 x then a 2-byte character */
	memset(long64, 'x', 62);
	strcpy(long64 + 62, "\xc3\xa9");
	devices_set_hostname(t, d, long64);
	CHECK(strlen(d->hostname) == 62);

	/* acknowledged, forgotten, new again */
	devices_ack(t, d);
	CHECK(!d->is_new);
	devices_forget(t, d);
	CHECK(t->n == 0 && devices_find(t, MAC_A) == NULL &&
	    t->st.forgotten == 1);
	d = devices_see(t, MAC_A, 0, T0 + 5000, DEVICES_TRAFFIC);
	CHECK(d != NULL && d->is_new && d->first_ms == T0 + 5000 &&
	    d->label[0] == '\0');
}

static void
test_bound(struct devices *t)
{
	uint8_t		 mac[6] = { 0x00, 0x11, 0x22, 0, 0, 0 };
	int		 i;

	devices_init(t);
	for (i = 0; i < DEVICES_MAX + 5; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		devices_see(t, mac, 0, T0 + (uint64_t)i, DEVICES_TRAFFIC);
	}
	CHECK(t->n == DEVICES_MAX && t->st.refused == 5 &&
	    t->st.added == DEVICES_MAX);
	for (i = 1; i < t->n; i++)
		CHECK(memcmp(t->d[i - 1].mac, t->d[i].mac, 6) < 0);
	/* one known is still updated when full */
	mac[4] = 0;
	mac[5] = 7;
	CHECK(devices_see(t, mac, 0, T0 + 99999, DEVICES_TRAFFIC) != NULL);
}

static void
test_file(struct devices *t)
{
	struct devices	*u = malloc(sizeof(*u));
	struct device	*d;
	uint8_t		*buf, *bad;
	size_t		 len;
	char		 err[64];

	devices_init(t);
	d = devices_see(t, MAC_A, ip4("10.0.0.5"), T0, DEVICES_DHCP);
	devices_set_hostname(t, d, "\"quoted\" <b>");
	devices_set_label(t, d, "Living room", err, sizeof(err));
	devices_ack(t, d);
	devices_see(t, MAC_B, ip4("10.0.0.6"), T0 + 10, DEVICES_TRAFFIC);
	devices_see(t, MAC_P, 0, T0 + 20, DEVICES_TRAFFIC);
	len = devices_save_size(t);
	buf = malloc(len);
	devices_save(t, buf, T0 + 50);

	devices_init(u);
	CHECK(devices_load(u, buf, len, T0 + 100) == 0);
	CHECK(u->n == 3 && u->st.load_bad == 0 && u->saved_ms == T0 + 50);
	d = devices_find(u, MAC_A);
	CHECK(d != NULL && !d->is_new && d->ip == ip4("10.0.0.5") &&
	    d->first_ms == T0 && d->dhcp_ms == T0);
	CHECK_STR(d->label, "Living room");
	CHECK_STR(d->hostname, "\"quoted\" <b>");
	CHECK(devices_find(u, MAC_B)->is_new);

	/* a clock behind the file: times cut to now, nobody lost */
	devices_init(u);
	CHECK(devices_load(u, buf, len, T0 + 5) == 0 && u->n == 3);
	CHECK(devices_find(u, MAC_B)->first_ms == T0 + 5);

	/* corrupt whole: size, magic, count */
	devices_init(u);
	CHECK(devices_load(u, buf, len - 1, T0) == -1 && u->n == 0);
	CHECK(u->st.load_corrupt == 1 && u->dirty == 1);
	bad = malloc(len);
	memcpy(bad, buf, len);
	bad[0] ^= 1;
	CHECK(devices_load(u, bad, len, T0) == -1 && u->n == 0);
	CHECK(devices_load(u, buf, 3, T0) == -1);
	/* one bad record (a group MAC; a label without its NUL) dropped */
	memcpy(bad, buf, len);
	bad[24] |= 0x01;		/* the first record's first octet */
	devices_init(u);
	CHECK(devices_load(u, bad, len, T0 + 100) == 0 && u->n == 2 &&
	    u->st.load_bad == 1 && u->dirty == 1);
	memcpy(bad, buf, len);
	memset(bad + len - 64, 'a', 64);	/* the last record's label */
	devices_init(u);
	CHECK(devices_load(u, bad, len, T0 + 100) == 0 && u->n == 2 &&
	    u->st.load_bad == 1);
	/* a duplicate MAC: the second is dropped */
	memcpy(bad, buf, len);
	memcpy(bad + len - (len - 24) / 3, bad + 24, (len - 24) / 3);
	devices_init(u);
	CHECK(devices_load(u, bad, len, T0 + 100) == 0 && u->n == 2);
	free(bad);
	free(buf);
	free(u);
}

static const char *
vendor_of_table(const uint8_t mac[6], void *arg)
{
	return oui_vendor(arg, mac);
}

static void
test_merge(struct devices *t, const struct oui *o)
{
	json_t		*reply, *out, *rows, *r;
	struct device	*d;
	char		 err[64];
	size_t		 i;
	int		 seen_a = 0, seen_b = 0, seen_n = 0;

	devices_init(t);
	/* B was seen long ago, offline now */
	d = devices_see(t, MAC_B, ip4("10.0.0.7"), T0, DEVICES_TRAFFIC);
	devices_set_label(t, d, "Old speaker", err, sizeof(err));
	reply = json_loads("{\"clients\": ["
	    "{\"ip\": \"10.0.0.5\", \"mac\": \"b8:27:eb:01:02:03\", "
	    "\"hostname\": \"img-srcx-onerroralert1\", "
	    "\"client_hostname\": \"<img src=x onerror=alert(1)>\", "
	    "\"lease_expires\": 1800000600, \"static\": false, "
	    "\"first_seen\": 1800000100, \"last_seen\": 1800000200, "
	    "\"bytes_up\": 100, \"bytes_down\": 2000},"
	    "{\"ip\": \"10.0.0.8\", \"bytes_up\": 5, \"bytes_down\": 6},"
	    /* natd's client for a port forward's target that never
	     * talked (the reservation the admin made for it): no device */
	    "{\"ip\": \"10.0.0.20\", \"bytes_up\": 0, \"bytes_down\": 0, "
	    "\"packets_up\": 0, \"packets_down\": 0, \"rate_up\": 0, "
	    "\"rate_down\": 0}"
	    "]}", 0, NULL);
	CHECK(reply != NULL);
	devices_observe_clients(t, reply);
	d = devices_find(t, MAC_A);
	CHECK(d != NULL && d->dhcp_ms == 1800000200000ULL &&
	    d->ip == ip4("10.0.0.5"));
	CHECK(d != NULL && strcmp(d->hostname,
	    "<img src=x onerror=alert(1)>") == 0);
	devices_count(t, MAC_A, 0, 1, 500, T0);	/* no day yet: ignored */
	devices_new_day(t, T0 - 1000);
	devices_count(t, MAC_A, 0, 1, 500, T0);
	devices_count(t, MAC_A, 0, 0, 7000, T0);
	devices_count(t, MAC_A, 0, 0, 7000, T0 - 2000);	/* yesterday */
	/* an unknown device: counted from its first record with an IP */
	devices_count(t, MAC_P, 0, 1, 100, T0);
	CHECK(devices_find(t, MAC_P) == NULL);
	devices_count(t, MAC_P, ip4("10.0.0.9"), 1, 100, T0);
	CHECK(devices_find(t, MAC_P) != NULL &&
	    devices_find(t, MAC_P)->today_up == 100 &&
	    devices_find(t, MAC_P)->is_new);
	devices_forget(t, devices_find(t, MAC_P));

	out = devices_merge_clients(t, reply, vendor_of_table, (void *)o,
	    T0 + DEVICES_ONLINE_MS + 1);
	rows = json_object_get(out, "clients");
	CHECK(json_array_size(rows) == 3);
	json_array_foreach(rows, i, r) {
		const char *ip = json_string_value(json_object_get(r, "ip"));

		CHECK(ip == NULL || strcmp(ip, "10.0.0.20") != 0);

		if (ip != NULL && strcmp(ip, "10.0.0.5") == 0) {
			seen_a = 1;
			CHECK_STR(json_string_value(json_object_get(r,
			    "vendor")), "Raspberry Pi Foundation");
			CHECK_STR(json_string_value(json_object_get(r,
			    "hostname")), "<img src=x onerror=alert(1)>");
			CHECK_STR(json_string_value(json_object_get(r,
			    "name")), "<img src=x onerror=alert(1)>");
			CHECK_STR(json_string_value(json_object_get(r,
			    "dns_name")), "img-srcx-onerroralert1");
			CHECK(json_is_true(json_object_get(r, "online")));
			CHECK(json_is_true(json_object_get(r, "new")));
			CHECK(json_integer_value(json_object_get(r,
			    "bytes_down")) == 2000);
			CHECK(json_integer_value(json_object_get(r,
			    "today_up")) == 500);
			CHECK(json_integer_value(json_object_get(r,
			    "today_down")) == 7000);
			CHECK(json_integer_value(json_object_get(r,
			    "last_seen")) == 1800000200000LL);
		} else if (ip != NULL && strcmp(ip, "10.0.0.7") == 0) {
			seen_b = 1;
			CHECK(json_is_false(json_object_get(r, "online")));
			CHECK_STR(json_string_value(json_object_get(r,
			    "name")), "Old speaker");
			CHECK_STR(json_string_value(json_object_get(r,
			    "vendor")), "Google, Inc.");
		} else if (ip != NULL && strcmp(ip, "10.0.0.8") == 0) {
			/* natd's row alone: as it came */
			seen_n = json_object_get(r, "new") == NULL;
		}
	}
	CHECK(seen_a && seen_b && seen_n);
	json_decref(out);
	json_decref(reply);

	/* the display name without label or host name */
	d = devices_see(t, MAC_P, 0, T0, DEVICES_TRAFFIC);
	{
		char	 name[80];

		devices_name(d, oui_vendor(o, MAC_P), name, sizeof(name));
		CHECK_STR(name, "private address 00:00:01");
		devices_name(devices_find(t, MAC_B), NULL, name, sizeof(name));
		CHECK_STR(name, "Old speaker");
	}
}

/* Lines of the real oui.txt (ieee-data 20220827), CRLF as shipped. */
static const char oui_excerpt[] =
    "OUI/MA-L                                                    "
    "Organization                                 \r\n"
    "company_id                                                  "
    "Organization                                 \r\n"
    "\r\n"
    "B8-27-EB   (hex)\t\tRaspberry Pi Foundation\r\n"
    "B827EB     (base 16)\t\tRaspberry Pi Foundation\r\n"
    "\t\t\t\tMitchell Wood House\r\n"
    "\t\t\t\tCaldecote  Cambridgeshire  CB23 7NU\r\n"
    "\t\t\t\tGB\r\n"
    "\r\n"
    "3C-5A-B4   (hex)\t\tGoogle, Inc.\r\n"
    "3C5AB4     (base 16)\t\tGoogle, Inc.\r\n"
    "\r\n"
    "00-1A-11   (hex)\t\tGoogle, Inc.\r\n"
    "001A11     (base 16)\t\tGoogle, Inc.\r\n"
    "\r\n"
    "DC-A6-32   (hex)\t\tRaspberry Pi Trading Ltd\r\n"
    "GG-00-00   (hex)\t\tNot hex\r\n"
    "00-00-01   (hex)\t\tCtl\x01name\r\n"
    "00-1A-11   (hex)\t\tA duplicate\r\n"
    "00-00-02   (hex)";			/* no name, no newline */

static void
test_oui(struct oui *o)
{
	static const uint8_t dca632[6] = { 0xdc, 0xa6, 0x32, 1, 2, 3 };
	static const uint8_t g1a11[6] = { 0x00, 0x1a, 0x11, 9, 9, 9 };
	static const uint8_t unknown[6] = { 0x00, 0x00, 0x03, 1, 1, 1 };

	CHECK(oui_load(o, oui_excerpt, sizeof(oui_excerpt) - 1) == 4);
	CHECK(o->skipped == 4);
	CHECK_STR(oui_vendor(o, MAC_A), "Raspberry Pi Foundation");
	CHECK_STR(oui_vendor(o, MAC_B), "Google, Inc.");
	CHECK_STR(oui_vendor(o, g1a11), "Google, Inc.");
	CHECK_STR(oui_vendor(o, dca632), "Raspberry Pi Trading Ltd");
	/* one "Google, Inc." in the pool */
	CHECK(oui_vendor(o, MAC_B) == oui_vendor(o, g1a11));
	CHECK(oui_vendor(o, unknown) == NULL);
	/* locally administered: a phone's private address */
	CHECK_STR(oui_vendor(o, MAC_P), OUI_PRIVATE);
	oui_free(o);
	CHECK(oui_load(o, "", 0) == 0 && oui_vendor(o, MAC_A) == NULL);
	oui_free(o);
}

/* The installed table (ieee-data, scripts/packages/devices.txt). */
static void
test_oui_file(struct oui *o)
{
	static const uint8_t apple[6] = { 0xf0, 0x18, 0x98, 1, 2, 3 };
	static const uint8_t qemu[6] = { 0x52, 0x54, 0x00, 1, 2, 3 };
	char		*buf = malloc(OUI_FILE_MAX);
	size_t		 len;
	long		 n;

	if (buf == NULL || file_read(OUI_PATH, buf, OUI_FILE_MAX, &len) ==
	    -1) {
		fprintf(stderr, "%s: cannot read (install ieee-data)\n",
		    OUI_PATH);
		CHECK(0);
		free(buf);
		return;
	}
	n = oui_load(o, buf, len);
	free(buf);
	printf("%s: %ld prefixes, %zu bytes of names, %llu skipped\n",
	    OUI_PATH, n, o->names_len, (unsigned long long)o->skipped);
	CHECK(n > 30000);
	CHECK_STR(oui_vendor(o, apple), "Apple, Inc.");
	CHECK_STR(oui_vendor(o, MAC_A), "Raspberry Pi Foundation");
	/* QEMU's 52:54:00 is locally administered */
	CHECK_STR(oui_vendor(o, qemu), OUI_PRIVATE);
	oui_free(o);
}

int
main(void)
{
	struct devices	*t = malloc(sizeof(*t));
	struct oui	 o;

	if (t == NULL)
		return 1;
	test_see(t);
	test_label(t);
	test_bound(t);
	test_file(t);
	CHECK(oui_load(&o, oui_excerpt, sizeof(oui_excerpt) - 1) > 0);
	test_merge(t, &o);
	oui_free(&o);
	test_oui(&o);
	test_oui_file(&o);
	free(t);
	return check_result();
}
