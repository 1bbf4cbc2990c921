/*
 * Privilege drop and seccomp sandbox for the children.
 *
 * privdrop_apply() runs as root, right after exec, with syslog already
 * open (LOG_NDELAY, so the /dev/log socket exists before the chroot hides
 * it); no fd is closed here.  sandbox_apply() comes last, once the daemon
 * has every fd and mapping it will use.
 */

#include <sys/types.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <sched.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Set once chrooted: see __lsan_is_turned_off() below. */
static int	privdropped;

/* Highest capability number this kernel knows, probed without /proc. */
static int
cap_last(void)
{
	int	c;

	for (c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == -1)
			break;
	if (c == 0)
		fatal("privdrop: PR_CAPBSET_READ");
	return c - 1;
}

static int
cap_kept(uint64_t keep, int c)
{
	return (keep >> c) & 1;
}

/* A libcap set with exactly keep in permitted and effective. */
static cap_t
caps_make(uint64_t keep, int last)
{
	cap_value_t	 v;
	cap_t		 caps;
	int		 c;

	if ((caps = cap_init()) == NULL)
		fatal("privdrop: cap_init");
	for (c = 0; c <= last; c++) {
		if (!cap_kept(keep, c))
			continue;
		v = c;
		if (cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET) == -1 ||
		    cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET) == -1)
			fatal("privdrop: cap_set_flag %d", c);
	}
	return caps;
}

/*
 * Dropping from the bounding set needs CAP_SETPCAP, so this runs while
 * still root.  Capabilities already gone are skipped: dropping them again
 * would fail for nothing where the parent itself runs with a reduced set.
 */
static void
bound_drop(uint64_t keep, int last)
{
	int	c;

	for (c = 0; c <= last; c++) {
		if (cap_kept(keep, c) || cap_get_bound(c) == 0)
			continue;
		if (cap_drop_bound(c) == -1)
			fatal("privdrop: drop capability %d from bounding set",
			    c);
	}
}

static void
caps_set(uint64_t keep, int last)
{
	cap_t	caps;

	caps = caps_make(keep, last);
	if (cap_set_proc(caps) == -1)
		fatal("privdrop: cap_set_proc");
	cap_free(caps);
	if (cap_reset_ambient() == -1)
		fatal("privdrop: clear ambient capabilities");
}

static void
verify_ids(uid_t uid, gid_t gid)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg, groups[2];
	int	n;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		fatal("privdrop: getresuid");
	if (ru != uid || eu != uid || su != uid)
		fatalx("privdrop: uids %u/%u/%u, want %u", ru, eu, su, uid);
	if (rg != gid || eg != gid || sg != gid)
		fatalx("privdrop: gids %u/%u/%u, want %u", rg, eg, sg, gid);
	n = getgroups(nitems(groups), groups);
	if (n != 1 || groups[0] != gid)
		fatalx("privdrop: supplementary groups not reduced to %u", gid);
	/* The real proof: root cannot be taken back. */
	if (setuid(0) != -1 || setgid(0) != -1)
		fatalx("privdrop: could regain root after dropping");
}

