/*
 * bench/scale's packet sender: UDP flows (flows.h) as Ethernet frames on
 * an AF_PACKET socket, each from its device's own MAC, so the router sees
 * the many devices of a big LAN behind one veth. Run in a LAN client's
 * namespace.
 *
 *   flows IFNAME ROUTER-MAC fill FROM TO RATE
 *	one packet for each flow FROM..TO-1, in order (makes them)
 *   flows IFNAME ROUTER-MAC probe N COUNT RATE
 *	COUNT packets over flows 0..N-1, spread (flow_visit): lookups of
 *	flows that exist
 *
 * RATE in packets per second, paced in bursts of 32. Prints "sent S
 * cpu_ns C": packets sent and the sender's own CPU time, which on this
 * kernel (no IRQ time accounting) includes the softirq work its sends
 * set off in its context: the bridge, the kernel's conntrack and NAT,
 * the veth to the internet namespace; up to the queue when natd
 * translates.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flows.h"

#define BURST	32

static uint16_t
ip_csum(const uint8_t *p, size_t len)
{
	uint32_t	 s = 0;
	size_t		 i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The frame of flow f: Ethernet, IPv4, UDP without checksum, 4 bytes. */
static size_t
frame(uint8_t *b, const uint8_t dmac[6], uint32_t f)
{
	struct flow	 fl;
	uint8_t		*ip = b + 14;
	uint32_t	 v;
	uint16_t	 c;

	flow_of(f, FLOW_REMOTES, &fl);
	memset(b, 0, 14 + 32);
	memcpy(b, dmac, 6);
	memcpy(b + 6, fl.mac, 6);
	b[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 32;
	ip[8] = 64;
	ip[9] = 17;
	v = htonl(fl.src);
	memcpy(ip + 12, &v, 4);
	v = htonl(fl.dst);
	memcpy(ip + 16, &v, 4);
	c = ip_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	ip[20] = (uint8_t)(fl.sport >> 8);
	ip[21] = (uint8_t)fl.sport;
	ip[22] = (uint8_t)(fl.dport >> 8);
	ip[23] = (uint8_t)fl.dport;
	ip[25] = 12;
	return 14 + 32;
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_ll sll;
	struct timespec	 c0, c1;
	uint8_t		 dmac[6], b[64];
	unsigned int	 m[6];
	uint64_t	 i, count, sent = 0, fails = 0;
	uint32_t	 from, n, f;
	double		 rate, t0, due;
	int		 fd, probe, k;
	size_t		 len;

	if (argc != 7 || sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &m[0], &m[1],
	    &m[2], &m[3], &m[4], &m[5]) != 6)
		errx(1, "usage: flows IFNAME ROUTER-MAC fill FROM TO RATE | "
		    "probe N COUNT RATE");
	for (k = 0; k < 6; k++)
		dmac[k] = (uint8_t)m[k];
	probe = strcmp(argv[3], "probe") == 0;
	if (!probe && strcmp(argv[3], "fill") != 0)
		errx(1, "fill or probe, not %s", argv[3]);
	from = (uint32_t)strtoul(argv[4], NULL, 10);
	count = strtoull(argv[5], NULL, 10);
	rate = strtod(argv[6], NULL);
	n = probe ? from : 0;
	if (probe)
		from = 0;
	else if (count < from)
		errx(1, "TO below FROM");
	else
		count -= from;
	if (rate <= 0 || (probe && n == 0))
		errx(1, "bad RATE or N");
	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) == -1)
		err(1, "socket");
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	if ((sll.sll_ifindex = (int)if_nametoindex(argv[1])) == 0)
		err(1, "%s", argv[1]);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	t0 = mono();
	for (i = 0; i < count; i++) {
		if (i % BURST == 0) {
			due = t0 + (double)i / rate;
			while (mono() < due)
				usleep(200);
		}
		f = probe ? flow_visit(i, n) : from + (uint32_t)i;
		len = frame(b, dmac, f);
		if (sendto(fd, b, len, 0, (struct sockaddr *)&sll,
		    sizeof(sll)) == (ssize_t)len)
			sent++;
		else
			fails++;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	printf("sent %llu failed %llu cpu_ns %.0f seconds %.2f\n",
	    (unsigned long long)sent, (unsigned long long)fails,
	    (c1.tv_sec - c0.tv_sec) * 1e9 + (c1.tv_nsec - c0.tv_nsec),
	    mono() - t0);
	return 0;
}
