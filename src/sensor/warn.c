/*
 * sensor/warn.c: false-positive warning lists (MISP's warning-list format)
 * and the index that checks values against them.
 *
 * A list is {name, type, list, matching_attributes}; type is cidr,
 * hostname, string, substring or regex. Every entry of every cidr,
 * hostname and string list goes into one open-addressing hash table:
 *
 *   cidr      key = family, prefix length, the address with its host bits
 *             clear; a lookup masks the address once per prefix length
 *             present (a bit set per family), so at most 33 (IPv4) or
 *             129 (IPv6) probes, usually a handful;
 *   hostname  key = the name in lower case, without leading and trailing
 *             dots; a lookup probes the value and each parent domain
 *             (a.b.c, b.c, c): the entry covers its subdomains;
 *   string    key = the entry in lower case; exact, except that an entry
 *             written with a leading dot (".google.com", as MISP's lists
 *             do) covers its subdomains like a hostname entry.
 *
 * substring and regex lists (none of the lists MISP ships for addresses,
 * names or hashes) are kept apart and run over the value one by one.
 * Which values a list applies to comes from its matching_attributes
 * (ip-src, domain, url, md5, ...) as a mask of kinds. The table is read
 * only once built: lookups take no lock and allocate nothing.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sensor/sensor.h"

enum { MODE_EXACT = 1, MODE_SUBTREE = 2, MODE_NET = 3 };

struct slot {
	uint64_t h;          /* 0: empty */
	uint32_t off;        /* key bytes in keys */
	uint16_t len;
	uint16_t list;
	uint8_t mode;
};

struct wlist {
	char *name, *type;
	unsigned kinds;      /* bit per enum sensor_warn_kind */
	size_t n_entries;
	/* substring and regex lists */
	char **subs;
	size_t *sub_len;
	pcre2_code **res;
	pcre2_match_context *mctx; /* regex lists: the match limits */
	size_t n_scan;
};

/* An open-addressing table (linear probing, at most half full). */
struct table {
	struct slot *slots;
	size_t n_slots, cap_slots; /* cap a power of two */
};

struct sensor_warn {
	struct wlist *lists;
	size_t n_lists, cap_lists;
	/* host names and strings; then one table per prefix length of each
	 * family, so that the few short prefixes sit in small tables that
	 * stay in the cache and a lookup touches the big /32 one once */
	struct table names;
	struct table v4[33], v6[129];
	char *keys;
	size_t keys_len, keys_cap;
	size_t max_entries, n_entries;
	uint64_t v4_prefixes;      /* bit p: some IPv4 entry is a /p */
	uint64_t v6_prefixes[3];   /* bits 0..128 */
	int any_scan;
};

/* core's FNV-1a over the lower-cased bytes (a chunk at a time) */
static uint64_t fnv_lower(const char *s, size_t len, uint64_t h)
{
	unsigned char low[64];

	for (size_t i = 0; i < len; i += sizeof(low)) {
		size_t n = len - i < sizeof(low) ? len - i : sizeof(low);
		for (size_t k = 0; k < n; k++)
			low[k] = (unsigned char)tolower((unsigned char)s[i + k]);
		h = tx_hash64(h, low, n);
	}
	return h;
}

static uint64_t key_hash(const char *s, size_t len)
{
	uint64_t h = fnv_lower(s, len, TX_HASH64_INIT);

	/* FNV's low bits of keys that differ in one byte stay close: mix
	 * them (the splitmix64 finaliser) before they pick a slot */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h ? h : 1;
}

tx_err sensor_warn_new(size_t max_entries, sensor_warn **out)
{
	sensor_warn *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return TX_ERR_NOMEM;
	w->max_entries = max_entries ? max_entries : SENSOR_WARN_MAX_ENTRIES;
	*out = w;
	return TX_OK;
}

void sensor_warn_free(sensor_warn *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n_lists; i++) {
		struct wlist *l = &w->lists[i];
		free(l->name);
		free(l->type);
		for (size_t k = 0; k < l->n_scan; k++) {
			if (l->subs)
				free(l->subs[k]);
			if (l->res)
				pcre2_code_free(l->res[k]);
		}
		free(l->subs);
		free(l->sub_len);
		free(l->res);
		pcre2_match_context_free(l->mctx);
	}
	free(w->lists);
	free(w->names.slots);
	for (size_t i = 0; i < 33; i++)
		free(w->v4[i].slots);
	for (size_t i = 0; i < 129; i++)
		free(w->v6[i].slots);
	free(w->keys);
	free(w);
}

