/*
 * pattern/index.c: which indicators could an event match?
 *
 * Built once from the active indicators, read-only afterwards, so any
 * number of threads may look up without locks. For each indicator the
 * builder derives from its AST a set of keys such that an observation the
 * pattern matches must hold at least one of them:
 *   - '=' and IN with strings and integers: (path, value) in one flat
 *     open-addressing table of 64-bit key hashes -> posting lists;
 *   - ISSUBSET, and '=' / IN with an address or CIDR: (path, family,
 *     prefix length, masked address) in the same table; a lookup masks
 *     the event's address to each prefix length the index holds (a
 *     prefix table per length instead of a trie: a 12-byte entry per
 *     prefix, and as many probes as distinct lengths, usually 2-4).
 *     IPv4 keys of /20 or longer also set their /20 block's bit in a
 *     128 KiB bitmap: an address whose block is clear skips those lengths;
 *   - LIKE and MATCHES with a literal run of 4+ bytes that every match
 *     must contain: one 8-gram (or 4-gram) of that run, through a 1 Mbit
 *     filter (two bits per gram, from one multiply) before the table;
 *     without one, the regular expression (LIKE
 *     translated) is compiled with the PCRE2 JIT and run on every value
 *     of its path;
 *   - AND needs one child's keys (the cheapest), OR all children's.
 * Patterns with nothing to key on (only NOT, !=, <, EXISTS, ...) are
 * candidates for every event. Keys only narrow the search: a candidate
 * goes through pattern_eval, so a key hash collision costs time, never a
 * wrong answer.
 *
 * Every table key also sets three bits of one word of the main Bloom
 * filter (at least 8 bits per key), which stops most misses before the
 * table.
 *
 * Memory: the pattern texts and ids in one block, 16 bytes per indicator,
 * 16 bytes per table slot (load at most 0.7) and 4 per posting.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/internal.h"

#define BLOOM_BITS (1u << 20)
/* IPv4 keys of prefix V4_BLOCK or longer are summarised by their /20
 * block in a 128 KiB bitmap: an address outside every such block skips
 * those prefix lengths without a probe. */
#define V4_BLOCK 20
#define V4_BLOCK_BITS (1u << V4_BLOCK)

enum kkind { K_STR = 1, K_INT, K_IP, K_GRAM, K_SCAN, K_GRAM8 };

struct kspec {
	enum kkind kind;
	uint64_t h;            /* table key (not K_SCAN) */
	uint64_t path;
	const struct px_test *t; /* K_SCAN */
	int family, prefix;    /* K_IP */
	uint32_t v4;           /* K_IP, family 4: the network, host order */
	uint64_t gram;         /* K_GRAM, K_GRAM8: the gram's bytes */
};

struct kset {
	bool ok;               /* false: nothing to key on */
	size_t n, cap;
	struct kspec *v;
	size_t cost;
};

struct ind {
	uint64_t off;          /* id then pattern text in ix->text */
	uint32_t text_len;
	uint8_t id_len;
	uint8_t multi;
};

struct slot {
	uint64_t h;            /* 0: empty */
	uint32_t start, count; /* in postings */
};

/* A path some key names, and which kinds of keys it has (1 << kkind). */
struct pathinfo {
	uint64_t path;         /* 0: empty */
	unsigned kinds;
};

struct scan {
	uint64_t path;
	pcre2_code *re;        /* JIT-compiled */
	uint32_t ind;
};

struct pattern_index {
	struct ind *inds;
	size_t n;
	char *text;
	size_t text_len;
	_Atomic(pattern *) *parsed;
	struct slot *slots;
	size_t mask;           /* slots - 1 */
	uint32_t *postings;
	size_t n_postings;
	uint32_t *always;
	size_t n_always;
	struct scan *scans;
	size_t n_scans;
	uint64_t *bloom;       /* three bits of one word per key hash: most
	                          misses stop here */
	size_t bloom_mask;     /* words - 1 */
	uint64_t *v4blocks;    /* V4_BLOCK_BITS: a bit per IPv4 /20 block that
	                          holds an IPv4 key of prefix /20 or longer;
	                          NULL when there is none */
	uint64_t *gbloom;      /* BLOOM_BITS: the gram keys alone, small enough
	                          to stay in cache while a string is scanned */
	struct pathinfo *paths; /* every path a key names, with its key kinds */
	size_t path_mask;
	uint8_t len4[33], len6[129];
	int lens4[33], lens6[129];
	size_t n_lens4, n_lens6;
	size_t bytes;
};

/* ---- key hashes ---- */

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h ? h : 1;
}

/* Bytes to 64 bits, a word at a time (the key is finished by mix). Only
 * ever compared with hashes made in the same process. */
static inline uint64_t hash_bytes(uint64_t h, const char *s, size_t len)
{
	h ^= (uint64_t)len * 0x9e3779b97f4a7c15ULL;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
		s += 8;
		len -= 8;
	}
	if (len > 0) {
		uint64_t w = 0;
		memcpy(&w, s, len);
		h = (h ^ w) * 0x94d049bb133111ebULL;
		h ^= h >> 29;
	}
	return h;
}

