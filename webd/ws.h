/*
 * /api/live's WebSocket connections: taken over from evhttp after a
 * checked upgrade (web.c), fed frames by ws_broadcast().
 */
#ifndef GK_WEBD_WS_H
#define GK_WEBD_WS_H

#include <stdint.h>

struct evhttp_request;
struct live;

struct ws_stats {
	uint64_t	 opened;
	uint64_t	 frames;	/* queued to a client */
	uint64_t	 coalesced;	/* summed into a later one */
	uint64_t	 cut;		/* closed 1008: read nothing too long */
	uint64_t	 received;	/* text messages from clients */
};

/* Answers the upgrade with 101 and takes the connection over; -1 when it
 * cannot (the caller answers with an error). */
int	 ws_start(struct evhttp_request *, const char *accept);
/* Once a second: pings quiet connections, cuts those that read nothing
 * (1008). */
void	 ws_tick(void);
/* Frames come from l (live.c). */
void	 ws_init(struct live *l);
/* The frame just closed to every connection: sent, or, while its last
 * one is still leaving, summed into the next it gets (coalesced). */
void	 ws_frame(void);
int	 ws_count(void);
const struct ws_stats *ws_stats(void);

#endif