static tx_err grow_slots(struct table *w)
{
	size_t cap = w->cap_slots ? w->cap_slots * 2 : 16;
	struct slot *ns = calloc(cap, sizeof(*ns));

	if (ns == NULL)
		return TX_ERR_NOMEM;
	for (size_t i = 0; i < w->cap_slots; i++) {
		struct slot *s = &w->slots[i];
		if (s->h == 0)
			continue;
		size_t j = s->h & (cap - 1);
		while (ns[j].h != 0)
			j = (j + 1) & (cap - 1);
		ns[j] = *s;
	}
	free(w->slots);
	w->slots = ns;
	w->cap_slots = cap;
	return TX_OK;
}

/* Whether the table already has this key for this list. */
static int has_key(const sensor_warn *w, const struct table *t, uint64_t h,
		   uint8_t mode, const char *k, size_t len, uint16_t list)
{
	if (t->cap_slots == 0)
		return 0;
	for (size_t j = h & (t->cap_slots - 1); t->slots[j].h != 0;
	     j = (j + 1) & (t->cap_slots - 1)) {
		const struct slot *s = &t->slots[j];
		if (s->h == h && s->mode == mode && s->len == len &&
		    s->list == list && memcmp(w->keys + s->off, k, len) == 0)
			return 1;
	}
	return 0;
}

/* Add a key (already normalised: lower case, or the masked address). */
static tx_err add_key(sensor_warn *w, struct table *t, uint8_t mode, const char *k,
		      size_t len, uint16_t list)
{
	uint64_t h = key_hash(k, len);
	tx_err rc;

	if (has_key(w, t, h, mode, k, len, list))
		return TX_OK; /* a list that names an entry twice */
	if (w->n_entries >= w->max_entries)
		return TX_ERR_TOOBIG;
	if ((t->n_slots + 1) * 2 > t->cap_slots && (rc = grow_slots(t)) != TX_OK)
		return rc;
	if (w->keys_len + len > w->keys_cap) {
		size_t cap = w->keys_cap ? w->keys_cap * 2 : 65536;
		while (cap < w->keys_len + len)
			cap *= 2;
		if (cap > UINT32_MAX)
			return TX_ERR_TOOBIG;
		char *nk = realloc(w->keys, cap);
		if (nk == NULL)
			return TX_ERR_NOMEM;
		w->keys = nk;
		w->keys_cap = cap;
	}
	memcpy(w->keys + w->keys_len, k, len);
	size_t j = h & (t->cap_slots - 1);
	while (t->slots[j].h != 0)
		j = (j + 1) & (t->cap_slots - 1);
	t->slots[j] = (struct slot){ h, (uint32_t)w->keys_len, (uint16_t)len, list, mode };
	w->keys_len += len;
	t->n_slots++;
	w->n_entries++;
	return TX_OK;
}

/* The network key: the address bytes with the host bits clear. */
static size_t net_key(int family, const uint8_t *addr, int prefix, char *out)
{
	size_t n = family == 4 ? 4 : 16;

	for (size_t i = 0; i < n; i++) {
		int bits = prefix - (int)i * 8;
		uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		out[i] = (char)(addr[i] & m);
	}
	return n;
}

/* "a.b.c.d", "a.b.c.d/n", IPv6 and IPv6/n (IPv4-mapped IPv6 as IPv4). */
static int parse_net(const char *s, size_t len, int *family, uint8_t addr[16],
		     int *prefix)
{
	char buf[64];
	const char *slash;
	size_t alen;
	int64_t p = -1;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	slash = memchr(buf, '/', len);
	alen = slash ? (size_t)(slash - buf) : len;
	if (slash) {
		buf[alen] = '\0';
		if (tx_parse_int64(slash + 1, 0, 128, &p) != TX_OK)
			return 0;
	}
	if (inet_pton(AF_INET, buf, addr) == 1) {
		if (p > 32)
			return 0;
		*family = 4;
		*prefix = p < 0 ? 32 : (int)p;
		return 1;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		*prefix = p < 0 ? 128 : (int)p;
		if (memcmp(addr, mapped, 12) == 0 && *prefix >= 96) {
			memmove(addr, addr + 12, 4);
			*family = 4;
			*prefix -= 96;
		} else {
			*family = 6;
		}
		return 1;
	}
	return 0;
}

