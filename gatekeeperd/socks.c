/*
 * The privileged sockets the parent opens once and keeps for the whole
 * run, so a restarted child gets the very same ones and whatever arrived
 * meanwhile waits in the kernel.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gatekeeperd.h"
#include "log.h"
#include "util.h"

#define DNS_RCVBUF	(4 * 1024 * 1024)
#define DHCP_RCVBUF	(2 * 1024 * 1024)

static int
inet_socket(int type, struct in_addr addr, uint16_t port, const char *ifname,
    const char *what)
{
	struct sockaddr_in sin;
	int		 fd, on = 1;

	if ((fd = socket(AF_INET, type | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", what);
		return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = addr;
	sin.sin_port = htons(port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (ifname != NULL && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE,
	    ifname, strlen(ifname)) == -1) ||
	    set_nonblock(fd) == -1) {
		log_warn("%s: setsockopt", what);
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		log_warn("%s: bind %s:%u", what, inet_ntoa(addr), port);
		goto fail;
	}
	if (type == SOCK_STREAM && listen(fd, 128) == -1) {
		log_warn("%s: listen", what);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * dnsd's listening sockets are root's (the parent opened them), so the
 * output rule on dnsd's uid does not see what is sent through them: the
 * mark tells them (rules.c; SO_MARK needs CAP_NET_ADMIN, dnsd cannot
 * change it). A TCP connection accepted from the listener inherits it.
 */
static int
dns_socket(int type, struct in_addr lan)
{
	uint32_t mark = DNSD_SOCKET_MARK;
	int	 fd;

	if ((fd = inet_socket(type, lan, 53, NULL, "DNS")) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == -1) {
		log_warn("DNS: SO_MARK");
		close(fd);
		return -1;
	}
	return fd;
}

/* DNS: lan-address:53. Room for what the whole LAN sends while dnsd
 * answers a batch or waits under load (dnsd.c, udp_read): the default
 * buffer holds under 300 queries. */
static int
open_dns_udp(struct in_addr lan)
{
	int	 fd;

	if ((fd = dns_socket(SOCK_DGRAM, lan)) == -1)
		return -1;
	if (set_rcvbuf(fd, DNS_RCVBUF) == -1)
		log_warn("DNS: receive buffer");
	return fd;
}

/*
 * DHCP: *:67 on the LAN link only, broadcasts allowed. dhcpd sends its
 * replies from it (our address as the source, routed to a relay or a
 * client's address) but reads the requests from the frame socket below,
 * which shows who sent each frame: a filter that accepts nothing keeps
 * this one's queue empty (each datagram then counts in the kernel's UDP
 * InErrors). Bound all the same, so the port is ours and no ICMP port
 * unreachable answers a client.
 */
