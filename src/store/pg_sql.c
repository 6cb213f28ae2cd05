/*
 * store/pg_sql.c: the PostgreSQL text of a statement written for SQLite.
 *
 * The store's SQL is written once, in the SQLite dialect; most of it is
 * also PostgreSQL. What is not is isolated here, in two steps:
 *
 * 1. Fragments: the table below, each a piece of SQLite text and the
 *    PostgreSQL text that means the same, replaced wherever it occurs
 *    (outside string literals or not: the fragments are chosen so that
 *    they cannot occur inside one). Whole statements that differ too
 *    much are fragments too. Add a row when a new statement needs one;
 *    docs/store-postgres.md lists them with why.
 * 2. Placeholders: ? becomes $n (n one more than the highest so far, as
 *    SQLite numbers them) and ?NNN becomes $NNN, outside literals.
 *    "INSERT OR IGNORE INTO" becomes "INSERT INTO" with "ON CONFLICT DO
 *    NOTHING" added at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

struct fragment {
	const char *lite;
	const char *pg;
};

static const struct fragment fragments[] = {
	/* SQLite's single writer, across processes: one advisory lock held
	 * to commit, so writers take turns and date_added (read from the
	 * clock row inside the lock) follows commit order exactly. */
	{ "BEGIN IMMEDIATE",
	  "BEGIN; SELECT pg_advisory_xact_lock(7262697)" },
	/* max() of a comparison: SQLite's is an integer */
	{ "max(version_us = ?3)", "max((version_us = ?3)::int)" },
	/* the collection's rows of the FTS5 table */
	{ "instr(", "strpos(" },
	/* an aggregate of text with its separator (store_key_list) */
	{ "group_concat(", "string_agg(" },
	/* the caller's collections, a JSON array of pks (search.c,
	 * recent.c): PostgreSQL's json_each takes objects only */
	{ "SELECT value FROM json_each(?1)",
	  "SELECT value::bigint FROM json_array_elements_text(?1::json)" },
	/* the text search (search.c, the FTS5 table's alias f): the
	 * tsvector column and trilex_fts, which reads FTS5's query as
	 * search.c writes it (schema_pg.c) */
	{ "search_text MATCH ?3", "f.tsv @@ trilex_fts(?3)" },
};

#define N_FRAGMENTS (sizeof(fragments) / sizeof(fragments[0]))

/* s with every occurrence of from replaced by to; NULL on no memory. */
static char *replace_all(char *s, const char *from, const char *to)
{
	size_t lf = strlen(from), lt = strlen(to), n = 0, len;
	char *p, *out, *o;

	for (p = strstr(s, from); p != NULL; p = strstr(p + lf, from))
		n++;
	if (n == 0)
		return s;
	len = strlen(s) + n * lt - n * lf;
	if ((out = malloc(len + 1)) == NULL) {
		free(s);
		return NULL;
	}
	o = out;
	char *q = s;
	for (p = strstr(q, from); p != NULL; q = p + lf, p = strstr(q, from)) {
		memcpy(o, q, (size_t)(p - q));
		o += p - q;
		memcpy(o, to, lt);
		o += lt;
	}
	memcpy(o, q, strlen(q) + 1);
	free(s);
	return out;
}

static int word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '?';
}

/*
 * "A = B COLLATE NOCASE" -> "lower(A) = lower(B)" (A and B a column or a
 * placeholder); "INDEXED BY name" (a hint to SQLite's planner) -> "".
 */
static char *nocase_and_hints(char *s)
{
	static const char nocase[] = " COLLATE NOCASE", hint[] = " INDEXED BY ";
	char *p, *out;

	while ((p = strstr(s, hint)) != NULL) {
		char *e = p + sizeof(hint) - 1;
		while (word_char(*e))
			e++;
		memmove(p, e, strlen(e) + 1);
	}
	while ((p = strstr(s, nocase)) != NULL) {
		/* p ends B; before it " = " ends A */
		char *b = p, *a, *a_end;
		while (b > s && word_char(b[-1]))
			b--;
		a_end = b;
		while (a_end > s && a_end[-1] == ' ')
			a_end--;
		if (a_end == s || a_end[-1] != '=')
			return s; /* not a comparison: left for the server to refuse */
		a_end--;
		while (a_end > s && a_end[-1] == ' ')
			a_end--;
		a = a_end;
		while (a > s && word_char(a[-1]))
			a--;
		if (a == a_end || b == p)
			return s;
		size_t len = strlen(s) + 16;
		if ((out = malloc(len)) == NULL) {
			free(s);
			return NULL;
		}
		snprintf(out, len, "%.*slower(%.*s) = lower(%.*s)%s", (int)(a - s), s,
			 (int)(a_end - a), a, (int)(p - b), b, p + sizeof(nocase) - 1);
		free(s);
		s = out;
	}
	return s;
}

/* INSERT OR IGNORE INTO ... -> INSERT INTO ... ON CONFLICT DO NOTHING */
static char *or_ignore(char *s)
{
	static const char key[] = "INSERT OR IGNORE INTO";
	char *p = strstr(s, key), *out;
	size_t len;

	if (p == NULL)
		return s;
	memmove(p + 6, p + 16, strlen(p + 16) + 1); /* drop " OR IGNORE" */
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ';' || s[len - 1] == ' '))
		s[--len] = '\0';
	if ((out = malloc(len + sizeof(" ON CONFLICT DO NOTHING"))) == NULL) {
		free(s);
		return NULL;
	}
	memcpy(out, s, len);
	memcpy(out + len, " ON CONFLICT DO NOTHING",
	       sizeof(" ON CONFLICT DO NOTHING"));
	free(s);
	return out;
}

/* ? and ?NNN as $n, outside string literals and quoted names. */
static char *placeholders(char *s)
{
	size_t n_q = 0;
	int max = 0;
	char *out, *o;

	for (char *p = s; *p; p++)
		n_q += *p == '?';
	if (n_q == 0)
		return s;
	/* "?" becomes at most "$NNNNN" */
	if ((out = malloc(strlen(s) + n_q * 6 + 1)) == NULL) {
		free(s);
		return NULL;
	}
	o = out;
	for (char *p = s; *p; p++) {
		if (*p == '\'' || *p == '"') {
			char q = *p;
			*o++ = *p;
			while (p[1] && p[1] != q)
				*o++ = *++p;
			if (p[1])
				*o++ = *++p;
			continue;
		}
		if (*p != '?') {
			*o++ = *p;
			continue;
		}
		int v = 0;
		if (p[1] >= '0' && p[1] <= '9') {
			while (p[1] >= '0' && p[1] <= '9' && v < 10000)
				v = v * 10 + (*++p - '0');
		} else {
			v = max + 1;
		}
		if (v > max)
			max = v;
		o += snprintf(o, 7, "$%d", v);
	}
	*o = '\0';
	free(s);
	return out;
}

char *store_pg_sql(const char *sql)
{
	char *s = strdup(sql);

	for (size_t i = 0; s != NULL && i < N_FRAGMENTS; i++)
		s = replace_all(s, fragments[i].lite, fragments[i].pg);
	if (s != NULL)
		s = nocase_and_hints(s);
	if (s != NULL)
		s = or_ignore(s);
	if (s != NULL)
		s = placeholders(s);
	return s;
}
