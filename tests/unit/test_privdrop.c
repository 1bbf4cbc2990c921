/*
 * privdrop_apply() and sandbox_apply() for real: needs root and a system
 * account to drop to (GK_TEST_USER, default gk-natd).  Each case runs in
 * a child; the parent reads the child's /proc/<pid>/status (the child,
 * chrooted, cannot) while the child waits on a pipe.
 */
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "privdrop.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN	1
#endif
#endif

/* Present only when the UBSan runtime is linked in. */
void	__ubsan_handle_add_overflow(void *, void *, void *)
	    __attribute__((weak));

#define NATD_CAPS	(1ULL << CAP_NET_ADMIN)

static const char	*user;
static uid_t		 uid;
static gid_t		 gid;

/* What a child does in its sandbox; appends what failed to the text. */
typedef void	(*child_fn)(char *, size_t);

struct run {
	pid_t	pid;
	int	ready;		/* child -> parent: failures, then '\n' */
	int	go;		/* parent -> child: may exit now */
	int	err;		/* child's stderr, or -1 */
	char	dir[64];
};

static void
fail(char *msg, size_t len, const char *what)
{
	if (msg[0] != '\0')
		strlcat(msg, "; ", len);
	strlcat(msg, what, len);
}

/* Dropped, not yet sandboxed: no way back to root, nothing outside. */
static void
dropped(char *msg, size_t len)
{
	if (setuid(0) != -1)
		fail(msg, len, "setuid(0) succeeded");
	if (setgid(0) != -1)
		fail(msg, len, "setgid(0) succeeded");
	if (open("/etc/passwd", O_RDONLY) != -1)
		fail(msg, len, "opened /etc/passwd");
}

static void
child(struct run *r, enum sandbox_profile profile, uint64_t caps,
    child_fn fn, int rfd, int gfd, int efd)
{
	struct privdrop	pd = { user, r->dir, caps };
	char		msg[512] = "";
	char		c;

	if (efd != -1 && dup2(efd, STDERR_FILENO) == -1)
		_exit(100);
	privdrop_apply(&pd);
	dropped(msg, sizeof(msg));
	sandbox_apply(profile);
	fn(msg, sizeof(msg));
	strlcat(msg, "\n", sizeof(msg));
	if (write(rfd, msg, strlen(msg)) == -1)
		_exit(101);
	if (read(gfd, &c, 1) == -1)
		_exit(102);
	_exit(0);
}

/* Fork a child that drops privileges into a fresh directory and runs fn. */
static int
start(struct run *r, enum sandbox_profile profile, uint64_t caps,
    child_fn fn, int capture)
{
	int	rp[2], gp[2], ep[2] = { -1, -1 };

	strlcpy(r->dir, "/tmp/gk-privdrop.XXXXXX", sizeof(r->dir));
	if (mkdtemp(r->dir) == NULL || chown(r->dir, uid, gid) == -1) {
		perror("mkdtemp/chown");
		return -1;
	}
	if (pipe(rp) == -1 || pipe(gp) == -1 || (capture && pipe(ep) == -1))
		return -1;
	fflush(NULL);
	if ((r->pid = fork()) == -1)
		return -1;
	if (r->pid == 0) {
		close(rp[0]);
		close(gp[1]);
		if (ep[0] != -1)
			close(ep[0]);
		child(r, profile, caps, fn, rp[1], gp[0], ep[1]);
	}
	close(rp[1]);
	close(gp[0]);
	if (ep[1] != -1)
		close(ep[1]);
	r->ready = rp[0];
	r->go = gp[1];
	r->err = ep[0];
	return 0;
}

/* Read up to the child's '\n'; 0 when the child died before it. */
static int
wait_ready(struct run *r, char *msg, size_t len)
{
	size_t	off = 0;
	ssize_t	n;

	while (off + 1 < len) {
		n = read(r->ready, msg + off, 1);
		if (n <= 0)
			break;
		if (msg[off] == '\n') {
			msg[off] = '\0';
			return 1;
		}
		off++;
	}
	msg[off] = '\0';
	return 0;
}