/* Which kinds of value a MISP attribute type names. */
static unsigned attr_kinds(const char *a)
{
	static const struct {
		const char *prefix;
		unsigned kinds;
	} map[] = {
		{ "ip-", 1u << SENSOR_WARN_IP },
		{ "domain|ip", 1u << SENSOR_WARN_IP | 1u << SENSOR_WARN_DOMAIN },
		{ "domain", 1u << SENSOR_WARN_DOMAIN },
		{ "hostname", 1u << SENSOR_WARN_DOMAIN },
		{ "url", 1u << SENSOR_WARN_URL },
		{ "uri", 1u << SENSOR_WARN_URL },
		{ "link", 1u << SENSOR_WARN_URL },
		{ "email", 1u << SENSOR_WARN_EMAIL },
		{ "md5", 1u << SENSOR_WARN_HASH },
		{ "sha", 1u << SENSOR_WARN_HASH },
		{ "filename|", 1u << SENSOR_WARN_HASH },
		{ "ssdeep", 1u << SENSOR_WARN_HASH },
		{ "x509-fingerprint", 1u << SENSOR_WARN_HASH },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strncmp(a, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].kinds;
	return 0;
}

static int lower_copy(const char *s, size_t len, char *out, size_t outsz)
{
	if (len >= outsz)
		return 0;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[len] = '\0';
	return 1;
}

/* The types of list, in the order of wtype_names. */
enum wtype { WT_CIDR, WT_HOST, WT_STR, WT_SUB, WT_RE, WT_N };
static const char *const wtype_names[WT_N] = {
	"cidr", "hostname", "string", "substring", "regex"
};

/* The name and type of list (a STIX-wrapped list's list_type), checked,
 * and that w may take one more list. */
static tx_err check_list(const sensor_warn *w, const json_t *list,
			 const char **name_out, const char **type_out,
			 enum wtype *t, struct tx_error *err)
{
	const char *name = json_string_value(json_object_get(list, "name"));
	const char *type = json_string_value(json_object_get(list, "type"));
	const json_t *attrs = json_object_get(list, "matching_attributes");

	if (type != NULL && strcmp(type, SENSOR_WARN_STIX_TYPE) == 0)
		type = json_string_value(json_object_get(list, "list_type"));
	if (!json_is_object(list))
		return tx_error_set(err, TX_ERR_INVALID, "not a JSON object");
	if (name == NULL || name[0] == '\0')
		return tx_error_set(err, TX_ERR_INVALID, "name: missing or not a string");
	if (strlen(name) > SENSOR_WARN_NAME_MAX)
		return tx_error_set(err, TX_ERR_INVALID, "name: longer than %d bytes",
				    SENSOR_WARN_NAME_MAX);
	if (type == NULL)
		return tx_error_set(err, TX_ERR_INVALID, "type: missing or not a string");
	for (*t = 0; *t < WT_N && strcmp(type, wtype_names[*t]) != 0; (*t)++)
		;
	if (*t == WT_N)
		return tx_error_set(err, TX_ERR_INVALID, "type: \"%s\" is none of cidr,"
				    " hostname, string, substring, regex", type);
	if (!json_is_array(json_object_get(list, "list")))
		return tx_error_set(err, TX_ERR_INVALID, "list: missing or not an array");
	if (attrs != NULL && !json_is_array(attrs))
		return tx_error_set(err, TX_ERR_INVALID, "matching_attributes: not an array");
	for (size_t i = 0; i < w->n_lists; i++)
		if (strcmp(w->lists[i].name, name) == 0)
			return tx_error_set(err, TX_ERR_EXISTS, "name: a list \"%s\" is"
					    " already loaded", name);
	if (w->n_lists >= SENSOR_WARN_MAX_LISTS)
		return tx_error_set(err, TX_ERR_TOOBIG, "more than %d lists",
				    SENSOR_WARN_MAX_LISTS);
	*name_out = name;
	*type_out = type;
	return TX_OK;
}

/* A new list of w (its last) for list, with what it matches and, for
 * substring and regex lists, room for n_entries entries. */
static tx_err new_list(sensor_warn *w, const json_t *list, const char *name,
		       const char *type, enum wtype t, size_t n_entries,
		       struct wlist **out, struct tx_error *err)
{
	struct wlist *l;
	size_t idx, n = n_entries ? n_entries : 1;
	const json_t *v;

	if (w->n_lists == w->cap_lists) {
		size_t cap = w->cap_lists ? w->cap_lists * 2 : 32;
		struct wlist *nl = realloc(w->lists, cap * sizeof(*nl));
		if (nl == NULL)
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		w->lists = nl;
		w->cap_lists = cap;
	}
	l = &w->lists[w->n_lists];
	memset(l, 0, sizeof(*l));
	l->name = strdup(name);
	l->type = strdup(type);
	if (l->name == NULL || l->type == NULL) {
		free(l->name);
		free(l->type);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	json_array_foreach(json_object_get(list, "matching_attributes"), idx, v)
		if (json_is_string(v))
			l->kinds |= attr_kinds(json_string_value(v));
	if (l->kinds == 0) /* none named (or none we know): by the list's type */
		l->kinds = t == WT_CIDR ? 1u << SENSOR_WARN_IP
			 : t == WT_HOST ? (1u << SENSOR_WARN_DOMAIN | 1u << SENSOR_WARN_URL |
					   1u << SENSOR_WARN_EMAIL)
			 : ~0u;
	w->n_lists++; /* from here on freed with the set */
	*out = l;
	if (t != WT_SUB && t != WT_RE)
		return TX_OK;
	l->subs = calloc(n, sizeof(*l->subs));
	l->sub_len = calloc(n, sizeof(*l->sub_len));
	l->res = t == WT_RE ? calloc(n, sizeof(*l->res)) : NULL;
	if (t == WT_RE && (l->mctx = pcre2_match_context_create(NULL)) != NULL) {
		/* a list from a partner must not cost a lookup more than
		 * this much backtracking (a regex that explodes just
		 * does not hit) */
		pcre2_set_match_limit(l->mctx, SENSOR_WARN_REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(l->mctx, SENSOR_WARN_REGEX_DEPTH_LIMIT);
	}
	if (l->subs == NULL || l->sub_len == NULL ||
	    (t == WT_RE && (l->res == NULL || l->mctx == NULL)))
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return TX_OK;
}

/* A CIDR entry s into the table of its family and prefix length. */
static tx_err add_net(sensor_warn *w, const char *s, size_t len, const char **why)
{
	int family, prefix;
	uint8_t addr[16];
	char nk[18];
	tx_err rc;

	if (!parse_net(s, len, &family, addr, &prefix)) {
		*why = "not an IPv4 or IPv6 address or CIDR";
		return TX_OK;
	}
	rc = add_key(w, family == 4 ? &w->v4[prefix] : &w->v6[prefix],
		     MODE_NET, nk, net_key(family, addr, prefix, nk),
		     (uint16_t)(w->n_lists - 1));
	if (family == 4)
		w->v4_prefixes |= UINT64_C(1) << prefix;
	else
		w->v6_prefixes[prefix / 64] |= UINT64_C(1) << (prefix % 64);
	return rc;
}

/* A host name (the subtree under it) or a string (a subtree when it
 * starts with a dot), lower-cased, into the names table. */
static tx_err add_name(sensor_warn *w, enum wtype t, const char *s, size_t len,
		       const char **why)
{
	char key[SENSOR_WARN_VALUE_MAX + 1];
	int subtree = t == WT_HOST || s[0] == '.';

	while (len && s[0] == '.' && subtree)
		s++, len--;
	while (len && s[len - 1] == '.' && subtree)
		len--;
	if (len == 0) {
		*why = "only dots";
		return TX_OK;
	}
	lower_copy(s, len, key, sizeof(key));
	return add_key(w, &w->names, subtree ? MODE_SUBTREE : MODE_EXACT,
		       key, len, (uint16_t)(w->n_lists - 1));
}

/* A substring (lower-cased) or a regex (compiled) of list l, scanned. */
static tx_err add_scan(sensor_warn *w, struct wlist *l, enum wtype t,
		       const char *s, size_t len, const char **why)
{
	tx_err rc = TX_OK;

	if (t == WT_SUB) {
		if ((l->subs[l->n_scan] = malloc(len + 1)) == NULL)
			return TX_ERR_NOMEM;
		lower_copy(s, len, l->subs[l->n_scan], len + 1);
	} else {
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, len,
					       PCRE2_UTF | PCRE2_CASELESS, &ec, &eo, NULL);
		if (re == NULL) {
			*why = "not a valid regular expression";
			return TX_OK;
		}
		l->res[l->n_scan] = re;
		if ((l->subs[l->n_scan] = strndup(s, len)) == NULL)
			rc = TX_ERR_NOMEM;
	}
	l->sub_len[l->n_scan++] = len;
	w->n_entries++;
	return rc;
}

/* Entry v of list l (the last of w), trimmed, into w: an error stops the
 * load; *why says why an entry that does not is left out. */
static tx_err add_entry(sensor_warn *w, struct wlist *l, enum wtype t,
			const json_t *v, const char **why)
{
	const char *s = json_string_value(v);
	size_t len = s ? json_string_length(v) : 0;

	while (s && len && isspace((unsigned char)*s))
		s++, len--;
	while (s && len && isspace((unsigned char)s[len - 1]))
		len--;
	if (s == NULL)
		*why = "not a string";
	else if (len == 0)
		*why = "empty";
	else if (len > SENSOR_WARN_VALUE_MAX)
		*why = "too long";
	else if (t == WT_CIDR)
		return add_net(w, s, len, why);
	else if (t == WT_HOST || t == WT_STR)
		return add_name(w, t, s, len, why);
	else
		return add_scan(w, l, t, s, len, why);
	return TX_OK;
}

tx_err sensor_warn_add(sensor_warn *w, const json_t *list,
		       struct sensor_warn_info *info, struct tx_error *err)
{
	const json_t *entries = json_object_get(list, "list");
	const char *name = NULL, *type = NULL;
	struct wlist *l = NULL;
	size_t idx;
	const json_t *v;
	enum wtype t = WT_N;
	tx_err rc;

	memset(info, 0, sizeof(*info));
	if ((rc = check_list(w, list, &name, &type, &t, err)) != TX_OK ||
	    (rc = new_list(w, list, name, type, t, json_array_size(entries), &l,
			   err)) != TX_OK)
		return rc;
	info->name = l->name;
	info->type = l->type;
	json_array_foreach(entries, idx, v) {
		const char *why = NULL;

		if ((rc = add_entry(w, l, t, v, &why)) != TX_OK) {
			if (rc == TX_ERR_TOOBIG)
				return tx_error_set(err, rc, "list[%zu]: more than %zu entries"
						    " in all lists", idx, w->max_entries);
			return tx_error_set(err, rc, "out of memory");
		}
		if (why != NULL) {
			if (info->n_bad++ == 0)
				snprintf(info->first_bad, sizeof(info->first_bad),
					 "list[%zu]: %s", idx, why);
		} else {
			l->n_entries++;
		}
	}
	if (t == WT_SUB || t == WT_RE)
		w->any_scan = 1;
	info->n_entries = l->n_entries;
	return TX_OK;
}

/* Collect list (once) into names. */
static void hit(const sensor_warn *w, uint16_t list, const char **names,
		size_t max, size_t *n)
{
	for (size_t i = 0; i < *n && i < max; i++)
		if (names[i] == w->lists[list].name)
			return;
	if (*n < max)
		names[*n] = w->lists[list].name;
	(*n)++;
}

/*
 * Every entry of t with key k that applies to kind. In the names table
 * an exact entry counts only when k is the whole value (whole), a
 * subtree entry always (k is the value or one of its parent domains).
 */
static void probe(const sensor_warn *w, const struct table *t, const char *k,
		  size_t len, unsigned kind, int whole, const char **names,
		  size_t max, size_t *n)
{
	uint64_t h;

	if (t->cap_slots == 0)
		return;
	h = key_hash(k, len);
	for (size_t j = h & (t->cap_slots - 1); t->slots[j].h != 0;
	     j = (j + 1) & (t->cap_slots - 1)) {
		const struct slot *s = &t->slots[j];
		if (s->h != h || s->len != len || (s->mode == MODE_EXACT && !whole) ||
		    !(w->lists[s->list].kinds & (1u << kind)))
			continue;
		if (s->mode == MODE_NET ? memcmp(w->keys + s->off, k, len) == 0
					: strncasecmp(w->keys + s->off, k, len) == 0)
			hit(w, s->list, names, max, n);
	}
}

static void check_net(const sensor_warn *w, const char *v, size_t len,
		      unsigned kind, const char **names, size_t max, size_t *n)
{
	int family, prefix;
	uint8_t addr[16];
	char k[18];

	if (!parse_net(v, len, &family, addr, &prefix))
		return;
	/* every list network that holds this address or network */
	for (int p = 0; p <= prefix; p++) {
		int present = family == 4 ? (int)((w->v4_prefixes >> p) & 1)
					  : (int)((w->v6_prefixes[p / 64] >> (p % 64)) & 1);
		if (present)
			probe(w, family == 4 ? &w->v4[p] : &w->v6[p], k,
			      net_key(family, addr, p, k), kind, 0, names, max, n);
	}
}

/* The name and each parent domain against hostname and string entries. */
static void check_name(const sensor_warn *w, const char *v, size_t len,
		       unsigned kind, const char **names, size_t max, size_t *n)
{
	while (len && v[len - 1] == '.')
		len--;
	if (len == 0)
		return;
	probe(w, &w->names, v, len, kind, 1, names, max, n);
	for (size_t i = 0; i < len; i++)
		if (v[i] == '.' && i + 1 < len)
			probe(w, &w->names, v + i + 1, len - i - 1, kind, 0, names,
			      max, n);
}

/* The host of a URL ("scheme://user@host:port/..."), or NULL. */
static const char *url_host(const char *v, size_t len, size_t *hlen)
{
	const char *p = memchr(v, ':', len), *end = v + len, *h;

	if (p == NULL || p + 3 > end || p[1] != '/' || p[2] != '/')
		return NULL;
	h = p + 3;
	const char *e = h;
	while (e < end && *e != '/' && *e != '?' && *e != '#')
		e++;
	for (const char *at = h; at < e; at++)
		if (*at == '@')
			h = at + 1;
	if (h < e && *h == '[') { /* [IPv6]:port */
		const char *rb = memchr(h, ']', (size_t)(e - h));
		if (rb == NULL)
			return NULL;
		*hlen = (size_t)(rb - h - 1);
		return h + 1;
	}
	const char *colon = memchr(h, ':', (size_t)(e - h));
	*hlen = (size_t)((colon ? colon : e) - h);
	return *hlen ? h : NULL;
}

static int scan_list(const struct wlist *l, const char *v, size_t len)
{
	for (size_t k = 0; k < l->n_scan; k++) {
		if (l->res == NULL) {
			size_t sl = l->sub_len[k];
			for (size_t i = 0; i + sl <= len; i++)
				if (strncasecmp(v + i, l->subs[k], sl) == 0)
					return 1;
		} else {
			pcre2_match_data *md = pcre2_match_data_create(1, NULL);
			int r = md ? pcre2_match(l->res[k], (PCRE2_SPTR)v, len, 0,
						 0, md, l->mctx) : -1;
			pcre2_match_data_free(md);
			if (r >= 0)
				return 1;
		}
	}
	return 0;
}

size_t sensor_warn_check(const sensor_warn *w, enum sensor_warn_kind kind,
			 const char *v, size_t len, const char **names, size_t max)
{
	size_t n = 0, hl = 0;
	const char *host;

	if (w == NULL || len == 0)
		return 0;
	switch (kind) {
	case SENSOR_WARN_IP:
		check_net(w, v, len, kind, names, max, &n);
		probe(w, &w->names, v, len, kind, 1, names, max, &n);
		break;
	case SENSOR_WARN_DOMAIN:
		check_name(w, v, len, kind, names, max, &n);
		break;
	case SENSOR_WARN_URL:
		probe(w, &w->names, v, len, kind, 1, names, max, &n);
		if ((host = url_host(v, len, &hl)) != NULL) {
			check_name(w, host, hl, kind, names, max, &n);
			check_net(w, host, hl, kind, names, max, &n);
		}
		break;
	case SENSOR_WARN_EMAIL:
		probe(w, &w->names, v, len, kind, 1, names, max, &n);
		if ((host = memchr(v, '@', len)) != NULL)
			check_name(w, host + 1, len - (size_t)(host + 1 - v), kind,
				   names, max, &n);
		break;
	default:
		probe(w, &w->names, v, len, kind, 1, names, max, &n);
		break;
	}
	if (w->any_scan)
		for (size_t i = 0; i < w->n_lists; i++)
			if (w->lists[i].n_scan && (w->lists[i].kinds & (1u << kind)) &&
			    scan_list(&w->lists[i], v, len))
				hit(w, (uint16_t)i, names, max, &n);
	return n;
}

enum sensor_warn_kind sensor_warn_kind_of(const char *path, size_t len)
{
	static const struct {
		const char *path;
		enum sensor_warn_kind kind;
	} map[] = {
		{ "ipv4-addr:value", SENSOR_WARN_IP },
		{ "ipv6-addr:value", SENSOR_WARN_IP },
		{ "domain-name:value", SENSOR_WARN_DOMAIN },
		{ "url:value", SENSOR_WARN_URL },
		{ "email-addr:value", SENSOR_WARN_EMAIL },
		{ "email-message:from_ref.value", SENSOR_WARN_EMAIL },
		{ "email-message:sender_ref.value", SENSOR_WARN_EMAIL },
		{ "network-traffic:dst_ref.value", SENSOR_WARN_IP },
		{ "network-traffic:src_ref.value", SENSOR_WARN_IP },
		{ "x509-certificate:hashes.'SHA-1'", SENSOR_WARN_HASH },
		{ "x509-certificate:hashes.'SHA-256'", SENSOR_WARN_HASH },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].path) == len && memcmp(map[i].path, path, len) == 0)
			return map[i].kind;
	if (len > 12 && memcmp(path, "file:hashes.", 12) == 0)
		return SENSOR_WARN_HASH;
	return SENSOR_WARN_NONE;
}