static inline uint64_t key_str(uint64_t path, const char *s, size_t len)
{
	return mix(path * 31 + hash_bytes(TX_HASH64_INIT ^ K_STR, s, len));
}

static inline uint64_t key_int(uint64_t path, int64_t v)
{
	return mix((path * 31 + K_INT) ^ ((uint64_t)v * 0x9e3779b97f4a7c15ULL));
}

/* An IPv4 network (address in host order, host bits clear). */
static inline uint64_t key_ip4(uint64_t path, uint32_t a, int prefix)
{
	return mix(path * 31 + ((TX_HASH64_INIT ^ K_IP) ^ ((uint64_t)a << 16 | 4u << 8 | (unsigned)prefix)));
}

static inline uint32_t v4_of(const struct px_net *n)
{
	return (uint32_t)n->addr[0] << 24 | (uint32_t)n->addr[1] << 16 | (uint32_t)n->addr[2] << 8 |
	       n->addr[3];
}

static inline uint64_t key_ip(uint64_t path, const struct px_net *n)
{
	if (n->family == 4)
		return key_ip4(path, v4_of(n), n->prefix);
	uint64_t h = tx_hash64(TX_HASH64_INIT ^ K_IP, n->addr, 16);

	return mix(path * 31 + (h ^ ((uint64_t)n->family << 8 | (uint64_t)n->prefix)));
}

static inline uint64_t key_gram(uint64_t path, uint32_t gram)
{
	return mix((path * 31 + K_GRAM) ^ ((uint64_t)gram * 0x9e3779b97f4a7c15ULL));
}

static inline uint64_t key_gram8(uint64_t path, uint64_t gram)
{
	return mix((path * 31 + K_GRAM8) ^ (mix(gram) * 0x9e3779b97f4a7c15ULL));
}

/* The gram filter: two bits of one word for a gram of a path, from one
 * multiply, so that every position of a string can be tried before a key
 * is made. gram_word is the word's index, gram_bits the bits. */
static inline uint64_t gram_hash(uint64_t path, uint64_t gram)
{
	return (gram ^ path) * 0xd6e8feb86659fd93ULL;
}

static inline size_t gram_word(uint64_t g)
{
	return (size_t)(g >> 50) & (BLOOM_BITS / 64 - 1);
}

static inline uint64_t gram_bits(uint64_t g)
{
	return 1ULL << ((g >> 38) & 63) | 1ULL << ((g >> 44) & 63);
}

/* The main filter: a word per key, three bits in it. */
static inline uint64_t bloom_bits(uint64_t h)
{
	uint64_t g = h * 0x9e3779b97f4a7c15ULL;

	return 1ULL << (g >> 58) | 1ULL << ((g >> 52) & 63) | 1ULL << ((g >> 46) & 63);
}

static inline size_t bloom_word(const pattern_index *ix, uint64_t h)
{
	return (size_t)(h >> 20) & ix->bloom_mask;
}

/* ---- deriving keys from an AST ---- */

static bool ks_add(struct kset *k, const struct kspec *s)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4;
		struct kspec *v = realloc(k->v, cap * sizeof(*v));
		if (v == NULL)
			return false;
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = *s;
	k->cost += s->kind == K_SCAN ? 1000 : s->kind == K_GRAM ? 4 : s->kind == K_GRAM8 ? 2 : 1;
	return true;
}

static bool lit_keys(struct kset *k, uint64_t path, const struct px_lit *l)
{
	struct kspec s = { .path = path };
	struct px_net net;

	switch (l->kind) {
	case LIT_STR:
		s.kind = K_STR;
		s.h = key_str(path, l->s, l->len);
		if (!ks_add(k, &s))
			return false;
		if (pattern_net_parse(l->s, l->len, &net)) {
			s.kind = K_IP;
			s.h = key_ip(path, &net);
			s.family = net.family;
			s.prefix = net.prefix;
			s.v4 = net.family == 4 ? v4_of(&net) : 0;
			return ks_add(k, &s);
		}
		return true;
	case LIT_INT:
		s.kind = K_INT;
		s.h = key_int(path, l->i);
		return ks_add(k, &s);
	case LIT_FLOAT:
		if (l->f != (double)(int64_t)l->f)
			return k->ok = false;
		s.kind = K_INT;
		s.h = key_int(path, (int64_t)l->f);
		return ks_add(k, &s);
	default:
		return k->ok = false;
	}
}

static bool common(unsigned char c)
{
	return strchr("./:-_=?&wthpcomnesairl", c) != NULL || c == 0;
}

/* An 8-gram (or, from shorter runs, a 4-gram) every match of a LIKE or
 * MATCHES test must contain, in gram[0..*glen); false if none. */
