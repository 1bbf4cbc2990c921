/*
 * Directories by descriptor (common/util.c dir_open_owned): made and
 * owned, a symlink planted in the directory's place refused without
 * touching its target, a parent others may write refused.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "util.h"

int
main(void)
{
	char		 base[] = "/tmp/gk-dirs-XXXXXX", p[PATH_MAX], t[PATH_MAX];
	struct stat	 st;
	uid_t		 uid = geteuid();
	gid_t		 gid = getegid();
	int		 fd;

	CHECK(mkdtemp(base) != NULL);
	CHECK(chmod(base, 0755) == 0);

	/* Made, owned, mode set; again on an existing one. */
	snprintf(p, sizeof(p), "%s/run", base);
	fd = dir_open_owned(p, 0750, uid, gid);
	CHECK(fd != -1);
	CHECK(fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 07777) == 0750 && st.st_uid == uid);
	close(fd);
	CHECK(chmod(p, 0777) == 0);
	CHECK(mkdir_owned(p, 0700, uid, gid) == 0);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0700);
	/* Trailing slashes are the same directory. */
	snprintf(t, sizeof(t), "%s/run//", base);
	CHECK(mkdir_owned(t, 0700, uid, gid) == 0);

	/* A symlink where the directory should be: refused, target kept. */
	snprintf(t, sizeof(t), "%s/target", base);
	CHECK(mkdir(t, 0777) == 0 && chmod(t, 0777) == 0);
	snprintf(p, sizeof(p), "%s/link", base);
	CHECK(symlink(t, p) == 0);
	errno = 0;
	CHECK(mkdir_owned(p, 0700, uid, gid) == -1 &&
	    (errno == ELOOP || errno == ENOTDIR));
	CHECK(stat(t, &st) == 0 && (st.st_mode & 07777) == 0777);
	/* A file there is not a directory. */
	snprintf(p, sizeof(p), "%s/file", base);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	CHECK(fd != -1);
	close(fd);
	CHECK(mkdir_owned(p, 0700, uid, gid) == -1 && errno == ENOTDIR);

	/* A parent others may write (/tmp-like, sticky or not): refused,
	 * nothing made in it. */
	CHECK(chmod(t, 01777) == 0);
	snprintf(p, sizeof(p), "%s/target/run", base);
	errno = 0;
	CHECK(mkdir_owned(p, 0755, uid, gid) == -1 && errno == EPERM);
	CHECK(lstat(p, &st) == -1 && errno == ENOENT);
	CHECK(chmod(t, 0775) == 0);
	if (getegid() != 0) {
		/* Group-writable by a group other than root's. */
		CHECK(mkdir_owned(p, 0755, uid, gid) == -1 && errno == EPERM);
	}
	CHECK(chmod(t, 0755) == 0);
	CHECK(mkdir_owned(p, 0755, uid, gid) == 0);

	/* Bad names. */
	CHECK(mkdir_owned("", 0755, uid, gid) == -1 && errno == EINVAL);
	snprintf(p, sizeof(p), "%s/..", base);
	CHECK(mkdir_owned(p, 0755, uid, gid) == -1 && errno == EINVAL);

	snprintf(p, sizeof(p), "rm -rf '%s'", base);
	CHECK(system(p) == 0);
	return check_result();
}
