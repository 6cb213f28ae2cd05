/*
 * supply/version.c: version ordering per ecosystem.
 *
 * SemVer 2.0.0 (npm, Go, OSV SEMVER ranges), PEP 440 (PyPI), Maven's
 * ComparableVersion and dpkg (Debian). Each comparer works on the strings
 * without allocating: versions are parsed into small fixed arrays with
 * caps (VER_MAX_PARTS); a version past a cap, or not of the ecosystem's
 * shape, is TX_ERR_INVALID, and the checker then says "unverified"
 * instead of guessing.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "supply/internal.h"

#define VER_MAX_PARTS 32
#define VER_MAX_LEN 256

/* ---- ecosystems ---- */

enum supply_eco supply_ecosystem(const char *name)
{
	size_t n;

	if (name == NULL)
		return SUPPLY_ECO_UNKNOWN;
	n = strcspn(name, ":");
	if (n == 3 && strncmp(name, "npm", 3) == 0)
		return SUPPLY_ECO_NPM;
	if (n == 2 && strncmp(name, "Go", 2) == 0)
		return SUPPLY_ECO_GO;
	if (n == 4 && strncasecmp(name, "PyPI", 4) == 0)
		return SUPPLY_ECO_PYPI;
	if (n == 5 && strncasecmp(name, "Maven", 5) == 0)
		return SUPPLY_ECO_MAVEN;
	if (n == 6 && strncasecmp(name, "Debian", 6) == 0)
		return SUPPLY_ECO_DEBIAN;
	return SUPPLY_ECO_UNKNOWN;
}

/* Compare two runs of decimal digits of any length as numbers. */
static int cmp_digits(const char *a, size_t na, const char *b, size_t nb)
{
	while (na > 1 && *a == '0')
		a++, na--;
	while (nb > 1 && *b == '0')
		b++, nb--;
	if (na != nb)
		return na < nb ? -1 : 1;
	int c = memcmp(a, b, na);
	return c < 0 ? -1 : c > 0;
}

/* ---- SemVer 2.0.0 ---- */

struct semver {
	const char *core[3];   /* digit runs */
	size_t core_len[3];
	const char *pre;       /* after '-', up to '+' or end; NULL if none */
	size_t pre_len;
};

static int all_digits(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * Lenient in two ways met in real data: a leading "v" (Go) and missing
 * minor or patch ("1.2" is 1.2.0), as npm's coercion and OSV do.
 */
static int semver_parse(const char *s, struct semver *v)
{
	size_t i = 0, n = strlen(s);

	memset(v, 0, sizeof(*v));
	if (n == 0 || n > VER_MAX_LEN)
		return -1;
	if (s[0] == 'v' || s[0] == 'V')
		i++;
	for (int k = 0; k < 3; k++) {
		size_t st = i;

		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		if (i == st)
			return -1;
		v->core[k] = s + st;
		v->core_len[k] = i - st;
		if (i < n && s[i] == '.' && k < 2) {
			i++;
			continue;
		}
		for (int r = k + 1; r < 3; r++) {
			v->core[r] = "0";
			v->core_len[r] = 1;
		}
		break;
	}
	if (i < n && s[i] == '-') {
		size_t st = ++i;

		while (i < n && s[i] != '+') {
			char c = s[i];
			if (!isalnum((unsigned char)c) && c != '-' && c != '.')
				return -1;
			i++;
		}
		if (i == st)
			return -1;
		v->pre = s + st;
		v->pre_len = i - st;
	}
	if (i < n && s[i] == '+') {
		if (i + 1 == n)
			return -1;
		i = n; /* build metadata: ignored by ordering */
	}
	return i == n ? 0 : -1;
}

static int semver_cmp_pre(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0, j = 0;

	for (;;) {
		size_t ia = i, jb = j;

		if (i >= na && j >= nb)
			return 0;
		if (i >= na)
			return -1; /* fewer identifiers: lower */
		if (j >= nb)
			return 1;
		while (i < na && a[i] != '.')
			i++;
		while (j < nb && b[j] != '.')
			j++;
		int da = all_digits(a + ia, i - ia), db = all_digits(b + jb, j - jb);
		int c;
		if (da && db) {
			c = cmp_digits(a + ia, i - ia, b + jb, j - jb);
		} else if (da != db) {
			c = da ? -1 : 1; /* numeric identifiers sort first */
		} else {
			size_t la = i - ia, lb = j - jb;
			c = memcmp(a + ia, b + jb, la < lb ? la : lb);
			if (c == 0 && la != lb)
				c = la < lb ? -1 : 1;
			c = c < 0 ? -1 : c > 0;
		}
		if (c != 0)
			return c;
		if (i < na)
			i++;
		if (j < nb)
			j++;
	}
}

static tx_err semver_cmp(const char *a, const char *b, int *res)
{
	struct semver va, vb;

	if (semver_parse(a, &va) != 0 || semver_parse(b, &vb) != 0)
		return TX_ERR_INVALID;
	for (int k = 0; k < 3; k++) {
		int c = cmp_digits(va.core[k], va.core_len[k], vb.core[k],
				   vb.core_len[k]);
		if (c != 0) {
			*res = c;
			return TX_OK;
		}
	}
	if (va.pre == NULL || vb.pre == NULL)
		*res = va.pre == vb.pre ? 0 : va.pre == NULL ? 1 : -1;
	else
		*res = semver_cmp_pre(va.pre, va.pre_len, vb.pre, vb.pre_len);
	return TX_OK;
}

/* ---- PEP 440 ---- */

#define PEP_NONE INT64_MIN

struct pep440 {
	int64_t epoch;
	int64_t release[VER_MAX_PARTS];
	size_t n_release;
	int pre_kind;        /* 0 none, 1 a, 2 b, 3 rc */
	int64_t pre;
	int64_t post;        /* PEP_NONE when none */
	int64_t dev;         /* PEP_NONE when none */
	const char *local;   /* after '+', or NULL */
};

static int read_num(const char *s, size_t *i, int64_t *out)
{
	int64_t v = 0;
	size_t st = *i;

	while (isdigit((unsigned char)s[*i])) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (s[*i] - '0');
		(*i)++;
	}
	*out = v;
	return *i > st ? 0 : -1;
}

