/*
 * gatekeeperd's memory figures for status (gatekeeperd/memstat.c): the
 * smaps_rollup parser on the kernel's text, with and without Pss_Shmem,
 * and on junk; then this process's own figures, which must move by what
 * it touches in a memfd, as natd's region does; zero_lazily() giving a
 * cleared table back.
 */
#include <sys/mman.h>

#include <string.h>
#include <unistd.h>

#include "check.h"
#include "memstat.h"
#include "util.h"

static uint8_t table[8 << 20];	/* BSS, as dnsd's and webd's tables */

static const char rollup[] =
    "55d1c0a00000-7ffc8a1f6000 ---p 00000000 00:00 0                          [rollup]\n"
    "Rss:               17564 kB\n"
    "Pss:               17391 kB\n"
    "Pss_Dirty:         16900 kB\n"
    "Pss_Anon:            572 kB\n"
    "Pss_File:            389 kB\n"
    "Pss_Shmem:         16430 kB\n"
    "Shared_Clean:        348 kB\n";

static const char old_kernel[] =
    "00400000-7ffc8a1f6000 ---p 00000000 00:00 0 [rollup]\n"
    "Rss:                 884 kB\n"
    "Pss:                 512 kB\n"
    "Shared_Clean:        348 kB\n";

int
main(void)
{
	struct memstat	 m, before, after;
	size_t		 big = 8 << 20;
	uint8_t		*p;
	int		 fd;

	CHECK(memstat_parse(rollup, strlen(rollup), &m) == 0);
	CHECK(m.pss_kb == 17391 && m.shmem_kb == 16430 && m.has_shmem);
	CHECK(memstat_parse(old_kernel, strlen(old_kernel), &m) == 0);
	CHECK(m.pss_kb == 512 && !m.has_shmem && m.shmem_kb == 0);
	/* Junk: no Pss line, no number, a number too long, cut short. */
	CHECK(memstat_parse("Rss: 5 kB\n", 10, &m) == -1);
	CHECK(memstat_parse("Pss: kB\n", 8, &m) == -1);
	CHECK(memstat_parse("Pss: 99999999999999999999999 kB\n", 32, &m) == -1);
	CHECK(memstat_parse("Pss:", 4, &m) == -1);
	CHECK(memstat_parse("Pss_Anon: 5 kB\n", 15, &m) == -1);
	CHECK(memstat_parse("", 0, &m) == -1);

	/* Ours: there, plausible, and it counts a memfd's touched pages. */
	if (memstat_read(getpid(), &before) == -1) {
		CHECK(!"/proc/self/smaps_rollup is readable");
		return check_result();
	}
	CHECK(before.pss_kb > 100 && before.pss_kb < (1 << 20));
	CHECK(memstat_read(999999999, &m) == -1);
	CHECK((fd = memfd_create("test-memstat", MFD_CLOEXEC)) != -1);
	CHECK(ftruncate(fd, (off_t)big) == 0);
	p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return check_result();
	CHECK(memstat_read(getpid(), &m) == 0);
	CHECK(m.shmem_kb < before.shmem_kb + 64);	/* mapped, untouched */
	memset(p, 1, big);
	CHECK(memstat_read(getpid(), &after) == 0);
	CHECK(after.pss_kb >= before.pss_kb + 8000);
	if (after.has_shmem)
		CHECK(after.shmem_kb >= before.shmem_kb + 8000);
	munmap(p, big);
	close(fd);

	/* zero_lazily: a written table cleared reads zero and is given
	 * back, not rewritten (a memset would keep all 8 MiB resident). */
	memset(table, 0x5a, sizeof(table));
	CHECK(memstat_read(getpid(), &before) == 0);
	zero_lazily(table + 3, sizeof(table) - 5);
	CHECK(memstat_read(getpid(), &after) == 0);
	CHECK(table[2] == 0x5a && table[3] == 0 && table[4096] == 0 &&
	    table[sizeof(table) - 3] == 0 && table[sizeof(table) - 2] == 0x5a);
	CHECK(after.pss_kb + 7000 < before.pss_kb);
	{
		size_t	 i, bad = 0;

		for (i = 3; i < sizeof(table) - 2; i++)
			bad += table[i] != 0;
		CHECK(bad == 0);
	}
	return check_result();
}
