/*
 * Privilege drop for the children, in the order that leaves no window:
 * chroot to the state dir, setgroups, setresgid, setresuid keeping only
 * the listed capabilities, PR_SET_NO_NEW_PRIVS, then a seccomp allowlist.
 */
#ifndef GK_PRIVDROP_H
#define GK_PRIVDROP_H

#include <stdint.h>

enum sandbox_profile {
	SANDBOX_NATD,
	SANDBOX_DHCPD,
	SANDBOX_DNSD,
	SANDBOX_WEBD,
};

struct privdrop {
	const char	*user;		/* account to become, e.g. "gk-natd" */
	const char	*root;		/* directory to chroot into */
	uint64_t	 keep_caps;	/* bitmask of (1ULL << CAP_*) */
};

/* fatal() on any failure: a child that cannot drop must not run. */
void	privdrop_apply(const struct privdrop *);
/*
 * The same end state for a child its systemd unit started, already as
 * pd->user with the unit's capabilities: nothing to chroot or setuid
 * (the unit's ProtectSystem= and friends confine the file system), so
 * it checks the user, makes pd->root the working directory (the
 * daemons' relative file names mean the same as in the chroot), keeps
 * only pd->keep_caps and sets no_new_privs; fatal() when the unit gave
 * another user or more capabilities in the bounding set.
 */
void	privdrop_unit(const struct privdrop *);
void	sandbox_apply(enum sandbox_profile);

#endif
