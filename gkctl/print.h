/*
 * gkctl's tables (print.c): apart from gkctl.c so a unit test can feed
 * them replies without a daemon.
 */
#ifndef GK_PRINT_H
#define GK_PRINT_H

#include <stdio.h>

#include <jansson.h>

/* The reply to command (its first word(s)) as tables for people. */
void	 print_reply(FILE *, const char *command, json_t *body);
/* s with control characters escaped as \xNN, into buf. */
const char *print_safe(const char *s, char *buf, size_t size);

#endif