static bool find_gram(const struct px_test *t, unsigned char gram[8], size_t *glen)
{
	const char *s = t->lit.s;
	size_t n = t->lit.len, best_at = 0, best_len = 0;
	char run[512];
	size_t rl = 0;
	char best[512];

	if (t->op == OP_LIKE) {
		for (size_t i = 0; i <= n; i++) {
			if (i == n || s[i] == '%' || s[i] == '_') {
				if (rl > best_len) {
					memcpy(best, run, rl);
					best_len = rl;
				}
				rl = 0;
			} else if (rl < sizeof(run)) {
				run[rl++] = s[i];
			}
		}
	} else {
		/* Conservative: no alternation, no inline options; literal runs
		 * at the top level only, a quantified character dropped. */
		if (memchr(s, '|', n) || (n >= 2 && memmem(s, n, "(?", 2)))
			return false;
		int depth = 0;
		for (size_t i = 0; i <= n; i++) {
			char c = i < n ? s[i] : '\0';
			bool lit = false;
			char lc = c;
			size_t adv = 1;
			if (i < n && depth == 0) {
				if (c == '\\' && i + 1 < n) {
					char e = s[i + 1];
					adv = 2;
					if (!((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
					      (e >= '0' && e <= '9')))
						lit = true, lc = e;
				} else if (!strchr(".[]()?*+{}^$\\", c)) {
					lit = true;
				}
			}
			if (i < n && c == '\\' && depth > 0)
				adv = 2;
			if (i < n && c == '[') {
				/* skip a class: []...] and [^]...] included */
				size_t j = i + 1;
				if (j < n && s[j] == '^')
					j++;
				if (j < n && s[j] == ']')
					j++;
				while (j < n && s[j] != ']')
					j += s[j] == '\\' ? 2 : 1;
				adv = j - i + 1;
			} else if (i < n && c == '(') {
				depth++;
			} else if (i < n && c == ')') {
				depth--;
			}
			/* a quantifier after a literal makes it optional */
			size_t nx = i + adv;
			if (lit && nx < n && (s[nx] == '?' || s[nx] == '*' || s[nx] == '{'))
				lit = false;
			if (lit && rl < sizeof(run)) {
				run[rl++] = lc;
				if (nx < n && s[nx] == '+')
					lit = false; /* the run ends after a c+ */
			}
			if (!lit) {
				if (rl > best_len) {
					memcpy(best, run, rl);
					best_len = rl;
				}
				rl = 0;
			}
			i += adv - 1;
			if (i >= n)
				break;
		}
	}
	if (best_len < 4)
		return false;
	*glen = best_len >= 8 ? 8 : 4;
	int best_score = 99;
	for (size_t i = 0; i + *glen <= best_len; i++) {
		int sc = 0;
		for (size_t j = 0; j < *glen; j++)
			sc += common((unsigned char)best[i + j]);
		if (sc <= best_score)
			best_score = sc, best_at = i;
	}
	memcpy(gram, best + best_at, *glen);
	return true;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static bool test_keys(struct kset *k, const struct px_test *t)
{
	struct tx_buf b;
	uint64_t path;
	const struct px_step *last = NULL;

	k->ok = true;
	if (t->negated || t->op == OP_NE || t->op == OP_LT || t->op == OP_LE ||
	    t->op == OP_GT || t->op == OP_GE || t->op == OP_EXISTS || t->op == OP_ISSUPERSET)
		return k->ok = false;
	for (size_t i = 0; i < t->path.n_steps; i++)
		if (t->path.steps[i].kind == STEP_KEY)
			last = &t->path.steps[i];
	if (last && (ends_with(last->key, last->len, "_hex") || ends_with(last->key, last->len, "_bin")))
		return k->ok = false;
	tx_buf_init(&b, 4096);
	if (pattern_path_canon(&t->path, 1, &b) != TX_OK) {
		tx_buf_free(&b);
		return k->ok = false;
	}
	path = pattern_path_hash(b.data, b.len);
	tx_buf_free(&b);
	switch (t->op) {
	case OP_EQ:
		return lit_keys(k, path, &t->lit);
	case OP_IN:
		for (size_t i = 0; i < t->n_set && k->ok; i++)
			if (!lit_keys(k, path, &t->set[i]))
				return false;
		return true;
	case OP_ISSUBSET: {
		struct px_net net;
		struct kspec s = { .kind = K_IP, .path = path };
		/* facts are addresses only for ipv4-addr/ipv6-addr values; on
		 * any other string ISSUBSET is decided by evaluating */
		if (t->path.n_steps != 1 || t->path.steps[0].kind != STEP_KEY ||
		    t->path.steps[0].len != 5 || memcmp(t->path.steps[0].key, "value", 5) != 0 ||
		    t->path.type_len != 9 || (memcmp(t->path.type, "ipv4-addr", 9) != 0 &&
					      memcmp(t->path.type, "ipv6-addr", 9) != 0))
			return k->ok = false;
		if (!pattern_net_parse(t->lit.s, t->lit.len, &net))
			return true; /* never true: no keys */
		s.h = key_ip(path, &net);
		s.family = net.family;
		s.prefix = net.prefix;
		s.v4 = net.family == 4 ? v4_of(&net) : 0;
		return ks_add(k, &s);
	}
	case OP_LIKE:
	case OP_MATCHES: {
		unsigned char gram[8];
		size_t glen = 0;
		struct kspec s = { .path = path, .t = t };
		if (find_gram(t, gram, &glen) && glen == 8) {
			uint64_t g;
			memcpy(&g, gram, 8);
			s.kind = K_GRAM8;
			s.h = key_gram8(path, g);
			s.gram = g;
		} else if (glen == 4) {
			uint32_t g;
			memcpy(&g, gram, 4);
			s.kind = K_GRAM;
			s.h = key_gram(path, g);
			s.gram = g;
		} else {
			s.kind = K_SCAN;
		}
		return ks_add(k, &s);
	}
	default:
		return k->ok = false;
	}
}

/* Keys of a comparison expression; k->ok false when there are none. */
static void comp_keys(struct kset *k, const struct px_node *n)
{
	struct kset a = { 0 }, b = { 0 };

	memset(k, 0, sizeof(*k));
	if (n->kind == PX_TEST) {
		if (!test_keys(k, n->t)) {
			free(k->v);
			memset(k, 0, sizeof(*k));
		}
		return;
	}
	comp_keys(&a, n->a);
	comp_keys(&b, n->b);
	if (n->kind == PX_AND) {
		/* either side alone is a necessary condition: the cheaper one */
		bool pick_a = a.ok && (!b.ok || a.cost <= b.cost);
		*k = pick_a ? a : b;
		free(pick_a ? b.v : a.v);
		return;
	}
	if (!a.ok || !b.ok) {
		free(a.v);
		free(b.v);
		return;
	}
	*k = a;
	for (size_t i = 0; i < b.n; i++)
		if (!ks_add(k, &b.v[i]))
			k->ok = false;
	free(b.v);
}

/* Keys of every observation expression of a pattern, together. */
static void obs_keys(struct kset *k, const struct px_node *n, bool *multi)
{
	struct kset a = { 0 };

	switch (n->kind) {
	case PX_OBS:
		comp_keys(k, n->a);
		return;
	case PX_REPEATS:
		if (n->repeats > 1)
			*multi = true;
		obs_keys(k, n->a, multi);
		return;
	case PX_WITHIN:
	case PX_STARTSTOP:
		obs_keys(k, n->a, multi);
		return;
	default:
		break;
	}
	if (n->kind != PX_OBS_OR)
		*multi = true;
	obs_keys(k, n->a, multi);
	obs_keys(&a, n->b, multi);
	if (!k->ok || !a.ok) {
		free(k->v);
		free(a.v);
		memset(k, 0, sizeof(*k));
		return;
	}
	for (size_t i = 0; i < a.n; i++)
		if (!ks_add(k, &a.v[i]))
			k->ok = false;
	free(a.v);
}

/* ---- building ---- */

struct pair {
	uint64_t h;
	uint32_t ind;
};

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;

	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->ind < b->ind ? -1 : a->ind > b->ind;
}

/* Radix sort on h (8 passes of 8 bits), stable, so ind order holds. */
static bool sort_pairs(struct pair *v, size_t n)
{
	struct pair *tmp;

	if (n < 2)
		return true;
	if (n < 4096) {
		tx_sort(v, n, sizeof(*v), pair_cmp);
		return true;
	}
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL)
		return false;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[((v[i].h >> shift) & 0xff) + 1]++;
		for (int i = 0; i < 256; i++)
			count[i + 1] += count[i];
		for (size_t i = 0; i < n; i++)
			tmp[count[(v[i].h >> shift) & 0xff]++] = v[i];
		struct pair *sw = v;
		memcpy(sw, tmp, n * sizeof(*tmp));
	}
	free(tmp);
	return true;
}