/* Let the child exit, collect its stderr and status, remove its dir. */
static int
finish(struct run *r, char *err, size_t len)
{
	size_t	off = 0;
	ssize_t	n;
	int	status = -1;

	if (r->go != -1)
		close(r->go);
	if (r->err != -1) {
		while (off + 1 < len &&
		    (n = read(r->err, err + off, len - off - 1)) > 0)
			off += n;
		close(r->err);
	}
	if (err != NULL)
		err[off] = '\0';
	close(r->ready);
	if (waitpid(r->pid, &status, 0) == -1)
		perror("waitpid");
	rmdir(r->dir);
	return status;
}

/* The value of "key:" in a /proc status text, tabs kept. */
static const char *
field(const char *status, const char *key, char *out, size_t len)
{
	const char	*p = status, *end;
	size_t		 klen = strlen(key);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			p += klen + 1;
			p += strspn(p, "\t ");
			end = strchr(p, '\n');
			if (end == NULL)
				end = p + strlen(p);
			while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			snprintf(out, len, "%.*s", (int)(end - p), p);
			return out;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return NULL;
}

static int
read_status(pid_t pid, char *buf, size_t len)
{
	char	path[64];
	ssize_t	n;
	int	fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static void
check_status(pid_t pid, const char *caps)
{
	char	st[8192], v[128], ids[128];

	if (read_status(pid, st, sizeof(st)) == -1) {
		CHECK(!"read child status");
		return;
	}
	snprintf(ids, sizeof(ids), "%u\t%u\t%u\t%u", uid, uid, uid, uid);
	CHECK_STR(field(st, "Uid", v, sizeof(v)), ids);
	snprintf(ids, sizeof(ids), "%u\t%u\t%u\t%u", gid, gid, gid, gid);
	CHECK_STR(field(st, "Gid", v, sizeof(v)), ids);
	snprintf(ids, sizeof(ids), "%u", gid);
	CHECK_STR(field(st, "Groups", v, sizeof(v)), ids);
	CHECK_STR(field(st, "CapEff", v, sizeof(v)), caps);
	CHECK_STR(field(st, "CapPrm", v, sizeof(v)), caps);
	CHECK_STR(field(st, "CapBnd", v, sizeof(v)), caps);
	CHECK_STR(field(st, "CapInh", v, sizeof(v)), "0000000000000000");
	CHECK_STR(field(st, "CapAmb", v, sizeof(v)), "0000000000000000");
	CHECK_STR(field(st, "NoNewPrivs", v, sizeof(v)), "1");
	CHECK_STR(field(st, "Seccomp", v, sizeof(v)), "2");
}

/* Sandboxed, in every profile. */
static void
in_child_common(char *msg, size_t len)
{
	if (open("/etc/passwd", O_RDONLY) != -1)
		fail(msg, len, "opened /etc/passwd");
	/* glibc opens /etc/localtime here: refused, not killed */
	if (localtime(&(time_t){ 0 }) == NULL)
		fail(msg, len, "localtime");
}

static void
in_child_natd(char *msg, size_t len)
{
	char	buf[64];

	in_child_common(msg, len);
	/* natd keeps its forwards in a file of its chroot, nothing more:
	 * readlink (ASan's reports) is refused, not killed. */
	errno = 0;
	if (readlink("/proc/self/exe", buf, sizeof(buf)) != -1 ||
	    errno != EACCES)
		fail(msg, len, "natd readlink not refused with EACCES");
	errno = 0;
	if (socket(AF_UNIX, SOCK_DGRAM, 0) != -1 || errno != EACCES)
		fail(msg, len, "natd AF_UNIX socket not refused with EACCES");
}

/* dhcpd keeps files, inside its chroot only. */
static void
in_child_dhcpd(char *msg, size_t len)
{
	int	fd;

	in_child_common(msg, len);
	if ((fd = open("/leases.db", O_RDWR | O_CREAT, 0600)) == -1) {
		fail(msg, len, "cannot create a file in the chroot");
		return;
	}
	if (write(fd, "x", 1) != 1 || fsync(fd) == -1 ||
	    ftruncate(fd, 0) == -1)
		fail(msg, len, "write/fsync/ftruncate");
	close(fd);
	if (unlink("/leases.db") == -1)
		fail(msg, len, "unlink");
}

static void
in_child_ptrace(char *msg, size_t len)
{
	syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
	fail(msg, len, "ptrace survived");
}

/* setuid fails before the sandbox; in it, trying is fatal. */
static void
in_child_setuid(char *msg, size_t len)
{
	if (setuid(0) != -1)
		fail(msg, len, "setuid(0) succeeded");
	fail(msg, len, "setuid survived");
}

static void
in_child_mount(char *msg, size_t len)
{
	syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL);
	fail(msg, len, "mount survived");
}

