/*
 * Every program's handler table against the command catalogue: each
 * program lists the commands it answers (a child with -L, gatekeeperd
 * with -C), and the list must be exactly the catalogue commands that
 * name it as an owner, so a command cannot be catalogued and answered
 * by nobody, or answered by a program the parent does not route it to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "commands.h"
#include "proto.h"

static const struct {
	uint32_t	 peer;
	const char	*path;		/* under the build dir */
	const char	*flag;
} programs[] = {
	{ PEER_PARENT, "gatekeeperd/gatekeeperd", "-C" },
	{ PEER_NATD, "natd/natd", "-L" },
	{ PEER_DHCPD, "dhcpd/dhcpd", "-L" },
	{ PEER_DNSD, "dnsd/dnsd", "-L" },
	{ PEER_WEBD, "webd/webd", "-L" },
};

/* 1 when name is among the n lines of list. */
static int
listed(char list[][64], int n, const char *name)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

/* The catalogue command named name, or NULL. */
static const struct gk_command *
catalogued(const char *name)
{
	int	 i;

	for (i = 0; i < CMD_MAX; i++)
		if (strcmp(gk_commands[i].name, name) == 0)
			return &gk_commands[i];
	return NULL;
}

static void
check_program(const char *build, uint32_t peer, const char *path,
    const char *flag)
{
	const struct gk_command *c;
	char	 cmd[1024], got[CMD_MAX + 1][64];
	FILE	*p;
	int	 n = 0, i;

	snprintf(cmd, sizeof(cmd), "%s/%s %s", build, path, flag);
	if ((p = popen(cmd, "r")) == NULL) {
		CHECK(!"popen");
		return;
	}
	while (n <= CMD_MAX && fgets(got[n], sizeof(got[n]), p) != NULL) {
		got[n][strcspn(got[n], "\n")] = '\0';
		n++;
	}
	CHECK(pclose(p) == 0);
	for (i = 0; i < n; i++) {
		CHECK(!listed(got, i, got[i]));		/* not twice */
		c = catalogued(got[i]);
		if (c == NULL || (c->owners & (1U << peer)) == 0) {
			fprintf(stderr, "%s answers \"%s\", which the "
			    "catalogue does not give it\n", path, got[i]);
			CHECK(!"handler not in the catalogue");
		}
	}
	for (i = 0; i < CMD_MAX; i++)
		if ((gk_commands[i].owners & (1U << peer)) != 0 &&
		    !listed(got, n, gk_commands[i].name)) {
			fprintf(stderr, "%s does not answer \"%s\"\n", path,
			    gk_commands[i].name);
			CHECK(!"catalogue command without a handler");
		}
}

int
main(void)
{
	const char	*build = getenv("GK_BUILD");
	size_t		 i;

	if (build == NULL)
		SKIP("GK_BUILD is not set (run under meson test)");
	for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		check_program(build, programs[i].peer, programs[i].path,
		    programs[i].flag);
	return check_result();
}
