/*
 * /api/live's frames (webd/live.c): per-device bytes of each interval
 * exactly as the summaries gave them, an idle frame, new devices once
 * (with dhcpd's hostname, not when the history knew them), remotes of
 * subscribed devices only (the busiest LIVE_TOP, busiest first, named,
 * hostile names escaped), a socket that fell behind getting the exact
 * sum of what it missed (devices and the remotes of every interval
 * missed), the subscription parser's refusals and limits, and the sum of
 * every frame a socket got equal to the bytes added, per device and per
 * remote, whatever the pattern of coalescing; the views ws.c frames
 * once for every socket that shares them.
 */
#include <sys/prctl.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "live.h"

static struct live	 l;
static int		 known_all;

static const char *
name_of(void *arg, const uint8_t mac[6], uint32_t lan_ip, uint32_t remote)
{
	if (remote == htonl(0xcb007101))	/* 203.0.113.1 */
		return "one.example.";
	if (remote == htonl(0xcb007102))
		return "evil\"\\\n\xc3\x28<b>";
	return NULL;
}

static int
known(void *arg, const uint8_t mac[6])
{
	return known_all || mac[5] == 0x99;
}

/* a vendor for one device, with a quote to be escaped */
static const char *
vendor_of(void *arg, const uint8_t mac[6])
{
	return mac[5] == 0x32 ? "Acme \"Co\"" : NULL;
}

static void
rec_into(struct live *lv, uint8_t last, int up, uint32_t remote,
    uint16_t port, uint64_t bytes)
{
	struct live_rec r;

	memset(&r, 0, sizeof(r));
	r.mac[0] = 0x02;
	r.mac[5] = last;
	r.proto = 6;
	r.up = (uint8_t)up;
	r.lan_ip = htonl(0x0a2a0000 | last);
	r.remote = htonl(remote);
	r.port = port;
	r.bytes = bytes;
	live_add(lv, &r);
}

static void
rec(uint8_t last, int up, uint32_t remote, uint16_t port, uint64_t bytes)
{
	rec_into(&l, last, up, remote, port, bytes);
}

static void
setup(void)
{
	const struct live_ops ops = { name_of, known, vendor_of, NULL };
	int	 i;

	for (i = 0; i < LIVE_WATCH_MAX; i++)
		free(l.watch[i].frag);
	free(l.shared);
	free(l.plain);
	memset(&l, 0, sizeof(l));
	live_init(&l, &ops);
	known_all = 0;
}

static void
test_frames(void)
{
	struct live_sub	 s = { 0 };
	char		*t;

	setup();
	CHECK(live_hosts(&l, "{\"clients\":[{\"mac\":\"02:00:00:00:00:32\","
	    "\"ip\":\"10.42.0.50\",\"hostname\":\"tab\\\"let\"}]}") == 0);
	rec(0x32, 1, 0xcb007101, 443, 1000);
	rec(0x32, 0, 0xcb007101, 443, 60000);
	rec(0x32, 1, 0xcb007101, 443, 52);
	rec(0x99, 1, 0xcb007101, 53, 70);
	CHECK(live_close(&l, 1000, 1) == 0);
	t = live_text(&l, &s);
	CHECK_STR(t, "{\"t\":1000,\"devices\":["
	    "{\"mac\":\"02:00:00:00:00:32\",\"ip\":\"10.42.0.50\","
	    "\"up\":1052,\"down\":60000},"
	    "{\"mac\":\"02:00:00:00:00:99\",\"ip\":\"10.42.0.153\","
	    "\"up\":70,\"down\":0}],"
	    "\"new\":[{\"mac\":\"02:00:00:00:00:32\",\"ip\":\"10.42.0.50\","
	    "\"hostname\":\"tab\\\"let\",\"vendor\":\"Acme \\\"Co\\\"\"}],"
	    "\"remotes\":{}}");
	free(t);
	/* idle: the clock goes on, nothing else; nobody is new twice */
	CHECK(live_close(&l, 1100, 1) == 0);
	t = live_text(&l, &s);
	CHECK_STR(t, "{\"t\":1100,\"devices\":[],\"new\":[],\"remotes\":{}}");
	free(t);
	/* nobody listening: no text, the counts still move on */
	rec(0x32, 1, 0xcb007101, 443, 5);
	CHECK(live_close(&l, 1200, 0) == 0);
	CHECK(live_text(&l, &s) == NULL);
	CHECK(l.dev[0].tot[0] == 1057);
	CHECK(l.st.records == 5);
}