void pattern_index_free(pattern_index *ix)
{
	if (ix == NULL)
		return;
	for (size_t i = 0; ix->parsed && i < ix->n; i++)
		pattern_free(atomic_load(&ix->parsed[i]));
	for (size_t i = 0; i < ix->n_scans; i++)
		pcre2_code_free(ix->scans[i].re);
	free(ix->scans);
	free(ix->parsed);
	free(ix->inds);
	free(ix->text);
	free(ix->slots);
	free(ix->postings);
	free(ix->always);
	free(ix->bloom);
	free(ix->paths);
	free(ix->gbloom);
	free(ix->v4blocks);
	free(ix);
}

static struct pathinfo *path_slot(struct pathinfo *t, size_t mask, uint64_t path)
{
	/* paths are FNV hashes already: a multiply spreads them enough */
	size_t s = (size_t)((path * 0x9e3779b97f4a7c15ULL) >> 40) & mask;

	while (t[s].path != 0 && t[s].path != path)
		s = (s + 1) & mask;
	return &t[s];
}

/* Remember that path has a key of kind k (the table grows as needed). */
static bool path_add(pattern_index *ix, size_t *used, uint64_t path, enum kkind k)
{
	if (path == 0)
		path = 1;
	if ((*used + 1) * 2 > ix->path_mask + 1 || ix->paths == NULL) {
		size_t cap = ix->paths ? (ix->path_mask + 1) * 2 : 64;
		struct pathinfo *t = calloc(cap, sizeof(*t));
		if (t == NULL)
			return false;
		for (size_t i = 0; ix->paths && i <= ix->path_mask; i++)
			if (ix->paths[i].path)
				*path_slot(t, cap - 1, ix->paths[i].path) = ix->paths[i];
		free(ix->paths);
		ix->paths = t;
		ix->path_mask = cap - 1;
	}
	struct pathinfo *pi = path_slot(ix->paths, ix->path_mask, path);
	if (pi->path == 0) {
		pi->path = path;
		(*used)++;
	}
	pi->kinds |= 1u << k;
	return true;
}

