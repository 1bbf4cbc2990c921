/*
 * The device registry: every device ever seen on the LAN, by its MAC
 * (CONTRACT.md, Devices), remembered across restarts in webd's state
 * dir, with when it was first and last seen, its last IP and DHCP host
 * name, the admin's label, and whether the admin has acknowledged it
 * yet ("new"). Fed from what webd learns anyway: the `clients` replies
 * (dhcpd's leases) and the traffic history (natd's summaries). Pure
 * logic: no I/O, no clock; times are wall-clock milliseconds given by
 * the caller.
 *
 * Bounded: DEVICES_MAX devices; a device seen when the registry is full
 * is refused and counted (st.refused), never an old one evicted: the
 * admin forgets devices, the registry does not.
 */
#ifndef GK_WEBD_DEVICES_H
#define GK_WEBD_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define DEVICES_MAX		1024
#define DEVICES_TEXT		64		/* a label, a host name: 63 + NUL */
#define DEVICES_ONLINE_MS	(5 * 60 * 1000)	/* traffic or DHCP this recent */
#define DEVICES_FILE		"devices"	/* in the state dir */

struct device {
	uint8_t		 mac[6];
	uint8_t		 is_new;	/* not acknowledged by the admin */
	uint8_t		 pad;
	uint32_t	 ip;		/* last IPv4, network order; 0: none */
	uint64_t	 first_ms;	/* first seen */
	uint64_t	 last_ms;	/* last seen: traffic or DHCP */
	uint64_t	 dhcp_ms;	/* last DHCP message */
	uint64_t	 traffic_ms;	/* last traffic */
	char		 hostname[DEVICES_TEXT];	/* as the device sent it */
	char		 label[DEVICES_TEXT];	/* the admin's */
	/* since local midnight (not saved: rebuilt from the history) */
	uint64_t	 today_up, today_down;
};

struct devices_stats {
	uint64_t	 added;		/* devices first seen */
	uint64_t	 refused;	/* seen while the registry was full */
	uint64_t	 forgotten;	/* forgotten by the admin */
	uint64_t	 not_device;	/* group or zero MACs passed in */
	uint64_t	 load_bad;	/* records dropped from the file */
	uint64_t	 load_corrupt;	/* files ignored whole */
};

/* Sorted by MAC: binary search, a listing in MAC order. */
struct devices {
	struct device	 d[DEVICES_MAX];
	int		 n;
	/* 1: a change worth saving at once (a new device, a label, an
	 * acknowledgement, a forget); 2: only times moved */
	int		 dirty;
	uint64_t	 day_ms;	/* the local midnight today_* count from */
	/* when the file loaded was saved (0: none): what the history
	 * shows after it is news, what it shows before was known then
	 * (a forgotten device stays forgotten) */
	uint64_t	 saved_ms;
	struct devices_stats st;
};

/* Where the device was seen: sets dhcp_ms or traffic_ms. */
enum devices_source {
	DEVICES_DHCP,
	DEVICES_TRAFFIC,
};

/* The vendor of a MAC (NULL: unknown), for the JSON below. */
typedef const char *(*devices_vendor_fn)(const uint8_t mac[6], void *);

void	 devices_init(struct devices *);
/* The device of mac, or NULL. */
struct device *devices_find(struct devices *, const uint8_t mac[6]);
/* The device client names: a MAC, or an IPv4 address (devices_by_ip);
 * NULL when none. */
struct device *devices_lookup(struct devices *, const char *client);
/* The device whose last IP is ip (network order) and seen most
 * recently, or NULL. */
struct device *devices_by_ip(struct devices *, uint32_t ip);
/*
 * mac was seen at ms (with ip when not 0): added as new if unknown,
 * else its times and IP updated. NULL when refused (full, or mac is not
 * a device's: a group or all-zero address).
 */
struct device *devices_see(struct devices *, const uint8_t mac[6],
	    uint32_t ip, uint64_t ms, enum devices_source);