static void
test_remotes(void)
{
	struct live_sub	 a = { 0 }, b = { 0 };
	const char	*sub = "{\"subscribe\":[\"02:00:00:00:00:32\"]}";
	char		*t, *p;
	uint32_t	 i;
	json_t		*o, *rem;

	setup();
	/* a subscription before the device is seen: it takes effect once
	 * it is */
	CHECK(live_message(&l, &a, sub, strlen(sub)) == NULL);
	rec(0x32, 1, 0xcb007101, 443, 100);
	rec(0x32, 0, 0xcb007102, 80, 5000);
	for (i = 0; i < 40; i++)
		rec(0x32, 0, 0xc6336400 + i, 443, 10 + i);
	rec(0x07, 1, 0xcb007101, 443, 100);	/* not subscribed */
	CHECK(live_close(&l, 1000, 1) == 0);
	t = live_text(&l, &a);
	o = json_loads(t, 0, NULL);
	CHECK(o != NULL);
	rem = json_object_get(json_object_get(o, "remotes"),
	    "02:00:00:00:00:32");
	CHECK(json_array_size(rem) == LIVE_TOP);
	CHECK(json_object_size(json_object_get(o, "remotes")) == 1);
	/* busiest first: 5000 down, then the 49-byte one, ... */
	CHECK_STR(json_string_value(json_object_get(json_array_get(rem, 0),
	    "addr")), "203.0.113.2");
	CHECK_STR(json_string_value(json_object_get(json_array_get(rem, 0),
	    "name")), "evil\"\\\n\xc3\x83(<b>");
	CHECK(json_integer_value(json_object_get(json_array_get(rem, 0),
	    "down")) == 5000);
	/* then 203.0.113.1's 100 up, then 49, 48, ... down */
	CHECK_STR(json_string_value(json_object_get(json_array_get(rem, 1),
	    "name")), "one.example.");
	CHECK(json_integer_value(json_object_get(json_array_get(rem, 2),
	    "down")) == 49);
	CHECK(json_integer_value(json_object_get(json_array_get(rem, 15),
	    "down")) == 36);
	CHECK(json_is_null(json_object_get(json_array_get(rem, 2), "name")));
	CHECK_STR(json_string_value(json_object_get(json_array_get(rem, 2),
	    "proto")), "tcp");
	json_decref(o);
	/* the hostile name reached the text escaped, as 7-bit JSON */
	p = strstr(t, "evil");
	CHECK(p != NULL && strncmp(p, "evil\\\"\\\\\\u000a\\u00c3(<b>", 24) ==
	    0);
	for (p = t; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	free(t);
	/* a socket without the subscription gets no remotes */
	t = live_text(&l, &b);
	CHECK(strstr(t, "\"remotes\":{}") != NULL);
	free(t);
	/* unsubscribing lets the watch go */
	CHECK(live_message(&l, &a, "{\"subscribe\":[]}", 16) == NULL);
	CHECK(l.watch[0].refs == 0 && l.dev[0].watch == -1);
	live_drop(&l, &a);
	live_drop(&l, &b);
}

static void
test_top_order(void)
{
	struct live_sub	 a = { 0 };
	const char	*sub = "{\"subscribe\":[\"02:00:00:00:00:32\"]}";
	char		*t;
	json_t		*o, *rem;
	size_t		 i;

	setup();
	CHECK(live_message(&l, &a, sub, strlen(sub)) == NULL);
	rec(0x32, 1, 0xcb007101, 443, 100);
	rec(0x32, 0, 0xcb007102, 80, 5000);
	rec(0x32, 1, 0xcb007103, 22, 300);
	rec(0x32, 0, 0xcb007101, 443, 250);	/* the same remote: 350 */
	rec(0x32, 0, 0xcb007101, 8443, 1);	/* another port: another row */
	CHECK(live_close(&l, 1000, 1) == 0);
	t = live_text(&l, &a);
	o = json_loads(t, 0, NULL);
	rem = json_object_get(json_object_get(o, "remotes"),
	    "02:00:00:00:00:32");
	CHECK(json_array_size(rem) == 4);
	{
		static const char *want[] = { "203.0.113.2", "203.0.113.1",
		    "203.0.113.3", "203.0.113.1" };
		static const int port[] = { 80, 443, 22, 8443 };

		for (i = 0; i < 4; i++) {
			CHECK_STR(json_string_value(json_object_get(
			    json_array_get(rem, i), "addr")), want[i]);
			CHECK(json_integer_value(json_object_get(
			    json_array_get(rem, i), "port")) == port[i]);
		}
	}
	CHECK_STR(json_string_value(json_object_get(json_array_get(rem, 1),
	    "name")), "one.example.");
	CHECK(json_integer_value(json_object_get(json_array_get(rem, 1),
	    "up")) == 100);
	CHECK(json_integer_value(json_object_get(json_array_get(rem, 1),
	    "down")) == 250);
	json_decref(o);
	free(t);
	live_drop(&l, &a);
}

static void
test_behind(void)
{
	struct live_sub	 s = { 0 };
	char		*t;

	setup();
	rec(0x32, 1, 0xcb007101, 443, 10);
	CHECK(live_close(&l, 1000, 1) == 0);
	free(live_text(&l, &s));
	/* three frames it cannot take, a new device among them */
	rec(0x32, 1, 0xcb007101, 443, 20);
	CHECK(live_close(&l, 1100, 1) == 0);
	CHECK(live_behind(&l, &s) == 0 && live_is_behind(&s));
	rec(0x32, 0, 0xcb007101, 443, 300);
	rec(0x44, 1, 0xcb007101, 443, 7);
	CHECK(live_close(&l, 1200, 1) == 0);
	CHECK(live_behind(&l, &s) == 0);
	rec(0x32, 1, 0xcb007101, 443, 4000);
	CHECK(live_close(&l, 1300, 1) == 0);
	CHECK(live_behind(&l, &s) == 0);
	t = live_text(&l, &s);
	CHECK_STR(t, "{\"t\":1300,\"devices\":["
	    "{\"mac\":\"02:00:00:00:00:32\",\"ip\":\"10.42.0.50\","
	    "\"up\":4020,\"down\":300},"
	    "{\"mac\":\"02:00:00:00:00:44\",\"ip\":\"10.42.0.68\","
	    "\"up\":7,\"down\":0}],"
	    "\"new\":[{\"mac\":\"02:00:00:00:00:44\",\"ip\":\"10.42.0.68\","
	    "\"hostname\":null,\"vendor\":null}],\"remotes\":{}}");
	free(t);
	CHECK(!live_is_behind(&s));
	/* up to date again: the next frame is the interval's alone */
	rec(0x32, 1, 0xcb007101, 443, 1);
	CHECK(live_close(&l, 1400, 1) == 0);
	t = live_text(&l, &s);
	CHECK(strstr(t, "\"up\":1,\"down\":0") != NULL &&
	    strstr(t, "\"new\":[]") != NULL);
	free(t);
}

static void
test_parser(void)
{
	static const char *bad[] = {
		"", "not json", "[]", "{}", "{\"subscribe\":1}",
		"{\"subscribe\":[1]}", "{\"subscribe\":[\"02:00:00:00:00\"]}",
		"{\"subscribe\":[\"zz:00:00:00:00:01\"]}",
		"{\"subscribe\":[],\"x\":1}",
		"{\"subscribe\":[],\"subscribe\":[]}",
		("{\"subscribe\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\","
		    "\"8\",\"9\"]}"),
		"{\"subscribe\":[\"02:00:00:00:00:01\"]} trailing",
	};
	uint8_t		 macs[LIVE_SUBS_MAX][6];
	char		 big[LIVE_MSG_MAX + 2];
	struct live_sub	 s = { 0 };
	const char	*ok9;
	size_t		 i;
	int		 n;

	setup();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(live_parse_subscribe(bad[i], strlen(bad[i]), macs, &n) !=
		    NULL && n == 0);
		CHECK(live_message(&l, &s, bad[i], strlen(bad[i])) != NULL);
	}
	CHECK(l.st.bad_messages == i);
	memset(big, ' ', sizeof(big));
	CHECK(live_parse_subscribe(big, sizeof(big), macs, &n) != NULL);
	/* eight, upper case, a repeat taken once */
	ok9 = "{\"subscribe\":[\"02:00:00:00:00:01\",\"02:00:00:00:00:02\","
	    "\"02:00:00:00:00:03\",\"02:00:00:00:00:04\","
	    "\"02:00:00:00:00:05\",\"02:00:00:00:00:06\","
	    "\"02:00:00:00:00:0A\",\"02:00:00:00:00:0a\"]}";
	CHECK(live_parse_subscribe(ok9, strlen(ok9), macs, &n) == NULL &&
	    n == 8 && macs[7][5] == 0x0a);
	CHECK(live_message(&l, &s, ok9, strlen(ok9)) == NULL && s.n == 7);
	/* a bad message keeps what the socket had */
	CHECK(live_message(&l, &s, "{}", 2) != NULL && s.n == 7);
	live_drop(&l, &s);
	for (i = 0; i < LIVE_WATCH_MAX; i++)
		CHECK(l.watch[i].refs == 0);
	/* seven watches made, the rest never touched; free ones are reused */
	CHECK(l.nwatch == 7);
	CHECK(live_message(&l, &s, ok9, strlen(ok9)) == NULL && l.nwatch == 7);
	live_drop(&l, &s);
}