static int skip_sep(const char *s, size_t *i)
{
	if (s[*i] == '.' || s[*i] == '-' || s[*i] == '_') {
		(*i)++;
		return 1;
	}
	return 0;
}

/* Match a word case-insensitively at s+*i; advance on success. */
static int word(const char *s, size_t *i, const char *w)
{
	size_t n = strlen(w);

	if (strncasecmp(s + *i, w, n) != 0)
		return 0;
	*i += n;
	return 1;
}

static int pep440_parse(const char *s, struct pep440 *v)
{
	size_t i = 0, n = strlen(s);
	int64_t num;

	memset(v, 0, sizeof(*v));
	v->post = v->dev = PEP_NONE;
	if (n == 0 || n > VER_MAX_LEN)
		return -1;
	while (isspace((unsigned char)s[i]))
		i++;
	if (s[i] == 'v' || s[i] == 'V')
		i++;
	/* epoch: N! */
	{
		size_t j = i;
		if (read_num(s, &j, &num) == 0 && s[j] == '!') {
			v->epoch = num;
			i = j + 1;
		}
	}
	for (;;) {
		if (v->n_release == VER_MAX_PARTS || read_num(s, &i, &num) != 0)
			return -1;
		v->release[v->n_release++] = num;
		if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
			i++;
			continue;
		}
		break;
	}
	/* pre-release */
	{
		size_t j = i;
		int kind = 0;

		skip_sep(s, &j);
		if (word(s, &j, "alpha") || word(s, &j, "a"))
			kind = 1;
		else if (word(s, &j, "beta") || word(s, &j, "b"))
			kind = 2;
		else if (word(s, &j, "preview") || word(s, &j, "pre") ||
			 word(s, &j, "rc") || word(s, &j, "c"))
			kind = 3;
		if (kind) {
			v->pre_kind = kind;
			skip_sep(s, &j);
			if (read_num(s, &j, &num) == 0)
				v->pre = num;
			i = j;
		}
	}
	/* post-release: .postN, -N, .revN, .rN */
	{
		size_t j = i;

		if (s[j] == '-' && isdigit((unsigned char)s[j + 1])) {
			j++;
			if (read_num(s, &j, &num) != 0)
				return -1;
			v->post = num;
			i = j;
		} else {
			skip_sep(s, &j);
			if (word(s, &j, "post") || word(s, &j, "rev") ||
			    word(s, &j, "r")) {
				skip_sep(s, &j);
				v->post = read_num(s, &j, &num) == 0 ? num : 0;
				i = j;
			}
		}
	}
	/* dev-release */
	{
		size_t j = i;

		skip_sep(s, &j);
		if (word(s, &j, "dev")) {
			skip_sep(s, &j);
			v->dev = read_num(s, &j, &num) == 0 ? num : 0;
			i = j;
		}
	}
	if (s[i] == '+') {
		if (s[i + 1] == '\0')
			return -1;
		v->local = s + i + 1;
		for (size_t k = i + 1; s[k]; k++)
			if (!isalnum((unsigned char)s[k]) && s[k] != '.' &&
			    s[k] != '-' && s[k] != '_')
				return -1;
		i = n;
	}
	while (isspace((unsigned char)s[i]))
		i++;
	return i == n ? 0 : -1;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/* PEP 440 local labels: segments split on . - _; numbers sort above
 * strings, strings compare case-insensitively; more segments win. */