static void
verify_caps(uint64_t keep, int last)
{
	cap_t	have, want;
	int	c, differ;

	if ((have = cap_get_proc()) == NULL)
		fatal("privdrop: cap_get_proc");
	want = caps_make(keep, last);
	differ = cap_compare(have, want);
	cap_free(have);
	cap_free(want);
	if (differ != 0)
		fatalx("privdrop: capabilities differ from %#llx",
		    (unsigned long long)keep);
	for (c = 0; c <= last; c++) {
		if (cap_get_bound(c) != cap_kept(keep, c))
			fatalx("privdrop: capability %d in bounding set", c);
		if (cap_get_ambient(c) > 0)
			fatalx("privdrop: capability %d in ambient set", c);
	}
	if (prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
		fatalx("privdrop: keepcaps still set");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("privdrop: no_new_privs not set");
}

/*
 * The user's ids, never root's, and the highest capability, checking that
 * the kernel knows every one to keep. Before any chroot: the account
 * database is outside it.
 */
static int
target_of(const struct privdrop *pd, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	int		 last;

	if (pd->user == NULL || pd->root == NULL)
		fatalx("privdrop: no user or directory given");
	if ((pw = getpwnam(pd->user)) == NULL)
		fatalx("privdrop: unknown user %s", pd->user);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	endpwent();
	if (*uid == 0 || *gid == 0)
		fatalx("privdrop: user %s has uid or gid 0", pd->user);
	last = cap_last();
	if (last < 63 && (pd->keep_caps >> (last + 1)) != 0)
		fatalx("privdrop: capabilities %#llx unknown to this kernel",
		    (unsigned long long)pd->keep_caps);
	return last;
}

void
privdrop_apply(const struct privdrop *pd)
{
	uid_t		 uid;
	gid_t		 gid;
	int		 last;

	last = target_of(pd, &uid, &gid);

	if (chroot(pd->root) == -1)
		fatal("privdrop: chroot %s", pd->root);
	if (chdir("/") == -1)
		fatal("privdrop: chdir /");
	privdropped = 1;

	if (setgroups(1, &gid) == -1)
		fatal("privdrop: setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("privdrop: setresgid");
	bound_drop(pd->keep_caps, last);
	/* Without keepcaps, setresuid to non-root empties permitted. */
	if (pd->keep_caps != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1)
		fatal("privdrop: PR_SET_KEEPCAPS");
	if (setresuid(uid, uid, uid) == -1)
		fatal("privdrop: setresuid");
	caps_set(pd->keep_caps, last);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1)
		fatal("privdrop: PR_SET_KEEPCAPS");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("privdrop: PR_SET_NO_NEW_PRIVS");

	verify_ids(uid, gid);
	verify_caps(pd->keep_caps, last);
	log_debug("privdrop: now %s (%u:%u) in %s, capabilities %#llx",
	    pd->user, uid, gid, pd->root, (unsigned long long)pd->keep_caps);
}

void
privdrop_unit(const struct privdrop *pd)
{
	uid_t		 uid;
	gid_t		 gid;
	int		 last;

	last = target_of(pd, &uid, &gid);
	if (getuid() != uid)
		fatalx("privdrop: running as uid %u; the unit must start this "
		    "as %s (uid %u)", (unsigned)getuid(), pd->user,
		    (unsigned)uid);
	if (chdir(pd->root) == -1)
		fatal("privdrop: chdir %s", pd->root);
	/* Sandboxed from here as after a chroot: see below. */
	privdropped = 1;
	/* Out of the inheritable and ambient sets what the unit put there
	 * (AmbientCapabilities= fills both). */
	caps_set(pd->keep_caps, last);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("privdrop: PR_SET_NO_NEW_PRIVS");
	verify_ids(uid, gid);
	verify_caps(pd->keep_caps, last);
	log_debug("privdrop: started by the unit as %s (%u:%u) in %s, "
	    "capabilities %#llx", pd->user, uid, gid, pd->root,
	    (unsigned long long)pd->keep_caps);
}

/*
 * LeakSanitizer (sanitizer builds only) checks at exit by cloning a
 * tracer that ptraces the process and reads /proc/self/maps: the chroot
 * hides /proc, the uid change makes the process non-dumpable, and the
 * sandbox kills on clone.  It calls this hook first; saying "off" once
 * dropped gives a clean exit instead of a SIGSYS or a LeakSanitizer
 * fatal error.  Leak checking still covers the unit tests and the parent.
 */
int	__lsan_is_turned_off(void);

int
__lsan_is_turned_off(void)
{
	return privdropped;
}

/*
 * The seccomp allowlist.  Anything else kills the whole process
 * (SCMP_ACT_KILL_PROCESS, SIGSYS), except the few calls that libraries
 * make on their own and cope with failing (sc_quiet_nofiles, the AF_UNIX
 * socket in sc_common_args): those get EACCES.
 */

/*
 * Every daemon: a libevent epoll loop over fds the parent passed, glibc
 * (malloc, stdio, syslog on the socket opened before the chroot), jansson,
 * and the ASan/UBSan runtime of test builds.
 */
static const int sc_common[] = {
	/* I/O on passed fds: sockets, the socketpair to the parent, memfds */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto),
	SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg),
	SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(accept4), SCMP_SYS(shutdown),
	SCMP_SYS(close), SCMP_SYS(fcntl), SCMP_SYS(lseek),
	SCMP_SYS(dup), SCMP_SYS(dup3), SCMP_SYS(pipe2),
	/* glibc >= 2.33 implements fstat() as newfstatat(fd, "", EMPTY_PATH) */
	SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	/* clang's ASan report looks for llvm-symbolizer with the old stat(2) */
	SCMP_SYS(stat), SCMP_SYS(lstat),

	/* libevent: epoll backend, precise timers, notification fds */
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
	SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime), SCMP_SYS(eventfd2),

	/* memory: malloc, ASan's allocator, shared rings, sqlite's -shm;
	 * mmap and mprotect without PROT_EXEC only (sc_common_args) */
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),

	/* signals: libevent's handlers, abort(), ASan's alternate stack */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
	SCMP_SYS(restart_syscall),

	/* time: the vDSO normally; these where the clocksource has none */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday), SCMP_SYS(time),

	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
	/* sqlite asks geteuid() before it would fchown a new file */
	SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid),
	/* arc4random (libbsd) for ids and ports */
	SCMP_SYS(getrandom),
	/* glibc's and ASan's locks; ASan's spinlocks yield */
	SCMP_SYS(futex), SCMP_SYS(sched_yield),
	SCMP_SYS(uname),
	/* glibc get_nprocs(), the sanitizer runtime's CPU count */
	SCMP_SYS(sched_getaffinity),
	/* glibc qsort() asks sysconf(_SC_PHYS_PAGES) for a temporary buffer */
	SCMP_SYS(sysinfo),
	/* glibc and ASan read the stack limit */
	SCMP_SYS(prlimit64), SCMP_SYS(getrlimit),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/*
 * dhcpd (leases.db) and webd (history.db): SQLite in WAL mode on files
 * inside the chroot, which is the daemon's own state directory.
 */
