/* pattern/internal.h: the AST and the helpers the pattern files share. */
#ifndef TRILEX_PATTERN_INTERNAL_H
#define TRILEX_PATTERN_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>

#include "pattern/pattern.h"

enum px_kind {
	PX_FOLLOWEDBY, PX_OBS_OR, PX_OBS_AND, /* a, b: observation expressions */
	PX_OBS,        /* a: a comparison expression in brackets */
	PX_STARTSTOP, PX_WITHIN, PX_REPEATS,  /* a: the qualified expression */
	PX_OR, PX_AND, /* a, b: comparison expressions */
	PX_TEST,       /* t */
};

enum px_step_kind { STEP_KEY, STEP_INDEX, STEP_STAR };

struct px_step {
	enum px_step_kind kind;
	const char *key;   /* STEP_KEY: arena-owned, len bytes (may hold NUL) */
	size_t len;
	int64_t index;     /* STEP_INDEX */
};

struct px_path {
	const char *type;  /* object type */
	size_t type_len;
	struct px_step *steps;
	size_t n_steps;    /* >= 1; steps[0] is the first property */
};

enum px_op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_LIKE, OP_MATCHES,
	OP_ISSUBSET, OP_ISSUPERSET, OP_EXISTS,
};

enum px_lit_kind { LIT_STR, LIT_INT, LIT_FLOAT, LIT_BOOL, LIT_BIN, LIT_TS };

struct px_lit {
	enum px_lit_kind kind;
	int from_hex;      /* LIT_BIN written h'...' */
	const char *s;     /* LIT_STR, LIT_BIN: arena-owned bytes */
	size_t len;
	int64_t i;         /* LIT_INT, LIT_BOOL, LIT_TS (us) */
	double f;          /* LIT_FLOAT */
	const char *raw;   /* the literal as written, for printing */
	size_t raw_len;
};

struct px_test {
	struct px_path path;
	enum px_op op;
	int negated;
	struct px_lit lit;
	struct px_lit *set;  /* OP_IN */
	size_t n_set;
	pcre2_code *re;      /* OP_MATCHES (and OP_LIKE, translated): UTF,
	                        DOTALL, from the NFC form of the constant */
	/* a path ending on a _hex or _bin property: the constant as bytes
	 * (bin_ok 0 when a code point is U+0100 or above, 9.6.4) and, for
	 * MATCHES and LIKE, the regex over bytes (no UTF) */
	int bin_ok;
	const char *bin;
	size_t bin_len;
	pcre2_code *re_bin;
};

struct px_node {
	enum px_kind kind;
	size_t pos;          /* byte offset in the text */
	struct px_node *a, *b;
	struct px_test *t;
	int64_t start, stop; /* PX_STARTSTOP, us */
	int64_t within_us;   /* PX_WITHIN */
	int64_t repeats;     /* PX_REPEATS */
};

struct pattern {
	struct tx_arena arena;
	struct px_node *root;
	char *text;
	size_t len;
	pcre2_code **res;    /* every compiled regex, for pattern_free */
	size_t n_res, cap_res;
	size_t n_obs;
};

/* Arena allocation of a pattern (zeroed). NULL when out of memory. */
void *pattern_alloc(struct pattern *p, size_t n);

/* ---- values (pattern/value.c) ---- */

/* An IPv4 or IPv6 network: family 4 or 6, address bytes, prefix length.
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is kept as IPv4. Host bits cleared. */
struct px_net {
	int family;
	uint8_t addr[16];
	int prefix;
};

/* Parse "a.b.c.d", "a.b.c.d/n", IPv6 and IPv6/n; false on anything else. */
bool pattern_net_parse(const char *s, size_t len, struct px_net *out);
/* a within b (a's prefix at least b's, same leading bits). */
bool pattern_net_subset(const struct px_net *a, const struct px_net *b);
bool pattern_net_equal(const struct px_net *a, const struct px_net *b);
/* Clear the bits past prefix in addr. */
void pattern_net_mask(struct px_net *n, int prefix);

/* LIKE with % and _ over UTF-8 code points (reference form). */
bool pattern_like(const char *s, size_t len, const char *pat, size_t plen);
/* LIKE over bytes: '_' is one byte (binary values). */
bool pattern_like_bytes(const char *s, size_t len, const char *pat, size_t plen);
/* A UTF-8 string as the bytes of its code points, when all are below
 * U+0100 (out has room for len bytes); false otherwise. */
bool pattern_latin1(const char *s, size_t len, char *out, size_t *out_len);
/*
 * The NFC form of s (STIX 2.1 9.6.2, for LIKE and MATCHES): s itself when
 * it is ASCII, else written into buf (bufsz bytes) or, when longer, into
 * memory returned in *owned for the caller to free. NULL when s is not
 * UTF-8 or memory runs out.
 */
const char *pattern_nfc(const char *s, size_t len, char *buf, size_t bufsz, size_t *out_len,
		   char **owned);
/*
 * Compile the regex of a MATCHES (op OP_MATCHES: src is the regex) or
 * LIKE (OP_LIKE: src is the LIKE pattern) test, src in NFC: DOTALL, and
 * UTF unless binary, when it is compiled over the bytes of src's code
 * points. NULL with *ec 0 when binary and src has a code point of U+0100
 * or above; NULL with the PCRE2 error in *ec, *eo otherwise.
 */
pcre2_code *pattern_compile_re(enum px_op op, const char *src, size_t len, bool binary,
			  int *ec, size_t *eo);
/* True if a property of this name holds binary (ends in _hex or _bin). */
bool pattern_key_binary(const char *key, size_t len);
/* True if the last key of path names a binary property. */
bool pattern_path_binary(const struct px_path *path);
/* The PCRE2 source text equivalent to a LIKE pattern (caller frees). */
char *pattern_like_to_regex(const char *pat, size_t plen, size_t *out_len);
/* Decode base64 (standard, with padding) / hex into out (caller frees). */
bool pattern_base64_decode(const char *s, size_t len, char **out, size_t *out_len);
bool pattern_hex_decode(const char *s, size_t len, char **out, size_t *out_len);
/* Append the text of a path to b; canon writes every list index as [*]. */
tx_err pattern_path_canon(const struct px_path *path, int canon, struct tx_buf *b);
/* True if key (len bytes) is an identifier that needs no quotes. */
bool pattern_ident(const char *key, size_t len);

#endif
