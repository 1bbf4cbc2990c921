/*
 * A capture ring's copy (proto/capring.h) as a classic pcap file: link
 * type LINKTYPE_RAW (101), raw IPv4, since natd sees IP packets without
 * their Ethernet header; microsecond timestamps, host byte order (the
 * magic tells readers which). Pure: no I/O.
 */
#ifndef GK_WEBD_PCAP_H
#define GK_WEBD_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "capring.h"

#define PCAP_LINKTYPE_RAW	101
#define PCAP_HDR_LEN		24
#define PCAP_REC_LEN		16

/*
 * The pcap of the snapshot's records, newest kept: the oldest are left
 * out until the file is at most limit bytes. Writes into out (outsize
 * bytes: PCAP_HDR_LEN + ring_size always suffices) and returns the
 * length, or 0 when out is too small. *npkts gets the packets written
 * (each segment of a GSO record: capring.h, cap_segs).
 */
size_t	pcap_write(struct cap_snap *, uint8_t *out, size_t outsize,
	    size_t limit, uint32_t snaplen, size_t *npkts);

struct devices;
struct web_resp;

/* A device's capture as a pcap file, in memory. */
struct pcap_file {
	uint8_t		*data;		/* malloc'd: the caller frees it */
	size_t		 len;
	size_t		 npkts;
	uint8_t		 mac[6];	/* the device's */
};

/*
 * The pcap of the device client names (its MAC, or the IP it holds
 * now) in region cap of capsize bytes (read-only): its ring copied
 * under the sequence lock, then written out. Returns 200 with f filled,
 * else an HTTP status with err saying why.
 */
int	pcap_build(const void *cap, size_t capsize, const char *client,
	    struct pcap_file *f, char *err, size_t errlen);

/*
 * GET /api/pcap?client=IP|MAC: the device's ring (region cap of capsize
 * bytes, read-only) copied under its sequence lock and turned into the
 * response's body, a download named for the device: its label in the
 * registry devs (may be NULL), else the host name it gave, its MAC and
 * the time (pcap_disposition). Returns the HTTP status; other than 200,
 * err says why.
 */
int	pcap_reply(const void *cap, size_t capsize, const char *client,
	    uint64_t now, struct devices *, struct web_resp *, char *err,
	    size_t errlen);

#define PCAP_NAME_MAX		63	/* bytes of the hostname kept */

/*
 * The download's Content-Disposition: <hostname>-<mac>-<UTC time>.pcap,
 * or <mac>-<UTC time>.pcap without a hostname. The hostname is the
 * device's own choice (DHCP): only [A-Za-z0-9._-] of it is kept (any
 * other byte becomes "_", leading dots go, at most PCAP_NAME_MAX), so
 * it can carry no quote, CR or LF into the header.
 */
void	pcap_disposition(char *buf, size_t len, const char *hostname,
	    const uint8_t mac[6], uint64_t now);

#endif
