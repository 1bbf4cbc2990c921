/*
 * The frames of /api/live (CONTRACT.md), every LIVE_FRAME_MS: per
 * device the bytes up and down since the previous frame, the top remotes
 * of the devices a socket subscribed to, and devices seen for the first
 * time. Built from natd's per-packet summaries as webd drains the ring
 * (drain.c calls live_add per summary), so a frame's bytes are the very
 * bytes the history counts: the sum of the frames over a transfer is the
 * bytes that crossed the NAT.
 *
 * Pure: summaries in, text out; the sockets are ws.c's. No allocation
 * per summary: fixed tables, bounded below.
 *
 * A frame is built once for every socket (the shared part, and each
 * watched device's remotes once); a socket's text is the shared part
 * and the remotes of its subscriptions. A socket that could not take
 * frames (its last one still leaving) gets, once it drained, one frame
 * that sums all it missed: devices exact (the device totals are kept
 * cumulative, and the socket keeps the totals it was last sent), new
 * devices all of them, and remotes summed over every interval it missed
 * (each missed interval's remotes merged into the socket's own table per
 * subscription, bounded like a watch's; the busiest LIVE_TOP of the sums
 * shown).
 */
#ifndef GK_WEBD_LIVE_H
#define GK_WEBD_LIVE_H

#include <stddef.h>
#include <stdint.h>

#define LIVE_FRAME_MS		100
#define LIVE_DEVICES_MAX	1024	/* devices at once; when full, one
					 * silent LIVE_IDLE_FRAMES gives its
					 * place to a new one */
#define LIVE_IDLE_FRAMES	600	/* a minute */
#define LIVE_DEV_HASH		2048	/* power of two */
#define LIVE_SUBS_MAX		8	/* subscriptions per socket */
#define LIVE_WATCH_MAX		64	/* subscribed devices, all sockets */
#define LIVE_REMOTES_MAX	512	/* remotes a watched device meets in a
					 * frame; more are counted, not shown */
#define LIVE_REMOTE_HASH	1024	/* power of two, 2 x the above */
#define LIVE_TOP		16	/* remotes per device per frame */
#define LIVE_HOSTNAME		64
#define LIVE_MSG_MAX		4096	/* a client message */

/* One summary, as drain.c has it. */
struct live_rec {
	uint8_t		 mac[6];
	uint8_t		 proto;
	uint8_t		 up;		/* 1: device to remote */
	uint32_t	 lan_ip;	/* network order */
	uint32_t	 remote;	/* network order */
	uint16_t	 port;		/* the remote's, host order */
	uint64_t	 bytes;
	uint32_t	 records;	/* the summaries it sums: 0 counts as 1 */
};

struct live_dev {
	uint8_t		 mac[6];
	uint8_t		 announce;	/* new to the history too: say so */
	uint8_t		 pad;
	uint32_t	 ip;		/* the last summary's, network order */
	int32_t		 hnext;
	int32_t		 watch;		/* watch[] index, or -1 */
	uint64_t	 up, down;	/* this interval */
	uint64_t	 tot[2];	/* up, down up to the last frame */
	uint64_t	 prev[2];	/* up to the frame before it */
	uint64_t	 first_seq;	/* the frame it first appeared in */
	uint64_t	 last_seq;	/* the frame it last had traffic in */
};

struct live_remote {
	uint32_t	 addr;		/* network order */
	uint32_t	 gen;		/* the interval it is for: else free */
	uint16_t	 port;
	uint8_t		 proto;
	uint8_t		 pad;
	uint64_t	 up, down;
};

struct live_watch {
	uint8_t		 mac[6];
	uint16_t	 refs;		/* subscriptions; 0: free */
	int32_t		 dev;		/* dev[] index, or -1 until seen */
	uint32_t	 nrem;
	uint16_t	 used[LIVE_REMOTES_MAX];	/* slots this interval */
	struct live_remote rem[LIVE_REMOTE_HASH];
	char		*frag;		/* "MAC":[...] of the last frame */
	/* the last frame's remotes, for the sockets that missed it */
	struct live_remote *last;
	uint32_t	 nlast, caplast;
};

/* What a socket behind missed of one subscription: its remotes' sums
 * (open addressing, gen != 0: taken), at most LIVE_REMOTES_MAX. */
struct live_pend {
	uint32_t	 n;
	uint32_t	 cap;		/* slots, a power of two; 0: none */
	struct live_remote *e;
};

/* A socket's side: what it subscribed to and what it was last sent. */
struct live_sub {
	int		 n;
	int16_t		 watch[LIVE_SUBS_MAX];
	uint64_t	 seq;		/* the last frame it was sent */
	uint64_t	(*base)[2];	/* behind: device totals at seq */
	int		 nbase;
	struct live_pend pend[LIVE_SUBS_MAX];	/* behind: per watch[i] */
	uint64_t	 pend_seq;	/* the last frame summed in pend */
};

