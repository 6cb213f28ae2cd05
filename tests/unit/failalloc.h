/*
 * failalloc: make the Nth allocation fail, in a test program.
 *
 * A test program linked with failalloc.c supplies malloc, calloc, realloc
 * and free on top of glibc's own, for every library in the process
 * (jansson, SQLite, PCRE2 too). Between failalloc_start and failalloc_stop
 * allocations are counted, the one numbered fail_at (1-based; 0: none)
 * returns NULL, and allocations not yet freed are counted. Under ASan or
 * MSan (their own allocators) it is not available and tests skip.
 */
#ifndef TRILEX_TESTS_FAILALLOC_H
#define TRILEX_TESTS_FAILALLOC_H

int failalloc_available(void);
void failalloc_start(long fail_at);
/* Stop; returns the allocations seen, *live (may be NULL) those made and
 * not freed meanwhile. */
long failalloc_stop(long *live);

#endif