static void
test_watch_cap(void)
{
	static struct live_sub s[LIVE_WATCH_MAX / LIVE_SUBS_MAX + 1];
	char		 msg[512];
	size_t		 k, j;
	int		 m = 0;

	setup();
	for (k = 0; k < sizeof(s) / sizeof(s[0]); k++) {
		m = snprintf(msg, sizeof(msg), "{\"subscribe\":[");
		for (j = 0; j < LIVE_SUBS_MAX; j++)
			m += snprintf(msg + m, sizeof(msg) - (size_t)m,
			    "%s\"02:00:00:00:%02zx:%02zx\"", j ? "," : "", k,
			    j);
		m += snprintf(msg + m, sizeof(msg) - (size_t)m, "]}");
		if (k < LIVE_WATCH_MAX / LIVE_SUBS_MAX)
			CHECK(live_message(&l, &s[k], msg, (size_t)m) == NULL);
		else
			CHECK(live_message(&l, &s[k], msg, (size_t)m) != NULL &&
			    s[k].n == 0);
	}
	CHECK(l.st.watch_full == 1);
	/* one socket going frees room for another */
	live_drop(&l, &s[0]);
	CHECK(live_message(&l, &s[k - 1], msg, (size_t)m) == NULL);
	for (k = 0; k < sizeof(s) / sizeof(s[0]); k++)
		live_drop(&l, &s[k]);
}

