/*
 * natd: the userspace NAT. It owns the nfqueue the parent bound and keeps
 * CAP_NET_ADMIN, which the kernel checks on every verdict. Packets come
 * in batches (recvmmsg); each is translated in place by the core
 * (nat.h) and its verdict, with the rewritten packet when it changed,
 * goes out with the rest of the batch in one sendmsg (verdict.c).
 * Nothing on that path allocates, logs or locks. This file is main and
 * I/O: the queue, the timer, the config, natd.conf; status and gkctl's
 * commands are ctl.c's.
 *
 * The tables live in the memfd the parent keeps (fd 6), so a natd
 * restarted after a crash or kill -9 attaches to every mapping; the
 * packet summaries go to the ring (fd 7; webd's position: fd 8) for webd. Fail closed: what
 * cannot be translated is dropped and counted.
 */
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "capring.h"
#include "capture.h"
#include "child.h"
#include "log.h"
#include "nat.h"
#include "natd.h"
#include "nfq.h"
#include "proto.h"
#include "ring.h"
#include "natconf.h"
#include "util.h"
#include "verdict.h"

#define NATD_BATCH	32
#define NATD_BUFSZ	(65536 + 4096)	/* a GSO packet and its headers */
#define NATD_SNDBUF	(1024 * 1024)
#define NATD_SWEEP	16384		/* entries per 100 ms tick */

struct natd_io		 io;
static int		 seen_first;	/* a packet came since the start */

struct nat		 nat;
int			 state_kept = -1;
static struct gk_ring_prod ring_prod;
struct gk_ring_prod	*ring;
static int		 ring_kept = -1;
struct natconf		 saved;		/* gkctl's forwards and timeouts */
struct nat_timeouts	 conf_to;	/* gatekeeper.conf's, 0: unset */
static struct nat_forward conf_fwd[NAT_MAX_FORWARDS];
static int		 conf_nfwd;
int			 configured;
static uint32_t		 lan_ifindex;	/* from MSG_CONFIG; 0 unknown */
static uint32_t		 lan_mtu = 1500;	/* from MSG_CONFIG */
char			 fwd_error[256];

static uint8_t		 rbuf[NATD_BATCH][NATD_BUFSZ];
static struct mmsghdr	 rmsg[NATD_BATCH];
static struct iovec	 riov[NATD_BATCH];
struct verdicts		 vq;		/* this batch's, one send */

/*
 * The ring is ours to write; webd's position comes from its own region,
 * mapped read-only. Both are sealed, so their sizes hold while mapped.
 */
static void
ring_map(void)
{
	struct stat	 st, tst;
	void		*mem, *tail;

	if (fstat(FD_NATD_RING, &st) == -1 || st.st_size <= 0 ||
	    fstat(FD_NATD_RING_TAIL, &tst) == -1 || tst.st_size <= 0)
		return;
	mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, FD_NATD_RING, 0);
	tail = mmap(NULL, (size_t)tst.st_size, PROT_READ, MAP_SHARED,
	    FD_NATD_RING_TAIL, 0);
	if (mem == MAP_FAILED || tail == MAP_FAILED)
		return;
	ring_kept = gk_ring_attach(&ring_prod, mem, (size_t)st.st_size,
	    tail, (size_t)tst.st_size);
	if (ring_kept >= 0)
		ring = &ring_prod;
}

/* ---- the packet path ---- */

/*
 * The packet's summary for the telemetry: a GSO super-packet counts as
 * the segments the wire carried, with their headers (segs, hdr_len).
 */