static tx_err add_scan(pattern_index *ix, size_t *cap, const struct kspec *s, uint32_t ind,
		       struct tx_error *err)
{
	int ec = 0;
	size_t eo = 0;
	pcre2_code *re = NULL;
	const struct px_test *t = s->t;

	if (ix->n_scans == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct scan *v = realloc(ix->scans, nc * sizeof(*v));
		if (v == NULL)
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		ix->scans = v;
		*cap = nc;
	}
	/* the same regex as the evaluator's: t->lit is in NFC already */
	re = pattern_compile_re(t->op, t->lit.s, t->lit.len, false, &ec, &eo);
	if (re == NULL)
		return tx_error_set(err, ec == PCRE2_ERROR_NOMEMORY ? TX_ERR_NOMEM : TX_ERR_INTERNAL,
				    ec == PCRE2_ERROR_NOMEMORY ? "out of memory"
				    : "regex compiled once but not twice");
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without JIT it still works */
	size_t sz = 0, jsz = 0;
	pcre2_pattern_info(re, PCRE2_INFO_SIZE, &sz);
	pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &jsz);
	ix->bytes += sz + jsz;
	ix->scans[ix->n_scans].path = s->path;
	ix->scans[ix->n_scans].re = re;
	ix->scans[ix->n_scans].ind = ind;
	ix->n_scans++;
	return TX_OK;
}

/* What pattern_index_build keeps between indicators. */
struct build {
	struct pair *pairs;
	size_t n_pairs, cap_pairs, cap_always, cap_scans, text_cap, n_paths;
	struct pattern_index_stats st;
};

static tx_err nomem(struct tx_error *err)
{
	return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
}

/* Index one key s of indicator me: its path, the Bloom filters and IP
 * prefix lengths, and a (key, indicator) pair for the table. */
static tx_err add_key(pattern_index *ix, struct build *b,
		      const struct kspec *s, uint32_t me, struct tx_error *err)
{
	if (!path_add(ix, &b->n_paths, s->path, s->kind))
		return nomem(err);
	if (s->kind == K_SCAN)
		return add_scan(ix, &b->cap_scans, s, me, err);
	if (s->kind == K_GRAM || s->kind == K_GRAM8) {
		uint64_t g = gram_hash(s->path, s->gram);
		ix->gbloom[gram_word(g)] |= gram_bits(g);
	}
	if (s->kind == K_IP) {
		if (s->family == 4)
			ix->len4[s->prefix] = 1;
		else
			ix->len6[s->prefix] = 1;
	}
	if (s->kind == K_IP && s->family == 4 && s->prefix >= V4_BLOCK) {
		uint32_t blk = s->v4 >> (32 - V4_BLOCK);
		if (ix->v4blocks == NULL &&
		    (ix->v4blocks = calloc(V4_BLOCK_BITS / 64, sizeof(uint64_t))) == NULL)
			return nomem(err);
		ix->v4blocks[blk / 64] |= 1ULL << (blk % 64);
	}
	if (tx_grow(&b->pairs, &b->cap_pairs, b->n_pairs + 1, sizeof(*b->pairs),
		    1024) != TX_OK)
		return nomem(err);
	b->pairs[b->n_pairs].h = s->h;
	b->pairs[b->n_pairs].ind = me;
	b->n_pairs++;
	return TX_OK;
}

/* Index one indicator active at now (else skipped; an invalid pattern is
 * counted): its id and pattern text, and its keys (or the list of those
 * always evaluated). */
static tx_err add_indicator(pattern_index *ix, struct build *b,
			    const struct pattern_indicator *in, int64_t now,
			    struct tx_error *err)
{
	pattern *p = NULL;
	struct kset k = { 0 };
	bool multi = false;
	size_t idl, tl;
	uint32_t me = (uint32_t)ix->n;
	tx_err rc = TX_OK;