static const int sc_files[] = {
	/* glibc opens with openat; ASan's report uses the old open(2) */
	SCMP_SYS(openat), SCMP_SYS(open),
	/* sqlite deletes rollback journals and the -wal on close */
	SCMP_SYS(unlink), SCMP_SYS(unlinkat),
	/* our own atomic replace of small files (write, fsync, rename) */
	SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(ftruncate),
	/* sqlite checks for a -wal or -journal before opening */
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
	/* sqlite makes a relative database path absolute */
	SCMP_SYS(getcwd),
	/* sqlite resolves a database path that is a symlink */
	SCMP_SYS(readlink),
	/* sqlite gives a new -wal/-shm the mode of the database */
	SCMP_SYS(fchmod),
};

/*
 * dhcpd: its lease writer thread, started inside the sandbox (the filter
 * is inherited), so that commits never stall the thread serving clients.
 */
static const int sc_dhcpd[] = {
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
};

/*
 * clone() only as pthread_create() calls it: a thread sharing memory,
 * files and signal handlers, never a new process or namespace. clone3
 * passes its flags in memory, which seccomp cannot read: it gets ENOSYS
 * and glibc falls back to clone(). The TLS and thread-id bookkeeping
 * bits may vary.
 */
#define SC_THREAD_FLAGS	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
	CLONE_THREAD)
#define SC_THREAD_ANY	(CLONE_SETTLS | CLONE_PARENT_SETTID | \
	CLONE_CHILD_CLEARTID | CLONE_SYSVSEM)

/*
 * natd: its saved forwards and timeouts (natd.conf in its chroot, the
 * state directory), replaced atomically: write, fsync, rename.
 */
static const int sc_natd[] = {
	SCMP_SYS(openat), SCMP_SYS(open),
	SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(fsync), SCMP_SYS(fdatasync),
};

/* dnsd: its own UDP and TCP sockets to the upstream resolvers, IPv4 only
 * (its output rule, docs/security.md, is an IPv4 table). */
static const int sc_dnsd[] = {
	SCMP_SYS(connect), SCMP_SYS(bind),
};

static const struct {
	int	domain, type, protocol;
} sc_dnsd_sockets[] = {
	{ AF_INET, SOCK_DGRAM, 0 },
	{ AF_INET, SOCK_DGRAM, IPPROTO_UDP },
	{ AF_INET, SOCK_STREAM, 0 },
	{ AF_INET, SOCK_STREAM, IPPROTO_TCP },
};

/* ioctl requests: glibc isatty() (TCGETS), libevent (FIONREAD, FIONBIO). */
static const unsigned int sc_ioctls[] = {
	FIONREAD, FIONBIO, TCGETS,
};

/*
 * Refused with EACCES instead of killing, in the profiles without files:
 * glibc's tzset reads /etc/localtime at the first syslog() timestamp,
 * jansson seeds its hash from /dev/urandom, ASan's error report looks for
 * a symbolizer and /proc/self/exe.  Each copes with a failed open, and the
 * chroot would make it fail anyway.
 */
static const int sc_quiet_nofiles[] = {
	SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(readlink),
};

/*
 * One argument comparison.  Built by hand: libseccomp's SCMP_A*() macros
 * leave datum_b out, which clang's -Wextra rejects.  The datum is
 * compared over 64 bits: an int argument with garbage above bit 31 fails
 * to match and is killed, never let through.
 */
static struct scmp_arg_cmp
sc_arg(unsigned int arg, enum scmp_compare op, scmp_datum_t a,
    scmp_datum_t b)
{
	struct scmp_arg_cmp	c;

	c.arg = arg;
	c.op = op;
	c.datum_a = a;
	c.datum_b = b;
	return c;
}

