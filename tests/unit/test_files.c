/*
 * Whole-file reads (common/util.c file_read, file_read_follow): a
 * symlink is refused by one and followed by the other (/etc/resolv.conf
 * is a link under resolvconf, systemd-resolved, NetworkManager); a FIFO
 * at the path is refused by both at once, never waited on; a file
 * larger than the buffer is EFBIG. sqlite_files_unlink removes a
 * database with its -wal and -shm files.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "util.h"

int
main(void)
{
	char		 base[] = "/tmp/gk-files-XXXXXX", file[PATH_MAX];
	char		 link[PATH_MAX], fifo[PATH_MAX], buf[64];
	const char	*text = "nameserver 203.0.113.1\n";
	size_t		 len = 0;

	/* A FIFO read that blocks must fail the test, not hang it. */
	alarm(10);
	CHECK(mkdtemp(base) != NULL);
	snprintf(file, sizeof(file), "%s/resolv.conf.real", base);
	snprintf(link, sizeof(link), "%s/resolv.conf", base);
	snprintf(fifo, sizeof(fifo), "%s/fifo", base);
	CHECK(file_replace(file, text, strlen(text)) == 0);
	CHECK(symlink("resolv.conf.real", link) == 0);
	CHECK(mkfifo(fifo, 0600) == 0);

	/* a regular file: both */
	CHECK(file_read(file, buf, sizeof(buf), &len) == 0);
	CHECK(len == strlen(text) && memcmp(buf, text, len) == 0);
	len = 0;
	CHECK(file_read_follow(file, buf, sizeof(buf), &len) == 0);
	CHECK(len == strlen(text) && memcmp(buf, text, len) == 0);

	/* a symlink: refused, or followed */
	errno = 0;
	CHECK(file_read(link, buf, sizeof(buf), &len) == -1 && errno == ELOOP);
	len = 0;
	memset(buf, 0, sizeof(buf));
	CHECK(file_read_follow(link, buf, sizeof(buf), &len) == 0);
	CHECK(len == strlen(text) && memcmp(buf, text, len) == 0);

	/* a FIFO, directly or through a link: refused at once */
	errno = 0;
	CHECK(file_read(fifo, buf, sizeof(buf), &len) == -1 &&
	    errno == EINVAL);
	errno = 0;
	CHECK(file_read_follow(fifo, buf, sizeof(buf), &len) == -1 &&
	    errno == EINVAL);
	CHECK(unlink(link) == 0 && symlink("fifo", link) == 0);
	errno = 0;
	CHECK(file_read_follow(link, buf, sizeof(buf), &len) == -1 &&
	    errno == EINVAL);
	/* a directory */
	errno = 0;
	CHECK(file_read_follow(base, buf, sizeof(buf), &len) == -1 &&
	    errno == EINVAL);

	/* larger than the buffer; exactly the buffer */
	errno = 0;
	CHECK(file_read_follow(file, buf, 5, &len) == -1 && errno == EFBIG);
	CHECK(file_read_follow(file, buf, strlen(text), &len) == 0 &&
	    len == strlen(text));
	/* missing */
	errno = 0;
	CHECK(file_read_follow("/nonexistent/gk", buf, sizeof(buf), &len) ==
	    -1 && errno == ENOENT);

	/* an SQLite file set: the database and its WAL go, the missing
	 * -shm is no error; a directory in the way is one */
	char	 db[PATH_MAX], wal[PATH_MAX];

	snprintf(db, sizeof(db), "%s/x.db", base);
	snprintf(wal, sizeof(wal), "%s/x.db-wal", base);
	CHECK(file_replace(db, "a", 1) == 0 && file_replace(wal, "b", 1) == 0);
	CHECK(sqlite_files_unlink(db) == 0);
	CHECK(access(db, F_OK) == -1 && access(wal, F_OK) == -1);
	CHECK(sqlite_files_unlink(db) == 0);
	CHECK(mkdir(db, 0700) == 0);
	errno = 0;
	CHECK(sqlite_files_unlink(db) == -1 && errno == EISDIR);
	rmdir(db);

	unlink(link);
	unlink(fifo);
	unlink(file);
	rmdir(base);
	return check_result();
}
