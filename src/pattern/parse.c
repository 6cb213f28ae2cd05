/*
 * pattern/parse.c: lexer and recursive-descent parser of STIX 2.1 patterns.
 *
 * Precedence, loosest first: FOLLOWEDBY, OR, AND between observation
 * expressions; qualifiers bind to the observation expression before them;
 * OR then AND between comparison expressions inside brackets. All binary
 * operators associate to the left. Keywords are upper case, true/false
 * lower case, as in the grammar. Errors say where (byte position from 1)
 * and what was expected.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/internal.h"

void *pattern_alloc(struct pattern *p, size_t n)
{
	return tx_arena_alloc(&p->arena, n);
}

void pattern_free(pattern *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_res; i++)
		pcre2_code_free(p->res[i]);
	free(p->res);
	tx_arena_free(&p->arena);
	free(p->text);
	free(p);
}

size_t pattern_n_observations(const pattern *p)
{
	return p->n_obs;
}

/* ---- lexer ---- */

enum tok {
	T_EOF, T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN, T_COLON, T_DOT, T_COMMA,
	T_STAR, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_IDENT, T_STRING, T_INT,
	T_FLOAT, T_BIN, T_HEX, T_TS, T_BOOL,
	T_AND, T_OR, T_NOT, T_FOLLOWEDBY, T_LIKE, T_MATCHES, T_ISSUBSET,
	T_ISSUPERSET, T_EXISTS, T_IN, T_START, T_STOP, T_SECONDS, T_WITHIN,
	T_REPEATS, T_TIMES, T_LAST,
};

static const struct {
	const char *word;
	enum tok tok;
} keywords[] = {
	{ "AND", T_AND }, { "OR", T_OR }, { "NOT", T_NOT },
	{ "FOLLOWEDBY", T_FOLLOWEDBY }, { "LIKE", T_LIKE },
	{ "MATCHES", T_MATCHES }, { "ISSUBSET", T_ISSUBSET },
	{ "ISSUPERSET", T_ISSUPERSET }, { "EXISTS", T_EXISTS }, { "IN", T_IN },
	{ "START", T_START }, { "STOP", T_STOP }, { "SECONDS", T_SECONDS },
	{ "WITHIN", T_WITHIN }, { "REPEATS", T_REPEATS }, { "TIMES", T_TIMES },
	{ "LAST", T_LAST },
};

struct parser {
	pattern *p;
	const char *s;
	size_t len, pos;
	/* the current token */
	enum tok tok;
	size_t tpos, tend;    /* its bytes: s[tpos..tend) */
	int hyphen;           /* T_IDENT with a hyphen */
	struct px_lit lit;    /* literal tokens, decoded */
	int depth;
	struct tx_error *err;
	tx_err rc;
};