static void
summarize(const struct nat_result *r, size_t len, uint32_t segs,
    uint16_t hdr_len, uint64_t ts)
{
	struct gk_ring_rec	 rec;

	if (ring == NULL) {
		io.ring_off++;
		return;
	}
	memset(&rec, 0, sizeof(rec));
	rec.mono_us = ts;
	rec.lan_ip = r->lan_ip;
	rec.remote_ip = r->remote_ip;
	rec.lan_port = r->lan_port;
	rec.remote_port = r->remote_port;
	rec.wan_port = r->wan_port;
	rec.proto = r->proto;
	rec.dir = r->dir;
	rec.bytes = (uint32_t)(len + (size_t)(segs - 1) * hdr_len);
	rec.packets = segs;
	nat_client_mac(&nat, r->client, rec.mac);
	gk_ring_push(ring, &rec);
}

/* Verdicts for held fragments whose fate nat.c decided. */
static void
hold_drain(void)
{
	uint8_t		*pkt;
	size_t		 len;
	uint32_t	 id;
	int		 accept;

	while (nat_hold_take(&nat, &id, &accept, &pkt, &len)) {
		if (accept) {
			io.accepted++;
			io.rewritten++;
			verdict_add(&vq, id, NF_ACCEPT, pkt, len);
		} else {
			io.dropped++;
			verdict_add(&vq, id, NF_DROP, NULL, 0);
		}
	}
}

/*
 * At the first packet after a (re)start: whatever is still queued with a
 * lower id was read by a natd that died before its verdict (or held a
 * fragment): dropped in one batch verdict, so such packets never pile up
 * toward the queue's length limit across restarts.
 */
static void
drop_orphans(uint32_t first_id)
{
	seen_first = 1;
	if (verdict_add_batch(&vq, first_id - 1, NF_DROP) == 0)
		io.orphans_dropped = 1;
}

/*
 * Which side a packet at PREROUTING came from, by its input interface:
 * the LAN's, or anything else (the WAN: the rules queue no other).
 * Unknown LAN index: everything is the WAN's, so a forged LAN source is
 * never taken for hairpin traffic (fail closed).
 */
static int
packet_hook(const struct nfq_pkt *p)
{
	if (p->hook == NF_INET_PRE_ROUTING && lan_ifindex != 0 &&
	    p->indev == lan_ifindex)
		return NAT_HOOK_PRE_LAN;
	return p->hook;
}

static void
handle_packet(struct nfq_pkt *p, uint64_t ts)
{
	struct nat_result	 res;
	uint32_t		 segs;
	uint16_t		 seg_size, hdr_len;
	int			 ok;

	io.received++;
	if (!seen_first)
		drop_orphans(p->id);
	if (p->hw_protocol != 0x0800) {
		io.not_ipv4++;
		ok = 0;
	} else if (p->caplen != 0 || p->payload == NULL) {
		/* Not all of it came: it cannot be rewritten whole. */
		io.truncated++;
		ok = 0;
	} else {
		capture_before(p, p->hook);
		nat_frame_mac(&nat, p->has_hwaddr ? p->hwaddr : NULL);
		ok = nat_packet(&nat, p->payload, p->len, p->id,
		    packet_hook(p), p->skbinfo, &res);
	}
	if (ok == NAT_HELD) {
		/* The verdict comes with its first fragment, or a drop. */
		capture_cancel();
		io.held++;
		hold_drain();
		return;
	}
	if (!ok) {
		capture_cancel();
		io.dropped++;
		verdict_add(&vq, p->id, NF_DROP, NULL, 0);
		return;
	}
	io.accepted++;
	if (res.dir != 0) {
		segs = 1;
		seg_size = hdr_len = 0;
		if (p->skbinfo & NAT_SKB_GSO) {
			segs = cap_gso_segments(p->payload, p->len, lan_mtu,
			    &seg_size, &hdr_len);
			io.gso++;
			io.gso_segments += segs;
		}
		summarize(&res, p->len, segs, hdr_len, ts);
		capture_after(p, &res, seg_size);
	} else
		capture_cancel();
	if (res.modified) {
		io.rewritten++;
		verdict_add(&vq, p->id, NF_ACCEPT, p->payload, p->len);
	} else
		verdict_add(&vq, p->id, NF_ACCEPT, NULL, 0);
	/* A first fragment may have released held ones. */
	hold_drain();
}