static int pep440_cmp_local(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b ? 0 : a == NULL ? -1 : 1;
	for (;;) {
		size_t na = strcspn(a, ".-_"), nb = strcspn(b, ".-_");
		int c;

		if (na == 0 && nb == 0)
			return 0;
		if (na == 0 || nb == 0)
			return na == 0 ? -1 : 1;
		int da = all_digits(a, na), db = all_digits(b, nb);
		if (da && db) {
			c = cmp_digits(a, na, b, nb);
		} else if (da != db) {
			c = da ? 1 : -1;
		} else {
			c = strncasecmp(a, b, na < nb ? na : nb);
			if (c == 0 && na != nb)
				c = na < nb ? -1 : 1;
			c = c < 0 ? -1 : c > 0;
		}
		if (c != 0)
			return c;
		a += na + (a[na] != '\0');
		b += nb + (b[nb] != '\0');
	}
}

/* packaging's _cmpkey: a dev release without pre or post sorts before
 * any pre-release of that release; no pre sorts after every pre. */
static void pep440_pre_key(const struct pep440 *v, int *kind, int64_t *n)
{
	if (v->pre_kind == 0 && v->post == PEP_NONE && v->dev != PEP_NONE) {
		*kind = -1, *n = 0;
	} else if (v->pre_kind == 0) {
		*kind = 4, *n = 0;
	} else {
		*kind = v->pre_kind, *n = v->pre;
	}
}

static tx_err pep440_cmp(const char *a, const char *b, int *res)
{
	struct pep440 va, vb;
	int c, ka, kb;
	int64_t na, nb;

	if (pep440_parse(a, &va) != 0 || pep440_parse(b, &vb) != 0)
		return TX_ERR_INVALID;
	if ((c = cmp_i64(va.epoch, vb.epoch)) != 0)
		goto done;
	/* release, trailing zeros insignificant */
	for (size_t i = 0; i < VER_MAX_PARTS; i++) {
		int64_t x = i < va.n_release ? va.release[i] : 0;
		int64_t y = i < vb.n_release ? vb.release[i] : 0;
		if ((c = cmp_i64(x, y)) != 0)
			goto done;
		if (i >= va.n_release && i >= vb.n_release)
			break;
	}
	pep440_pre_key(&va, &ka, &na);
	pep440_pre_key(&vb, &kb, &nb);
	if ((c = cmp_i64(ka, kb)) != 0 || (c = cmp_i64(na, nb)) != 0)
		goto done;
	if ((c = cmp_i64(va.post, vb.post)) != 0)
		goto done;
	/* no dev sorts after every dev */
	if ((c = cmp_i64(va.dev == PEP_NONE ? INT64_MAX : va.dev,
			 vb.dev == PEP_NONE ? INT64_MAX : vb.dev)) != 0)
		goto done;
	c = pep440_cmp_local(va.local, vb.local);
done:
	*res = c;
	return TX_OK;
}

/* ---- Maven ComparableVersion ---- */

/*
 * Maven's algorithm (org.apache.maven.artifact.versioning) on a flat
 * array: items are integers, qualifiers (strings) or the start of a
 * sub-list (after '-' or a digit/letter switch). A sub-list runs to the
 * end of the version, so nesting is a depth counter per item.
 */
enum mv_kind { MV_INT, MV_STR, MV_LIST };

