/*
 * The dashboard's files, built into webd (gen_assets.py makes assets.c
 * from webd/www/ at build time): no CDN, nothing fetched, works offline.
 */
#ifndef GK_WEBD_ASSETS_H
#define GK_WEBD_ASSETS_H

#include <stddef.h>
#include <stdint.h>

struct asset {
	const char	*path;		/* "/app.js" */
	const char	*type;		/* Content-Type */
	const uint8_t	*data;
	size_t		 len;
	const uint8_t	*gz;		/* gzip form, NULL when not smaller */
	size_t		 gzlen;
	const char	*etag;		/* of the content, without quotes */
};

extern const struct asset web_assets[];
extern const size_t web_nassets;

const struct asset *asset_find(const char *path);

#endif