static void
queue_read(evutil_socket_t fd, short ev, void *arg)
{
	struct nfq_pkt	 pkts[4];
	uint64_t	 ts;
	int		 n, i, k, j, round;

	for (round = 0; round < 16; round++) {
		n = recvmmsg(fd, rmsg, NATD_BATCH, MSG_DONTWAIT, NULL);
		if (n == -1) {
			/* ENOBUFS: the kernel dropped packets for us; they
			 * were never accepted, so nothing leaked. */
			if (errno == ENOBUFS) {
				io.enobufs++;
				continue;
			}
			break;
		}
		io.batches++;
		nat.now = mono_s();
		ts = mono_us();
		capture_batch();
		for (i = 0; i < n; i++) {
			if (rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				io.truncated++;
				continue;	/* no id we can trust */
			}
			k = nfq_parse(rbuf[i], rmsg[i].msg_len, pkts, 4);
			if (k < 0) {
				io.bad_messages++;
				continue;
			}
			for (j = 0; j < k; j++)
				handle_packet(&pkts[j], ts);
		}
		verdict_flush(&vq);
		nat_hold_sent(&nat);
		for (i = 0; i < n; i++)
			rmsg[i].msg_hdr.msg_flags = 0;
		if (n < NATD_BATCH)
			break;
	}
}

/* ---- timers ---- */

/*
 * Exhaustion, said in the log at most once a minute per cause (the
 * counters rise per packet, in gkctl -j status): how many were refused
 * since the last report, and for a device's limit, which device.
 */
static void
report_exhaustion(uint32_t now)
{
	static struct log_due dev, mac, ports, sess, clients;
	char		 a[INET_ADDRSTRLEN];
	struct in_addr	 in = { nat.limited_src };
	uint64_t	 k;

	inet_ntop(AF_INET, &in, a, sizeof(a));
	if ((k = log_due(&dev, nat.st.client_limit, now, 60)) > 0)
		log_warnx("NAT: %llu new mappings refused: device %s holds "
		    "its %u (client_limit); other devices are served",
		    (unsigned long long)k, a, nat.cf.per_client_max);
	if ((k = log_due(&mac, nat.st.mac_limit, now, 60)) > 0)
		log_warnx("NAT: %llu new mappings refused: the MAC of %s holds "
		    "its %u (mac_limit); other devices are served",
		    (unsigned long long)k, a, nat.cf.per_mac_max);
	if ((k = log_due(&ports, nat.st.ports_exhausted, now, 60)) > 0)
		log_warnx("NAT: %llu new mappings refused: no WAN port or "
		    "mapping free (ports_exhausted)", (unsigned long long)k);
	if ((k = log_due(&sess, nat.st.sess_full, now, 60)) > 0)
		log_warnx("NAT: %llu sessions refused: the table holds its %u "
		    "(sessions_full)", (unsigned long long)k, NAT_MAX_SESS);
	if ((k = log_due(&clients, nat.st.clients_full, now, 60)) > 0)
		log_warnx("NAT: %llu packets of new LAN addresses refused: %u "
		    "devices known (clients_full)", (unsigned long long)k,
		    NAT_MAX_CLIENTS);
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	static uint32_t	 last_rate;
	uint32_t	 now = mono_s(), secs;

	nat.now = now;
	nat_sweep(&nat, NATD_SWEEP);
	/* Held fragments that timed out: their drops. */
	hold_drain();
	verdict_flush(&vq);
	nat_hold_sent(&nat);
	if (now != last_rate) {
		secs = last_rate == 0 ? 1 : now - last_rate;
		ctl_rates(secs);
		report_exhaustion(now);
		last_rate = now;
	}
}

/* ---- saved settings ---- */