struct mv_item {
	enum mv_kind kind;
	int depth;             /* list nesting of this item */
	const char *s;         /* digits or qualifier text */
	size_t len;
	int followed_by_digit; /* for a/b/m shorthands */
};

struct mv {
	struct mv_item it[VER_MAX_PARTS * 2];
	size_t n;
	char low[VER_MAX_LEN + 1];
};

static const char *const mv_qualifiers[] = {
	"alpha", "beta", "milestone", "rc", "snapshot", "", "sp",
};
#define MV_RELEASE 5

/* The rank of a qualifier: known ones 0..6; unknown ones 7 (then by
 * text). */
static int mv_qual_rank(const struct mv_item *q, const char **text,
			size_t *len)
{
	const char *s = q->s;
	size_t n = q->len;

	if (q->followed_by_digit && n == 1) {
		if (s[0] == 'a')
			s = "alpha", n = 5;
		else if (s[0] == 'b')
			s = "beta", n = 4;
		else if (s[0] == 'm')
			s = "milestone", n = 9;
	}
	if ((n == 2 && memcmp(s, "ga", 2) == 0) ||
	    (n == 5 && memcmp(s, "final", 5) == 0) ||
	    (n == 7 && memcmp(s, "release", 7) == 0))
		s = "", n = 0;
	if (n == 2 && memcmp(s, "cr", 2) == 0)
		s = "rc", n = 2;
	*text = s;
	*len = n;
	for (int i = 0; i < 7; i++)
		if (strlen(mv_qualifiers[i]) == n &&
		    memcmp(mv_qualifiers[i], s, n) == 0)
			return i;
	return 7;
}

static int mv_push(struct mv *v, enum mv_kind k, int depth, const char *s,
		   size_t len, int fbd)
{
	if (v->n == sizeof(v->it) / sizeof(v->it[0]))
		return -1;
	v->it[v->n++] = (struct mv_item){ k, depth, s, len, fbd };
	return 0;
}

static int mv_add_token(struct mv *v, int depth, int is_digit, const char *s,
			size_t len, int fbd)
{
	if (len == 0)
		return mv_push(v, MV_INT, depth, "0", 1, 0);
	return mv_push(v, is_digit ? MV_INT : MV_STR, depth, s, len, fbd);
}

static int mv_is_null(const struct mv_item *x)
{
	const char *t;
	size_t n;

	if (x->kind == MV_INT) {
		for (size_t i = 0; i < x->len; i++)
			if (x->s[i] != '0')
				return 0;
		return 1;
	}
	if (x->kind == MV_STR)
		return mv_qual_rank(x, &t, &n) == MV_RELEASE;
	return 0;
}

static int mv_parse(const char *in, struct mv *v)
{
	size_t n = strlen(in), start = 0;
	int depth = 0, is_digit = 0;
	const char *s;

	v->n = 0;
	if (n == 0 || n > VER_MAX_LEN)
		return -1;
	for (size_t i = 0; i < n; i++)
		v->low[i] = (char)tolower((unsigned char)in[i]);
	v->low[n] = '\0';
	s = v->low;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (mv_add_token(v, depth, is_digit, s + start, i - start, 0))
				return -1;
			start = i + 1;
		} else if (c == '-') {
			if (mv_add_token(v, depth, is_digit, s + start, i - start, 0))
				return -1;
			start = i + 1;
			if (mv_push(v, MV_LIST, depth, NULL, 0, 0))
				return -1;
			depth++;
		} else if (isdigit((unsigned char)c)) {
			if (!is_digit && i > start) {
				if (mv_push(v, MV_STR, depth, s + start, i - start, 1) ||
				    mv_push(v, MV_LIST, depth, NULL, 0, 0))
					return -1;
				depth++;
				start = i;
			}
			is_digit = 1;
		} else {
			if (is_digit && i > start) {
				if (mv_push(v, MV_INT, depth, s + start, i - start, 0) ||
				    mv_push(v, MV_LIST, depth, NULL, 0, 0))
					return -1;
				depth++;
				start = i;
			}
			is_digit = 0;
		}
	}
	if (n > start && mv_add_token(v, depth, is_digit, s + start, n - start, 0))
		return -1;
	return 0;
}

/*
 * The items of the list that starts at index *pos at the given depth:
 * normalised as Maven does (trailing null items dropped, innermost list
 * first). We mark dropped items by setting kind to -1 via a flag array.
 */