/* The remote (addr, port) of a frame's list for a device; NULL: none. */
static json_t *
remote_of(json_t *frame, const char *mac, const char *addr, int port)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(json_object_get(json_object_get(frame, "remotes"),
	    mac), i, e)
		if (strcmp(json_string_value(json_object_get(e, "addr")),
		    addr) == 0 &&
		    json_integer_value(json_object_get(e, "port")) == port)
			return e;
	return NULL;
}

static int64_t
field(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* A socket behind for four frames: its frame's remotes are the sums
 * over all four, a remote silent in the last one included, busiest
 * first; a subscription changed meanwhile keeps what it missed of a
 * device it still watches and starts the new one empty. */
static void
test_behind_remotes(void)
{
	struct live_sub	 s = { 0 };
	const char	*sub = "{\"subscribe\":[\"02:00:00:00:00:32\"]}";
	const char	*two = "{\"subscribe\":[\"02:00:00:00:00:44\","
			    "\"02:00:00:00:00:32\"]}";
	char		*t;
	json_t		*o, *rem, *e;
	int		 f, i;

	setup();
	CHECK(live_message(&l, &s, sub, strlen(sub)) == NULL);
	rec(0x32, 1, 0xcb007101, 443, 10);
	CHECK(live_close(&l, 1000, 1) == 0);
	free(live_text(&l, &s));
	for (f = 0; f < 4; f++) {
		rec(0x32, 1, 0xcb007101, 443, 100);	/* each frame */
		rec(0x32, 0, 0xcb007101, 443, 1000);
		if (f == 0)	/* once, the first: big, then silent */
			rec(0x32, 0, 0xcb007102, 80, 50000);
		if (f == 3)	/* the last only */
			rec(0x32, 1, 0xcb007103, 22, 7);
		/* 30 others, each in one frame only: more than LIVE_TOP */
		for (i = 0; i < 8; i++)
			rec(0x32, 0, 0xc6336400 + (uint32_t)(f * 8 + i), 53,
			    (uint64_t)(200 + f * 8 + i));
		rec(0x44, 1, 0xcb007101, 443, 3);	/* not watched yet */
		CHECK(live_close(&l, 1100 + (uint64_t)f * 100, 1) == 0);
		CHECK(live_behind(&l, &s) == 0);
		if (f == 1)	/* 0x44 added, 0x32 kept */
			CHECK(live_message(&l, &s, two, strlen(two)) == NULL);
	}
	t = live_text(&l, &s);
	CHECK(!live_is_behind(&s));
	o = json_loads(t, 0, NULL);
	CHECK(o != NULL);
	rem = json_object_get(json_object_get(o, "remotes"),
	    "02:00:00:00:00:32");
	CHECK(json_array_size(rem) == LIVE_TOP);
	CHECK_STR(json_string_value(json_object_get(json_array_get(rem, 0),
	    "addr")), "203.0.113.2");
	CHECK(field(json_array_get(rem, 0), "down") == 50000);
	e = json_array_get(rem, 1);
	CHECK_STR(json_string_value(json_object_get(e, "addr")),
	    "203.0.113.1");
	CHECK_STR(json_string_value(json_object_get(e, "name")),
	    "one.example.");
	CHECK(field(e, "up") == 400 && field(e, "down") == 4000);
	/* then the one-frame remotes, busiest (the last frame's) first */
	CHECK(field(json_array_get(rem, 2), "down") == 231);
	CHECK(field(json_array_get(rem, 15), "down") == 218);
	/* 7 bytes: below the top 16 */
	CHECK(remote_of(o, "02:00:00:00:00:32", "203.0.113.3", 22) == NULL);
	/* 0x44: the two frames since it was subscribed, summed */
	rem = json_object_get(json_object_get(o, "remotes"),
	    "02:00:00:00:00:44");
	CHECK(json_array_size(rem) == 1);
	CHECK(field(json_array_get(rem, 0), "up") == 6);
	json_decref(o);
	free(t);
	/* up to date again: the next frame's remotes are its own */
	rec(0x32, 1, 0xcb007101, 443, 5);
	CHECK(live_close(&l, 1600, 1) == 0);
	t = live_text(&l, &s);
	o = json_loads(t, 0, NULL);
	rem = json_object_get(json_object_get(o, "remotes"),
	    "02:00:00:00:00:32");
	CHECK(json_array_size(rem) == 1 &&
	    field(json_array_get(rem, 0), "up") == 5);
	json_decref(o);
	free(t);
	live_drop(&l, &s);
}

/* Adds the devices' bytes of frame text t into got, and frees t. */
static void
sum_devices(char *t, uint64_t got[2])
{
	json_t	*o, *d;
	size_t	 i;

	o = json_loads(t, 0, NULL);
	CHECK(o != NULL);
	json_array_foreach(json_object_get(o, "devices"), i, d) {
		got[0] += (uint64_t)json_integer_value(json_object_get(d, "up"));
		got[1] += (uint64_t)json_integer_value(json_object_get(d,
		    "down"));
	}
	json_decref(o);
	free(t);
}

/*
 * Views (what ws.c frames once for many sockets): sockets up to date
 * with the same subscriptions have the same key and get the same text;
 * other subscriptions (or their order) another key; a socket behind
 * none. A socket marked sent with live_sent instead of building its
 * text is up to date like one that built it: what it gets after falling
 * behind starts after that frame.
 */
static void
test_views(void)
{
	struct live_sub	 a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
	struct live_sub	 e = { 0 };
	int16_t		 ka[LIVE_SUBS_MAX], kb[LIVE_SUBS_MAX];
	int16_t		 kc[LIVE_SUBS_MAX], kd[LIVE_SUBS_MAX];
	const char	*one = "{\"subscribe\":[\"02:00:00:00:00:32\"]}";
	const char	*two = "{\"subscribe\":[\"02:00:00:00:00:32\","
			    "\"02:00:00:00:00:44\"]}";
	const char	*owt = "{\"subscribe\":[\"02:00:00:00:00:44\","
			    "\"02:00:00:00:00:32\"]}";
	uint64_t	 got[2] = { 0, 0 };
	char		*ta, *tb;
	int		 na, nb, nc, nd;

	setup();
	CHECK(live_message(&l, &a, one, strlen(one)) == NULL);
	CHECK(live_message(&l, &b, one, strlen(one)) == NULL);
	CHECK(live_message(&l, &c, two, strlen(two)) == NULL);
	CHECK(live_message(&l, &d, owt, strlen(owt)) == NULL);
	rec(0x32, 1, 0xcb007101, 443, 10);
	rec(0x44, 0, 0xcb007102, 80, 20);
	CHECK(live_close(&l, 1000, 1) == 0);
	na = live_view_key(&a, ka);
	nb = live_view_key(&b, kb);
	nc = live_view_key(&c, kc);
	nd = live_view_key(&d, kd);
	CHECK(na == 1 && nb == 1 && memcmp(ka, kb, sizeof(ka[0])) == 0);
	CHECK(nc == 2 && nd == 2 && memcmp(kc, kd, 2 * sizeof(kc[0])) != 0);
	CHECK(live_view_key(&e, ka) == 0);	/* no subscription */
	ta = live_text(&l, &a);
	tb = live_text(&l, &b);
	CHECK(ta != NULL && tb != NULL && strcmp(ta, tb) == 0);
	free(ta);
	free(tb);
	/* e is sent the no-subscription view without building it */
	live_sent(&l, &e);
	/* then falls behind for two frames: it gets those two, exactly */
	rec(0x32, 1, 0xcb007101, 443, 300);
	CHECK(live_close(&l, 1100, 1) == 0);
	CHECK(live_behind(&l, &e) == 0);
	CHECK(live_view_key(&e, ka) == -1);
	rec(0x32, 0, 0xcb007101, 443, 4000);
	CHECK(live_close(&l, 1200, 1) == 0);
	CHECK(live_behind(&l, &e) == 0);
	sum_devices(live_text(&l, &e), got);
	CHECK(got[0] == 300 && got[1] == 4000);
	CHECK(live_view_key(&e, ka) == 0);
	live_drop(&l, &a);
	live_drop(&l, &b);
	live_drop(&l, &c);
	live_drop(&l, &d);
	live_drop(&l, &e);
}

#define SUMS_REMOTES	12	/* fewer than LIVE_TOP: every one shown */

/* Adds device 0x00's remotes' bytes of frame text t into got. */
static void
sum_remotes(const char *t, uint64_t got[SUMS_REMOTES][2])
{
	json_t	*o, *e;
	char	 addr[32];
	int	 i;

	o = json_loads(t, 0, NULL);
	CHECK(o != NULL);
	for (i = 0; i < SUMS_REMOTES; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", i);
		if ((e = remote_of(o, "02:00:00:00:00:00", addr, 443)) == NULL)
			continue;
		got[i][0] += (uint64_t)field(e, "up");
		got[i][1] += (uint64_t)field(e, "down");
	}
	json_decref(o);
}

/* Over many frames with random traffic and random stalls, what each
 * socket was sent sums to exactly what was added: per device, and per
 * remote of the device it subscribed to. */
static void
test_sums(void)
{
	const char	*sub = "{\"subscribe\":[\"02:00:00:00:00:00\"]}";
	struct live_sub	 s[3];
	uint64_t	 added[2] = { 0, 0 }, got[3][2];
	uint64_t	 radded[SUMS_REMOTES][2], rgot[3][SUMS_REMOTES][2];
	char		*t;
	int		 f, k, r, i;

	setup();
	memset(s, 0, sizeof(s));
	memset(got, 0, sizeof(got));
	memset(radded, 0, sizeof(radded));
	memset(rgot, 0, sizeof(rgot));
	for (k = 0; k < 3; k++)
		CHECK(live_message(&l, &s[k], sub, strlen(sub)) == NULL);
	srandom(12);
	for (f = 0; f < 2000; f++) {
		for (r = random() % 20; r > 0; r--) {
			uint64_t b = (uint64_t)(random() % 1500) + 40;
			int up = random() & 1;
			uint8_t dev = (uint8_t)(random() % 5);

			i = (int)(random() % SUMS_REMOTES);
			rec(dev, up, 0xcb007100 + (uint32_t)i, 443, b);
			added[!up] += b;
			if (dev == 0)
				radded[i][!up] += b;
		}
		CHECK(live_close(&l, (uint64_t)f * 100, 1) == 0);
		for (k = 0; k < 3; k++) {
			/* socket k stalls more the higher k */
			if (random() % 4 < k) {
				CHECK(live_behind(&l, &s[k]) == 0);
				continue;
			}
			t = live_text(&l, &s[k]);
			sum_remotes(t, rgot[k]);
			sum_devices(t, got[k]);
		}
	}
	CHECK(live_close(&l, 1000000, 1) == 0);
	for (k = 0; k < 3; k++) {
		t = live_text(&l, &s[k]);
		sum_remotes(t, rgot[k]);
		sum_devices(t, got[k]);
		CHECK(got[k][0] == added[0] && got[k][1] == added[1]);
		CHECK(memcmp(rgot[k], radded, sizeof(radded)) == 0);
		live_drop(&l, &s[k]);
	}
	CHECK(radded[0][0] > 0 && l.st.remotes_over == 0);
}

/* A full table: a device silent a minute gives its place, a busy one
 * does not; a socket behind across it still gets exact sums. */
static void
test_evict(void)
{
	struct live_sub	 s = { 0 };
	struct live_rec	 r;
	uint64_t	 got[2] = { 0, 0 };
	int		 i;

	setup();
	known_all = 1;
	memset(&r, 0, sizeof(r));
	r.mac[0] = 0x06;
	r.up = 1;
	r.bytes = 10;
	for (i = 0; i < LIVE_DEVICES_MAX; i++) {
		r.mac[4] = (uint8_t)(i >> 8);
		r.mac[5] = (uint8_t)i;
		live_add(&l, &r);
	}
	CHECK(live_close(&l, 100, 1) == 0);
	free(live_text(&l, &s));
	/* a minute on, every one silent but the last */
	for (i = 0; i < LIVE_IDLE_FRAMES; i++) {
		rec(0x00, 1, 0xcb007101, 443, 1);	/* not in the table */
		live_add(&l, &r);
		CHECK(live_close(&l, 200 + (uint64_t)i * 100, 1) == 0);
		free(live_text(&l, &s));
	}
	CHECK(l.st.devices_full == LIVE_IDLE_FRAMES);
	/* the socket falls behind; then a new device takes a place */
	rec(0x00, 1, 0xcb007101, 443, 1);
	CHECK(l.st.devices_evicted == 1 && l.ndev == LIVE_DEVICES_MAX);
	live_add(&l, &r);
	CHECK(live_close(&l, 100000, 1) == 0);
	CHECK(live_behind(&l, &s) == 0);
	rec(0x00, 1, 0xcb007101, 443, 5);
	rec(0x01, 1, 0xcb007101, 443, 7);	/* another place given */
	CHECK(l.st.devices_evicted == 2);
	CHECK(live_close(&l, 100100, 1) == 0);
	CHECK(live_behind(&l, &s) == 0);
	sum_devices(live_text(&l, &s), got);
	/* two frames: 1 + 5 + 7 from the new ones, 10 + 0 from the busy */
	CHECK(got[0] == 1 + 5 + 7 + 10 && got[1] == 0);
}

/*
 * webd's state is static: its 2 MB stay unresident but for what is used.
 * A dashboard watching one device for a second of frames touches a few
 * pages; the 63 watches nobody took (33 KB each, pages of their own) are
 * never read or written (walking all 64 at every frame made 256 KB
 * resident at webd's first frame).
 */
static struct live	 fresh;

static void
test_untouched(void)
{
	const struct live_ops ops = { name_of, known, vendor_of, NULL };
	const char	*one = "{\"subscribe\":[\"02:00:00:00:00:32\"]}";
	struct live_sub	 s = { 0 };
	size_t		 pages;
	char		*t;
	int		 i;

	/* as the suite runs (gatekeeperd's no_huge_pages): else where THP
	 * is "always" a first touch makes an aligned 2 MB resident */
	CHECK(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0);
	live_init(&fresh, &ops);
	CHECK(live_message(&fresh, &s, one, strlen(one)) == NULL);
	for (i = 0; i < 10; i++) {
		rec_into(&fresh, 0x32, 1, 0xcb007101, 443, 100);
		rec_into(&fresh, 0x33, 0, 0xcb007102, 80, 100);
		CHECK(live_close(&fresh, 1000 + 100 * (uint64_t)i, 1) == 0);
		t = live_text(&fresh, &s);
		CHECK(t != NULL && strstr(t, "one.example.") != NULL);
		free(t);
	}
	pages = check_resident_pages(&fresh, sizeof(fresh));
	CHECK(fresh.nwatch == 1 && pages < 32);
	if (pages >= 32)
		fprintf(stderr, "%zu pages of %zu resident\n", pages,
		    sizeof(fresh) / 4096);
	live_drop(&fresh, &s);
	free(fresh.watch[0].frag);
	free(fresh.shared);
	free(fresh.plain);
}

int
main(void)
{
	test_untouched();
	test_frames();
	test_remotes();
	test_top_order();
	test_behind();
	test_behind_remotes();
	test_parser();
	test_watch_cap();
	test_sums();
	test_evict();
	test_views();
	setup();
	return check_result();
}