/* Issue 16: no executable mapping after start-up. */
static void
in_child_mmap_exec(char *msg, size_t len)
{
	void	*p;

	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	(void)p;
	fail(msg, len, "mmap PROT_EXEC survived");
}

static void
in_child_mprotect_exec(char *msg, size_t len)
{
	void	*p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fail(msg, len, "mmap");
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	fail(msg, len, "mprotect PROT_EXEC survived");
}

static void *
thread_main(void *arg)
{
	return arg;
}

/* dhcpd's writer thread still starts; a new process does not. */
static void
in_child_thread(char *msg, size_t len)
{
	pthread_t	 t;
	void		*r = NULL;

	in_child_dhcpd(msg, len);
	if (pthread_create(&t, NULL, thread_main, msg) != 0 ||
	    pthread_join(t, &r) != 0 || r != msg)
		fail(msg, len, "pthread_create in dhcpd's sandbox");
}

static void
in_child_fork(char *msg, size_t len)
{
	syscall(SYS_clone, (long)SIGCHLD, 0L, NULL, NULL, 0L);
	fail(msg, len, "clone of a process survived");
}

/* Leaks, then exit() runs atexit handlers, LeakSanitizer included. */
void *volatile	leak;

static void
in_child_exit(char *msg, size_t len)
{
	leak = malloc(64);
	leak = NULL;
	exit(0);
}

#ifdef HAVE_ASAN
static void
in_child_asan(char *msg, size_t len)
{
	char *volatile	p = malloc(8);
	volatile char	c;

	c = p[8];	/* heap-buffer-overflow: ASan reports and exits */
	(void)c;
	fail(msg, len, "ASan did not stop the child");
}
#endif

static void
in_child_ubsan(char *msg, size_t len)
{
	volatile int	big = 0x7fffffff, one = 1;

	big += one;	/* signed overflow: UBSan reports, may go on */
	(void)big;
}