size_t sensor_warn_count(const sensor_warn *w)
{
	return w ? w->n_lists : 0;
}

size_t sensor_warn_entries(const sensor_warn *w)
{
	return w ? w->n_entries : 0;
}

json_t *sensor_warn_stix(const json_t *list, const char *marking_ref,
			 struct tx_error *err)
{
	const char *name = json_string_value(json_object_get(list, "name"));
	const char *type = json_string_value(json_object_get(list, "type"));
	const json_t *ver = json_object_get(list, "version");
	const char *desc = json_string_value(json_object_get(list, "description"));
	const json_t *attrs = json_object_get(list, "matching_attributes");
	char id[128], uuid[TX_UUID_BUF], modified[TX_TIME_BUF];
	struct tx_sha1 sh;
	int64_t v = json_is_integer(ver) ? json_integer_value(ver) : 0;
	json_t *o;

	if (type != NULL && strcmp(type, SENSOR_WARN_STIX_TYPE) == 0) {
		/* already the STIX form: a copy of it */
		type = json_string_value(json_object_get(list, "list_type"));
		ver = json_object_get(list, "list_version");
		v = json_is_integer(ver) ? json_integer_value(ver) : 0;
	}

	if (name == NULL || type == NULL || !json_is_array(json_object_get(list, "list"))) {
		tx_error_set(err, TX_ERR_INVALID, "name, type or list missing");
		return NULL;
	}
	/* the same list gets the same id everywhere; its MISP version is its
	 * STIX version (modified = the epoch + version seconds), so that
	 * importing it again adds nothing and a newer one replaces it */
	tx_sha1_init(&sh);
	tx_sha1_update(&sh, tx_uuid_ns_trilex, 16);
	tx_sha1_update(&sh, SENSOR_WARN_STIX_TYPE "\n", strlen(SENSOR_WARN_STIX_TYPE) + 1);
	tx_sha1_update(&sh, name, strlen(name));
	tx_uuid5_final(&sh, uuid);
	snprintf(id, sizeof(id), "%s--%s", SENSOR_WARN_STIX_TYPE, uuid);
	if (v < 0 || v > INT64_C(253402300799))
		v = 0;
	tx_time_format_ms(v * INT64_C(1000000), modified);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:O}", "type", SENSOR_WARN_STIX_TYPE,
		      "spec_version", "2.1", "id", id, "created", "1970-01-01T00:00:00.000Z",
		      "modified", modified, "name", name, "list_type", type,
		      "list_version", (json_int_t)v, "list", json_object_get(list, "list"));
	if (o == NULL) {
		tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (desc && json_object_set_new(o, "description", json_string(desc)) != 0)
		goto nomem;
	if (json_is_array(attrs) && json_object_set(o, "matching_attributes",
						    (json_t *)attrs) != 0)
		goto nomem;
	if (marking_ref && json_object_set_new(o, "object_marking_refs",
					       json_pack("[s]", marking_ref)) != 0)
		goto nomem;
	return o;
nomem:
	json_decref(o);
	tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return NULL;
}

