/*
 * Fills gkctl(8)'s template with the command list of the catalogue
 * (proto/commands.c), so the installed page cannot drift from what gkctl
 * and gatekeeperd accept. Usage: gkctl-man TEMPLATE OUTPUT; the template
 * line "@COMMANDS@" becomes an mdoc list of every command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* One argument: alternatives ("tcp|udp") as Cm words, others as Ar. */
static void
print_arg(FILE *out, const struct cmd_arg *a)
{
	const char	*p = a->name;
	size_t		 n;

	if (strchr(p, '|') == NULL) {
		fprintf(out, " Ar %s", p);
		return;
	}
	for (;;) {
		n = strcspn(p, "|");
		fprintf(out, " Cm %.*s", (int)n, p);
		if (p[n] == '\0')
			break;
		fprintf(out, " Ns | Ns");
		p += n + 1;
	}
}

static void
print_head(FILE *out, const struct gk_command *c)
{
	int	 i;

	fprintf(out, ".It Ic %s", c->name);
	for (i = 0; i < c->nargs; i++) {
		if (i >= c->nreq && (!c->repeat || i == c->nreq))
			fprintf(out, " Oo");
		print_arg(out, &c->args[i]);
		if (i >= c->nreq && (!c->repeat || i == c->nargs - 1))
			fprintf(out, c->repeat ? " Oc No ..." : " Oc");
	}
	fprintf(out, "\n");
}

/*
 * The text, one sentence a line as mdoc wants and folded before 80
 * columns, roff's specials escaped.
 */
static void
print_text(FILE *out, const char *s)
{
	char	 prev = '\0';
	int	 col = 0;

	for (; *s != '\0'; prev = *s++) {
		if (col == 0 && (*s == '.' || *s == '\''))
			col += fprintf(out, "\\&");
		if (*s == ' ' && s[1] != '\0' && (prev == '.' ||
		    col + (int)strcspn(s + 1, " ") >= 72)) {
			fputc('\n', out);
			col = 0;
		} else if (*s == '\\')
			col += fprintf(out, "\\e");
		else {
			fputc(*s, out);
			col++;
		}
	}
	fputc('\n', out);
}

static void
print_commands(FILE *out)
{
	const struct gk_command *c;
	int		 i;

	fprintf(out, ".Bl -tag -width Ds\n");
	for (i = 0; i < CMD_MAX; i++) {
		c = &gk_commands[i];
		print_head(out, c);
		print_text(out, c->text);
		if (c->from == CMD_FROM_ROOT &&
		    strstr(c->text, "Root only") == NULL)
			fprintf(out, "Root only.\n");
	}
	fprintf(out, ".El\n");
}

int
main(int argc, char *argv[])
{
	char	 line[4096];
	FILE	*in, *out;

	if (argc != 3) {
		fprintf(stderr, "usage: gkctl-man template output\n");
		return 2;
	}
	if ((in = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	if ((out = fopen(argv[2], "w")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		if (strcmp(line, "@COMMANDS@\n") == 0)
			print_commands(out);
		else
			fputs(line, out);
	}
	fclose(in);
	if (fclose(out) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