/* The host name the device gave in DHCP (bytes as sent; "" is ignored:
 * a device that stops sending one keeps its last). */
void	 devices_set_hostname(struct devices *, struct device *,
	    const char *name);
/*
 * The admin's label ("" clears it): at most 63 bytes of UTF-8 without
 * control characters. -1 with err for the admin otherwise.
 */
int	 devices_set_label(struct devices *, struct device *,
	    const char *label, char *err, size_t errlen);
void	 devices_ack(struct devices *, struct device *);
/* Removes the device; seen again, it is new again. */
void	 devices_forget(struct devices *, struct device *);
/* 1 when traffic or DHCP was seen within DEVICES_ONLINE_MS of now. */
int	 devices_online(const struct device *, uint64_t now_ms);
/*
 * Bytes of one summary for today's totals (a record before the day's
 * midnight is ignored). With ip (not 0) an unknown device is seen
 * (devices_see()) and counted from this record on; with 0, only known
 * devices count.
 */
void	 devices_count(struct devices *, const uint8_t mac[6], uint32_t ip,
	    int up, uint64_t bytes, uint64_t ms);
/* A new day from midnight_ms: today's totals start again at 0 when it
 * differs from the one they count from. */
void	 devices_new_day(struct devices *, uint64_t midnight_ms);

/*
 * The file: a header ("GKDEVS01", version, count, when it was saved)
 * and count fixed
 * records. devices_save_size() bytes for the current registry;
 * devices_load() takes what validates (a record with a bad MAC, times
 * out of order or from after now_ms, text not NUL-terminated, not UTF-8
 * or with control characters is dropped and counted), and returns -1,
 * keeping nothing, when the header or size is wrong.
 */
size_t	 devices_save_size(const struct devices *);
void	 devices_save(const struct devices *, uint8_t *buf, uint64_t now_ms);
int	 devices_load(struct devices *, const uint8_t *buf, size_t len,
	    uint64_t now_ms);

/* NULL when s is valid UTF-8 (and, unless ctl, has no C0 control
 * character or DEL), else why not. */
const char *devices_text_problem(const char *s, int ctl);
/* Checks a label (as devices_set_label()), NULL when it is fine. */
const char *devices_label_problem(const char *label);

/*
 * The device as the API shows it (docs/webd.md): mac, ip, vendor (from
 * vendor(), may be NULL: unknown), online, label, new, first_seen,
 * last_seen, hostname, name, today_up, today_down.
 */
json_t	*devices_json(const struct device *, const char *vendor,
	    uint64_t now_ms);
/* The display name: the label, else the host name, else the vendor and
 * the MAC's last three bytes ("Apple 3a:4b:5c"), else the MAC. */
void	 devices_name(const struct device *, const char *vendor, char *buf,
	    size_t len);

/* {"devices": [...]} as `gkctl -j devices`: every device, by MAC. */
json_t	*devices_list_json(struct devices *, devices_vendor_fn, void *arg,
	    uint64_t now_ms);

/*
 * A `clients` reply (its JSON, from dhcpd and natd through the parent):
 * every row with a MAC and a DHCP time feeds the registry.
 */
void	 devices_observe_clients(struct devices *, json_t *reply);
/*
 * The reply of GET /api/clients: each of the `clients` rows with the
 * registry's fields added (keys of the row that the registry also has,
 * first_seen, last_seen and hostname, become the registry's), then the
 * registry's devices that no row named, offline, with their last IP. A
 * row with neither a MAC nor any traffic (natd's client for a port
 * forward's target that never talked) is no device and is left out.
 * vendor_of(mac) names a vendor (NULL: unknown). Returns a new object
 * {"clients": [...]}; the reply is not changed.
 */
json_t	*devices_merge_clients(struct devices *, json_t *reply,
	    devices_vendor_fn, void *arg, uint64_t now_ms);

#endif