static void
natconf_load(void)
{
	char		 buf[NATCONF_MAX];
	ssize_t		 n;
	int		 fd, bad;

	memset(&saved, 0, sizeof(saved));
	if ((fd = open(NATCONF_FILE, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("%s", NATCONF_FILE);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		log_warn("reading %s", NATCONF_FILE);
		return;
	}
	if ((bad = natconf_parse(&saved, buf, (size_t)n)) > 0)
		log_warnx("%s: %d bad lines ignored", NATCONF_FILE, bad);
}

int
natconf_save(char *err, size_t errlen)
{
	char		 buf[NATCONF_MAX];
	int		 fd, len;

	if ((len = natconf_format(&saved, buf, sizeof(buf))) == -1) {
		snprintf(err, errlen, "too many settings to save");
		return -1;
	}
	fd = open(NATCONF_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, buf, (size_t)len) != len ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "cannot save %s: %s", NATCONF_FILE,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	if (rename(NATCONF_FILE ".tmp", NATCONF_FILE) == -1) {
		snprintf(err, errlen, "cannot save %s: %s", NATCONF_FILE,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The timeouts in force: defaults, gatekeeper.conf's, gkctl's (see
 * natconf.h for which wins). A gkctl value the file has since overridden
 * is forgotten, in natd.conf too.
 */
void
apply_timeouts(struct nat_config *cf)
{
	char		 err[256];

	if (natconf_timeouts(&saved, &conf_to, &cf->to) &&
	    natconf_save(err, sizeof(err)) == -1)
		log_warnx("%s", err);
}

/*
 * The forwards in force: the config file's, then gkctl's that do not
 * clash with them. One that cannot be applied is reported, not fatal.
 */
int
forwards_sync(char *err, size_t errlen)
{
	struct nat_forward	 all[NAT_MAX_FORWARDS];
	int			 n = 0, i, j;

	for (i = 0; i < conf_nfwd; i++)
		all[n++] = conf_fwd[i];
	for (i = 0; i < saved.nfwd && n < NAT_MAX_FORWARDS; i++) {
		for (j = 0; j < conf_nfwd; j++)
			if (conf_fwd[j].proto == saved.fwd[i].proto &&
			    conf_fwd[j].wan_port == saved.fwd[i].wan_port)
				break;
		if (j == conf_nfwd)
			all[n++] = saved.fwd[i];
	}
	return nat_forwards_apply(&nat, all, n, err, errlen);
}

/* ---- parent callbacks ---- */

static void
natd_init(struct event_base *base, void *arg)
{
	struct event	*ev;
	struct stat	 st;
	struct timeval	 tv = { 0, 100000 };
	uint64_t	 seed, t0;
	void		*mem;
	int		 size = NATD_SNDBUF;

	if (fstat(FD_NATD_STATE, &st) == -1)
		fatal("NAT state memory");
	if ((size_t)st.st_size < nat_region_size())
		fatalx("NAT state memory: %lld bytes, %zu needed",
		    (long long)st.st_size, nat_region_size());
	mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, FD_NATD_STATE, 0);
	if (mem == MAP_FAILED)
		fatal("mmap NAT state");
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		fatal("getrandom");
	nat_default_timeouts(&nat.cf.to);
	t0 = mono_us();
	state_kept = nat_attach(&nat, mem, (size_t)st.st_size, seed);
	log_info("NAT state: %s (%u mappings, %llu resets) in %.1f ms",
	    state_kept == 1 ? "attached to the previous tables" : "new tables",
	    nat_live_maps(&nat), (unsigned long long)nat_resets(&nat),
	    (double)(mono_us() - t0) / 1000);

	ring_map();
	if (ring == NULL)
		log_warnx("no summary ring: packet summaries are not kept");
	capture_init();

	for (int i = 0; i < NATD_BATCH; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = NATD_BUFSZ;
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	/* Room for a batch of rewritten GSO packets in one send. */
	if (setsockopt(FD_NATD_QUEUE, SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size)) == -1)
		log_warn("queue send buffer");
	natconf_load();
	verdict_init(&vq, FD_NATD_QUEUE, NATD_QUEUE_NUM);

	ev = event_new(base, FD_NATD_QUEUE, EV_READ | EV_PERSIST, queue_read,
	    NULL);
	if (ev == NULL || event_add(ev, NULL) == -1)
		fatalx("cannot watch the queue socket");
	ev = event_new(base, -1, EV_PERSIST, tick, NULL);
	if (ev == NULL || event_add(ev, &tv) == -1)
		fatalx("cannot start the timer");
}

static void
natd_config(const struct msg_config *mc, void *arg)
{
	struct nat_config cf;
	uint32_t	 mask;
	int		 i;

	memset(&cf, 0, sizeof(cf));
	cf.wan = mc->wan_addr.s_addr;
	if (mc->conf.lan_prefix > 0 && mc->conf.lan_prefix <= 32) {
		mask = mc->conf.lan_prefix == 32 ? 0xffffffffU :
		    ~(0xffffffffU >> mc->conf.lan_prefix);
		cf.lan_mask = htonl(mask);
		cf.lan_net = mc->conf.lan_addr.s_addr & cf.lan_mask;
	}
	cf.lan_addr = mc->conf.lan_addr.s_addr;
	if (mc->lan_ifindex == 0)
		log_warnx("the LAN interface's index is unknown: hairpin "
		    "traffic is dropped as spoofed");
	lan_ifindex = mc->lan_ifindex;
	if (mc->lan_mtu >= 576 && mc->lan_mtu <= 65535)
		lan_mtu = mc->lan_mtu;
	cf.local_min = mc->local_port_min;
	cf.local_max = mc->local_port_max;
	cf.web_port = mc->conf.web_port;
	cf.filter_udp = (uint8_t)mc->conf.filter_udp;
	cf.filter_tcp = (uint8_t)mc->conf.filter_tcp;
	conf_to.udp = mc->conf.nat_timeout_udp;
	conf_to.tcp_est = mc->conf.nat_timeout_tcp_established;
	conf_to.tcp_trans = mc->conf.nat_timeout_tcp_transitory;
	conf_to.icmp = mc->conf.nat_timeout_icmp;
	conf_to.other = mc->conf.nat_timeout_other;
	apply_timeouts(&cf);
	nat_set_config(&nat, &cf);
	capture_config(mc->conf.capture_size);

	conf_nfwd = 0;
	for (i = 0; i < mc->conf.nforward && i < NAT_MAX_FORWARDS; i++) {
		conf_fwd[conf_nfwd].proto = mc->conf.forward[i].proto;
		conf_fwd[conf_nfwd].from_conf = 1;
		conf_fwd[conf_nfwd].wan_port = mc->conf.forward[i].wan_port;
		conf_fwd[conf_nfwd].ip = mc->conf.forward[i].ip.s_addr;
		conf_fwd[conf_nfwd].port = mc->conf.forward[i].port;
		conf_nfwd++;
	}
	fwd_error[0] = '\0';
	if (forwards_sync(fwd_error, sizeof(fwd_error)) == -1) {
		log_warnx("port forwards not applied: %s", fwd_error);
		/* Without the config's own: gkctl's alone, if they fit. */
		conf_nfwd = 0;
		if (forwards_sync(NULL, 0) == -1)
			nat_forwards_apply(&nat, NULL, 0, NULL, 0);
	}
	configured = 1;
}

int
main(int argc, char **argv)
{
		/* Not static: the handler count is ctl.c's; child_main() never
	 * returns, so this frame outlives its use. */
	const struct child_spec spec = {
		.peer = PEER_NATD,
		.init = natd_init,
		.status = natd_status,
		.config = natd_config,
		.handlers = natd_handlers,
		.nhandlers = natd_nhandlers,
	};

	child_main(argc, argv, &spec);
}
