/*
 * bench/web's day of history: a household's last 24 hours for the
 * devices named on stdin ("MAC IP" a line, at most 64), written as
 * webd's own checkpoint (history.db, through webd/store.c, the code webd
 * checkpoints with), so that a webd started with the file in its state
 * dir rebuilds its history region from it (store_load) exactly as after
 * a reboot. Not a test, not installed.
 *
 *   web-dayseed DB END_MS < devices
 *
 * The day ends at END_MS (wall clock, ms; the bench gives "now"). The
 * devices take turns at five kinds of household use, each device with
 * its own times and sizes (a fixed pseudo-random sequence, so two runs
 * write the same day):
 *
 *   0 a TV: one evening of video, 2 to 5 Mbit/s down in every 100 ms,
 *     for 1 to 3 hours; its app's check-ins every 5 minutes
 *   1 a laptop: browsing for 8 hours, a page (100 kB to 2 MB over one
 *     to three seconds) every 5 to 60 s, from a dozen sites
 *   2 a phone: a page now and then all day, a push channel's keepalive
 *     every minute
 *   3 a sensor: 200 bytes up and 100 down every 30 s, all day
 *   4 a speaker: a keepalive every 10 s, an hour of music at 320 kbit/s
 *
 * Remote addresses are documentation ranges (192.0.2.0/24,
 * 198.51.100.0/24): this is data in a file, nothing is sent to them.
 * Prints what it made: records, pairs, the region's blocks, the file.
 */
#include <arpa/inet.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include <sqlite3.h>

#include "conf.h"
#include "store.h"

#define DAY_MS		(86400 * 1000ULL)
#define HOUR_MS		(3600 * 1000ULL)
#define REGION		(64UL * 1024 * 1024)	/* webd's default */
#define MAX_DEV		64
#define TICK_MS		100

struct dev {
	uint8_t		 mac[6];
	uint32_t	 ip;		/* network order */
	int		 kind;
	uint64_t	 rng;
	uint64_t	 a_from, a_to;	/* the device's busy stretch */
	uint64_t	 next;		/* its next event */
	uint64_t	 burst_to;	/* a page loading until */
	uint32_t	 burst_bytes;	/* per tick while it loads */
	uint32_t	 burst_remote;
	uint32_t	 rate;		/* bytes a tick of its stream */
};

static struct hist	 hs;
static uint64_t		 nrec;

static uint32_t
rnd(struct dev *d, uint32_t n)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 7;
	d->rng ^= d->rng << 17;
	return (uint32_t)(d->rng % n);
}

/* 192.0.2.x or 198.51.100.x, network order */
static uint32_t
remote(int net, uint64_t host)
{
	return htonl((net ? 0xc6336400U : 0xc0000200U) | (uint32_t)host);
}

static uint64_t
last_octet(const struct dev *d)
{
	return ntohl(d->ip) & 0xff;
}

