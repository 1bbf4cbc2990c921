/*
 * natd: the userspace NAT. It owns the nfqueue the parent bound and keeps
 * CAP_NET_ADMIN, which the kernel checks on every verdict. Packets come
 * in batches (recvmmsg); each is translated in place by nat.c and its
 * verdict, with the rewritten packet when it changed, goes out with the
 * rest of the batch in one sendmsg. Nothing on that path allocates, logs
 * or locks.
 *
 * The tables live in the memfd the parent keeps (fd 6), so a natd
 * restarted after a crash or kill -9 attaches to every mapping; the
 * packet summaries go to the ring (fd 7) for webd. Fail closed: what
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
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "child.h"
#include "commands.h"
#include "log.h"
#include "nat.h"
#include "nfq.h"
#include "proto.h"
#include "ring.h"
#include "store.h"
#include "util.h"

#define NATD_BATCH	32
#define NATD_BUFSZ	(65536 + 4096)	/* a GSO packet and its headers */
#define NATD_SEND_MAX	(256 * 1024)	/* bytes of verdicts per sendmsg */
#define NATD_SNDBUF	(1024 * 1024)
#define NATD_HEAD	64
#define NATD_SWEEP	16384		/* entries per 100 ms tick */
#define NATD_LIST_MAX	1000		/* rows `gkctl nat` shows */

static struct {
	uint64_t	 received;
	uint64_t	 accepted, dropped;
	uint64_t	 rewritten;
	uint64_t	 truncated;	/* longer than the queue copies */
	uint64_t	 not_ipv4;
	uint64_t	 bad_messages;	/* netlink we could not parse */
	uint64_t	 enobufs;	/* the kernel's queue overflowed */
	uint64_t	 verdict_errors;
	uint64_t	 batches;
	uint64_t	 held;		/* verdicts deferred: held fragments */
	uint64_t	 ring_off;	/* summaries not written: no ring */
	uint64_t	 orphans_dropped; /* 1: the batch drop was sent */
} io;
static int		 seen_first;	/* a packet came since the start */

static struct nat	 nat;
static int		 state_kept = -1;
static struct gk_ring_hdr *ring;
static int		 ring_kept = -1;
static struct store	 saved;		/* gkctl's forwards and timeouts */
static struct nat_timeouts conf_to;	/* gatekeeper.conf's, 0: unset */
static struct nat_forward conf_fwd[NAT_MAX_FORWARDS];
static int		 conf_nfwd;
static int		 configured;
static uint32_t		 lan_ifindex;	/* from MSG_CONFIG; 0 unknown */
static char		 fwd_error[256];

static uint8_t		 rbuf[NATD_BATCH][NATD_BUFSZ];
static struct mmsghdr	 rmsg[NATD_BATCH];
static struct iovec	 riov[NATD_BATCH];

static uint8_t		 vhead[NATD_BATCH * 4][NATD_HEAD];
static struct iovec	 viov[NATD_BATCH * 4 * 3];
static int		 nviov, nvhead;
static size_t		 vbytes;
static const uint8_t	 zeros[4];

/* Per-client byte counts a second ago, for rates. */
static struct {
	uint64_t	 up, down;
	uint64_t	 rate_up, rate_down;
} rates[NAT_MAX_CLIENTS];

/* ---- verdicts ---- */

static void
verdict_flush(int fd)
{
	struct sockaddr_nl	 kernel = { .nl_family = AF_NETLINK };
	struct msghdr		 mh;

	if (nviov == 0)
		return;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &kernel;
	mh.msg_namelen = sizeof(kernel);
	mh.msg_iov = viov;
	mh.msg_iovlen = (size_t)nviov;
	if (sendmsg(fd, &mh, 0) == -1)
		io.verdict_errors++;
	nviov = nvhead = 0;
	vbytes = 0;
}