static int
open_dhcp_udp(void)
{
	static struct sock_filter none[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { 1, none };
	struct in_addr	 any = { INADDR_ANY };
	int		 fd, on = 1;

	fd = inet_socket(SOCK_DGRAM, any, 67, gk->lan.ifname, "DHCP");
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) == -1) {
		log_warn("DHCP: setsockopt");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The DHCP requests as frames (docs/dhcpd.md): what the LAN sends to
 * port 67 of IPv4 UDP, Ethernet header and all, so dhcpd learns each
 * frame's source MAC, which a host that invents chaddrs cannot hide.
 * dhcpd has no CAP_NET_RAW: it gets this socket, with a filter it cannot
 * change (SO_LOCK_FILTER), so it sees nothing else of the LAN's traffic.
 * Frames from this host (PACKET_OUTGOING: dhcpd's own replies to a
 * relay) and to other hosts are not taken; neither are IP fragments but
 * the first (dhcpd counts that one). Opened with protocol 0, so nothing
 * queues before the filter is in place.
 */
static int
open_dhcp_frames(void)
{
	static struct sock_filter code[] = {
		/* 0: PACKET_HOST or PACKET_BROADCAST only */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, PACKET_BROADCAST, 9, 0),
		/* 2: IPv4 */
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 7),
		/* 4: UDP */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 5),
		/* 6: no fragment offset (a UDP header is there) */
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 3, 0),
		/* 8: X = the IP header length; destination port 67 */
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
		/* 10 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, 1, 0),
		/* 11 */
		BPF_STMT(BPF_RET | BPF_K, 0),
		/* 12: the whole frame */
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	struct sockaddr_ll sll;
	int		 fd, on = 1, rcvbuf = DHCP_RCVBUF;

	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("DHCP frame socket");
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)if_nametoindex(gk->lan.ifname);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &on, sizeof(on)) == -1) {
		log_warn("DHCP frame socket: filter");
		close(fd);
		return -1;
	}
	/* Room for a burst while dhcpd waits for a CPU or restarts. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		log_warn("DHCP frame socket: receive buffer");
	if (sll.sll_ifindex == 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1 ||
	    set_nonblock(fd) == -1) {
		log_warn("DHCP frame socket on %s", gk->lan.ifname);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Replies to clients that have no address yet go out here to their
 * hardware address (sendto with sll_protocol ETH_P_IP), so no ARP is
 * needed. Bound to ETH_P_ARP it also receives the LAN's ARP, which is how
 * dhcpd probes an address for a conflict before offering it.
 */
static int
open_dhcp_packet(void)
{
	struct sockaddr_ll sll;
	int		 fd;

	if ((fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC,
	    htons(ETH_P_ARP))) == -1) {
		log_warn("DHCP packet socket");
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = (int)if_nametoindex(gk->lan.ifname);
	if (sll.sll_ifindex == 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1 ||
	    set_nonblock(fd) == -1) {
		log_warn("DHCP packet socket on %s", gk->lan.ifname);
		close(fd);
		return -1;
	}
	return fd;
}

/* A child-to-child socketpair: end a for one daemon, b for the other. */
static int
open_pair(enum layout_res a, enum layout_res b, const char *what)
{
	int	 pair[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == -1) {
		log_warn("socketpair for %s", what);
		return -1;
	}
	gk->res[a] = pair[0];
	gk->res[b] = pair[1];
	return 0;
}

/*
 * Memory the parent owns and the children map: the NAT tables survive a
 * natd restart because this fd does; the ring to webd likewise. Pages are
 * allocated only when touched. Sealed against shrinking and growing, so
 * a child holding it cannot cut the mapping of another (SIGBUS), and
 * mode 0600 root, so no child can re-open it for writing by path
 * (docs/security.md).
 */
