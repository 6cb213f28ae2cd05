/*
 * taxii/memcap.c: a cap on the memory of the JSON values one request
 * makes.
 *
 * A body's text says little about what its values cost: "{}" is 2 bytes
 * of text and some 250 bytes as a jansson object. While a worker thread
 * handles a POST of objects it sets a cap (a multiple of the body's
 * length); jansson's allocations are counted per thread, and past the cap
 * they fail, so the parse or the check in progress fails as out of memory
 * and the request is refused as too costly (413) instead of taking the
 * node's memory. Outside a capped request nothing is refused; the count
 * goes on (a thread that frees what another made sees its count go down,
 * which only ever makes its cap looser).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#include "taxii/internal.h"

static __thread int64_t used;      /* bytes held by this thread's values */
static __thread int64_t base;      /* used when the cap was set */
static __thread int64_t limit_now; /* the cap over base; 0: none */
static __thread int64_t peak;      /* highest used since taxii_memcap_begin */
static __thread int hit;           /* an allocation was refused */

static void *counted_malloc(size_t n)
{
	void *p;

	if (limit_now > 0 && used + (int64_t)n - base > limit_now) {
		hit = 1;
		tx_json_failure_note();
		return NULL;
	}
	if ((p = malloc(n)) == NULL) {
		tx_json_failure_note();
		return NULL;
	}
	used += (int64_t)malloc_usable_size(p);
	if (used > peak)
		peak = used;
	return p;
}

static void counted_free(void *p)
{
	if (p == NULL)
		return;
	used -= (int64_t)malloc_usable_size(p);
	free(p);
}

static void hooks(void)
{
	/* free() takes what plain malloc gave before the hooks, too */
	json_set_alloc_funcs(counted_malloc, counted_free);
}

void taxii_memcap_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, hooks);
}

void taxii_memcap_begin(int64_t limit)
{
	base = peak = used;
	limit_now = limit > 0 ? limit : 0;
	hit = 0;
}

int taxii_memcap_end(int64_t *peak_bytes)
{
	int was_hit = hit;

	if (peak_bytes != NULL)
		*peak_bytes = peak - base;
	limit_now = 0;
	hit = 0;
	return was_hit;
}

int taxii_memcap_hit(void)
{
	return hit;
}