/* ---- the node's lists, and the hits of a pattern ---- */

struct load_ctx {
	sensor_warn *w;
	size_t bad, n;
	int64_t last;
	void (*warn)(void *ctx, const char *id, const char *msg);
	void *ctx;
	int own_only;   /* only the lists made on this node */
	struct tx_error *err;
};

static int load_row(void *vctx, const struct store_row *row)
{
	struct load_ctx *c = vctx;
	struct sensor_warn_info info;
	struct tx_error e = { 0 };
	json_t *o;
	tx_err rc;

	c->n++;
	if (row->date_added > c->last)
		c->last = row->date_added;
	if (c->w == NULL)
		return STORE_ROW_NEXT; /* the stamp only */
	if (c->own_only && row->origin != NULL)
		return STORE_ROW_NEXT; /* a partner's list */
	if ((o = tx_json_load(row->json, row->json_len, 0, NULL)) == NULL)
		return STORE_ROW_NEXT;
	rc = sensor_warn_add(c->w, o, &info, &e);
	json_decref(o);
	if (rc == TX_ERR_NOMEM || rc == TX_ERR_TOOBIG) {
		tx_error_set(c->err, rc, "warning list %s: %s", row->id, e.msg);
		return STORE_ROW_FAIL;
	}
	if (rc != TX_OK && rc != TX_ERR_EXISTS && c->bad++ < 10 && c->warn)
		c->warn(c->ctx, row->id, e.msg);
	return STORE_ROW_NEXT;
}