static void
test_drop(enum sandbox_profile profile, uint64_t caps, const char *want,
    child_fn fn)
{
	struct run	r;
	char		msg[512];
	int		status;

	if (start(&r, profile, caps, fn, 0) == -1) {
		CHECK(!"start child");
		return;
	}
	CHECK(wait_ready(&r, msg, sizeof(msg)));
	CHECK_STR(msg, "");
	check_status(r.pid, want);
	status = finish(&r, NULL, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_sigsys(enum sandbox_profile profile, child_fn fn)
{
	struct run	r;
	char		msg[512];
	int		status;

	if (start(&r, profile, 0, fn, 0) == -1) {
		CHECK(!"start child");
		return;
	}
	CHECK(!wait_ready(&r, msg, sizeof(msg)));
	status = finish(&r, NULL, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
}

/*
 * A sanitizer report from inside the sandbox must come out whole, and
 * end in the runtime's exit, not in SIGSYS.  want is a line of it.
 */
static void
test_report(enum sandbox_profile profile, child_fn fn, const char *want)
{
	struct run	r;
	char		msg[512], err[16384];
	int		status;

	if (start(&r, profile, 0, fn, 1) == -1) {
		CHECK(!"start child");
		return;
	}
	wait_ready(&r, msg, sizeof(msg));
	status = finish(&r, err, sizeof(err));
	CHECK(WIFEXITED(status));
	CHECK(strstr(err, want) != NULL);
	if (!WIFEXITED(status) || strstr(err, want) == NULL)
		fprintf(stderr, "child status %#x, stderr:\n%s\n", status, err);
}

/* privdrop_apply() must refuse, and exit, for root or an unknown user. */
static void
test_refuse(const char *name)
{
	struct privdrop	pd = { name, "/", 0 };
	pid_t		pid;
	int		status, null;

	fflush(NULL);
	if ((pid = fork()) == -1) {
		CHECK(!"fork");
		return;
	}
	if (pid == 0) {
		/* keep the expected fatal message out of the test log */
		if ((null = open("/dev/null", O_WRONLY)) != -1)
			dup2(null, STDERR_FILENO);
		privdrop_apply(&pd);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1) {
		CHECK(!"waitpid");
		return;
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0);
}

/* Root in name only (a user namespace, a container) cannot drop. */
static int
can_drop(void)
{
	static const cap_value_t need[] = { CAP_SETUID, CAP_SETGID,
	    CAP_SETPCAP, CAP_SYS_CHROOT, CAP_NET_ADMIN, CAP_CHOWN };
	cap_flag_value_t	 v;
	cap_t			 caps;
	size_t			 i;
	int			 ok = 1;

	if ((caps = cap_get_proc()) == NULL)
		return 0;
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (cap_get_flag(caps, need[i], CAP_EFFECTIVE, &v) == -1 ||
		    v != CAP_SET)
			ok = 0;
	cap_free(caps);
	return ok;
}

int
main(void)
{
	static char	 why[128];
	struct passwd	*pw;
	struct run	 r;
	char		 err[4096];
	int		 status;

	if (geteuid() != 0)
		SKIP("needs root");
	if (!can_drop())
		SKIP("root without CAP_SETUID/SETGID/SETPCAP/SYS_CHROOT/"
		    "NET_ADMIN (container?)");
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == -1 && errno == EINVAL)
		SKIP("kernel without seccomp");
	if ((user = getenv("GK_TEST_USER")) == NULL)
		user = "gk-natd";
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(why, sizeof(why), "no user %s to drop to "
		    "(set GK_TEST_USER)", user);
		SKIP(why);
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		SKIP("GK_TEST_USER has uid 0");

	test_drop(SANDBOX_NATD, NATD_CAPS, "0000000000001000", in_child_natd);
	test_drop(SANDBOX_DHCPD, 0, "0000000000000000", in_child_dhcpd);
	test_drop(SANDBOX_DNSD, 0, "0000000000000000", in_child_common);
	test_drop(SANDBOX_WEBD, 0, "0000000000000000", in_child_dhcpd);
	test_refuse("root");
	test_refuse("gk-no-such-user");
	test_sigsys(SANDBOX_NATD, in_child_ptrace);
	test_sigsys(SANDBOX_DHCPD, in_child_mount);
	test_sigsys(SANDBOX_WEBD, in_child_setuid);
	test_drop(SANDBOX_DHCPD, 0, "0000000000000000", in_child_thread);
	test_sigsys(SANDBOX_DHCPD, in_child_fork);
	test_sigsys(SANDBOX_DNSD, in_child_mmap_exec);
	test_sigsys(SANDBOX_NATD, in_child_mprotect_exec);
	test_sigsys(SANDBOX_DHCPD, in_child_mprotect_exec);

	/* A clean exit(): no SIGSYS, no LeakSanitizer failure. */
	if (start(&r, SANDBOX_NATD, NATD_CAPS, in_child_exit, 1) == 0) {
		status = finish(&r, err, sizeof(err));
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CHECK_STR(err, "");
	} else
		CHECK(!"start child");

#ifdef HAVE_ASAN
	test_report(SANDBOX_NATD, in_child_asan,
	    "ERROR: AddressSanitizer: heap-buffer-overflow");
	test_report(SANDBOX_DHCPD, in_child_asan,
	    "ERROR: AddressSanitizer: heap-buffer-overflow");
#endif
	if (__ubsan_handle_add_overflow != NULL)
		test_report(SANDBOX_NATD, in_child_ubsan,
		    "runtime error: signed integer overflow");
	return check_result();
}
