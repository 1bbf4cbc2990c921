/*
 * Internet checksums (RFC 1071), computed on raw bytes: every 16-bit
 * value goes in and comes out in the byte order it has in the packet, so
 * callers never swap (the one's complement sum does not care, RFC 1071
 * 2(B)).
 */
#ifndef GK_CSUM_H
#define GK_CSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Adds len bytes at buf (which starts at an even offset of the summed
 * data) to sum; returns the sum folded to 32 bits, not complemented.
 * Fast: a 64 KiB GSO segment goes through it on every translated packet
 * that arrived with only the pseudo-header seed.
 */
uint32_t	csum_partial(const void *buf, size_t len, uint32_t sum);

/* Folds a partial sum to 16 bits and complements it: the field value. */
static inline uint16_t
csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field that went
 * from old to new.
 */
static inline uint16_t
csum_update16(uint16_t check, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~check;

	s += (uint16_t)~old;
	s += new;
	return csum_fold(s);
}

/* The same for a 32-bit field (an address), as two 16-bit halves. */
static inline uint16_t
csum_update32(uint16_t check, uint32_t old, uint32_t new)
{
	uint32_t s = (uint16_t)~check;

	s += (uint16_t)~(old >> 16) + (uint16_t)~(old & 0xffff);
	s += (new >> 16) + (new & 0xffff);
	return csum_fold(s);
}

/*
 * The IPv4 pseudo-header sum for a transport segment of l4len bytes
 * (addresses raw, as in the packet).
 */
uint32_t	csum_pseudo(uint32_t saddr, uint32_t daddr, uint8_t proto,
		    uint32_t l4len);

/*
 * The complete transport checksum of a segment (its checksum field is
 * treated as zero whatever it holds): what the kernel expects of a
 * packet it is handed modified.
 */
uint16_t	csum_l4(const uint8_t *seg, size_t l4len, size_t csum_off,
		    uint32_t saddr, uint32_t daddr, uint8_t proto);

#endif