static tx_err walk(tx_store *st, struct load_ctx *c, int64_t *stamp)
{
	static const char *const types[] = { SENSOR_WARN_STIX_TYPE };
	struct store_query q = { .types = types, .n_types = 1 };
	tx_err rc = store_query_every(st, &q, load_row, c, c->err);

	if (rc == TX_OK && stamp != NULL)
		*stamp = c->last * 4096 + (int64_t)(c->n & 4095);
	return rc;
}

static tx_err load(tx_store *st, sensor_warn **out, int own_only,
		   void (*warn)(void *ctx, const char *id, const char *msg),
		   void *ctx, int64_t *stamp, struct tx_error *err)
{
	struct load_ctx c = { .warn = warn, .ctx = ctx, .own_only = own_only,
			      .err = err };
	tx_err rc;

	*out = NULL;
	if (sensor_warn_new(0, &c.w) != TX_OK)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = walk(st, &c, stamp)) != TX_OK) {
		sensor_warn_free(c.w);
		return rc;
	}
	*out = c.w;
	return TX_OK;
}

tx_err sensor_warn_load(tx_store *st, sensor_warn **out,
			void (*warn)(void *ctx, const char *id, const char *msg),
			void *ctx, int64_t *stamp, struct tx_error *err)
{
	return load(st, out, 0, warn, ctx, stamp, err);
}

