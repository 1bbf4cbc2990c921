#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <unistd.h>

#include "util.h"

int
set_nonblock(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int
set_rcvbuf(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
	    sizeof(bytes)) == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

/*
 * Opens the parent of dir (symlinks followed: /var/run is one) and puts
 * dir's last component in name. Refuses (EPERM) a parent that someone
 * other than root (or us) owns or may write: they could swap the
 * directory for one of their own between our calls.
 */
static int
parent_open(const char *dir, char *name, size_t namesize)
{
	char		 parent[4096], *slash;
	struct stat	 st;
	size_t		 len = strlen(dir);
	int		 fd;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof(parent)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(parent, dir, len);
	parent[len] = '\0';
	if ((slash = strrchr(parent, '/')) == NULL) {
		if (strlcpy(name, parent, namesize) >= namesize)
			return errno = ENAMETOOLONG, -1;
		strlcpy(parent, ".", sizeof(parent));
	} else {
		if (strlcpy(name, slash + 1, namesize) >= namesize)
			return errno = ENAMETOOLONG, -1;
		if (slash == parent)
			slash++;
		*slash = '\0';
	}
	if (name[0] == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & S_IWOTH) ||
	    ((st.st_mode & S_IWGRP) && st.st_gid != 0)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int
dir_open_owned(const char *dir, mode_t mode, uid_t uid, gid_t gid)
{
	char		 name[256];
	struct stat	 st;
	int		 pfd, fd;

	if ((pfd = parent_open(dir, name, sizeof(name))) == -1)
		return -1;
	if (mkdirat(pfd, name, mode) == -1 && errno != EEXIST) {
		close(pfd);
		return -1;
	}
	/* O_NOFOLLOW: a symlink planted where the dir should be fails. */
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	close(pfd);
	if (fd == -1)
		return -1;
	/* Only what differs, the mode while the dir may still be ours:
	 * changing the mode of a dir another uid owns needs CAP_FOWNER,
	 * which gatekeeper.service does not grant. */
	if (fstat(fd, &st) == -1 ||
	    ((st.st_mode & 07777) != mode && fchmod(fd, mode) == -1) ||
	    ((st.st_uid != uid || st.st_gid != gid) &&
	    fchown(fd, uid, gid) == -1)) {
		close(fd);
		return -1;
	}
	return fd;
}

int
mkdir_owned(const char *dir, mode_t mode, uid_t uid, gid_t gid)
{
	int	 fd;

	if ((fd = dir_open_owned(dir, mode, uid, gid)) == -1)
		return -1;
	close(fd);
	return 0;
}

void
mono_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

double
mono_since(const struct timespec *then)
{
	struct timespec	 now;

	mono_now(&now);
	return (double)(now.tv_sec - then->tv_sec) +
	    (double)(now.tv_nsec - then->tv_nsec) / 1e9;
}

uint32_t
mono_s(void)
{
	struct timespec	 ts;

	mono_now(&ts);
	return (uint32_t)ts.tv_sec;
}

uint64_t
mono_ms(void)
{
	struct timespec	 ts;

	mono_now(&ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
mono_us(void)
{
	struct timespec	 ts;

	mono_now(&ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
mac_str(const uint8_t m[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
	return buf;
}

int
ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t		 diff = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

/*
 * Zeroes [p, p + n): the whole pages inside are given back with advice
 * (their contents gone, read as zeros, unresident until written), only
 * the partial pages at the ends are written; all of it is written where
 * the kernel refuses the advice for this memory.
 */
static void
zero_pages(void *p, size_t n, int advice)
{
	uintptr_t	 a = (uintptr_t)p, pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t	 lo = (a + pg - 1) & ~(pg - 1), hi = (a + n) & ~(pg - 1);

	if (hi > lo && madvise((void *)lo, hi - lo, advice) == 0) {
		memset(p, 0, lo - a);
		memset((void *)hi, 0, a + n - hi);
	} else
		memset(p, 0, n);
}

void
zero_lazily(void *p, size_t n)
{
	/*
	 * Private anonymous memory reads as zeros again after
	 * MADV_DONTNEED. (Reading fresh pages to skip the zero ones would
	 * not do: on kernels that map no zero page, a read makes a page
	 * resident.)
	 */
	zero_pages(p, n, MADV_DONTNEED);
}

void
zero_shared(void *p, size_t n)
{
	/* MADV_DONTNEED would only unmap a shared file's pages, their
	 * contents kept; MADV_REMOVE frees them from the file. */
	zero_pages(p, n, MADV_REMOVE);
}

int
file_replace(const char *path, const void *data, size_t len)
{
	char		 tmp[4096];
	int		 fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) == -1) {
		saved = errno ? errno : EIO;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

/*
 * Regular files only, opened O_NONBLOCK: a FIFO or a device planted at
 * the path is refused at once (EINVAL) instead of blocking the reader or
 * feeding it without end.
 */
static int
read_regular(const char *path, int oflags, void *buf, size_t max,
    size_t *len)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | oflags)) ==
	    -1)
		return -1;
	if (fstat(fd, &st) == -1)
		saved = errno;
	else
		saved = S_ISREG(st.st_mode) ? 0 : EINVAL;
	if (saved != 0) {
		close(fd);
		errno = saved;
		return -1;
	}
	for (;;) {
		if (got == max) {
			/* one byte more says whether the file is larger */
			char	 c;

			n = read(fd, &c, 1);
			if (n > 0)
				errno = EFBIG;
			break;
		}
		n = read(fd, (char *)buf + got, max - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	saved = errno;
	close(fd);
	if (n != 0) {
		errno = n > 0 ? EFBIG : saved;
		return -1;
	}
	*len = got;
	return 0;
}

int
file_read(const char *path, void *buf, size_t max, size_t *len)
{
	return read_regular(path, O_NOFOLLOW, buf, max, len);
}

int
file_read_follow(const char *path, void *buf, size_t max, size_t *len)
{
	return read_regular(path, 0, buf, max, len);
}

/*
 * Levenshtein distance of two short words, ASCII case ignored (keywords
 * are lower case, a "WAN" is a typo of "wan"), capped at max (at most 9):
 * enough to tell a typo from another word. A row whose every cell is at
 * the cap already decides it, so two unlike words cost a few rows, not
 * the whole table (a config of junk lines asks for thousands). Not
 * instrumented for fuzzing: its compares were half of fuzz_conf's time.
 */
NO_FUZZ_COVERAGE int
word_distance_max(const char *a, const char *b, int max)
{
	int	 row[32], prev, tmp, i, j, low, la = (int)strlen(a),
		 lb = (int)strlen(b);

	if (max > 9)
		max = 9;
	if (la > 30 || lb > 30 || la - lb >= max || lb - la >= max)
		return max;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = low = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			if (row[j] < low)
				low = row[j];
			prev = tmp;
		}
		if (low >= max)
			return max;
	}
	return row[lb] > max ? max : row[lb];
}

int
word_distance(const char *a, const char *b)
{
	return word_distance_max(a, b, 9);
}

int
name_reserved(const char *label)
{
	/* "gatekeeper": dnsd's LOCAL_ROUTER_NAME, the router itself */
	static const char *const reserved[] = {
		"wpad", "isatap", "localhost", "gatekeeper",
	};
	size_t	 i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(label, reserved[i]) == 0)
			return 1;
	return 0;
}

int
sqlite_files_unlink(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char		 p[PATH_MAX];
	size_t		 i;
	int		 rc = 0, saved = 0;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if ((size_t)snprintf(p, sizeof(p), "%s%s", path, sfx[i]) >=
		    sizeof(p)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (unlink(p) == -1 && errno != ENOENT && rc == 0) {
			rc = -1;
			saved = errno;
		}
	}
	if (rc == -1)
		errno = saved;
	return rc;
}