static void
add(struct dev *d, uint64_t ms, uint32_t rem, uint8_t proto, uint16_t port,
    int up, uint32_t bytes, const char *name)
{
	struct hist_rec	 r;
	uint32_t	 p;

	if (bytes == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.ms = ms;
	memcpy(r.mac, d->mac, 6);
	r.lan_ip = d->ip;
	r.remote = rem;
	r.proto = proto;
	r.up = (uint8_t)up;
	r.remote_port = port;
	r.bytes = bytes;
	r.packets = 1 + bytes / 1448;
	hist_add(&hs, &r);
	nrec++;
	if (name != NULL && (p = hist_find(&hs, d->mac, rem)) != HIST_NONE &&
	    hs.pairs[p].name[0] == '\0')
		hist_set_name(&hs, p, name);
}

/* A small exchange: a request up, an answer down. */
static void
ping(struct dev *d, uint64_t ms, uint32_t rem, uint16_t port, uint32_t up,
    uint32_t down, const char *name)
{
	add(d, ms, rem, port == 123 ? 17 : 6, port, 1, up, name);
	add(d, ms + 30, rem, port == 123 ? 17 : 6, port, 0, down, name);
}

static const char *const sites[] = { "news.example.com",
	"mail.example.com", "search.example.net", "shop.example.org",
	"wiki.example.org", "video.example.net", "maps.example.com",
	"social.example.net", "docs.example.com", "cdn.example.net",
	"bank.example.com", "weather.example.org" };

/* A page starts loading: 100 kB to 2 MB over 1 to 3 s from one site. */
static void
page(struct dev *d, uint64_t ms, uint32_t max_kb)
{
	uint32_t	 kb = 100 + rnd(d, max_kb), ticks = 10 + rnd(d, 21);
	int		 s = (int)rnd(d, sizeof(sites) / sizeof(sites[0]));

	d->burst_remote = (uint32_t)s;
	d->burst_to = ms + ticks * TICK_MS;
	d->burst_bytes = kb * 1000 / ticks;
}

static void
burst(struct dev *d, uint64_t ms)
{
	int	 s = (int)d->burst_remote;

	if (ms >= d->burst_to)
		return;
	add(d, ms, remote(1, 20 + (uint64_t)s), 6, 443, 0, d->burst_bytes, sites[s]);
	add(d, ms + 5, remote(1, 20 + (uint64_t)s), 6, 443, 1, d->burst_bytes / 40,
	    sites[s]);
}

static void
step(struct dev *d, uint64_t ms)
{
	int	 in = ms >= d->a_from && ms < d->a_to;

	switch (d->kind) {
	case 0:		/* TV */
		if (in)
			add(d, ms + 3, remote(1, 10 + last_octet(d) % 3),
			    6, 443, 0, d->rate + rnd(d, d->rate / 4),
			    "video.example.net");
		if (in && ms % 1000 == 0)
			add(d, ms + 7, remote(1, 10 + last_octet(d) % 3),
			    6, 443, 1, 400 + rnd(d, 200), "video.example.net");
		if (ms >= d->next) {
			ping(d, ms, remote(0, 40), 443, 600, 1800,
			    "tv-api.example.com");
			d->next = ms + 300000;
		}
		break;
	case 1:		/* laptop */
	case 2:		/* phone */
		if (ms >= d->next) {
			if (d->kind == 2 || in)
				page(d, ms, d->kind == 1 ? 1900 : 600);
			d->next = ms + (d->kind == 1 ? 5000 + rnd(d, 55000) :
			    60000 + rnd(d, 600000));
		}
		burst(d, ms);
		if (d->kind == 2 && ms % 60000 == last_octet(d) * 100 % 60000)
			ping(d, ms, remote(0, 50), 5228, 120, 90,
			    "push.example.com");
		break;
	case 3:		/* sensor */
		if (ms % 30000 == last_octet(d) * 300 % 30000)
			ping(d, ms, remote(0, 60), 8883, 200, 100,
			    "iot.example.org");
		break;
	case 4:		/* speaker */
		if (ms % 10000 == last_octet(d) * 100 % 10000)
			ping(d, ms, remote(0, 70), 443, 150, 150,
			    "speaker.example.com");
		if (in)
			add(d, ms + 11, remote(1, 80), 6, 443, 0, 4000 +
			    rnd(d, 100), "music.example.com");
		break;
	}
}

/* Each device's busy stretch, from the day's end backwards. */
static void
plan(struct dev *d, int i, uint64_t start, uint64_t end)
{
	d->kind = i % 5;
	d->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
	d->next = start + rnd(d, 60000) / TICK_MS * TICK_MS;
	switch (d->kind) {
	case 0:
		/* the first TV is still watching: its evening ends now */
		d->a_to = i == 0 ? end : end - (1 + rnd(d, 8)) * HOUR_MS;
		d->a_from = d->a_to - (1 + rnd(d, 3)) * HOUR_MS;
		d->rate = (2000 + rnd(d, 3000)) * 1000 / 8 / 10;
		break;
	case 1:
		d->a_to = end - rnd(d, 6) * HOUR_MS;
		d->a_from = d->a_to - 8 * HOUR_MS;
		break;
	case 4:
		d->a_to = end - (2 + rnd(d, 12)) * HOUR_MS;
		d->a_from = d->a_to - HOUR_MS;
		break;
	default:
		d->a_from = d->a_to = 0;
	}
}

static int
read_devices(struct dev *devs)
{
	char		 line[128], mac[32], ip[32];
	struct in_addr	 a;
	int		 n = 0;

	while (fgets(line, sizeof(line), stdin) != NULL && n < MAX_DEV) {
		if (sscanf(line, "%31s %31s", mac, ip) != 2 ||
		    conf_parse_mac(mac, devs[n].mac) == -1 ||
		    inet_pton(AF_INET, ip, &a) != 1) {
			fprintf(stderr, "web-dayseed: not \"MAC IP\": %s",
			    line);
			exit(1);
		}
		devs[n++].ip = a.s_addr;
	}
	return n;
}

int
main(int argc, char **argv)
{
	static struct dev devs[MAX_DEV];
	struct store	 st;
	struct stat	 sb;
	sqlite3		*db;
	void		*mem;
	char		 err[256];
	uint64_t	 end, start, ms;
	double		 t0;
	int		 n, i;

	if (argc != 3 || (end = strtoull(argv[2], NULL, 10)) < DAY_MS) {
		fprintf(stderr, "usage: web-dayseed DB END_MS < devices\n");
		return 2;
	}
	t0 = (double)clock();
	end = end / 1000 * 1000;
	start = end - DAY_MS;
	if ((n = read_devices(devs)) == 0)
		return 1;
	if ((mem = calloc(1, REGION)) == NULL ||
	    hist_attach(&hs, mem, REGION, 86400) == -1)
		return 1;
	for (i = 0; i < n; i++)
		plan(&devs[i], i, start, end);
	for (ms = start; ms < end; ms += TICK_MS) {
		for (i = 0; i < n; i++)
			step(&devs[i], ms);
		if (ms % 60000 == 0)
			hist_tick(&hs, ms);
	}
	hist_tick(&hs, end + 2000);

	unlink(argv[1]);
	if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL,
	    NULL) != SQLITE_OK || store_init(&st, db, err, sizeof(err)) ==
	    -1 || store_checkpoint(&st, &hs, (uint32_t)(end / 1000),
	    end + 2000, err, sizeof(err)) == -1) {
		fprintf(stderr, "web-dayseed: %s: %s\n", argv[1], err);
		return 1;
	}
	store_fini(&st);
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(db);
	if (stat(argv[1], &sb) == -1)
		return 1;
	printf("a day of history for %d devices: %llu records, %u pairs, "
	    "%u of %u pool units (%llu coarsened, %llu dropped); %s %lld bytes, "
	    "%.1f s of CPU\n", n, (unsigned long long)nrec,
	    hs.h->pairs_used, hist_units_used(&hs), hs.h->nunits,
	    (unsigned long long)hs.h->st.coarsened[0],
	    (unsigned long long)hs.h->st.dropped, argv[1],
	    (long long)sb.st_size, ((double)clock() - t0) / CLOCKS_PER_SEC);
	free(mem);
	return 0;
}
