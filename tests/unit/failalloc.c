/* failalloc.c: see failalloc.h. */
#include <stddef.h>
#include <stdlib.h> /* defines __GLIBC__, which decides below */

#include "failalloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define FAILALLOC_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define FAILALLOC_OFF 1
#endif
#endif

#if !defined(FAILALLOC_OFF) && defined(__GLIBC__)
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

static int hook_on;       /* count and fail only while set */
static long hook_fail_at; /* fail the allocation with this number */
static long hook_n;       /* allocations seen */
static long hook_live;    /* allocations minus frees */

/* Called when an allocation is made to fail: a place for a debugger's
 * breakpoint ("break failalloc_failed", then "bt"). */
__attribute__((noinline)) void failalloc_failed(void);
__attribute__((noinline)) void failalloc_failed(void)
{
	__asm__ volatile("");
}

static int hook_fail(void)
{
	if (hook_on && ++hook_n == hook_fail_at) {
		failalloc_failed();
		return 1;
	}
	return 0;
}

void *malloc(size_t size)
{
	void *p;

	if (hook_fail())
		return NULL;
	p = __libc_malloc(size);
	if (p != NULL && hook_on)
		hook_live++;
	return p;
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (hook_fail())
		return NULL;
	p = __libc_calloc(n, size);
	if (p != NULL && hook_on)
		hook_live++;
	return p;
}

void *realloc(void *old, size_t size)
{
	void *p;

	if (hook_fail())
		return NULL;
	p = __libc_realloc(old, size);
	if (p != NULL && old == NULL && hook_on)
		hook_live++;
	return p;
}

void free(void *p)
{
	if (p != NULL && hook_on)
		hook_live--;
	__libc_free(p);
}

int failalloc_available(void)
{
	return 1;
}

void failalloc_start(long fail_at)
{
	hook_n = 0;
	hook_live = 0;
	hook_fail_at = fail_at;
	hook_on = 1;
}

long failalloc_stop(long *live)
{
	hook_on = 0;
	if (live)
		*live = hook_live;
	return hook_n;
}
#else
int failalloc_available(void)
{
	return 0;
}

void failalloc_start(long fail_at)
{
	(void)fail_at;
}

long failalloc_stop(long *live)
{
	if (live)
		*live = 0;
	return 0;
}
#endif