	if (in->revoked || in->valid_from > now || in->valid_until <= now ||
	    in->id == NULL || in->pattern == NULL)
		return TX_OK;
	tl = strlen(in->pattern);
	idl = strlen(in->id);
	if (idl > 255 || pattern_parse(in->pattern, tl, &p, NULL) != TX_OK) {
		b->st.n_invalid++;
		pattern_free(p);
		return TX_OK;
	}
	obs_keys(&k, p->root, &multi);
	if (pattern_n_observations(p) > 1)
		multi = true;
	/* keep the texts */
	if (tx_grow(&ix->text, &b->text_cap, ix->text_len + idl + tl, 1,
		    1 << 16) != TX_OK) {
		rc = nomem(err);
		goto out;
	}
	ix->inds[me].off = ix->text_len;
	ix->inds[me].id_len = (uint8_t)idl;
	ix->inds[me].text_len = (uint32_t)tl;
	ix->inds[me].multi = multi;
	memcpy(ix->text + ix->text_len, in->id, idl);
	memcpy(ix->text + ix->text_len + idl, in->pattern, tl);
	ix->text_len += idl + tl;
	ix->n++;
	b->st.n_active++;
	b->st.n_multi += multi;
	if (!k.ok) {
		if (tx_grow(&ix->always, &b->cap_always, ix->n_always + 1,
			    sizeof(*ix->always), 64) != TX_OK) {
			rc = nomem(err);
			goto out;
		}
		ix->always[ix->n_always++] = me;
	}
	for (size_t j = 0; k.ok && j < k.n && rc == TX_OK; j++)
		rc = add_key(ix, b, &k.v[j], me, err);
out:
	free(k.v);
	pattern_free(p);
	return rc;
}

/* The table from the pairs: sorted, duplicates dropped, one slot per key
 * (open addressing), its postings, and the key Bloom filter. */
static tx_err build_table(pattern_index *ix, struct build *b, size_t *n_keys,
			  size_t *n_slots, struct tx_error *err)
{
	struct pair *pairs = b->pairs;
	size_t keys = 0, w = 0, slots = 16, bits = BLOOM_BITS;

	if (!sort_pairs(pairs, b->n_pairs))
		return nomem(err);
	for (size_t i = 0; i < b->n_pairs; i++) {
		if (w > 0 && pairs[w - 1].h == pairs[i].h && pairs[w - 1].ind == pairs[i].ind)
			continue;
		if (w == 0 || pairs[w - 1].h != pairs[i].h)
			keys++;
		pairs[w++] = pairs[i];
	}
	b->n_pairs = w;
	while (slots * 7 / 10 < keys)
		slots *= 2;
	ix->mask = slots - 1;
	while (bits < keys * 8)
		bits *= 2;
	if ((ix->bloom = calloc(bits / 64, sizeof(uint64_t))) == NULL)
		return nomem(err);
	ix->bloom_mask = bits / 64 - 1;
	for (size_t i = 0; i < b->n_pairs; i++)
		ix->bloom[bloom_word(ix, pairs[i].h)] |= bloom_bits(pairs[i].h);
	if ((ix->slots = calloc(slots, sizeof(*ix->slots))) == NULL ||
	    (ix->postings = malloc((b->n_pairs ? b->n_pairs : 1) * sizeof(uint32_t))) == NULL ||
	    (ix->parsed = calloc(ix->n ? ix->n : 1, sizeof(*ix->parsed))) == NULL)
		return nomem(err);
	for (size_t i = 0; i < b->n_pairs;) {
		size_t j = i;
		while (j < b->n_pairs && pairs[j].h == pairs[i].h) {
			ix->postings[j] = pairs[j].ind;
			j++;
		}
		size_t s = pairs[i].h & ix->mask;
		while (ix->slots[s].h != 0)
			s = (s + 1) & ix->mask;
		ix->slots[s].h = pairs[i].h;
		ix->slots[s].start = (uint32_t)i;
		ix->slots[s].count = (uint32_t)(j - i);
		i = j;
	}
	ix->n_postings = b->n_pairs;
	*n_keys = keys;
	*n_slots = slots;
	return TX_OK;
}

tx_err pattern_index_build(const struct pattern_indicator *inds, size_t n,
			   int64_t now, pattern_index **out,
			   struct pattern_index_stats *stats,
			   struct tx_error *err)
{
	pattern_index *ix = NULL;
	struct build b = { .st = { .n_input = n } };
	size_t n_keys = 0, slots = 0;
	tx_err rc = TX_OK;

	*out = NULL;
	if ((ix = calloc(1, sizeof(*ix))) == NULL ||
	    (ix->inds = calloc(n ? n : 1, sizeof(*ix->inds))) == NULL ||
	    (ix->gbloom = calloc(BLOOM_BITS / 64, sizeof(uint64_t))) == NULL) {
		rc = nomem(err);
		goto out;
	}
	for (size_t i = 0; i < n && rc == TX_OK; i++)
		rc = add_indicator(ix, &b, &inds[i], now, err);
	if (rc != TX_OK)
		goto out;
	for (int l = 32; l >= 0; l--)
		if (ix->len4[l])
			ix->lens4[ix->n_lens4++] = l;
	for (int l = 128; l >= 0; l--)
		if (ix->len6[l])
			ix->lens6[ix->n_lens6++] = l;
	if ((rc = build_table(ix, &b, &n_keys, &slots, err)) != TX_OK)
		goto out;
	/* shrink the per-indicator array and the texts to what was kept */
	if (ix->n > 0 && ix->n < n) {
		struct ind *v = realloc(ix->inds, ix->n * sizeof(*v));
		if (v != NULL)
			ix->inds = v;
	}
	if (ix->text_len > 0 && ix->text_len < b.text_cap) {
		char *t = realloc(ix->text, ix->text_len);
		if (t != NULL)
			ix->text = t;
	}
	ix->bytes += sizeof(*ix) + ix->n * (sizeof(struct ind) + sizeof(*ix->parsed)) +
		     slots * sizeof(struct slot) + b.n_pairs * sizeof(uint32_t) +
		     ix->n_always * sizeof(uint32_t) + ix->n_scans * sizeof(struct scan) +
		     (ix->bloom_mask + 1) * 8 + BLOOM_BITS / 8 + (ix->v4blocks ? V4_BLOCK_BITS / 8 : 0) +
		     (ix->paths ? (ix->path_mask + 1) * sizeof(struct pathinfo) : 0);
	b.st.n_keys = n_keys;
	b.st.n_postings = b.n_pairs;
	b.st.n_scan = ix->n_always;
	b.st.n_regex_scan = ix->n_scans;
	b.st.text_bytes = ix->text_len;
	b.st.index_bytes = ix->bytes;
	*out = ix;
	ix = NULL;
out:
	free(b.pairs);
	pattern_index_free(ix);
	if (stats)
		*stats = b.st;
	return rc;
}

