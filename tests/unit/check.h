/*
 * A minimal test harness: CHECK() records a failure with file and line and
 * goes on, so one run shows every broken assertion; main returns
 * check_result() (0 all passed, 1 any failed, 77 when skipped).
 */
#ifndef GK_CHECK_H
#define GK_CHECK_H

#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_failures;
static int check_count;

#define CHECK(cond) do {						\
	check_count++;							\
	if (!(cond)) {							\
		check_failures++;					\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *check_a_ = (a), *check_b_ = (b);			\
	check_count++;							\
	if (check_a_ == NULL || check_b_ == NULL ||			\
	    strcmp(check_a_, check_b_) != 0) {				\
		check_failures++;					\
		fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n",		\
		    __FILE__, __LINE__, check_a_ ? check_a_ : "(null)",	\
		    check_b_ ? check_b_ : "(null)");			\
	}								\
} while (0)

#define SKIP(why) do {							\
	printf("SKIP: %s\n", why);					\
	return 77;							\
} while (0)

static inline int
check_result(void)
{
	printf("%d checks, %d failed\n", check_count, check_failures);
	return check_failures ? 1 : 0;
}

/* Pages of [p, p + size) resident, by mincore(2); (size_t)-1 on error. */
static inline size_t
check_resident_pages(void *p, size_t size)
{
	size_t	 pg = (size_t)sysconf(_SC_PAGESIZE), np, i, c = 0;
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(pg - 1);	/* mincore's */
	unsigned char *v;

	np = ((uintptr_t)p + size - a + pg - 1) / pg;
	if ((v = calloc(np, 1)) == NULL ||
	    mincore((void *)a, np * pg, v) == -1) {
		free(v);
		return (size_t)-1;
	}
	for (i = 0; i < np; i++)
		c += v[i] & 1;
	free(v);
	return c;
}

#endif
