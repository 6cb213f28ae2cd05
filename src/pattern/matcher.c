/*
 * pattern/matcher.c: publishing a new index while readers use the old one.
 *
 * One atomic pointer to the current index and one hazard slot per reader
 * thread. A reader announces the index it is about to use in its slot and
 * checks the pointer did not move meanwhile; a writer swaps the pointer,
 * then waits until no slot holds the old index before freeing it. Readers
 * never lock and never allocate; only publishing waits.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "pattern/internal.h"

struct pattern_matcher {
	_Atomic(pattern_index *) cur;
	struct {
		_Alignas(64) _Atomic(pattern_index *) p;
	} hazard[PATTERN_MAX_READERS];
};

tx_err pattern_matcher_new(pattern_matcher **out)
{
	pattern_matcher *m = aligned_alloc(64, sizeof(*m));

	if (m == NULL)
		return TX_ERR_NOMEM;
	atomic_init(&m->cur, NULL);
	for (size_t i = 0; i < PATTERN_MAX_READERS; i++)
		atomic_init(&m->hazard[i].p, NULL);
	*out = m;
	return TX_OK;
}

void pattern_matcher_free(pattern_matcher *m)
{
	if (m == NULL)
		return;
	pattern_index_free(atomic_load(&m->cur));
	free(m);
}

void pattern_matcher_publish(pattern_matcher *m, pattern_index *ix)
{
	pattern_index *old = atomic_exchange(&m->cur, ix);

	if (old == NULL)
		return;
	for (size_t i = 0; i < PATTERN_MAX_READERS; i++) {
		while (atomic_load(&m->hazard[i].p) == old) {
			struct timespec ts = { 0, 100000 };
			nanosleep(&ts, NULL);
		}
	}
	pattern_index_free(old);
}

pattern_index *pattern_matcher_enter(pattern_matcher *m, unsigned slot)
{
	pattern_index *p;

	if (slot >= PATTERN_MAX_READERS)
		return NULL;
	do {
		p = atomic_load(&m->cur);
		atomic_store(&m->hazard[slot].p, p);
	} while (p != atomic_load(&m->cur));
	return p;
}

void pattern_matcher_leave(pattern_matcher *m, unsigned slot)
{
	if (slot < PATTERN_MAX_READERS)
		atomic_store(&m->hazard[slot].p, NULL);
}
