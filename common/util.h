/*
 * Small helpers shared by every program of the suite.
 */
#ifndef GK_UTIL_H
#define GK_UTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <time.h>

int	set_nonblock(int fd);
/* A socket's receive buffer of bytes: SO_RCVBUFFORCE (past rmem_max,
 * with CAP_NET_ADMIN), else SO_RCVBUF. -1 with errno if neither took. */
int	set_rcvbuf(int fd, int bytes);
/* Creates dir (and no parents) with mode, owned by uid:gid; an existing
 * directory gets its owner and mode fixed. -1 with errno on failure. */
/*
 * dir made if missing, owned uid:gid with mode, by descriptor: its last
 * component opened with O_NOFOLLOW (a symlink there fails), then
 * fchown/fchmod; a parent that anyone but root (or us) owns or may write
 * is refused (EPERM). dir_open_owned returns the open directory (close-
 * on-exec), mkdir_owned closes it; -1 with errno.
 */
int	dir_open_owned(const char *dir, mode_t mode, uid_t uid, gid_t gid);
int	mkdir_owned(const char *dir, mode_t mode, uid_t uid, gid_t gid);
/* Seconds elapsed since *then on CLOCK_MONOTONIC. */
double	mono_since(const struct timespec *then);
void	mono_now(struct timespec *);
/* CLOCK_MONOTONIC in seconds, milliseconds, microseconds: for expiries
 * and intervals, which must not jump with the wall clock. */
uint32_t mono_s(void);
uint64_t mono_ms(void);
uint64_t mono_us(void);
/* Wall-clock milliseconds (CLOCK_REALTIME_COARSE): for times shown to
 * people, never for intervals. */
uint64_t wall_ms(void);

/* 1 when the n bytes at a and b are equal; the time taken does not
 * depend on where they differ (secrets: tokens, hashes). */
int	 ct_equal(const void *a, const void *b, size_t n);

/*
 * memset(p, 0, n) for large tables in private memory (BSS, heap, never a
 * shared mapping): the whole pages inside are given back to the kernel
 * (MADV_DONTNEED) instead of written, so they stay unresident until used.
 */
void	 zero_lazily(void *p, size_t n);
/*
 * The same for a shared mapping of a memfd (natd's kept tables): the whole
 * pages inside are punched out of the file (MADV_REMOVE); other memory,
 * which refuses that, is written.
 */
void	 zero_shared(void *p, size_t n);

/*
 * Replaces the file at path with len bytes, atomically: written to
 * path.tmp (mode 0600), fsync'd, renamed over path. A crash leaves the
 * old file or the new one, never half of either. -1 with errno.
 */
int	 file_replace(const char *path, const void *data, size_t len);
/* Reads the whole file at path into buf (at most max bytes; a larger
 * file is EFBIG); *len gets its size. -1 with errno. A symlink at path
 * is refused (ELOOP); anything but a regular file (a FIFO, a device) is
 * refused at once (EINVAL), never waited on. */
int	 file_read(const char *path, void *buf, size_t max, size_t *len);
/* The same, following a symlink at path: for files the system manages,
 * such as /etc/resolv.conf (a link under resolvconf, systemd-resolved,
 * NetworkManager), never for files in a directory others may write. */
int	 file_read_follow(const char *path, void *buf, size_t max,
	    size_t *len);

/*
 * 1 when a host label (any case) must never come from a DHCP client:
 * names that browsers and resolvers trust for configuration (wpad:
 * proxy auto-discovery, isatap: IPv6 tunnels), localhost, and the
 * router's own name. Registering them would let one device hijack them.
 */
int	 name_reserved(const char *label);

#define MAC_STR_SIZE	18
/* "aa:bb:cc:dd:ee:ff" into buf (MAC_STR_SIZE bytes); returns buf. */
const char *mac_str(const uint8_t mac[6], char *buf, size_t len);

/*
 * Not instrumented for fuzzing (coverage, comparison tracing): for a
 * loop of arithmetic whose branches tell a fuzzer nothing about its
 * input but cost it most of its time. Nothing else changes.
 */
#ifdef __clang__	/* the fuzz build's compiler */
#define NO_FUZZ_COVERAGE	__attribute__((no_sanitize("coverage")))
#else
#define NO_FUZZ_COVERAGE
#endif

/* Edit distance of two words (case ignored, at most 9), for "did you
 * mean". */
int	word_distance(const char *, const char *);
int	word_distance_max(const char *, const char *, int);

/* Removes an SQLite database and its WAL and shared-memory files
 * (PATH-wal, PATH-shm); missing ones are no error. 0, or -1 (errno). */
int	sqlite_files_unlink(const char *path);

#endif