static void
sc_rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned int argc,
    const struct scmp_arg_cmp *argv)
{
	char	*name;
	int	 rc;

	rc = seccomp_rule_add_array(ctx, action, nr, argc, argv);
	if (rc < 0) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		fatalx("sandbox: rule for %s: %s", name ? name : "?",
		    strerror(-rc));
	}
}

static void
sc_list(scmp_filter_ctx ctx, uint32_t action, const int *nrs, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		sc_rule(ctx, action, nrs[i], 0, NULL);
}

/* Calls allowed only with some arguments, for every daemon. */
static void
sc_common_args(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp	 a;
	scmp_datum_t		 self = (scmp_datum_t)getpid();
	size_t			 i;

	for (i = 0; i < nitems(sc_ioctls); i++) {
		a = sc_arg(1, SCMP_CMP_EQ, sc_ioctls[i], 0);
		sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, &a);
	}
	/* No code mapped after start-up: nothing executable but what
	 * exec and the loader mapped before the sandbox. */
	a = sc_arg(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, &a);
	sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, &a);
	/* Signals to ourselves only: abort(), raise(). */
	a = sc_arg(0, SCMP_CMP_EQ, self, 0);
	sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, &a);
	sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, &a);
	/* libevent makes a socketpair when the first signal event is added. */
	a = sc_arg(0, SCMP_CMP_EQ, AF_UNIX, 0);
	sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1, &a);
	/*
	 * glibc syslog() reconnects to /dev/log after syslogd restarts;
	 * refusing quietly keeps the daemon alive (the chroot has no
	 * /dev/log anyway).
	 */
	sc_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, &a);
}

static void
sc_dnsd_args(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp	 a[3];
	size_t			 i;

	for (i = 0; i < nitems(sc_dnsd_sockets); i++) {
		a[0] = sc_arg(0, SCMP_CMP_EQ, sc_dnsd_sockets[i].domain, 0);
		/* the type may carry SOCK_NONBLOCK and SOCK_CLOEXEC */
		a[1] = sc_arg(1, SCMP_CMP_MASKED_EQ,
		    ~(uint32_t)(SOCK_NONBLOCK | SOCK_CLOEXEC),
		    sc_dnsd_sockets[i].type);
		a[2] = sc_arg(2, SCMP_CMP_EQ, sc_dnsd_sockets[i].protocol, 0);
		sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3, a);
	}
}

static void
sc_dhcpd_args(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp	 a;

	a = sc_arg(0, SCMP_CMP_MASKED_EQ, 0xffffffffULL & ~(uint64_t)
	    SC_THREAD_ANY, SC_THREAD_FLAGS);
	sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &a);
	sc_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NULL);
}

static void
sc_profile(scmp_filter_ctx ctx, enum sandbox_profile profile)
{
	switch (profile) {
	case SANDBOX_NATD:
		sc_list(ctx, SCMP_ACT_ALLOW, sc_natd, nitems(sc_natd));
		sc_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(readlink), 0,
		    NULL);
		break;
	case SANDBOX_DNSD:
		sc_list(ctx, SCMP_ACT_ERRNO(EACCES), sc_quiet_nofiles,
		    nitems(sc_quiet_nofiles));
		sc_list(ctx, SCMP_ACT_ALLOW, sc_dnsd, nitems(sc_dnsd));
		sc_dnsd_args(ctx);
		break;
	case SANDBOX_DHCPD:
		sc_list(ctx, SCMP_ACT_ALLOW, sc_files, nitems(sc_files));
		sc_list(ctx, SCMP_ACT_ALLOW, sc_dhcpd, nitems(sc_dhcpd));
		sc_dhcpd_args(ctx);
		break;
	case SANDBOX_WEBD:
		sc_list(ctx, SCMP_ACT_ALLOW, sc_files, nitems(sc_files));
		break;
	default:
		fatalx("sandbox: unknown profile %d", profile);
	}
}

void
sandbox_apply(enum sandbox_profile profile)
{
	scmp_filter_ctx	ctx;
	int		rc;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("sandbox: seccomp_init failed");
	/* A call through another ABI (int 0x80, x32) must not slip past. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS);
	if (rc < 0)
		fatalx("sandbox: bad-arch action: %s", strerror(-rc));
	sc_list(ctx, SCMP_ACT_ALLOW, sc_common, nitems(sc_common));
	sc_common_args(ctx);
	sc_profile(ctx, profile);
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("sandbox: seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
	log_debug("sandbox: profile %d loaded", profile);
}