static void mv_normalize(struct mv *v, unsigned char *dead)
{
	/* Lists close at the end, innermost first. For each depth d from the
	 * deepest, walk that list's direct items backwards. */
	int maxd = 0;

	for (size_t i = 0; i < v->n; i++)
		if (v->it[i].depth > maxd)
			maxd = v->it[i].depth;
	for (int d = maxd; d >= 0; d--) {
		for (size_t i = v->n; i-- > 0;) {
			const struct mv_item *x = &v->it[i];
			if (dead[i] || x->depth != d)
				continue;
			if (x->kind == MV_LIST) {
				/* empty list (all its items dead) is null */
				int empty = 1;
				for (size_t k = i + 1; k < v->n; k++)
					if (!dead[k] && v->it[k].depth > d) {
						empty = 0;
						break;
					}
				if (empty)
					dead[i] = 1;
				/* Maven goes on past a non-null list */
				continue;
			}
			if (mv_is_null(x)) {
				dead[i] = 1;
				continue;
			}
			break;
		}
	}
}

struct mv_cursor {
	const struct mv *v;
	const unsigned char *dead;
	size_t i;
};

/* The next live item at exactly depth d, or NULL at the end of the list
 * (an item of lower depth or the end). */
static const struct mv_item *mv_next(struct mv_cursor *c, int d, size_t *idx)
{
	while (c->i < c->v->n) {
		const struct mv_item *x = &c->v->it[c->i];
		if (x->depth < d)
			return NULL;
		if (c->dead[c->i] || x->depth > d) {
			c->i++;
			continue;
		}
		*idx = c->i++;
		return x;
	}
	return NULL;
}

static int mv_cmp_list(struct mv_cursor *a, struct mv_cursor *b, int d);

/* Compare an item with "null" (absent). */
static int mv_cmp_null(struct mv_cursor *c, const struct mv_item *x, int d)
{
	const char *t;
	size_t n;

	if (x->kind == MV_INT)
		return mv_is_null(x) ? 0 : 1;
	if (x->kind == MV_STR) {
		int r = mv_qual_rank(x, &t, &n);
		return r < MV_RELEASE ? -1 : r > MV_RELEASE;
	}
	/* a list vs null: its first item vs null (empty: 0) */
	{
		size_t idx;
		const struct mv_item *f = mv_next(c, d + 1, &idx);
		return f == NULL ? 0 : mv_cmp_null(c, f, d + 1);
	}
}

static int mv_cmp_items(struct mv_cursor *ca, const struct mv_item *x,
			struct mv_cursor *cb, const struct mv_item *y, int d)
{
	const char *ta, *tb;
	size_t na, nb;

	if (x->kind == MV_INT && y->kind == MV_INT)
		return cmp_digits(x->s, x->len, y->s, y->len);
	if (x->kind == MV_INT)
		return 1;   /* int > string, int > list */
	if (y->kind == MV_INT)
		return -1;
	if (x->kind == MV_STR && y->kind == MV_STR) {
		int ra = mv_qual_rank(x, &ta, &na), rb = mv_qual_rank(y, &tb, &nb);
		if (ra != rb)
			return ra < rb ? -1 : 1;
		if (ra < 7)
			return 0;
		int c = memcmp(ta, tb, na < nb ? na : nb);
		if (c == 0 && na != nb)
			c = na < nb ? -1 : 1;
		return c < 0 ? -1 : c > 0;
	}
	if (x->kind == MV_STR)
		return -1;  /* string < list */
	if (y->kind == MV_STR)
		return 1;
	return mv_cmp_list(ca, cb, d + 1);
}

static int mv_cmp_list(struct mv_cursor *a, struct mv_cursor *b, int d)
{
	for (;;) {
		size_t ia, ib;
		const struct mv_item *x = mv_next(a, d, &ia);
		const struct mv_item *y = mv_next(b, d, &ib);
		int c;

		if (x == NULL && y == NULL)
			return 0;
		if (x == NULL)
			c = -mv_cmp_null(b, y, d);
		else if (y == NULL)
			c = mv_cmp_null(a, x, d);
		else
			c = mv_cmp_items(a, x, b, y, d);
		if (c != 0)
			return c;
	}
}

