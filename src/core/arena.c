/*
 * core/arena.c: an arena of many small allocations freed at once, a
 * string-keyed hash table, and the FNV-1a hash both the pattern index and
 * the tables use.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

void tx_sort(void *base, size_t n, size_t size,
	     int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

uint64_t tx_hash64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- arena ---- */

struct tx_arena_chunk {
	struct tx_arena_chunk *next;
	size_t size, used;
	_Alignas(max_align_t) unsigned char data[];
};

#define ALIGN ((size_t)_Alignof(max_align_t))

void tx_arena_init(struct tx_arena *a, size_t first, size_t chunk, size_t cap)
{
	a->head = NULL;
	a->used = 0;
	a->cap = cap ? cap : SIZE_MAX / 2;
	a->chunk = chunk ? chunk : (size_t)1 << 20;
	a->first = first ? first : a->chunk;
}

void tx_arena_free(struct tx_arena *a)
{
	struct tx_arena_chunk *c = a->head, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->used = 0;
}

void *tx_arena_alloc(struct tx_arena *a, size_t n)
{
	struct tx_arena_chunk *c = a->head;
	void *p;

	if (n > a->cap)
		return NULL;
	n = n ? (n + ALIGN - 1) & ~(ALIGN - 1) : ALIGN;
	if (a->used > a->cap - n)
		return NULL;
	if (c == NULL || c->size - c->used < n) {
		size_t want = c == NULL ? a->first : a->chunk;
		int big = n > want / 4 && c != NULL;
		size_t size = n > want ? n : big ? n : want;

		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		if (big) {
			/* a big block of its own: the current chunk stays in
			 * front, its room still used */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = c->data + c->used;
	c->used += n;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *tx_arena_strndup(struct tx_arena *a, const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	if (n == SIZE_MAX || (p = tx_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *tx_arena_strdup(struct tx_arena *a, const char *s)
{
	return s ? tx_arena_strndup(a, s, strlen(s)) : NULL;
}

tx_err tx_grow(void *arrp, size_t *cap, size_t n, size_t elem, size_t first)
{
	void *arr, *na;
	size_t ncap = *cap ? *cap : (first ? first : 16);

	if (n <= *cap)
		return TX_OK;
	while (ncap < n) {
		if (ncap > SIZE_MAX / 2)
			return TX_ERR_NOMEM;
		ncap *= 2;
	}
	if (elem != 0 && ncap > SIZE_MAX / elem)
		return TX_ERR_NOMEM;
	memcpy(&arr, arrp, sizeof(arr));
	if ((na = realloc(arr, ncap * elem)) == NULL)
		return TX_ERR_NOMEM;
	memcpy(arrp, &na, sizeof(na));
	*cap = ncap;
	return TX_OK;
}

/* ---- hash table: open addressing, linear probing ---- */

uint64_t tx_htab_hash(const char *s)
{
	uint64_t h = tx_hash64(TX_HASH64_INIT, s, strlen(s));

	return h ? h : 1; /* 0 marks an empty slot */
}

void *tx_htab_get(const struct tx_htab *t, const char *key)
{
	uint64_t h;
	size_t i;

	if (t->cap == 0)
		return NULL;
	h = tx_htab_hash(key);
	for (i = h & (t->cap - 1); t->e[i].h != 0; i = (i + 1) & (t->cap - 1))
		if (t->e[i].h == h && strcmp(t->e[i].key, key) == 0)
			return t->e[i].val;
	return NULL;
}

static void place(struct tx_htab_ent *e, size_t cap, struct tx_htab_ent x)
{
	size_t i = x.h & (cap - 1);

	while (e[i].h != 0)
		i = (i + 1) & (cap - 1);
	e[i] = x;
}

tx_err tx_htab_put(struct tx_htab *t, const char *key, void *val, void **old)
{
	uint64_t h = tx_htab_hash(key);
	size_t i;

	if (old)
		*old = NULL;
	if ((t->n + 1) * 4 > t->cap * 3) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct tx_htab_ent *ne;

		if (ncap < t->cap || (ne = calloc(ncap, sizeof(*ne))) == NULL)
			return TX_ERR_NOMEM;
		for (i = 0; i < t->cap; i++)
			if (t->e[i].h != 0)
				place(ne, ncap, t->e[i]);
		free(t->e);
		t->e = ne;
		t->cap = ncap;
	}
	for (i = h & (t->cap - 1); t->e[i].h != 0; i = (i + 1) & (t->cap - 1)) {
		if (t->e[i].h == h && strcmp(t->e[i].key, key) == 0) {
			if (old)
				*old = t->e[i].val;
			t->e[i].val = val;
			return TX_OK;
		}
	}
	t->e[i] = (struct tx_htab_ent){ h, key, val };
	t->n++;
	return TX_OK;
}

void tx_htab_free(struct tx_htab *t)
{
	free(t->e);
	t->e = NULL;
	t->cap = t->n = 0;
}