static tx_err fail(struct parser *ps, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static tx_err fail(struct parser *ps, size_t pos, const char *fmt, ...)
{
	char msg[TX_ERROR_MSG_MAX];
	va_list ap;

	if (ps->rc != TX_OK)
		return ps->rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->rc = tx_error_set(ps->err, TX_ERR_INVALID, "position %zu: %s", pos + 1, msg);
	return ps->rc;
}

static tx_err nomem(struct parser *ps)
{
	if (ps->rc == TX_OK)
		ps->rc = tx_error_set(ps->err, TX_ERR_NOMEM, "out of memory");
	return ps->rc;
}

/* A printable description of the current token, for messages. */
static const char *found(struct parser *ps, char *buf, size_t n)
{
	if (ps->tok == T_EOF)
		return "end of pattern";
	size_t l = ps->tend - ps->tpos;
	if (l > 40)
		snprintf(buf, n, "'%.40s...'", ps->s + ps->tpos);
	else
		snprintf(buf, n, "'%.*s'", (int)l, ps->s + ps->tpos);
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	return buf;
}

static tx_err expected(struct parser *ps, const char *what)
{
	char buf[64];

	return fail(ps, ps->tpos, "expected %s, found %s", what, found(ps, buf, sizeof(buf)));
}

/* Length of a UTF-8 white space character at s (the grammar's WS set), 0 if none. */
static size_t space_len(const unsigned char *s, size_t left)
{
	if (left == 0)
		return 0;
	if (s[0] == ' ' || s[0] == '\t' || s[0] == '\v' || s[0] == '\r' ||
	    s[0] == '\n' || s[0] == '\f')
		return 1;
	if (left >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (left >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
		return 3;
	if (left >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 ||
	     s[2] == 0xaf))
		return 3;
	if (left >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3;
	if (left >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* Read a quoted body starting at the quote s[i]; decodes \' and \\.
 * Leaves the decoded bytes in the arena. */
static tx_err lex_quoted(struct parser *ps, size_t i, int escapes, const char **out,
			 size_t *out_len, size_t *end)
{
	size_t j = i + 1, n = 0;
	char *d;

	/* first pass: find the end and the decoded length */
	for (;;) {
		if (j >= ps->len)
			return fail(ps, i, "unterminated string (a ' is missing)");
		char c = ps->s[j];
		if (c == '\'')
			break;
		if (c == '\\' && escapes) {
			if (j + 1 < ps->len && (ps->s[j + 1] == '\'' || ps->s[j + 1] == '\\')) {
				j += 2, n++;
				continue;
			}
			return fail(ps, j, "invalid escape in string (only \\' and \\\\ are allowed)");
		}
		j++, n++;
	}
	if ((d = pattern_alloc(ps->p, n + 1)) == NULL)
		return nomem(ps);
	n = 0;
	for (size_t k = i + 1; k < j; k++) {
		if (ps->s[k] == '\\' && escapes)
			k++;
		d[n++] = ps->s[k];
	}
	*out = d;
	*out_len = n;
	*end = j + 1;
	return TX_OK;
}

static tx_err lex_number(struct parser *ps, size_t i)
{
	size_t j = i, dstart;
	int neg = 0;
	char buf[64];

	if (ps->s[j] == '+' || ps->s[j] == '-')
		neg = ps->s[j] == '-', j++;
	dstart = j;
	while (j < ps->len && is_digit(ps->s[j]))
		j++;
	if (j < ps->len && ps->s[j] == '.') {
		size_t fstart = ++j;
		while (j < ps->len && is_digit(ps->s[j]))
			j++;
		if (j == fstart)
			return fail(ps, i, "a float needs digits after the '.'");
		if (j - i >= sizeof(buf))
			return fail(ps, i, "number too long");
		memcpy(buf, ps->s + i, j - i);
		buf[j - i] = '\0';
		errno = 0;
		ps->lit.kind = LIT_FLOAT;
		ps->lit.f = strtod(buf, NULL);
		if (errno != 0 || !isfinite(ps->lit.f))
			return fail(ps, i, "float out of range");
		ps->tok = T_FLOAT;
	} else {
		if (j == dstart)
			return fail(ps, i, "expected digits after '%c'", ps->s[i]);
		if (ps->s[dstart] == '0' && j - dstart > 1)
			return fail(ps, i, "an integer may not start with 0");
		int64_t v = 0;
		for (size_t k = dstart; k < j; k++) {
			int dg = ps->s[k] - '0';
			if (v > (INT64_MAX - dg) / 10)
				return fail(ps, i, "integer out of range");
			v = v * 10 + dg;
		}
		ps->lit.kind = LIT_INT;
		ps->lit.i = neg ? -v : v;
		ps->tok = T_INT;
	}
	(void)neg;
	ps->tend = j;
	return TX_OK;
}

/* Past white space and comments from i: the first position of a token
 * (or the end) into *out. */
static tx_err skip_space(struct parser *ps, size_t i, size_t *out)
{
	const char *s = ps->s;
	size_t l;

	for (;;) {
		if ((l = space_len((const unsigned char *)s + i, ps->len - i)) > 0) {
			i += l;
			continue;
		}
		if (i + 1 < ps->len && s[i] == '/' && s[i + 1] == '*') {
			const char *e = NULL;
			for (size_t k = i + 2; k + 1 < ps->len; k++)
				if (s[k] == '*' && s[k + 1] == '/') {
					e = s + k;
					break;
				}
			if (e == NULL)
				return fail(ps, i, "unterminated comment");
			i = (size_t)(e - s) + 2;
			continue;
		}
		if (i + 1 < ps->len && s[i] == '/' && s[i + 1] == '/') {
			while (i < ps->len && s[i] != '\n' && s[i] != '\r')
				i++;
			continue;
		}
		break;
	}
	*out = i;
	return TX_OK;
}

/* The body of t'...' at i (blen bytes) as a timestamp literal. */
static tx_err lex_ts(struct parser *ps, size_t i, const char *body, size_t blen)
{
	char tb[64];
	int64_t us;

	if (blen >= sizeof(tb) || blen < 20)
		return fail(ps, i, "invalid timestamp (expected t'YYYY-MM-DDThh:mm:ss[.s+]Z')");
	memcpy(tb, body, blen);
	tb[blen] = '\0';
	if (tb[4] != '-' || tb[7] != '-' || tb[10] != 'T' || tb[13] != ':' ||
	    tb[16] != ':' || tb[blen - 1] != 'Z' ||
	    tx_time_parse(tb, &us, NULL) != TX_OK)
		return fail(ps, i, "invalid timestamp (expected t'YYYY-MM-DDThh:mm:ss[.s+]Z')");
	ps->lit.kind = LIT_TS;
	ps->lit.i = us;
	ps->tok = T_TS;
	return TX_OK;
}

/* The body of h'...' (hex) or b'...' (base64) at i as a binary literal,
 * decoded into the pattern's arena. */
static tx_err lex_bytes(struct parser *ps, size_t i, char c, const char *body,
			size_t blen)
{
	char *bytes = NULL, *d;
	size_t n = 0;
	bool ok = c == 'h' ? pattern_hex_decode(body, blen, &bytes, &n)
			   : pattern_base64_decode(body, blen, &bytes, &n);

	if (!ok)
		return fail(ps, i, c == 'h' ? "invalid hex literal (pairs of hex digits)"
					    : "invalid binary literal (base64 with padding)");
	if ((d = pattern_alloc(ps->p, n + 1)) == NULL) {
		free(bytes);
		return nomem(ps);
	}
	if (n)
		memcpy(d, bytes, n);
	free(bytes);
	ps->lit.kind = LIT_BIN;
	ps->lit.from_hex = c == 'h';
	ps->lit.s = d;
	ps->lit.len = n;
	ps->tok = c == 'h' ? T_HEX : T_BIN;
	return TX_OK;
}

/* An identifier at i: a keyword, a boolean, or a name (ps->hyphen set
 * when it holds a '-'). */
static void lex_word(struct parser *ps, size_t i)
{
	const char *s = ps->s;
	size_t j = i + 1;

	while (j < ps->len && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '-')) {
		if (s[j] == '-')
			ps->hyphen = 1;
		j++;
	}
	ps->tend = j;
	ps->tok = T_IDENT;
	for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
		if (strlen(keywords[k].word) == j - i &&
		    memcmp(keywords[k].word, s + i, j - i) == 0)
			ps->tok = keywords[k].tok;
	if (j - i == 4 && memcmp(s + i, "true", 4) == 0)
		ps->tok = T_BOOL, ps->lit.kind = LIT_BOOL, ps->lit.i = 1;
	if (j - i == 5 && memcmp(s + i, "false", 5) == 0)
		ps->tok = T_BOOL, ps->lit.kind = LIT_BOOL, ps->lit.i = 0;
}

/* A token that starts with a letter or another character c at i: a
 * typed literal (h'', b'', t''), a word, or an error. */
static tx_err lex_other(struct parser *ps, size_t i, char c)
{
	const char *body;
	size_t blen;

	if (c == '+' || c == '-' || is_digit(c))
		return lex_number(ps, i) != TX_OK ? ps->rc : TX_OK;
	if (!is_alpha(c)) {
		char cb[8];
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
			snprintf(cb, sizeof(cb), "0x%02x", (unsigned char)c);
		else
			snprintf(cb, sizeof(cb), "'%c'", c);
		return fail(ps, i, "unexpected character %s", cb);
	}
	if ((c == 'h' || c == 'b' || c == 't') && i + 1 < ps->len &&
	    ps->s[i + 1] == '\'') {
		if (lex_quoted(ps, i + 1, 0, &body, &blen, &ps->tend) != TX_OK)
			return ps->rc;
		return c == 't' ? lex_ts(ps, i, body, blen)
				: lex_bytes(ps, i, c, body, blen);
	}
	lex_word(ps, i);
	return TX_OK;
}

static tx_err next(struct parser *ps)
{
	const char *s = ps->s;
	size_t i = ps->pos;

	if (skip_space(ps, i, &i) != TX_OK)
		return ps->rc;
	memset(&ps->lit, 0, sizeof(ps->lit));
	ps->tpos = i;
	ps->hyphen = 0;
	if (i >= ps->len) {
		ps->tok = T_EOF;
		ps->tend = i;
		ps->pos = i;
		return TX_OK;
	}
	char c = s[i];
	ps->tend = i + 1;
	switch (c) {
	case '[': ps->tok = T_LBRACK; break;
	case ']': ps->tok = T_RBRACK; break;
	case '(': ps->tok = T_LPAREN; break;
	case ')': ps->tok = T_RPAREN; break;
	case ':': ps->tok = T_COLON; break;
	case ',': ps->tok = T_COMMA; break;
	case '*': ps->tok = T_STAR; break;
	case '=':
		ps->tok = T_EQ;
		if (i + 1 < ps->len && s[i + 1] == '=')
			ps->tend++;
		break;
	case '!':
		if (i + 1 < ps->len && s[i + 1] == '=') {
			ps->tok = T_NE;
			ps->tend++;
			break;
		}
		return fail(ps, i, "unexpected '!' (did you mean '!=')");
	case '<':
		ps->tok = T_LT;
		if (i + 1 < ps->len && s[i + 1] == '=')
			ps->tok = T_LE, ps->tend++;
		else if (i + 1 < ps->len && s[i + 1] == '>')
			ps->tok = T_NE, ps->tend++;
		break;
	case '>':
		ps->tok = T_GT;
		if (i + 1 < ps->len && s[i + 1] == '=')
			ps->tok = T_GE, ps->tend++;
		break;
	case '.':
		if (i + 1 < ps->len && is_digit(s[i + 1])) {
			if (lex_number(ps, i) != TX_OK)
				return ps->rc;
			break;
		}
		ps->tok = T_DOT;
		break;
	case '\'':
		if (lex_quoted(ps, i, 1, &ps->lit.s, &ps->lit.len, &ps->tend) != TX_OK)
			return ps->rc;
		ps->lit.kind = LIT_STR;
		ps->tok = T_STRING;
		break;
	default:
		if (lex_other(ps, i, c) != TX_OK)
			return ps->rc;
		break;
	}
	ps->lit.raw = s + ps->tpos;
	ps->lit.raw_len = ps->tend - ps->tpos;
	ps->pos = ps->tend;
	return TX_OK;
}

/* ---- parser ---- */

static struct px_node *node(struct parser *ps, enum px_kind kind, size_t pos)
{
	struct px_node *n = pattern_alloc(ps->p, sizeof(*n));

	if (n == NULL) {
		nomem(ps);
		return NULL;
	}
	n->kind = kind;
	n->pos = pos;
	return n;
}

static tx_err enter(struct parser *ps)
{
	if (++ps->depth > PATTERN_MAX_DEPTH)
		return fail(ps, ps->tpos, "nested deeper than %d levels", PATTERN_MAX_DEPTH);
	return TX_OK;
}

static tx_err path_key(struct parser *ps, struct px_step *st)
{
	if (ps->tok == T_STRING) {
		st->key = ps->lit.s;
		st->len = ps->lit.len;
	} else if (ps->tok == T_IDENT && !ps->hyphen) {
		char *k = pattern_alloc(ps->p, ps->tend - ps->tpos + 1);
		if (k == NULL)
			return nomem(ps);
		memcpy(k, ps->s + ps->tpos, ps->tend - ps->tpos);
		st->key = k;
		st->len = ps->tend - ps->tpos;
	} else {
		return expected(ps, ps->tok == T_IDENT ? "a property name without '-' (quote it: 'name-with-hyphen')"
						       : "a property name");
	}
	st->kind = STEP_KEY;
	return next(ps);
}

static tx_err parse_path(struct parser *ps, struct px_path *path)
{
	struct px_step steps[64];
	size_t n = 0;

	if (ps->tok != T_IDENT)
		return expected(ps, "an object path (type:property)");
	char *type = pattern_alloc(ps->p, ps->tend - ps->tpos + 1);
	if (type == NULL)
		return nomem(ps);
	memcpy(type, ps->s + ps->tpos, ps->tend - ps->tpos);
	path->type = type;
	path->type_len = ps->tend - ps->tpos;
	if (next(ps) != TX_OK)
		return ps->rc;
	if (ps->tok != T_COLON)
		return expected(ps, "':' after the object type");
	if (next(ps) != TX_OK || path_key(ps, &steps[n++]) != TX_OK)
		return ps->rc;
	for (;;) {
		if (n == sizeof(steps) / sizeof(steps[0]))
			return fail(ps, ps->tpos, "object path longer than %zu steps", n);
		memset(&steps[n], 0, sizeof(steps[n]));
		if (ps->tok == T_DOT) {
			if (next(ps) != TX_OK || path_key(ps, &steps[n++]) != TX_OK)
				return ps->rc;
		} else if (ps->tok == T_LBRACK) {
			if (next(ps) != TX_OK)
				return ps->rc;
			if (ps->tok == T_STAR)
				steps[n].kind = STEP_STAR;
			else if (ps->tok == T_INT)
				steps[n].kind = STEP_INDEX, steps[n].index = ps->lit.i;
			else
				return expected(ps, "a list index or '*'");
			n++;
			if (next(ps) != TX_OK)
				return ps->rc;
			if (ps->tok != T_RBRACK)
				return expected(ps, "']' after the list index");
			if (next(ps) != TX_OK)
				return ps->rc;
		} else {
			break;
		}
	}
	if ((path->steps = pattern_alloc(ps->p, n * sizeof(*steps))) == NULL)
		return nomem(ps);
	memcpy(path->steps, steps, n * sizeof(*steps));
	path->n_steps = n;
	return TX_OK;
}

static int is_orderable(enum tok t)
{
	return t == T_INT || t == T_FLOAT || t == T_STRING || t == T_BIN ||
	       t == T_HEX || t == T_TS;
}

/* Keep re with the pattern, which frees it. */
static tx_err keep_re(struct parser *ps, pcre2_code *re)
{
	if (ps->p->n_res == ps->p->cap_res) {
		size_t cap = ps->p->cap_res ? ps->p->cap_res * 2 : 4;
		pcre2_code **r = realloc(ps->p->res, cap * sizeof(*r));
		if (r == NULL) {
			pcre2_code_free(re);
			return nomem(ps);
		}
		ps->p->res = r;
		ps->p->cap_res = cap;
	}
	ps->p->res[ps->p->n_res++] = re;
	return TX_OK;
}

/*
 * The constant of a LIKE or MATCHES test: put in NFC (9.6.2), compiled
 * (DOTALL, UTF), and for a binary property also as bytes with its byte
 * regex (9.6.4). pos: the constant's position, for errors.
 */
static tx_err compile_re(struct parser *ps, struct px_test *t, size_t pos)
{
	char *owned = NULL;
	size_t n = 0, eo = 0;
	int ec = 0;
	const char *nfc = pattern_nfc(t->lit.s, t->lit.len, NULL, 0, &n, &owned);
	pcre2_code *re;

	if (nfc == NULL)
		return fail(ps, pos, "the constant is not valid UTF-8");
	if (nfc != t->lit.s) {
		char *c = pattern_alloc(ps->p, n + 1);
		if (c == NULL) {
			free(owned);
			return nomem(ps);
		}
		memcpy(c, nfc, n);
		t->lit.s = c;
		t->lit.len = n;
	}
	free(owned);
	re = pattern_compile_re(t->op, t->lit.s, t->lit.len, false, &ec, &eo);
	if (re == NULL) {
		PCRE2_UCHAR msg[160];
		if (ec == PCRE2_ERROR_NOMEMORY)
			return nomem(ps);
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return fail(ps, pos, "invalid regular expression: %s at offset %zu",
			    (char *)msg, eo);
	}
	if (keep_re(ps, re) != TX_OK)
		return TX_ERR_NOMEM;
	t->re = re;
	if (!pattern_path_binary(&t->path))
		return TX_OK;
	char *b = pattern_alloc(ps->p, t->lit.len + 1);
	if (b == NULL)
		return nomem(ps);
	t->bin = b;
	t->bin_ok = pattern_latin1(t->lit.s, t->lit.len, b, &t->bin_len);
	if (t->bin_ok && t->op == OP_MATCHES) {
		/* valid as UTF but not over bytes (\x{100}): false on bytes */
		re = pattern_compile_re(t->op, t->lit.s, t->lit.len, true, &ec, &eo);
		if (re != NULL && keep_re(ps, re) != TX_OK)
			return TX_ERR_NOMEM;
		t->re_bin = re;
	}
	return TX_OK;
}

/* The kind of constant an IN list must not mix (9.6.1: integers and
 * floats may be mixed, nothing else). */
static const char *set_kind(const struct px_lit *l)
{
	switch (l->kind) {
	case LIT_STR: return "a string";
	case LIT_INT: case LIT_FLOAT: return "a number";
	case LIT_BOOL: return "a boolean";
	case LIT_BIN: return "a binary constant";
	case LIT_TS: return "a timestamp";
	}
	return "?";
}

static struct px_node *parse_comparison(struct parser *ps);

static struct px_node *parse_test(struct parser *ps)
{
	size_t pos = ps->tpos;
	struct px_node *n;
	struct px_test *t;

	if (ps->tok == T_LPAREN) {
		if (enter(ps) != TX_OK || next(ps) != TX_OK)
			return NULL;
		n = parse_comparison(ps);
		if (n == NULL)
			return NULL;
		if (ps->tok != T_RPAREN) {
			expected(ps, "')' or AND/OR");
			return NULL;
		}
		ps->depth--;
		return next(ps) == TX_OK ? n : NULL;
	}
	if ((n = node(ps, PX_TEST, pos)) == NULL ||
	    (t = n->t = pattern_alloc(ps->p, sizeof(*t))) == NULL) {
		nomem(ps);
		return NULL;
	}
	if (ps->tok == T_EXISTS) {
		t->op = OP_EXISTS;
		if (next(ps) != TX_OK || parse_path(ps, &t->path) != TX_OK)
			return NULL;
		return n;
	}
	if (parse_path(ps, &t->path) != TX_OK)
		return NULL;
	if (ps->tok == T_NOT) {
		t->negated = 1;
		if (next(ps) != TX_OK)
			return NULL;
	}
	size_t oppos = ps->tpos;
	switch (ps->tok) {
	case T_EQ: t->op = OP_EQ; break;
	case T_NE: t->op = OP_NE; break;
	case T_LT: t->op = OP_LT; break;
	case T_LE: t->op = OP_LE; break;
	case T_GT: t->op = OP_GT; break;
	case T_GE: t->op = OP_GE; break;
	case T_IN: t->op = OP_IN; break;
	case T_LIKE: t->op = OP_LIKE; break;
	case T_MATCHES: t->op = OP_MATCHES; break;
	case T_ISSUBSET: t->op = OP_ISSUBSET; break;
	case T_ISSUPERSET: t->op = OP_ISSUPERSET; break;
	default:
		expected(ps, "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)");
		return NULL;
	}
	if (next(ps) != TX_OK)
		return NULL;
	switch (t->op) {
	case OP_EQ:
	case OP_NE:
		if (!is_orderable(ps->tok) && ps->tok != T_BOOL) {
			expected(ps, "a constant (string, number, boolean, b'...', h'...', t'...')");
			return NULL;
		}
		t->lit = ps->lit;
		break;
	case OP_LT: case OP_LE: case OP_GT: case OP_GE:
		if (!is_orderable(ps->tok)) {
			expected(ps, "a string, number, b'...', h'...' or t'...' constant");
			return NULL;
		}
		t->lit = ps->lit;
		break;
	case OP_IN: {
		struct px_lit tmp[256];
		size_t k = 0;
		if (ps->tok != T_LPAREN) {
			expected(ps, "'(' starting the list of IN");
			return NULL;
		}
		if (next(ps) != TX_OK)
			return NULL;
		while (ps->tok != T_RPAREN) {
			if (k > 0) {
				if (ps->tok != T_COMMA) {
					expected(ps, "',' or ')' in the list of IN");
					return NULL;
				}
				if (next(ps) != TX_OK)
					return NULL;
			}
			if (!is_orderable(ps->tok) && ps->tok != T_BOOL) {
				expected(ps, "a constant in the list of IN");
				return NULL;
			}
			if (k == sizeof(tmp) / sizeof(tmp[0])) {
				fail(ps, ps->tpos, "more than %zu constants in an IN list", k);
				return NULL;
			}
			if (k > 0 && set_kind(&ps->lit) != set_kind(&tmp[0])) {
				fail(ps, ps->tpos, "an IN list must hold constants of one type: %s after %s",
				     set_kind(&ps->lit), set_kind(&tmp[0]));
				return NULL;
			}
			tmp[k++] = ps->lit;
			if (next(ps) != TX_OK)
				return NULL;
		}
		if (k && (t->set = pattern_alloc(ps->p, k * sizeof(tmp[0]))) == NULL) {
			nomem(ps);
			return NULL;
		}
		if (k)
			memcpy(t->set, tmp, k * sizeof(tmp[0]));
		t->n_set = k;
		break;
	}
	default: /* LIKE, MATCHES, ISSUBSET, ISSUPERSET take a string */
		if (ps->tok != T_STRING) {
			expected(ps, "a string constant");
			return NULL;
		}
		t->lit = ps->lit;
		if ((t->op == OP_MATCHES || t->op == OP_LIKE) &&
		    compile_re(ps, t, ps->tpos) != TX_OK)
			return NULL;
		if (t->op == OP_ISSUBSET || t->op == OP_ISSUPERSET) {
			struct px_net net;
			if (!pattern_net_parse(t->lit.s, t->lit.len, &net)) {
				fail(ps, ps->tpos, "%s needs an IPv4 or IPv6 address or CIDR",
				     t->op == OP_ISSUBSET ? "ISSUBSET" : "ISSUPERSET");
				return NULL;
			}
		}
		break;
	}
	(void)oppos;
	return next(ps) == TX_OK ? n : NULL;
}

static struct px_node *parse_comp_and(struct parser *ps)
{
	struct px_node *l = parse_test(ps);

	while (l != NULL && ps->tok == T_AND) {
		struct px_node *n = node(ps, PX_AND, ps->tpos);
		if (n == NULL || next(ps) != TX_OK)
			return NULL;
		n->a = l;
		if ((n->b = parse_test(ps)) == NULL)
			return NULL;
		l = n;
	}
	return l;
}

static struct px_node *parse_comparison(struct parser *ps)
{
	struct px_node *l = parse_comp_and(ps);

	while (l != NULL && ps->tok == T_OR) {
		struct px_node *n = node(ps, PX_OR, ps->tpos);
		if (n == NULL || next(ps) != TX_OK)
			return NULL;
		n->a = l;
		if ((n->b = parse_comp_and(ps)) == NULL)
			return NULL;
		l = n;
	}
	return l;
}

static struct px_node *parse_observations(struct parser *ps);

static struct px_node *parse_obs(struct parser *ps)
{
	size_t pos = ps->tpos;
	struct px_node *n;

	if (enter(ps) != TX_OK)
		return NULL;
	if (ps->tok == T_LBRACK) {
		if ((n = node(ps, PX_OBS, pos)) == NULL || next(ps) != TX_OK)
			return NULL;
		if ((n->a = parse_comparison(ps)) == NULL)
			return NULL;
		if (ps->tok != T_RBRACK) {
			expected(ps, "']' or AND/OR");
			return NULL;
		}
		ps->p->n_obs++;
	} else if (ps->tok == T_LPAREN) {
		if (next(ps) != TX_OK || (n = parse_observations(ps)) == NULL)
			return NULL;
		if (ps->tok != T_RPAREN) {
			expected(ps, "')' or AND/OR/FOLLOWEDBY");
			return NULL;
		}
	} else {
		expected(ps, "'[' or '(' starting an observation expression");
		return NULL;
	}
	ps->depth--;
	if (next(ps) != TX_OK)
		return NULL;
	/* qualifiers: at most one of each kind on an observation expression */
	unsigned seen = 0;
	for (;;) {
		struct px_node *q;
		size_t qpos = ps->tpos;
		unsigned bit = ps->tok == T_START ? 1 : ps->tok == T_WITHIN ? 2
			       : ps->tok == T_REPEATS ? 4 : 0;
		if (bit & seen) {
			fail(ps, qpos, "a second %s qualifier on one observation expression",
			     bit == 1 ? "START/STOP" : bit == 2 ? "WITHIN" : "REPEATS");
			return NULL;
		}
		seen |= bit;
		if (ps->tok == T_START) {
			if ((q = node(ps, PX_STARTSTOP, qpos)) == NULL || next(ps) != TX_OK)
				return NULL;
			if (ps->tok != T_TS) {
				expected(ps, "a t'...' timestamp after START");
				return NULL;
			}
			q->start = ps->lit.i;
			if (next(ps) != TX_OK)
				return NULL;
			if (ps->tok != T_STOP) {
				expected(ps, "STOP");
				return NULL;
			}
			if (next(ps) != TX_OK)
				return NULL;
			if (ps->tok != T_TS) {
				expected(ps, "a t'...' timestamp after STOP");
				return NULL;
			}
			q->stop = ps->lit.i;
		} else if (ps->tok == T_WITHIN) {
			if ((q = node(ps, PX_WITHIN, qpos)) == NULL || next(ps) != TX_OK)
				return NULL;
			double secs;
			if (ps->tok == T_INT && ps->lit.raw[0] != '-')
				secs = (double)ps->lit.i;
			else if (ps->tok == T_FLOAT && ps->lit.raw[0] != '-')
				secs = ps->lit.f;
			else {
				expected(ps, "a positive number of seconds after WITHIN");
				return NULL;
			}
			if (!(secs > 0) || secs > 9.2e12) {
				fail(ps, ps->tpos, "WITHIN needs a positive number of seconds (at most 9.2e12)");
				return NULL;
			}
			q->within_us = (int64_t)llround(secs * 1e6);
			if (q->within_us < 1)
				q->within_us = 1;
			if (next(ps) != TX_OK)
				return NULL;
			if (ps->tok != T_SECONDS) {
				expected(ps, "SECONDS");
				return NULL;
			}
		} else if (ps->tok == T_REPEATS) {
			if ((q = node(ps, PX_REPEATS, qpos)) == NULL || next(ps) != TX_OK)
				return NULL;
			if (ps->tok != T_INT || ps->lit.raw[0] == '-') {
				expected(ps, "a positive integer after REPEATS");
				return NULL;
			}
			if (ps->lit.i < 1 || ps->lit.i > 1000) {
				fail(ps, ps->tpos, "REPEATS needs a count from 1 to 1000");
				return NULL;
			}
			q->repeats = ps->lit.i;
			if (next(ps) != TX_OK)
				return NULL;
			if (ps->tok != T_TIMES) {
				expected(ps, "TIMES");
				return NULL;
			}
		} else {
			break;
		}
		q->a = n;
		n = q;
		if (next(ps) != TX_OK)
			return NULL;
	}
	return n;
}

static struct px_node *parse_obs_and(struct parser *ps)
{
	struct px_node *l = parse_obs(ps);

	while (l != NULL && ps->tok == T_AND) {
		struct px_node *n = node(ps, PX_OBS_AND, ps->tpos);
		if (n == NULL || next(ps) != TX_OK)
			return NULL;
		n->a = l;
		if ((n->b = parse_obs(ps)) == NULL)
			return NULL;
		l = n;
	}
	return l;
}

static struct px_node *parse_obs_or(struct parser *ps)
{
	struct px_node *l = parse_obs_and(ps);

	while (l != NULL && ps->tok == T_OR) {
		struct px_node *n = node(ps, PX_OBS_OR, ps->tpos);
		if (n == NULL || next(ps) != TX_OK)
			return NULL;
		n->a = l;
		if ((n->b = parse_obs_and(ps)) == NULL)
			return NULL;
		l = n;
	}
	return l;
}

static struct px_node *parse_observations(struct parser *ps)
{
	struct px_node *l = parse_obs_or(ps);

	while (l != NULL && ps->tok == T_FOLLOWEDBY) {
		struct px_node *n = node(ps, PX_FOLLOWEDBY, ps->tpos);
		if (n == NULL || next(ps) != TX_OK)
			return NULL;
		n->a = l;
		if ((n->b = parse_obs_or(ps)) == NULL)
			return NULL;
		l = n;
	}
	return l;
}

tx_err pattern_parse(const char *text, size_t len, pattern **out,
		     struct tx_error *err)
{
	struct parser ps = { 0 };
	pattern *p = NULL;
	tx_err rc = TX_OK;

	*out = NULL;
	if (len > PATTERN_MAX_LEN)
		return tx_error_set(err, TX_ERR_TOOBIG, "pattern longer than %d bytes",
				    PATTERN_MAX_LEN);
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->text = malloc(len + 1)) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (len)
		memcpy(p->text, text, len);
	p->text[len] = '\0';
	p->len = len;
	/* most patterns are short: a first chunk to fit, not 4 KB */
	tx_arena_init(&p->arena, len * 6 + 512 < 4000 ? len * 6 + 512 : 4000,
		      4000, 0);
	ps.p = p;
	ps.s = p->text;
	ps.len = len;
	ps.err = err;
	if (memchr(p->text, '\0', len) != NULL) {
		rc = fail(&ps, (size_t)((char *)memchr(p->text, '\0', len) - p->text),
			  "unexpected NUL byte");
		goto out;
	}
	if (next(&ps) != TX_OK) {
		rc = ps.rc;
		goto out;
	}
	if (ps.tok == T_EOF) {
		rc = fail(&ps, 0, "expected '[' or '(' starting an observation expression, found an empty pattern");
		goto out;
	}
	p->root = parse_observations(&ps);
	if (p->root != NULL && ps.tok != T_EOF)
		expected(&ps, "end of pattern, AND, OR, FOLLOWEDBY or a qualifier");
	if (ps.rc != TX_OK || p->root == NULL) {
		rc = ps.rc != TX_OK ? ps.rc : tx_error_set(err, TX_ERR_INTERNAL, "parser failed");
		goto out;
	}
	*out = p;
	p = NULL;
out:
	pattern_free(p);
	return rc;
}

tx_err pattern_validate(const char *text, size_t len, struct tx_error *err)
{
	pattern *p = NULL;
	tx_err rc = pattern_parse(text, len, &p, err);

	pattern_free(p);
	return rc;
}

/* ---- the parse tree as text ---- */

static const char *op_name(enum px_op op)
{
	static const char *names[] = { "=", "!=", "<", "<=", ">", ">=", "IN", "LIKE",
				       "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS" };
	return names[op];
}

static tx_err dump_lit(struct tx_buf *b, const struct px_lit *l)
{
	return tx_buf_printf(b, "%.*s", (int)l->raw_len, l->raw);
}

static tx_err dump(const struct px_node *n, int depth, struct tx_buf *b)
{
	tx_err rc;
	char t1[TX_TIME_BUF], t2[TX_TIME_BUF];

	if ((rc = tx_buf_printf(b, "%*s", depth * 2, "")) != TX_OK)
		return rc;
	switch (n->kind) {
	case PX_FOLLOWEDBY: rc = tx_buf_puts(b, "FOLLOWEDBY\n"); break;
	case PX_OBS_OR: rc = tx_buf_puts(b, "OR (observations)\n"); break;
	case PX_OBS_AND: rc = tx_buf_puts(b, "AND (observations)\n"); break;
	case PX_OBS: rc = tx_buf_puts(b, "observation [ ]\n"); break;
	case PX_OR: rc = tx_buf_puts(b, "OR\n"); break;
	case PX_AND: rc = tx_buf_puts(b, "AND\n"); break;
	case PX_STARTSTOP:
		tx_time_format(n->start, t1);
		tx_time_format(n->stop, t2);
		rc = tx_buf_printf(b, "START %s STOP %s\n", t1, t2);
		break;
	case PX_WITHIN:
		rc = tx_buf_printf(b, "WITHIN %.6g SECONDS\n", (double)n->within_us / 1e6);
		break;
	case PX_REPEATS:
		rc = tx_buf_printf(b, "REPEATS %lld TIMES\n", (long long)n->repeats);
		break;
	case PX_TEST: {
		const struct px_test *t = n->t;
		if (t->op == OP_EXISTS)
			rc = tx_buf_puts(b, "EXISTS ");
		if (rc == TX_OK)
			rc = tx_buf_puts(b, "comparison ");
		if (rc == TX_OK)
			rc = pattern_path_canon(&t->path, 0, b);
		if (t->op == OP_EXISTS) {
			if (rc == TX_OK)
				rc = tx_buf_puts(b, "\n");
			break;
		}
		if (rc == TX_OK)
			rc = tx_buf_printf(b, " %s%s ", t->negated ? "NOT " : "", op_name(t->op));
		if (t->op == OP_IN) {
			if (rc == TX_OK)
				rc = tx_buf_puts(b, "(");
			for (size_t i = 0; rc == TX_OK && i < t->n_set; i++) {
				if (i)
					rc = tx_buf_puts(b, ", ");
				if (rc == TX_OK)
					rc = dump_lit(b, &t->set[i]);
			}
			if (rc == TX_OK)
				rc = tx_buf_puts(b, ")");
		} else if (rc == TX_OK) {
			rc = dump_lit(b, &t->lit);
		}
		if (rc == TX_OK)
			rc = tx_buf_puts(b, "\n");
		break;
	}
	}
	if (rc == TX_OK && n->a)
		rc = dump(n->a, depth + 1, b);
	if (rc == TX_OK && n->b)
		rc = dump(n->b, depth + 1, b);
	return rc;
}

tx_err pattern_dump(const pattern *p, struct tx_buf *out)
{
	tx_err rc = tx_buf_puts(out, "pattern\n");

	return rc == TX_OK ? dump(p->root, 1, out) : rc;
}
