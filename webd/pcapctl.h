/*
 * gkctl pcap (pcapctl.c), for ctl.c: the device's capture written into
 * the pipe gkctl sent with the request, without blocking webd.
 */
#ifndef GK_WEBD_PCAPCTL_H
#define GK_WEBD_PCAPCTL_H

#include <jansson.h>

#include "child.h"

struct event_base;

void	 pcapctl_init(struct event_base *);
json_t	*ctl_pcap(const struct ctl_call *, char *err, size_t errlen);

#endif
