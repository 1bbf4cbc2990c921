/*
 * Writes the proto corpus's seeds for the big messages into DIR, built
 * the way the daemons build them, so that the fuzzer starts from valid
 * MSG_CONFIG (~28 KB), full MSG_DNS_OBS batches and long text replies
 * rather than hoping to assemble them byte by byte:
 *	seed_proto DIR
 * Run again (and commit what changed) when a message struct changes.
 */
#include <arpa/inet.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "proto.h"

/* A config with every list used, as a router might have. */
static const char conf_text[] =
    "wan eth0\n"
    "lan eth1 eth2 eth3\n"
    "lan-address 10.42.0.1/24\n"
    "dhcp-range 10.42.0.100 10.42.0.250\n"
    "lease-time 12h\n"
    "domain lan\n"
    "upstream 9.9.9.9 149.112.112.112\n"
    "static-lease 52:54:00:12:34:56 10.42.0.10 printer\n"
    "static-lease 52:54:00:12:34:57 10.42.0.11 nas\n"
    "port-forward tcp 8443 10.42.0.10 443\n"
    "port-forward udp 51820 10.42.0.11\n"
    "nat-filtering tcp address-dependent\n"
    "nat-timeout udp 5m\n"
    "dhcp-ntp 10.42.0.1 192.0.2.123\n"
    "dhcp-route 192.168.50.0/24 10.42.0.2\n"
    "rebind-allow nas.example.com plex.direct\n"
    "state-dir /var/lib/gatekeeper\n"
    "run-dir /run/gatekeeper\n";

static void
conf_error(void *arg, const char *msg)
{
	(void)arg;
	errx(1, "built-in config: %s", msg);
}

static void
write_msg(const char *dir, const char *name, uint16_t type, uint32_t peer,
    const void *payload, size_t len)
{
	struct proto_hdr hdr;
	char		 path[4096];
	FILE		*f;

	proto_hdr_init(&hdr, type, (uint32_t)len, peer);
	hdr.pid = 4242;		/* the same bytes on every run */
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		err(1, "%s", path);
	if (fwrite(&hdr, sizeof(hdr), 1, f) != 1 ||
	    (len && fwrite(payload, len, 1, f) != 1) || fclose(f) != 0)
		err(1, "%s", path);
}

static void
seed_config(const char *dir)
{
	static struct msg_config mc;

	memset(&mc, 0, sizeof(mc));
	conf_init(&mc.conf);
	if (conf_parse_buf(&mc.conf, "seed.conf", conf_text,
	    sizeof(conf_text) - 1, conf_error, NULL) != 0)
		errx(1, "built-in config does not parse");
	strlcpy(mc.lan_ifname, "gkbr0", sizeof(mc.lan_ifname));
	memcpy(mc.lan_mac, "\x02\x6b\x00\x00\x00\x01", 6);
	inet_pton(AF_INET, "203.0.113.2", &mc.wan_addr);
	mc.wan_prefix = 24;
	mc.generation = 1;
	mc.local_port_min = 32768;
	mc.local_port_max = 60999;
	mc.lan_ifindex = 4;
	write_msg(dir, "config", MSG_CONFIG, PEER_PARENT, &mc, sizeof(mc));
}

static void
seed_dns_obs(const char *dir)
{
	static struct msg_dns_obs m;
	uint32_t	 i;

	memset(&m, 0, sizeof(m));
	m.count = DNS_OBS_MAX;
	for (i = 0; i < DNS_OBS_MAX; i++) {
		struct dns_obs *o = &m.obs[i];

		o->client.s_addr = htonl(0x0a2a0064 + i % 8);
		o->ttl = 300;
		o->family = i % 2 ? 6 : 4;
		o->addr[0] = o->family == 4 ? 198 : 0x20;
		o->addr[3] = (uint8_t)i;
		snprintf(o->name, sizeof(o->name), "host%u.%s.example.com.",
		    i, i % 3 ? "cdn" : "www");
	}
	write_msg(dir, "dns_obs_full", MSG_DNS_OBS, PEER_DNSD, &m,
	    DNS_OBS_LEN(DNS_OBS_MAX));
}

/* The longest text message: a status JSON filling the whole payload. */
static void
seed_long_text(const char *dir)
{
	static uint8_t	 buf[PROTO_MAX_PAYLOAD];
	struct msg_status st = { 7 };
	size_t		 off, n = sizeof(buf);

	memcpy(buf, &st, sizeof(st));
	off = sizeof(st);
	off += (size_t)snprintf((char *)buf + off, n - off, "{\"leases\":[");
	while (off + 40 < n)
		off += (size_t)snprintf((char *)buf + off, n - off,
		    "{\"ip\":\"10.42.0.%zu\"},", off % 250);
	buf[off - 1] = ']';
	buf[off++] = '}';
	buf[off++] = '\0';
	write_msg(dir, "status_long", MSG_STATUS, PEER_DHCPD, buf, off);
	write_msg(dir, "ctl_reply_long", MSG_CTL_REPLY, PEER_PARENT,
	    buf + sizeof(st), off - sizeof(st));
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seed_proto DIR\n");
		return 2;
	}
	seed_config(argv[1]);
	seed_dns_obs(argv[1]);
	seed_long_text(argv[1]);
	return 0;
}