size_t pattern_index_size(const pattern_index *ix)
{
	return ix->bytes;
}

size_t pattern_index_count(const pattern_index *ix)
{
	return ix->n;
}

const char *pattern_index_id(const pattern_index *ix, uint32_t i, char *buf, size_t n)
{
	const struct ind *d = &ix->inds[i];
	size_t len = d->id_len;

	/* as snprintf would, without parsing a format for every match */
	if (n == 0)
		return buf;
	if (len > n - 1)
		len = n - 1;
	memcpy(buf, ix->text + d->off, len);
	buf[len] = '\0';
	return buf;
}

const char *pattern_index_text(const pattern_index *ix, uint32_t i, size_t *len)
{
	const struct ind *d = &ix->inds[i];

	*len = d->text_len;
	return ix->text + d->off + d->id_len;
}

int pattern_index_multi(const pattern_index *ix, uint32_t i)
{
	return ix->inds[i].multi;
}

const pattern *pattern_index_pattern(pattern_index *ix, uint32_t i)
{
	pattern *p = atomic_load_explicit(&ix->parsed[i], memory_order_acquire), *expect = NULL;
	size_t len;
	const char *text;

	if (p != NULL)
		return p;
	text = pattern_index_text(ix, i, &len);
	if (pattern_parse(text, len, &p, NULL) != TX_OK)
		return NULL;
	if (!atomic_compare_exchange_strong(&ix->parsed[i], &expect, p)) {
		pattern_free(p);
		return expect;
	}
	return p;
}

/* ---- lookups: no locks, no allocation ---- */

#define BATCH 64

/* Candidates found so far, and key hashes waiting to be looked up: probes
 * are batched so that the memory loads of a batch overlap (prefetch). */
struct cands {
	uint32_t *out;
	size_t max, n;
	uint64_t pend[BATCH];
	size_t n_pend;
};

static inline void cand(struct cands *c, uint32_t ind)
{
	size_t lim = c->n < c->max ? c->n : c->max;

	for (size_t i = 0; i < lim; i++)
		if (c->out[i] == ind)
			return;
	if (c->n < c->max)
		c->out[c->n] = ind;
	c->n++;
}

static void flush(const pattern_index *ix, struct cands *c)
{
	size_t hit = 0;

	/* the filter words were prefetched when queued; keep the hits and
	 * prefetch their table slots */
	for (size_t i = 0; i < c->n_pend; i++) {
		uint64_t h = c->pend[i], m = bloom_bits(h);
		if ((ix->bloom[bloom_word(ix, h)] & m) == m) {
			__builtin_prefetch(&ix->slots[h & ix->mask]);
			c->pend[hit++] = h;
		}
	}
	for (size_t i = 0; i < hit; i++) {
		uint64_t h = c->pend[i];
		size_t s = h & ix->mask;
		for (;;) {
			const struct slot *sl = &ix->slots[s];
			if (sl->h == 0)
				break;
			if (sl->h == h) {
				for (uint32_t k = 0; k < sl->count; k++)
					cand(c, ix->postings[sl->start + k]);
				break;
			}
			s = (s + 1) & ix->mask;
		}
	}
	c->n_pend = 0;
}

static inline void probe(const pattern_index *ix, uint64_t h, struct cands *c)
{
	__builtin_prefetch(&ix->bloom[bloom_word(ix, h)]);
	c->pend[c->n_pend++] = h;
	if (c->n_pend == BATCH)
		flush(ix, c);
}

static _Thread_local pcre2_match_data *tl_md;
static _Thread_local char tl_nfc[4096];

static void gram_scan(const pattern_index *ix, uint64_t path, unsigned kinds,
		      const char *str, size_t len, struct cands *c);