static int
open_memfd(const char *name, size_t size)
{
	int	 fd;

	if ((fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1) {
		log_warn("memfd %s", name);
		return -1;
	}
	if (ftruncate(fd, (off_t)size) == -1 || fchmod(fd, 0600) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) == -1) {
		log_warn("memfd %s: size and seals", name);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A region whose contents must outlive us: the one the service manager's
 * fd store kept across our death, when it passes the check (notify.c),
 * else a new one; stored there either way. Only these two: the NAT
 * tables (mappings, so connections through the NAT survive) and webd's
 * history (else rebuilt from history.db, less its last minute). The
 * summary ring holds milliseconds of summaries for a webd that restarts
 * with us, the capture rings seconds of packets: not worth a region the
 * next start must trust.
 */
static int
open_kept(const char *name, size_t size)
{
	int	 fd;

	if ((fd = notify_fd_take(name, size)) == -1 &&
	    (fd = open_memfd(name, size)) == -1)
		return -1;
	notify_fd_store(fd, name);
	return fd;
}

/*
 * A read-only descriptor of the same memory for a child that only reads
 * it: a new open file description, so the child can neither write nor
 * map it writable, whatever it does with its fd.
 */
static int
reopen_rdonly(int fd, const char *name)
{
	char	 path[64];
	int	 ro;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((ro = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("memfd %s: read-only reopen", name);
	return ro;
}

/*
 * The OUI table webd names vendors from (it cannot open it in its
 * chroot): read-only, read with pread from any offset. Without
 * ieee-data, an empty file: webd runs on with vendors unknown.
 */
static int
open_oui(void)
{
	struct stat	 st;
	int		 fd, empty;

	if ((fd = open(LAYOUT_OUI_PATH, O_RDONLY | O_CLOEXEC)) != -1 &&
	    fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return fd;
	log_warnx("%s: %s; device vendors are unknown (install ieee-data)",
	    LAYOUT_OUI_PATH, fd == -1 ? strerror(errno) : "not a file");
	if (fd != -1)
		close(fd);
	if ((empty = open_memfd("gk-oui-none", 0)) == -1)
		return -1;
	fd = reopen_rdonly(empty, "gk-oui-none");
	close(empty);
	return fd;
}

int
socks_open(void)
{
	struct in_addr	 lan = gk->lan.addr;

	int		*res = gk->res;

	if ((res[RES_DHCP_UDP] = open_dhcp_udp()) == -1 ||
	    (res[RES_DHCP_PACKET] = open_dhcp_packet()) == -1 ||
	    (res[RES_DHCP_FRAMES] = open_dhcp_frames()) == -1 ||
	    (res[RES_DNS_UDP] = open_dns_udp(lan)) == -1 ||
	    (res[RES_DNS_TCP] = dns_socket(SOCK_STREAM, lan)) == -1 ||
	    (res[RES_WEB_LISTEN] = inet_socket(SOCK_STREAM, lan,
	    gk->conf.web_port, NULL, "web")) == -1 ||
	    (res[RES_WEB_TLS_LISTEN] = inet_socket(SOCK_STREAM, lan,
	    gk->conf.web_tls_port, NULL, "web TLS")) == -1 ||
	    open_pair(RES_DHCPD_DNSD, RES_DNSD_DHCPD, "dhcpd-dnsd") == -1 ||
	    open_pair(RES_DNSD_WEBD, RES_WEBD_DNSD, "dnsd-webd") == -1 ||
	    open_pair(RES_NATD_WEBD, RES_WEBD_NATD, "natd-webd") == -1 ||
	    (res[RES_NAT_STATE] = open_kept("gk-nat-state",
	    NATD_STATE_SIZE)) == -1 ||
	    (res[RES_NAT_RING] = open_memfd("gk-nat-ring",
	    NATD_RING_SIZE)) == -1 ||
	    (res[RES_NAT_RING_RO] = reopen_rdonly(res[RES_NAT_RING],
	    "gk-nat-ring")) == -1 ||
	    (res[RES_RING_TAIL] = open_memfd("gk-nat-ring-tail",
	    NATD_RING_TAIL_SIZE)) == -1 ||
	    (res[RES_RING_TAIL_RO] = reopen_rdonly(res[RES_RING_TAIL],
	    "gk-nat-ring-tail")) == -1 ||
	    (res[RES_HISTORY] = open_kept("gk-history",
	    gk->conf.history_memory)) == -1 ||
	    (res[RES_CAPTURE] = open_memfd("gk-capture",
	    gk->conf.capture_total)) == -1 ||
	    (res[RES_CAPTURE_RO] = reopen_rdonly(res[RES_CAPTURE],
	    "gk-capture")) == -1 ||
	    (res[RES_OUI] = open_oui()) == -1) {
		socks_close();
		return -1;
	}
	notify_fd_unclaimed();
	return 0;
}

/* Everything socks_open() opened; the queue is setup()'s, and
 * queue_close() unbinds it. */
void
socks_close(void)
{
	int	 r;

	for (r = 0; r < RES_MAX; r++) {
		if (r == RES_QUEUE || gk->res[r] == -1)
			continue;
		close(gk->res[r]);
		gk->res[r] = -1;
	}
}
