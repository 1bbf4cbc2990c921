/*
 * The frames of /api/live (CONTRACT.md): per device the bytes up and down
 * since the previous frame, from the `clients` reply's running totals
 * (natd's per-device counters joined with dhcpd's leases). Pure: text in,
 * text out.
 */
#ifndef GK_WEBD_LIVE_H
#define GK_WEBD_LIVE_H

#include <stdint.h>

#define LIVE_DEVICES_MAX	1024

struct live_dev {
	char		 ip[16];		/* "" : free */
	uint64_t	 up, down;		/* totals at the last frame */
};

struct live {
	struct live_dev	 dev[LIVE_DEVICES_MAX];
	int		 ndev;
	uint64_t	 frames;
	uint64_t	 bad_replies;
};

void	 live_init(struct live *);
/*
 * The frame for a `clients` reply (JSON text) at t_ms: malloc'd text,
 * or NULL when the reply is not what `clients` answers. A device's
 * first frame, and a total that went down (natd's counters restarted),
 * count as 0, never as everything at once.
 */
char	*live_frame(struct live *, const char *clients_json, uint64_t t_ms);

#endif