static void
verdict_add(int fd, uint32_t id, uint32_t verdict, uint8_t *pkt,
    size_t plen)
{
	size_t		 hl, pad;

	if (nvhead == NATD_BATCH * 4 ||
	    vbytes + NATD_HEAD + plen + 4 > NATD_SEND_MAX)
		verdict_flush(fd);
	if (pkt == NULL) {
		hl = 0;
		if (nfq_put_verdict(vhead[nvhead], NATD_HEAD, &hl,
		    NATD_QUEUE_NUM, id, verdict) == -1)
			return;
		viov[nviov++] = (struct iovec){ vhead[nvhead], hl };
		nvhead++;
		vbytes += hl;
		return;
	}
	hl = nfq_verdict_head(vhead[nvhead], NATD_HEAD, NATD_QUEUE_NUM, id,
	    verdict, plen);
	if (hl == 0)
		return;
	pad = nfq_pad(plen);
	viov[nviov++] = (struct iovec){ vhead[nvhead], hl };
	viov[nviov++] = (struct iovec){ pkt, plen };
	if (pad > 0)
		viov[nviov++] = (struct iovec){ (void *)zeros, pad };
	nvhead++;
	vbytes += hl + plen + pad;
}

/* ---- the packet path ---- */

static void
summarize(const struct nat_result *r, size_t len, uint64_t ts)
{
	struct gk_ring_rec	 rec;

	if (ring == NULL) {
		io.ring_off++;
		return;
	}
	rec.ts_ms = ts;
	rec.lan_ip = r->lan_ip;
	rec.remote_ip = r->remote_ip;
	rec.lan_port = r->lan_port;
	rec.remote_port = r->remote_port;
	rec.wan_port = r->wan_port;
	rec.proto = r->proto;
	rec.dir = r->dir;
	rec.bytes = (uint32_t)len;
	rec.reserved = 0;
	gk_ring_push(ring, &rec);
}