struct live_stats {
	uint64_t	 frames;	/* built */
	uint64_t	 records;	/* summaries counted */
	uint64_t	 devices_full;	/* summaries of a device past the cap */
	uint64_t	 devices_evicted;	/* silent ones that gave way */
	uint64_t	 remotes_over;	/* remotes past LIVE_REMOTES_MAX */
	uint64_t	 subscribe;	/* subscriptions taken */
	uint64_t	 bad_messages;	/* client messages refused */
	uint64_t	 watch_full;	/* subscriptions past LIVE_WATCH_MAX */
	uint64_t	 bad_replies;	/* `clients` replies not understood */
};

/* Names and what the history knows, from webd (names.c, history.c). */
struct live_ops {
	/* the name of remote for the device (NULL: none yet) */
	const char	*(*name)(void *, const uint8_t mac[6], uint32_t lan_ip,
			    uint32_t remote);
	/* 1 when the history already holds the device */
	int		 (*known)(void *, const uint8_t mac[6]);
	/* the vendor of the MAC (NULL: unknown; the op may be NULL) */
	const char	*(*vendor)(void *, const uint8_t mac[6]);
	void		*arg;
};

struct live_host {
	uint8_t		 mac[6];
	char		 name[LIVE_HOSTNAME];
};

struct live {
	struct live_ops	 ops;
	uint64_t	 seq;		/* frames closed */
	uint64_t	 t_ms;		/* the last one's time */
	uint64_t	 evict_seq;	/* the interval a full table found
					 * nobody to evict */
	uint32_t	 gen;		/* intervals, for the remote tables */
	int32_t		 hash[LIVE_DEV_HASH];
	int		 ndev;
	struct live_dev	 dev[LIVE_DEVICES_MAX];
	int		 nwatch;	/* watch[] entries ever used: the
					 * rest were never touched, and each
					 * is 33 KB, pages of its own */
	struct live_watch watch[LIVE_WATCH_MAX];
	int		 nhost;
	struct live_host host[LIVE_DEVICES_MAX];	/* from dhcpd */
	char		*shared;	/* the last frame, up to its remotes */
	char		*plain;		/* the last frame, no subscription */
	struct live_stats st;
};

/* A state of zeros (static storage, or memset) made ready. */
void	 live_init(struct live *, const struct live_ops *);
/* One summary into the open interval. */
void	 live_add(struct live *, const struct live_rec *);
/* Closes the interval as the frame of t_ms; builds its text when build
 * (somebody listens). Returns -1 when out of memory (no frame). */
int	 live_close(struct live *, uint64_t t_ms, int build);
/*
 * The text for a socket: malloc'd, NULL when out of memory. A socket
 * that was behind gets the sum of all it missed. Either way it is then
 * up to date.
 */
char	*live_text(struct live *, struct live_sub *);
/* A socket cannot take the frame just closed (called once for each
 * frame it misses, before the next live_add): from now on it is behind,
 * the totals it was last sent are kept and the frame's remotes are
 * added to what it missed (-1: out of memory, the frame is lost to
 * it). */
int	 live_behind(struct live *, struct live_sub *);
int	 live_is_behind(const struct live_sub *);
/*
 * What a socket up to date is sent this frame depends on its
 * subscriptions alone: their watch[] indices, in order, into key; the
 * count, or -1 when the socket is behind (its text is its own). Two
 * sockets with the same key get the same text from live_text, so it is
 * built and framed once for all of them (ws.c); live_sent then marks a
 * socket as sent the frame without building it.
 */
int	 live_view_key(const struct live_sub *, int16_t key[LIVE_SUBS_MAX]);
void	 live_sent(struct live *, struct live_sub *);
/*
 * A client message (text, len bytes): `{"subscribe": ["MAC", ...]}`, at
 * most LIVE_SUBS_MAX, replacing the socket's subscriptions. Returns NULL
 * when taken, else why not (the socket keeps what it had).
 */
const char *live_message(struct live *, struct live_sub *, const char *msg,
	    size_t len);
/* The parser alone: the MACs of a subscription, *n of them. */
const char *live_parse_subscribe(const char *msg, size_t len,
	    uint8_t macs[LIVE_SUBS_MAX][6], int *n);
/* A socket goes: its subscriptions and snapshot with it. */
void	 live_drop(struct live *, struct live_sub *);
/* The hostnames of a `clients` reply (JSON), for new devices. */
int	 live_hosts(struct live *, const char *clients_json);

#endif