tx_err sensor_warn_load_own(tx_store *st, sensor_warn **out,
			    void (*warn)(void *ctx, const char *id,
					 const char *msg),
			    void *ctx, struct tx_error *err)
{
	return load(st, out, 1, warn, ctx, NULL, err);
}

tx_err sensor_warn_stamp(tx_store *st, int64_t *stamp, struct tx_error *err)
{
	struct load_ctx c = { .err = err };

	return walk(st, &c, stamp);
}

struct warn_pat {
	const sensor_warn *w;
	json_t *hits;   /* [{value, lists}] */
	int nomem;
};

static int warn_value(void *vctx, const char *path, size_t path_len,
		      const char *value, size_t len)
{
	struct warn_pat *c = vctx;
	const char *names[8];
	size_t n = sensor_warn_check(c->w, sensor_warn_kind_of(path, path_len),
				     value, len, names, 8);
	json_t *lists, *h;

	if (n == 0)
		return 0;
	if ((lists = json_array()) == NULL)
		return c->nomem = 1;
	for (size_t i = 0; i < n && i < 8; i++)
		if (json_array_append_new(lists, json_string(names[i])) != 0)
			c->nomem = 1;
	h = json_pack("{s:s%,s:o}", "value", value, len, "lists", lists);
	if (h == NULL || json_array_append_new(c->hits, h) != 0)
		return c->nomem = 1;
	return 0;
}

json_t *sensor_warn_pattern(const sensor_warn *w, const char *pat)
{
	struct warn_pat c = { .w = w };
	struct tx_error err = { 0 };
	pattern *p = NULL;

	if (w == NULL || pat == NULL || sensor_warn_count(w) == 0)
		return NULL;
	if (pattern_parse(pat, strlen(pat), &p, &err) != TX_OK)
		return NULL;
	if ((c.hits = json_array()) == NULL) {
		pattern_free(p);
		return NULL;
	}
	/* the values of a pattern that is no plain OR of equalities are
	 * checked as far as the walk got: a warning, not a verdict */
	(void)pattern_equalities(p, warn_value, &c, &err);
	pattern_free(p);
	if (json_array_size(c.hits) == 0 || c.nomem) {
		json_decref(c.hits);
		return NULL;
	}
	return c.hits;
}