/* Verdicts for held fragments whose fate nat.c decided. */
static void
hold_drain(int fd)
{
	uint8_t		*pkt;
	size_t		 len;
	uint32_t	 id;
	int		 accept;

	while (nat_hold_take(&nat, &id, &accept, &pkt, &len)) {
		if (accept) {
			io.accepted++;
			io.rewritten++;
			verdict_add(fd, id, NF_ACCEPT, pkt, len);
		} else {
			io.dropped++;
			verdict_add(fd, id, NF_DROP, NULL, 0);
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
drop_orphans(int fd, uint32_t first_id)
{
	size_t		 hl = 0;

	seen_first = 1;
	if (nfq_put_verdict_batch(vhead[nvhead], NATD_HEAD, &hl,
	    NATD_QUEUE_NUM, first_id - 1, NF_DROP) == -1)
		return;
	viov[nviov++] = (struct iovec){ vhead[nvhead], hl };
	nvhead++;
	vbytes += hl;
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
handle_packet(int fd, struct nfq_pkt *p, uint64_t ts)
{
	struct nat_result	 res;
	int			 ok;

	io.received++;
	if (!seen_first)
		drop_orphans(fd, p->id);
	nat.cur_id = p->id;
	if (p->hw_protocol != 0x0800) {
		io.not_ipv4++;
		ok = 0;
	} else if (p->caplen != 0 || p->payload == NULL) {
		/* Not all of it came: it cannot be rewritten whole. */
		io.truncated++;
		ok = 0;
	} else
		ok = nat_packet(&nat, p->payload, p->len, packet_hook(p),
		    p->skbinfo, &res);
	if (ok == NAT_HELD) {
		/* The verdict comes with its first fragment, or a drop. */
		io.held++;
		hold_drain(fd);
		return;
	}
	if (!ok) {
		io.dropped++;
		verdict_add(fd, p->id, NF_DROP, NULL, 0);
		return;
	}
	io.accepted++;
	if (res.dir != 0)
		summarize(&res, p->len, ts);
	if (res.modified) {
		io.rewritten++;
		verdict_add(fd, p->id, NF_ACCEPT, p->payload, p->len);
	} else
		verdict_add(fd, p->id, NF_ACCEPT, NULL, 0);
	/* A first fragment may have released held ones. */
	hold_drain(fd);
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
		ts = wall_ms();
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
				handle_packet((int)fd, &pkts[j], ts);
		}
		verdict_flush((int)fd);
		nat_hold_sent(&nat);
		for (i = 0; i < n; i++)
			rmsg[i].msg_hdr.msg_flags = 0;
		if (n < NATD_BATCH)
			break;
	}
}

/* ---- timers ---- */

static void
rate_one(const struct nat_client_info *ci, void *arg)
{
	uint32_t	 secs = *(uint32_t *)arg;

	if (secs == 0)
		secs = 1;
	rates[ci->idx].rate_up = (ci->bytes_up - rates[ci->idx].up) / secs;
	rates[ci->idx].rate_down = (ci->bytes_down - rates[ci->idx].down) /
	    secs;
	rates[ci->idx].up = ci->bytes_up;
	rates[ci->idx].down = ci->bytes_down;
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	static uint32_t	 last_rate;
	uint32_t	 now = mono_s(), secs;

	nat.now = now;
	nat_sweep(&nat, NATD_SWEEP);
	/* Held fragments that timed out: their drops. */
	hold_drain(FD_NATD_QUEUE);
	verdict_flush(FD_NATD_QUEUE);
	nat_hold_sent(&nat);
	if (now != last_rate) {
		secs = last_rate == 0 ? 1 : now - last_rate;
		nat_client_foreach(&nat, rate_one, &secs);
		last_rate = now;
	}
}

/* ---- saved settings ---- */

static void
store_load(void)
{
	char		 buf[STORE_MAX];
	ssize_t		 n;
	int		 fd, bad;

	memset(&saved, 0, sizeof(saved));
	if ((fd = open(STORE_FILE, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("%s", STORE_FILE);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		log_warn("reading %s", STORE_FILE);
		return;
	}
	if ((bad = store_parse(&saved, buf, (size_t)n)) > 0)
		log_warnx("%s: %d bad lines ignored", STORE_FILE, bad);
}

static int
store_save(char *err, size_t errlen)
{
	char		 buf[STORE_MAX];
	int		 fd, len;

	if ((len = store_format(&saved, buf, sizeof(buf))) == -1) {
		snprintf(err, errlen, "too many settings to save");
		return -1;
	}
	fd = open(STORE_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, buf, (size_t)len) != len ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "cannot save %s: %s", STORE_FILE,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	if (rename(STORE_FILE ".tmp", STORE_FILE) == -1) {
		snprintf(err, errlen, "cannot save %s: %s", STORE_FILE,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The timeouts in force: defaults, gatekeeper.conf's, gkctl's (see
 * store.h for which wins). A gkctl value the file has since overridden
 * is forgotten, in natd.conf too.
 */
static void
apply_timeouts(struct nat_config *cf)
{
	char		 err[256];

	if (store_timeouts(&saved, &conf_to, &cf->to) &&
	    store_save(err, sizeof(err)) == -1)
		log_warnx("%s", err);
}

/*
 * The forwards in force: the config file's, then gkctl's that do not
 * clash with them. One that cannot be applied is reported, not fatal.
 */
static int
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
	uint64_t	 seed;
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
	state_kept = nat_attach(&nat, mem, (size_t)st.st_size, seed);
	log_info("NAT state: %s (%u mappings, %llu resets)", state_kept == 1 ?
	    "attached to the previous tables" : "new tables",
	    nat_live_maps(&nat), (unsigned long long)nat_resets(&nat));

	if (fstat(FD_NATD_RING, &st) == 0 && st.st_size > 0) {
		mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, FD_NATD_RING, 0);
		if (mem != MAP_FAILED &&
		    (ring_kept = gk_ring_attach(mem, (size_t)st.st_size)) >= 0)
			ring = mem;
	}
	if (ring == NULL)
		log_warnx("no summary ring: packet summaries are not kept");

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
	store_load();

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

static const char *
filter_name(int f)
{
	switch (f) {
	case NAT_EIF:
		return "endpoint-independent";
	case NAT_ADF:
		return "address-dependent";
	default:
		return "address-and-port-dependent";
	}
}

/* Where a timeout in force comes from (store.h: the latest change). */
static const char *
timeout_from(uint32_t gk, uint32_t conf)
{
	return gk != 0 ? "gkctl" : conf != 0 ? "config" : "default";
}

#define J(k, v)	json_object_set_new(detail, k, json_integer((json_int_t)(v)))

static void
natd_status(json_t *detail, void *arg)
{
	const struct nat_stats *s = &nat.st;

	json_object_set_new(detail, "translation", json_string(configured &&
	    nat.cf.wan != 0 ? "on" : "waiting for the WAN address (fail "
	    "closed: queued packets are dropped)"));
	json_object_set_new(detail, "state", json_string(state_kept == 1 ?
	    "attached" : "new"));
	json_object_set_new(detail, "filter_udp",
	    json_string(filter_name(nat.cf.filter_udp)));
	json_object_set_new(detail, "filter_tcp",
	    json_string(filter_name(nat.cf.filter_tcp)));
	if (fwd_error[0] != '\0')
		json_object_set_new(detail, "forward_error",
		    json_string(fwd_error));
	J("queue", NATD_QUEUE_NUM);
	J("mappings", nat_live_maps(&nat));
	J("sessions", nat_live_sessions(&nat));
	J("clients", nat_clients(&nat));
	J("other_owned", nat_live_others(&nat));
	J("state_resets", nat_resets(&nat));
	J("received", io.received);
	J("accepted", io.accepted);
	J("dropped", io.dropped);
	J("rewritten", io.rewritten);
	J("batches", io.batches);
	J("truncated", io.truncated);
	J("not_ipv4", io.not_ipv4);
	J("bad_messages", io.bad_messages);
	J("enobufs", io.enobufs);
	J("verdict_errors", io.verdict_errors);
	J("orphans_dropped", io.orphans_dropped);
	J("out_packets", s->out_packets);
	J("out_bytes", s->out_bytes);
	J("in_packets", s->in_packets);
	J("in_bytes", s->in_bytes);
	J("hairpin", s->hairpin);
	J("local_accepted", s->local_accepted);
	J("malformed", s->malformed);
	J("no_mapping", s->no_mapping);
	J("filtered", s->filtered);
	J("unsupported", s->unsupported);
	J("spoofed", s->spoofed);
	J("spoofed_wan", s->spoofed_wan);
	J("not_for_wan", s->not_for_wan);
	J("no_wan", s->no_wan);
	J("ports_exhausted", s->ports_exhausted);
	J("client_limit", s->client_limit);
	J("evicted", s->evicted);
	J("frag_unknown", s->frag_unknown);
	J("other_out", s->other_out);
	J("other_in", s->other_in);
	J("other_busy", s->other_busy);
	J("frag_held", s->frag_held);
	J("frag_released", s->frag_released);
	J("frag_evicted", s->frag_evicted);
	J("held", io.held);
	J("icmp_errors", s->icmp_errors);
	J("csum_full", s->csum_full);
	J("csum_incremental", s->csum_incremental);
	J("maps_created", s->maps_created);
	J("maps_expired", s->maps_expired);
	J("sessions_full", s->sess_full);
	J("timeout_udp", nat.cf.to.udp);
	J("timeout_tcp_established", nat.cf.to.tcp_est);
	J("timeout_tcp_transitory", nat.cf.to.tcp_trans);
	J("timeout_icmp", nat.cf.to.icmp);
	J("timeout_other", nat.cf.to.other);
	json_object_set_new(detail, "timeout_udp_from",
	    json_string(timeout_from(saved.to.udp, conf_to.udp)));
	json_object_set_new(detail, "timeout_tcp_established_from",
	    json_string(timeout_from(saved.to.tcp_est, conf_to.tcp_est)));
	json_object_set_new(detail, "timeout_tcp_transitory_from",
	    json_string(timeout_from(saved.to.tcp_trans, conf_to.tcp_trans)));
	json_object_set_new(detail, "timeout_icmp_from",
	    json_string(timeout_from(saved.to.icmp, conf_to.icmp)));
	json_object_set_new(detail, "timeout_other_from",
	    json_string(timeout_from(saved.to.other, conf_to.other)));
	if (ring != NULL) {
		J("ring_records", atomic_load(&ring->head));
		J("ring_drops", atomic_load(&ring->drops));
	} else
		J("ring_records", 0);
}

#undef J

/* ---- gkctl ---- */

static const char *
ipstr(uint32_t ip, char *buf)
{
	struct in_addr	 a = { ip };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void
client_row(const struct nat_client_info *ci, void *arg)
{
	json_t		*rows = arg, *o;
	char		 ip[INET_ADDRSTRLEN];

	o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "ip", ipstr(ci->ip, ip),
	    "bytes_up", (json_int_t)ci->bytes_up,
	    "bytes_down", (json_int_t)ci->bytes_down,
	    "packets_up", (json_int_t)ci->packets_up,
	    "packets_down", (json_int_t)ci->packets_down,
	    "rate_up", (json_int_t)rates[ci->idx].rate_up,
	    "rate_down", (json_int_t)rates[ci->idx].rate_down);
	if (o != NULL)
		json_array_append_new(rows, o);
}

/* A protocol as gkctl shows it: its usual name, else its number. */
static const char *
proto_label(uint8_t proto, char *buf, size_t size)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
		return store_proto_name(proto);
	case IPPROTO_GRE:
		return "gre";
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_AH:
		return "ah";
	case IPPROTO_IPIP:
		return "ipip";
	case IPPROTO_IPV6:
		return "ipv6";
	case IPPROTO_SCTP:
		return "sctp";
	}
	snprintf(buf, size, "%u", proto);
	return buf;
}

/* An address-only owner: no ports; replies only from its remote. */
static json_t *
other_row(const struct nat_map_info *mi)
{
	char		 ip[INET_ADDRSTRLEN], rip[INET_ADDRSTRLEN], pn[8];

	return json_pack("{s:s,s:s,s:n,s:n,s:s,s:I,s:s,s:i}",
	    "proto", proto_label(mi->proto, pn, sizeof(pn)),
	    "lan_ip", ipstr(mi->lan_ip, ip),
	    "lan_port",
	    "wan_port",
	    "remote", ipstr(mi->remote_ip, rip),
	    "idle", (json_int_t)mi->idle,
	    "type", "address-only",
	    "sessions", 0);
}

struct list_arg {
	json_t		*rows;
	uint32_t	 filter_ip;	/* 0: all */
	uint32_t	 total, shown;
};

static void
map_row(const struct nat_map_info *mi, void *arg)
{
	struct list_arg	*la = arg;
	char		 ip[INET_ADDRSTRLEN], rip[INET_ADDRSTRLEN];
	char		 remote[40];
	int		 filt;
	json_t		*o;

	if (la->filter_ip != 0 && mi->lan_ip != la->filter_ip)
		return;
	la->total++;
	if (la->shown >= NATD_LIST_MAX)
		return;
	if (mi->addr_only) {
		if ((o = other_row(mi)) != NULL) {
			json_array_append_new(la->rows, o);
			la->shown++;
		}
		return;
	}
	filt = mi->proto == IPPROTO_TCP ? nat.cf.filter_tcp :
	    mi->proto == IPPROTO_UDP ? nat.cf.filter_udp : NAT_EIF;
	/* The remote matters (is shown) when filtering depends on it. */
	if (mi->forward || filt == NAT_EIF || mi->remote_ip == 0)
		snprintf(remote, sizeof(remote), "*");
	else if (filt == NAT_ADF)
		snprintf(remote, sizeof(remote), "%s", ipstr(mi->remote_ip,
		    rip));
	else
		snprintf(remote, sizeof(remote), "%s:%u",
		    ipstr(mi->remote_ip, rip), mi->remote_port);
	o = json_pack("{s:s,s:s,s:i,s:i,s:s,s:I,s:s,s:i}",
	    "proto", store_proto_name(mi->proto),
	    "lan_ip", ipstr(mi->lan_ip, ip),
	    "lan_port", (int)mi->lan_port,
	    "wan_port", (int)mi->wan_port,
	    "remote", remote,
	    "idle", (json_int_t)mi->idle,
	    "type", mi->forward ? "forward" : "dynamic",
	    "sessions", (int)mi->sessions);
	if (o != NULL) {
		json_array_append_new(la->rows, o);
		la->shown++;
	}
}

static json_t *
forwards_json(void)
{
	json_t		*rows = json_array(), *o;
	char		 ip[INET_ADDRSTRLEN];
	int		 i;

	for (i = 0; i < nat.nfwd; i++) {
		o = json_pack("{s:s,s:i,s:s,s:i,s:s}",
		    "proto", store_proto_name(nat.fwd[i].proto),
		    "wan_port", (int)nat.fwd[i].wan_port,
		    "ip", ipstr(nat.fwd[i].ip, ip),
		    "port", (int)nat.fwd[i].port,
		    "source", nat.fwd[i].from_conf ? "config" : "gkctl");
		if (o != NULL)
			json_array_append_new(rows, o);
	}
	return json_pack("{s:o}", "forwards", rows);
}

/* forward add tcp|udp WANPORT IP [PORT] | forward del tcp|udp WANPORT:
 * argv holds the words after add or del. */
static json_t *
ctl_forward(int add, int argc, const char *const *argv, char *err,
    size_t errlen)
{
	struct nat_forward f;
	struct store	 before = saved;
	struct in_addr	 ip;
	const char	*why;
	long		 wp, lp;
	int		 i;

	if (argc < 2 || (add && argc < 3)) {
		snprintf(err, errlen, "usage: forward add tcp|udp WANPORT IP "
		    "[PORT] | forward del tcp|udp WANPORT");
		return NULL;
	}
	memset(&f, 0, sizeof(f));
	f.proto = (uint8_t)store_proto(argv[0]);
	if (f.proto == 0) {
		snprintf(err, errlen, "\"%s\": the protocol is tcp or udp",
		    argv[0]);
		return NULL;
	}
	if ((wp = store_number(argv[1], 1, 65535)) == -1) {
		snprintf(err, errlen, "\"%s\": a WAN port is 1 to 65535",
		    argv[1]);
		return NULL;
	}
	f.wan_port = (uint16_t)wp;
	for (i = 0; i < nat.nfwd; i++)
		if (nat.fwd[i].proto == f.proto &&
		    nat.fwd[i].wan_port == f.wan_port)
			break;
	if (!add) {
		if (i == nat.nfwd) {
			snprintf(err, errlen, "no forward of %s port %ld",
			    argv[0], wp);
			return NULL;
		}
		if (nat.fwd[i].from_conf) {
			snprintf(err, errlen, "%s port %ld is forwarded by "
			    "gatekeeper.conf: remove it there", argv[0],
			    wp);
			return NULL;
		}
		for (i = 0; i < saved.nfwd; i++)
			if (saved.fwd[i].proto == f.proto &&
			    saved.fwd[i].wan_port == f.wan_port)
				break;
		if (i < saved.nfwd)
			saved.fwd[i] = saved.fwd[--saved.nfwd];
	} else {
		if (argc < 3 ||
		    inet_pton(AF_INET, argv[2], &ip) != 1) {
			snprintf(err, errlen, "\"%s\": not an IPv4 address",
			    argc < 3 ? "" : argv[2]);
			return NULL;
		}
		lp = argc == 4 ? store_number(argv[3], 1, 65535) : wp;
		if (lp == -1) {
			snprintf(err, errlen, "\"%s\": a port is 1 to 65535",
			    argv[3]);
			return NULL;
		}
		if (i < nat.nfwd) {
			snprintf(err, errlen, "%s port %ld is already "
			    "forwarded (forward del it first)", argv[0],
			    wp);
			return NULL;
		}
		f.ip = ip.s_addr;
		f.port = (uint16_t)lp;
		if ((why = nat_forward_check(&nat, &f)) != NULL) {
			snprintf(err, errlen, "cannot forward %s port %ld: %s",
			    argv[0], wp, why);
			return NULL;
		}
		if (saved.nfwd == NAT_MAX_FORWARDS) {
			snprintf(err, errlen, "too many forwards");
			return NULL;
		}
		saved.fwd[saved.nfwd++] = f;
	}
	if (forwards_sync(err, errlen) == -1 || store_save(err, errlen) == -1) {
		saved = before;
		forwards_sync(NULL, 0);
		return NULL;
	}
	return forwards_json();
}

/* nat timeout [NAME SECONDS]...: argv holds the pairs. */
static json_t *
ctl_timeouts(const struct ctl_call *call, char *err, size_t errlen)
{
	const char *const *argv = call->argv;
	int		 argc = call->argc;
	struct store	 before = saved;
	struct nat_config cf = nat.cf;
	uint32_t	*field;
	long		 v;
	int		 i;

	if (argc % 2 != 0) {
		snprintf(err, errlen, "usage: nat timeout [udp|tcp-established"
		    "|tcp-transitory|icmp|other SECONDS]...");
		return NULL;
	}
	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "udp") == 0) {
			field = &saved.to.udp;
			saved.to_base.udp = conf_to.udp;
		} else if (strcmp(argv[i], "tcp-established") == 0) {
			field = &saved.to.tcp_est;
			saved.to_base.tcp_est = conf_to.tcp_est;
		} else if (strcmp(argv[i], "tcp-transitory") == 0) {
			field = &saved.to.tcp_trans;
			saved.to_base.tcp_trans = conf_to.tcp_trans;
		} else if (strcmp(argv[i], "icmp") == 0) {
			field = &saved.to.icmp;
			saved.to_base.icmp = conf_to.icmp;
		} else if (strcmp(argv[i], "other") == 0) {
			field = &saved.to.other;
			saved.to_base.other = conf_to.other;
		} else {
			saved = before;
			snprintf(err, errlen, "\"%s\": not a timeout (udp, "
			    "tcp-established, tcp-transitory, icmp, other)",
			    argv[i]);
			return NULL;
		}
		if ((v = store_number(argv[i + 1], 1, 30L * 86400)) ==
		    -1) {
			saved = before;
			snprintf(err, errlen, "\"%s\": seconds, 1 to 2592000",
			    argv[i + 1]);
			return NULL;
		}
		*field = (uint32_t)v;
	}
	if (argc > 0 && store_save(err, errlen) == -1) {
		saved = before;
		return NULL;
	}
	apply_timeouts(&cf);
	nat_set_config(&nat, &cf);
	return json_pack("{s:i,s:i,s:i,s:i,s:i}", "udp", (int)cf.to.udp,
	    "tcp_established", (int)cf.to.tcp_est, "tcp_transitory",
	    (int)cf.to.tcp_trans, "icmp", (int)cf.to.icmp, "other",
	    (int)cf.to.other);
}

static json_t *
ctl_clients(const struct ctl_call *call, char *err, size_t errlen)
{
	json_t		*rows = json_array();

	nat_client_foreach(&nat, client_row, rows);
	return json_pack("{s:o}", "clients", rows);
}

/* nat [IP] */
static json_t *
ctl_nat(const struct ctl_call *call, char *err, size_t errlen)
{
	struct list_arg	 la;
	struct in_addr	 ip;

	memset(&la, 0, sizeof(la));
	if (call->argc == 1) {
		if (inet_pton(AF_INET, call->argv[0], &ip) != 1) {
			snprintf(err, errlen, "usage: nat [IP] | nat "
			    "timeout [NAME SECONDS]...");
			return NULL;
		}
		la.filter_ip = ip.s_addr;
	}
	la.rows = json_array();
	nat_map_foreach(&nat, map_row, &la);
	return json_pack("{s:o,s:i,s:i}", "mappings", la.rows,
	    "total", (int)la.total, "shown", (int)la.shown);
}

static json_t *
ctl_forwards(const struct ctl_call *call, char *err, size_t errlen)
{
	return forwards_json();
}

static json_t *
ctl_forward_add(const struct ctl_call *call, char *err, size_t errlen)
{
	return ctl_forward(1, call->argc, call->argv, err, errlen);
}

static json_t *
ctl_forward_del(const struct ctl_call *call, char *err, size_t errlen)
{
	return ctl_forward(0, call->argc, call->argv, err, errlen);
}

static const struct ctl_handler natd_handlers[] = {
	{ CMD_CLIENTS, ctl_clients },
	{ CMD_NAT, ctl_nat },
	{ CMD_NAT_TIMEOUT, ctl_timeouts },
	{ CMD_FORWARDS, ctl_forwards },
	{ CMD_FORWARD_ADD, ctl_forward_add },
	{ CMD_FORWARD_DEL, ctl_forward_del },
};

int
main(int argc, char **argv)
{
	static const struct child_spec spec = {
		.peer = PEER_NATD,
		.init = natd_init,
		.status = natd_status,
		.config = natd_config,
		.handlers = natd_handlers,
		.nhandlers = sizeof(natd_handlers) / sizeof(natd_handlers[0]),
	};

	child_main(argc, argv, &spec);
}
