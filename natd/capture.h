/*
 * natd's side of the capture rings (proto/capring.h): the region the
 * parent keeps at FD_NATD_CAPTURE, laid out for capture-size, and the
 * packet path's copy of each packet as its device saw it.
 */
#ifndef GK_NATD_CAPTURE_H
#define GK_NATD_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "nat.h"
#include "nfq.h"

/* Maps the region (natd_init). */
void	capture_init(void);
/* Lays it out for ring_size bytes per device, 0: off (natd_config). */
void	capture_config(uint64_t ring_size);
/* Once per batch: the records' wall-clock time. */
void	capture_batch(void);
/*
 * Before translation: copies a packet from the LAN (it is rewritten in
 * place) into its device's ring, unpublished; after: publishes it, or
 * records the un-NATed reply, when natd passed it (gso_size: payload
 * bytes per segment of a GSO packet); cancel: natd did not pass it.
 */
void	capture_before(const struct nfq_pkt *, int hook);
void	capture_after(const struct nfq_pkt *, const struct nat_result *,
	    uint16_t gso_size);
void	capture_cancel(void);
/* gkctl pcap --clear: 1 cleared, 0 no ring for mac. */
int	capture_clear(const uint8_t mac[6]);
int	capture_on(void);

#endif