static void fact_lookup(const pattern_index *ix, const struct pattern_fact *f, struct cands *c)
{
	unsigned kinds;

	/* a path no key names costs one probe of a small table */
	if (ix->paths == NULL || ix->bloom == NULL)
		return;
	kinds = path_slot(ix->paths, ix->path_mask, f->path ? f->path : 1)->kinds;
	if (kinds == 0)
		return;
	switch (f->kind) {
	case PATTERN_FACT_INT:
		if (kinds & (1u << K_INT))
			probe(ix, key_int(f->path, f->num), c);
		return;
	case PATTERN_FACT_IP: {
		struct px_net net, m;
		uint32_t a = 0;
		int prefix;
		if (!(kinds & (1u << K_IP)))
			return;
		if (f->num & PATTERN_FACT_NET4) {
			/* parsed by pattern_fact_ip when the fact was made */
			a = (uint32_t)f->num;
			prefix = (int)(f->num >> 32 & 0xff);
		} else if (!pattern_net_parse(f->s, f->len, &net)) {
			return;
		} else if (net.family == 4) {
			a = v4_of(&net);
			prefix = net.prefix;
		} else {
			prefix = -1;
		}
		if (prefix >= 0) {
			uint32_t b = a >> (32 - V4_BLOCK);
			/* lengths V4_BLOCK and longer only if a's block has keys */
			bool in_block = ix->v4blocks && (ix->v4blocks[b / 64] >> (b % 64) & 1);
			for (size_t i = 0; i < ix->n_lens4; i++) {
				int l = ix->lens4[i];
				if (l > prefix || (l >= V4_BLOCK && !in_block))
					continue;
				probe(ix, key_ip4(f->path, l ? a & ~0u << (32 - l) : 0, l), c);
			}
			return;
		}
		const int *lens = ix->lens6;
		size_t nl = ix->n_lens6;
		for (size_t i = 0; i < nl; i++) {
			if (lens[i] > net.prefix)
				continue;
			m = net;
			pattern_net_mask(&m, lens[i]);
			m.prefix = lens[i];
			probe(ix, key_ip(f->path, &m), c);
		}
		return;
	}
	case PATTERN_FACT_STRING:
		break;
	}
	if (kinds & (1u << K_STR))
		probe(ix, key_str(f->path, f->s, f->len), c);
	if (!(kinds & (1u << K_GRAM | 1u << K_GRAM8 | 1u << K_SCAN)))
		return;
	/* LIKE and MATCHES see the value in NFC (9.6.2), as the evaluator
	 * does: grams and scans run on that form. An ASCII value is its own
	 * NFC (no copy); others are normalised into a buffer of the thread's,
	 * and only one longer than that is given memory of its own. */
	char *owned = NULL;
	size_t vlen = 0;
	const char *v = pattern_nfc(f->s, f->len, tl_nfc, sizeof(tl_nfc), &vlen, &owned);
	if (v == NULL) {
		v = f->s;
		vlen = f->len;
	}
	gram_scan(ix, f->path, kinds, v, vlen, c);
	free(owned);
}

/* The gram probes and regex scans of one string value on path. */
static void gram_scan(const pattern_index *ix, uint64_t path, unsigned kinds,
		      const char *str, size_t len, struct cands *c)
{
	if ((kinds & (1u << K_GRAM)) && len >= 4) {
		const unsigned char *s = (const unsigned char *)str;
		for (size_t i = 0; i + 4 <= len; i++) {
			uint32_t gram;
			memcpy(&gram, s + i, 4);
			uint64_t g = gram_hash(path, gram), m = gram_bits(g);
			if ((ix->gbloom[gram_word(g)] & m) == m)
				probe(ix, key_gram(path, gram), c);
		}
	}
	if ((kinds & (1u << K_GRAM8)) && len >= 8) {
		const unsigned char *s = (const unsigned char *)str;
		for (size_t i = 0; i + 8 <= len; i++) {
			uint64_t gram;
			memcpy(&gram, s + i, 8);
			uint64_t g = gram_hash(path, gram), m = gram_bits(g);
			if ((ix->gbloom[gram_word(g)] & m) == m)
				probe(ix, key_gram8(path, gram), c);
		}
	}
	if (!(kinds & (1u << K_SCAN)))
		return;
	for (size_t i = 0; i < ix->n_scans; i++) {
		if (ix->scans[i].path != path)
			continue;
		if (tl_md == NULL && (tl_md = pcre2_match_data_create(1, NULL)) == NULL) {
			cand(c, ix->scans[i].ind); /* cannot test: let evaluation decide */
			continue;
		}
		if (pcre2_match(ix->scans[i].re, (PCRE2_SPTR)str, len, 0, 0, tl_md, NULL) >= 0)
			cand(c, ix->scans[i].ind);
	}
}

void pattern_index_candidates(const pattern_index *ix,
			      const struct pattern_fact *facts, size_t n_facts,
			      uint32_t *out, size_t max, size_t *n_out)
{
	struct cands c;

	/* not zeroed as a whole: pend is written before it is read */
	c.out = out;
	c.max = max;
	c.n = 0;
	c.n_pend = 0;
	for (size_t i = 0; i < ix->n_always; i++)
		cand(&c, ix->always[i]);
	for (size_t i = 0; i < n_facts; i++)
		fact_lookup(ix, &facts[i], &c);
	flush(ix, &c);
	*n_out = c.n;
}
