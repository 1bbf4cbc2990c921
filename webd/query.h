/*
 * Queries over the traffic history (history.h): a device's rows at a
 * step, its totals and rates, its remote hosts; as JSON or CSV. Pure:
 * the caller gives the time. Every parameter is untrusted (a URL's query
 * or gkctl's words) and checked here.
 */
#ifndef GK_WEBD_QUERY_H
#define GK_WEBD_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "history.h"

#define QUERY_MAX_ROWS		100000
#define QUERY_DEFAULT_POINTS	1000
#define QUERY_MAX_REMOTES	1000

struct query {
	uint8_t		 mac[6];
	uint32_t	 remote;		/* network order; 0: all */
	uint64_t	 from_ms, to_ms;	/* [from, to) */
	uint64_t	 step_ms;		/* a multiple of 100 */
	int		 csv;
};

/* Per step: sums, and the smallest and largest 100 ms within. */
struct query_row {
	uint64_t	 t_ms;
	uint64_t	 c[HIST_NC];
	uint32_t	 min_up, max_up, min_down, max_down;
};

struct query_result {
	struct query_row *rows;
	size_t		 nrows;
	uint64_t	 total[HIST_NC];
	uint64_t	 peak_up, peak_down;	/* bytes in one 100 ms */
	uint64_t	 peak_up_ms, peak_down_ms;
	uint64_t	 active_s;		/* seconds with traffic */
};

/*
 * Fills q from parameters (NULL when absent): client (a MAC, or an IPv4
 * address meaning the device seen last with it), remote, from and to
 * (epoch ms or ISO 8601), step (ms, or a number with ms, s, m or h).
 * now_ms is the default end. Returns 0, or -1 with err filled.
 */
int	query_parse(const struct hist *, struct query *, const char *client,
	    const char *remote, const char *from, const char *to,
	    const char *step, uint64_t now_ms, char *err, size_t errlen);
/*
 * points (1 to QUERY_MAX_ROWS, the dashboard's zoom): sets q's step, in
 * whole 100 ms, to the smallest that gives at most that many rows; raw
 * 100 ms when the window has no more ticks than that. -1 with err filled
 * when it is not such a number.
 */
int	query_points(struct query *, const char *points, char *err,
	    size_t errlen);
/* A time as epoch ms or ISO 8601 ("2027-01-15T10:00:00.250Z", an offset
 * or none: UTC); -1 when it is neither. */
int	query_time(const char *, uint64_t *ms);
/* A MAC ("52:54:00:12:34:56") into mac; -1 when it is not one. */
int	query_client_mac(const char *, uint8_t mac[6]);
/* The device: a MAC, or an IPv4 address's latest holder; -1: unknown. */
int	query_client(const struct hist *, const char *, uint8_t mac[6]);

/* Runs q; -1 when memory is short. */
int	query_traffic(const struct hist *, const struct query *,
	    struct query_result *);
void	query_result_free(struct query_result *);
json_t	*query_traffic_json(const struct query *, const struct query_result *);
/* The rows as CSV with a header line; malloc'd. */
char	*query_traffic_csv(const struct query_result *);

/* The device's remote hosts in [from, to), by bytes, as JSON. */
json_t	*query_remotes_json(const struct hist *, const struct query *);

/* A request's parameters, by name; NULL: absent. */
enum { QP_CLIENT, QP_REMOTE, QP_FROM, QP_TO, QP_STEP, QP_POINTS, QP_MAX };
extern const char *const query_param_names[QP_MAX];

/* A whole request, from the web API or gkctl: status 200 with json or
 * (csv set) csv, else a 4xx/5xx status with json {"error"}. */
struct query_reply {
	int		 status;
	json_t		*json;
	char		*csv;
};
void	query_request(const struct hist *, int remotes, int csv,
	    const char *const params[QP_MAX], uint64_t now_ms,
	    struct query_reply *);

#endif
