/*
 * Vendors from the MAC's OUI: the IEEE's MA-L assignments as Debian's
 * ieee-data ships them (/usr/share/ieee-data/oui.txt), read at run time
 * through a descriptor the parent opened (proto/layout.c: webd is
 * chrooted), parsed once into a compact table: the 24-bit prefixes
 * sorted for a binary search, each with the offset of its name in one
 * pool where every distinct name is kept once. Pure logic.
 */
#ifndef GK_WEBD_OUI_H
#define GK_WEBD_OUI_H

#include <stddef.h>
#include <stdint.h>

#define OUI_PATH	"/usr/share/ieee-data/oui.txt"
#define OUI_FILE_MAX	(32UL * 1024 * 1024)	/* a bigger file is refused */
#define OUI_NAME_MAX	128			/* longer names are cut */
#define OUI_PRIVATE	"private address"

struct oui {
	uint32_t	*prefix;	/* sorted, n of them */
	uint32_t	*name;		/* offset in names, per prefix */
	char		*names;		/* NUL-terminated names */
	size_t		 n, names_len;
	uint64_t	 skipped;	/* "(hex)" lines that did not parse */
};

/*
 * Parses the text of oui.txt (len bytes, not NUL-terminated): every line
 * "XX-XX-XX   (hex)\t\tNAME"; other lines (the addresses, the "(base 16)"
 * repeats) are not ours. A name that is not UTF-8 or has control
 * characters, or a prefix given twice, is skipped and counted. Returns
 * the number of prefixes, or -1 out of memory (the table is then empty).
 */
long	 oui_load(struct oui *, const char *text, size_t len);
void	 oui_free(struct oui *);
/*
 * The vendor of mac: OUI_PRIVATE for a locally administered address
 * (bit 0x02 of the first octet: phones' private addresses, VMs), the
 * name registered for its prefix, or NULL when none is.
 */
const char *oui_vendor(const struct oui *, const uint8_t mac[6]);

#endif
