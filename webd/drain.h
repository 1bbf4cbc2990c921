/*
 * webd's drain of natd's summary ring into the traffic history (the
 * memfd the parent keeps at FD_WEBD_HISTORY). The I/O half; the store
 * is history.c.
 */
#ifndef GK_WEBD_DRAIN_H
#define GK_WEBD_DRAIN_H

#include <stdint.h>

struct event_base;

struct drain_stats {
	uint64_t	 drained;	/* records taken from the ring */
	uint64_t	 turns;		/* timer turns that found some */
	uint64_t	 no_mac;	/* records natd gave no MAC */
	uint64_t	 clock_steps;	/* wall-clock steps followed */
	uint64_t	 ring_lost;	/* skipped when the ring resynced */
};

/* Maps the history and the ring and starts the timers; without a
 * history webd runs on, without one (webd.hist stays NULL). */
void	drain_init(struct event_base *);
/* Drains the ring now and closes every second before now (exit). */
void	drain_flush(void);
/* Drains the ring now (a live frame is about to close). */
void	drain_now(void);
/* history (seconds) from the config. */
void	drain_config(uint32_t history_s);
/*
 * Today's bytes per device from the history since midnight_ms (local
 * midnight), and every device of the history into the registry: once,
 * at start; the drain counts every summary after that.
 */
struct devices;
void	drain_today(struct devices *, uint64_t midnight_ms);
/* The counters, and the ring's drops (natd's). */
const struct drain_stats *drain_stats(uint64_t *ring_drops);

#endif
