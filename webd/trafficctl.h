/*
 * webd's traffic commands and status (trafficctl.c), for ctl.c.
 */
#ifndef GK_WEBD_TRAFFICCTL_H
#define GK_WEBD_TRAFFICCTL_H

#include <jansson.h>

#include "child.h"

json_t	*traffic_status_json(void);
json_t	*ctl_traffic(const struct ctl_call *, char *err, size_t errlen);
json_t	*ctl_usage(const struct ctl_call *, char *err, size_t errlen);

#endif