static tx_err maven_cmp(const char *a, const char *b, int *res)
{
	static __thread struct mv va, vb;
	unsigned char da[VER_MAX_PARTS * 2] = { 0 }, db[VER_MAX_PARTS * 2] = { 0 };
	struct mv_cursor ca, cb;

	if (mv_parse(a, &va) != 0 || mv_parse(b, &vb) != 0)
		return TX_ERR_INVALID;
	mv_normalize(&va, da);
	mv_normalize(&vb, db);
	ca = (struct mv_cursor){ &va, da, 0 };
	cb = (struct mv_cursor){ &vb, db, 0 };
	*res = mv_cmp_list(&ca, &cb, 0);
	return TX_OK;
}

/* ---- dpkg ---- */

static int dpkg_order(int c)
{
	if (isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

/* dpkg's verrevcmp over [a, a+na) and [b, b+nb). */
static int dpkg_verrevcmp(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0, j = 0;

	while (i < na || j < nb) {
		int first_diff = 0;

		while ((i < na && !isdigit((unsigned char)a[i])) ||
		       (j < nb && !isdigit((unsigned char)b[j]))) {
			int ac = i < na ? dpkg_order((unsigned char)a[i]) : 0;
			int bc = j < nb ? dpkg_order((unsigned char)b[j]) : 0;
			if (ac != bc)
				return ac < bc ? -1 : 1;
			i++, j++;
		}
		while (i < na && a[i] == '0')
			i++;
		while (j < nb && b[j] == '0')
			j++;
		while (i < na && isdigit((unsigned char)a[i]) && j < nb &&
		       isdigit((unsigned char)b[j])) {
			if (!first_diff)
				first_diff = a[i] - b[j];
			i++, j++;
		}
		if (i < na && isdigit((unsigned char)a[i]))
			return 1;
		if (j < nb && isdigit((unsigned char)b[j]))
			return -1;
		if (first_diff)
			return first_diff < 0 ? -1 : 1;
	}
	return 0;
}

struct debver {
	int64_t epoch;
	const char *up;
	size_t up_len;
	const char *rev;
	size_t rev_len;
};

static int deb_parse(const char *s, struct debver *v)
{
	size_t n = strlen(s);
	const char *colon = strchr(s, ':'), *dash;

	memset(v, 0, sizeof(*v));
	if (n == 0 || n > VER_MAX_LEN)
		return -1;
	if (colon != NULL) {
		size_t i = 0;
		if (read_num(s, &i, &v->epoch) != 0 || s + i != colon)
			return -1;
		s = colon + 1;
		n = strlen(s);
	}
	dash = strrchr(s, '-');
	v->up = s;
	v->up_len = dash ? (size_t)(dash - s) : n;
	v->rev = dash ? dash + 1 : "";
	v->rev_len = dash ? strlen(dash + 1) : 0;
	if (v->up_len == 0 || !isdigit((unsigned char)v->up[0]))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!isalnum((unsigned char)c) && !strchr(".+-~:", c))
			return -1;
	}
	return 0;
}

static tx_err debian_cmp(const char *a, const char *b, int *res)
{
	struct debver va, vb;
	int c;

	if (deb_parse(a, &va) != 0 || deb_parse(b, &vb) != 0)
		return TX_ERR_INVALID;
	c = cmp_i64(va.epoch, vb.epoch);
	if (c == 0)
		c = dpkg_verrevcmp(va.up, va.up_len, vb.up, vb.up_len);
	if (c == 0)
		c = dpkg_verrevcmp(va.rev, va.rev_len, vb.rev, vb.rev_len);
	*res = c;
	return TX_OK;
}

/* ---- entry point ---- */

tx_err supply_version_cmp(enum supply_eco eco, const char *a, const char *b,
			  int *res)
{
	tx_err rc = TX_ERR_INVALID;

	*res = 0;
	if (a == NULL || b == NULL)
		goto out;
	switch (eco) {
	case SUPPLY_ECO_SEMVER:
	case SUPPLY_ECO_NPM:
	case SUPPLY_ECO_GO:
		rc = semver_cmp(a, b, res);
		break;
	case SUPPLY_ECO_PYPI:
		rc = pep440_cmp(a, b, res);
		break;
	case SUPPLY_ECO_MAVEN:
		rc = maven_cmp(a, b, res);
		break;
	case SUPPLY_ECO_DEBIAN:
		rc = debian_cmp(a, b, res);
		break;
	default:
		break;
	}
	if (rc != TX_OK)
		*res = 0;
out:
	return rc;
}
