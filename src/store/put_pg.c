/*
 * store/put_pg.c: a batch of object versions on PostgreSQL in a fixed
 * number of round trips.
 *
 * put_one (objects.c) runs four to seven statements per object (the
 * version look-up, the INSERT, lastval(), the search rows): nothing on
 * SQLite, in-process, but on PostgreSQL each is a round trip to the
 * server, and a batch of 1000 objects cost some 5,000 of them. Here the
 * same decisions are made for the whole batch (store_put_batch_pg):
 *
 *   1. one look-up (batch_lookup): for every item the range of stored
 *      versions of its id, whether its version is stored, and for an
 *      SCO the text of its id's last version;
 *   2. in memory, in item order (batch_plan): what is new, what is
 *      stored already (before, or earlier in the batch), the is_first and
 *      is_last flags, and which ids' stored rows lose theirs;
 *   3. the writes (batch_write): the new rowids from the sequence, the
 *      two flag UPDATEs (id = ANY(...)), and one INSERT ... SELECT FROM
 *      unnest(...) per table (objects, search_text, search_refs,
 *      search_ip, supply_objects).
 *
 * Every statement is prepared and every value a parameter: the lists
 * are arrays in PostgreSQL's binary array format, bound as blobs (which
 * store/pg.c sends in binary) to parameters whose casts in the SQL
 * ($2::text[]) name their types. Withdrawals (revoked versions and
 * withdrawal notices, rare) go one by one through store_withdrawal_note,
 * in item order, as put_one's do.
 *
 * The guarantees are put_one's: the caller holds the advisory write lock
 * and the transaction (a 202 only after its commit), date_added is *next
 * onward in item order, a version stored already or twice in the batch is
 * "already present", every version is kept. One difference: an SCO's
 * version is its date_added, and put_one also looked for a stored
 * version at that microsecond (none can be: date_added is past every
 * clock value handed out); the look-up here does not.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* Element types of the arrays (pg_type.h is not a client header). */
#define OID_INT8 20
#define OID_TEXT 25

#define NONE SIZE_MAX   /* no item: a group's stored rows */

/* A one-dimensional array in PostgreSQL's binary format. */
struct pg_array {
	struct tx_buf b;
	uint32_t n;
	int nulls;
	tx_err rc;
};

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* ndim 1, the null flag, the element type, then (size, lower bound 1). */
static void arr_init(struct pg_array *a, uint32_t oid)
{
	unsigned char h[20];

	tx_buf_init(&a->b, 0);
	a->n = 0;
	a->nulls = 0;
	put_u32(h, 1);
	put_u32(h + 4, 0);
	put_u32(h + 8, oid);
	put_u32(h + 12, 0);
	put_u32(h + 16, 1);
	a->rc = tx_buf_append(&a->b, h, sizeof(h));
}

/* One element of len bytes; len < 0: NULL. */
static void arr_add(struct pg_array *a, const void *p, int64_t len)
{
	unsigned char l[4];

	if (len > INT32_MAX - 8) {
		a->rc = TX_ERR_TOOBIG;
		return;
	}
	put_u32(l, len < 0 ? UINT32_MAX : (uint32_t)len);
	if (a->rc == TX_OK)
		a->rc = tx_buf_append(&a->b, l, sizeof(l));
	if (a->rc == TX_OK && len > 0)
		a->rc = tx_buf_append(&a->b, p, (size_t)len);
	a->n++;
	a->nulls |= len < 0;
}

static void arr_text(struct pg_array *a, const char *s)
{
	arr_add(a, s, s ? (int64_t)strlen(s) : -1);
}

static void arr_int8(struct pg_array *a, int64_t v)
{
	unsigned char x[8];

	put_u32(x, (uint32_t)((uint64_t)v >> 32));
	put_u32(x + 4, (uint32_t)v);
	arr_add(a, x, 8);
}

/* Bind a to parameter i of s (a is borrowed until s is reset). */
static tx_err arr_bind(store_stmt *s, int i, struct pg_array *a,
		       struct tx_error *err)
{
	if (a->rc != TX_OK || a->b.len > INT_MAX)
		return tx_error_set(err, a->rc == TX_ERR_NOMEM ? TX_ERR_NOMEM :
				    TX_ERR_TOOBIG, "store: batch too big");
	put_u32((unsigned char *)a->b.data + 4, (uint32_t)a->nulls);
	put_u32((unsigned char *)a->b.data + 12, a->n);
	if (store_db_bind_blob(s, i, a->b.data, (int)a->b.len, STORE_DB_STATIC) !=
	    STORE_DB_OK)
		return tx_error_set(err, TX_ERR_NOMEM, "store: out of memory");
	return TX_OK;
}

static void arr_free(struct pg_array *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tx_buf_free(&a[i].b);
}

/* One item of the batch; the group fields are used on a group's leader
 * (the first item of its id). */
struct bitem {
	const char *id, *type, *spec, *text;
	char *dumped;            /* owned: text when the item had none */
	int valid, sco, is_new, is_first, is_last;
	int64_t vus, date_added, rowid;
	size_t leader;           /* the first item with this id */
	size_t chain;            /* the group's previous new item, or NONE */
	/* from the look-up */
	int db_range, db_stored;
	int64_t db_min, db_max;
	char *db_last;           /* owned: SCO, the id's last stored text */
	/* group state (leader only) */
	int g_range, g_unlast, g_unfirst;
	int64_t g_min, g_max;
	size_t g_last, g_first, g_tail;  /* items, or NONE: stored rows */
};

struct batch {
	tx_store *st;
	int64_t coll;
	const struct store_item *items;
	size_t n, n_new;
	struct bitem *b;
	struct store_put_outcome *out;
};

struct id_ref {
	const char *id;
	size_t i;
};

static int cmp_id_ref(const void *x, const void *y)
{
	const struct id_ref *a = x, *b = y;
	int c = strcmp(a->id, b->id);

	return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* Fields of each item, the invalid ones refused as put_one refuses
 * them, and each valid item's group leader. */
static tx_err batch_classify(struct batch *B, struct tx_error *err)
{
	struct id_ref *refs = calloc(B->n ? B->n : 1, sizeof(*refs));
	size_t n_refs = 0;

	if (refs == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < B->n; i++) {
		const json_t *obj = B->items[i].obj;
		struct bitem *it = &B->b[i];
		struct store_put_outcome *o = &B->out[i];
		const char *ver;

		o->r = -1;
		o->msg = NULL;
		o->version[0] = '\0';
		if (obj == NULL)
			continue;
		it->id = tx_json_str(obj, "id");
		it->type = tx_json_str(obj, "type");
		it->spec = tx_json_str(obj, "spec_version");
		if ((ver = tx_json_str(obj, "modified")) == NULL)
			ver = tx_json_str(obj, "created");
		if (it->id == NULL || it->type == NULL) {
			o->msg = "id and type are required";
			continue;
		}
		if (ver != NULL && tx_time_parse(ver, &it->vus, NULL) != TX_OK) {
			o->msg = "version: not a timestamp";
			continue;
		}
		if (ver != NULL)
			snprintf(o->version, sizeof(o->version), "%s", ver);
		it->sco = ver == NULL;
		if ((it->text = B->items[i].text) == NULL &&
		    (it->text = it->dumped = tx_json_dumps(obj, JSON_COMPACT)) == NULL) {
			free(refs);
			return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		}
		it->valid = 1;
		refs[n_refs].id = it->id;
		refs[n_refs++].i = i;
	}
	tx_sort(refs, n_refs, sizeof(*refs), cmp_id_ref);
	for (size_t k = 0; k < n_refs; k++)
		B->b[refs[k].i].leader = k > 0 && strcmp(refs[k].id, refs[k - 1].id) == 0 ?
					 B->b[refs[k - 1].i].leader : refs[k].i;
	free(refs);
	return TX_OK;
}

static const char *const sql_lookup =
	"SELECT u.ord, r.mn, r.mx, CASE WHEN r.hit THEN 1 ELSE 0 END,"
	" CASE WHEN u.v IS NULL THEN (SELECT o.json FROM objects o"
	"  WHERE o.coll = $1 AND o.id = u.id AND o.is_last = 1 LIMIT 1) END"
	" FROM unnest($2::text[], $3::int8[]) WITH ORDINALITY AS u(id, v, ord),"
	" LATERAL (SELECT min(o.version_us) AS mn, max(o.version_us) AS mx,"
	"  bool_or(o.version_us = u.v) AS hit"
	"  FROM objects o WHERE o.coll = $1 AND o.id = u.id) AS r";

/* Step 1: what the database holds of each valid item's id. */
static tx_err batch_lookup(struct batch *B, struct tx_error *err)
{
	struct pg_array a[2];
	size_t *idx = calloc(B->n ? B->n : 1, sizeof(*idx)), m = 0;
	store_stmt *s = NULL;
	tx_err rc = TX_OK;
	int r;

	arr_init(&a[0], OID_TEXT);
	arr_init(&a[1], OID_INT8);
	for (size_t i = 0; idx != NULL && i < B->n; i++) {
		if (!B->b[i].valid)
			continue;
		idx[m++] = i;
		arr_text(&a[0], B->b[i].id);
		if (B->b[i].sco)
			arr_add(&a[1], NULL, -1);
		else
			arr_int8(&a[1], B->b[i].vus);
	}
	if (idx == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (m == 0 || (rc = store_db_prepare(B->st, sql_lookup, &s, err)) != TX_OK)
		goto out;
	store_db_bind_int64(s, 1, B->coll);
	if ((rc = arr_bind(s, 2, &a[0], err)) || (rc = arr_bind(s, 3, &a[1], err)))
		goto out;
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		int64_t ord = store_db_column_int64(s, 0);
		if (ord < 1 || (size_t)ord > m)
			continue;
		struct bitem *it = &B->b[idx[ord - 1]];
		const unsigned char *last = store_db_column_text(s, 4);
		it->db_range = store_db_column_type(s, 1) != STORE_DB_NULL;
		it->db_min = store_db_column_int64(s, 1);
		it->db_max = store_db_column_int64(s, 2);
		it->db_stored = store_db_column_int(s, 3);
		if (last != NULL && (it->db_last = strdup((const char *)last)) == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if (r != STORE_DB_DONE)
		rc = store_db_error(B->st, err, "store objects: look-up");
out:
	store_db_done(B->st, s);
	arr_free(a, 2);
	free(idx);
	return rc;
}

/* Whether item i's version is stored: before the batch, or as one of the
 * batch's new items of its id. */
static int batch_stored(const struct batch *B, size_t i)
{
	const struct bitem *it = &B->b[i];

	if (it->db_stored)
		return 1;
	for (size_t j = B->b[it->leader].g_tail; j != NONE; j = B->b[j].chain)
		if (B->b[j].vus == it->vus)
			return 1;
	return 0;
}

/* An SCO: whether it is its id's last version again (same content). */
static int batch_same_sco(const struct batch *B, size_t i)
{
	const struct bitem *it = &B->b[i], *g = &B->b[it->leader];
	const char *last = NULL;

	if (g->g_range)
		last = g->g_last == NONE ? it->db_last : B->b[g->g_last].text;
	return last != NULL && store_same_content(last, strlen(last), it->text,
						  B->items[i].obj,
						  B->items[i].ignore_ext);
}

/* Item i is new: its flags, its group's, and the stored rows' updates. */
static void batch_add(struct batch *B, size_t i, int64_t date_added)
{
	struct bitem *it = &B->b[i], *g = &B->b[it->leader];

	it->is_first = !g->g_range || it->vus < g->g_min;
	it->is_last = !g->g_range || it->vus > g->g_max;
	if (g->g_range && it->is_last) {
		if (g->g_last == NONE)
			g->g_unlast = 1;
		else
			B->b[g->g_last].is_last = 0;
	}
	if (g->g_range && it->is_first) {
		if (g->g_first == NONE)
			g->g_unfirst = 1;
		else
			B->b[g->g_first].is_first = 0;
	}
	if (it->is_last)
		g->g_last = i;
	if (it->is_first)
		g->g_first = i;
	if (!g->g_range || it->vus < g->g_min)
		g->g_min = it->vus;
	if (!g->g_range || it->vus > g->g_max)
		g->g_max = it->vus;
	g->g_range = 1;
	it->chain = g->g_tail;
	g->g_tail = i;
	it->is_new = 1;
	it->date_added = date_added;
	B->n_new++;
}

/* Step 2: put_one's decisions, item by item, against the look-up and the
 * batch's own earlier items. */
static void batch_plan(struct batch *B, int64_t *next)
{
	for (size_t i = 0; i < B->n; i++) {
		struct bitem *it = &B->b[i];
		if (it->valid && it->leader == i) {
			it->g_range = it->db_range;
			it->g_min = it->db_min;
			it->g_max = it->db_max;
			it->g_last = it->g_first = it->g_tail = NONE;
		}
	}
	for (size_t i = 0; i < B->n; i++) {
		struct bitem *it = &B->b[i];
		struct store_put_outcome *o = &B->out[i];
		if (!it->valid)
			continue;
		if (it->sco) {
			/* the version is the date_added it would get */
			it->vus = *next;
			tx_time_format(*next, o->version);
			if (batch_same_sco(B, i)) {
				o->r = 0;
				continue;
			}
		} else if (batch_stored(B, i)) {
			o->r = 0;
			continue;
		}
		batch_add(B, i, (*next)++);
		o->r = 1;
	}
}

/* Run s (no result rows); err says what failed. */
static tx_err run(tx_store *st, store_stmt *s, const char *what,
		  struct tx_error *err)
{
	int r = store_db_step(s);

	store_db_reset(s);
	return r == STORE_DB_DONE ? TX_OK : store_db_error(st, err, what);
}

/* The new items' rowids, from the objects sequence, in item order. */
static tx_err batch_rowids(struct batch *B, struct tx_error *err)
{
	store_stmt *s = NULL;
	size_t i = 0;
	tx_err rc;
	int r;

	/* the sequence named once (MATERIALIZED: not folded into each row's
	 * nextval, where pg_get_serial_sequence's catalog look-up cost 7 us
	 * of server CPU an object) */
	if ((rc = store_db_prepare(B->st, "WITH q AS MATERIALIZED (SELECT"
				   " pg_get_serial_sequence('objects', 'rowid')::regclass"
				   " AS seq) SELECT nextval(q.seq) FROM q,"
				   " generate_series(1, $1::int8) ORDER BY 1", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, (int64_t)B->n_new);
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		while (i < B->n && !B->b[i].is_new)
			i++;
		if (i == B->n)
			break;
		B->b[i++].rowid = store_db_column_int64(s, 0);
	}
	while (i < B->n && !B->b[i].is_new)
		i++;
	if (r != STORE_DB_ROW && r != STORE_DB_DONE)
		rc = store_db_error(B->st, err, "store objects: rowids");
	else if (i != B->n)
		rc = tx_error_set(err, TX_ERR_DB, "store objects: too few rowids");
	store_db_done(B->st, s);
	return rc;
}

/* The stored rows that are no longer their id's last (first) version. */
static tx_err batch_unflag(struct batch *B, int last, struct tx_error *err)
{
	struct pg_array ids;
	store_stmt *s = NULL;
	tx_err rc = TX_OK;

	arr_init(&ids, OID_TEXT);
	for (size_t i = 0; i < B->n; i++)
		if (B->b[i].valid && B->b[i].leader == i &&
		    (last ? B->b[i].g_unlast : B->b[i].g_unfirst))
			arr_text(&ids, B->b[i].id);
	if (ids.n > 0 &&
	    (rc = store_db_prepare(B->st, last ?
				   "UPDATE objects SET is_last = 0 WHERE coll = $1"
				   " AND id = ANY($2::text[]) AND is_last = 1" :
				   "UPDATE objects SET is_first = 0 WHERE coll = $1"
				   " AND id = ANY($2::text[]) AND is_first = 1",
				   &s, err)) == TX_OK) {
		store_db_bind_int64(s, 1, B->coll);
		if ((rc = arr_bind(s, 2, &ids, err)) == TX_OK)
			rc = run(B->st, s, "store objects: flags", err);
	}
	store_db_done(B->st, s);
	arr_free(&ids, 1);
	return rc;
}

/* objects.coll has no foreign key (migration 25): the collection is
 * checked here once for the batch, and key-share locked as the key's
 * check would, so that it cannot be deleted before the commit (its
 * trigger, collections_kept, then sees these rows). No collection: no
 * row, which batch_insert reports. */
static const char *const sql_insert =
	"INSERT INTO objects(rowid, coll, id, type, spec_version, version,"
	" version_us, date_added, is_first, is_last, json, origin, via,"
	" restricted, lane)"
	" SELECT u.r, c.pk, u.id, u.t, u.s, u.v, u.vu, u.da, u.f, u.l, u.j, u.o,"
	" u.w, u.x, u.n FROM (SELECT pk FROM collections WHERE pk = $1"
	" FOR KEY SHARE) AS c, unnest($2::int8[], $3::text[], $4::text[],"
	" $5::text[], $6::text[], $7::int8[], $8::int8[], $9::int8[],"
	" $10::int8[], $11::text[], $12::text[], $13::text[], $14::int8[],"
	" $15::int8[]) AS u(r, id, t, s, v, vu, da, f, l, j, o, w, x, n)";

/* The objects rows of the new items. */
static tx_err batch_insert(struct batch *B, const unsigned char *lanes,
			   struct tx_error *err)
{
	static const uint32_t oids[14] = { OID_INT8, OID_TEXT, OID_TEXT, OID_TEXT,
		OID_TEXT, OID_INT8, OID_INT8, OID_INT8, OID_INT8, OID_TEXT, OID_TEXT,
		OID_TEXT, OID_INT8, OID_INT8 };
	struct pg_array a[14];
	store_stmt *s = NULL;
	tx_err rc;

	for (int k = 0; k < 14; k++)
		arr_init(&a[k], oids[k]);
	for (size_t i = 0; i < B->n; i++) {
		const struct store_item *si = &B->items[i];
		const struct bitem *it = &B->b[i];
		if (!it->is_new)
			continue;
		arr_int8(&a[0], it->rowid);
		arr_text(&a[1], it->id);
		arr_text(&a[2], it->type);
		arr_text(&a[3], it->spec ? it->spec : "2.1");
		arr_text(&a[4], B->out[i].version);
		arr_int8(&a[5], it->vus);
		arr_int8(&a[6], it->date_added);
		arr_int8(&a[7], it->is_first);
		arr_int8(&a[8], it->is_last);
		arr_text(&a[9], it->text);
		arr_text(&a[10], si->origin);
		arr_text(&a[11], si->via);
		arr_int8(&a[12], store_audit_sensitive(it->text, strlen(it->text)));
		/* the lane matters only for what leaves: our own objects */
		arr_int8(&a[13], si->via == NULL && lanes ? lanes[i] : STORE_LANE_BULK);
	}
	if ((rc = store_db_prepare(B->st, sql_insert, &s, err)) == TX_OK) {
		store_db_bind_int64(s, 1, B->coll);
		for (int k = 0; rc == TX_OK && k < 14; k++)
			rc = arr_bind(s, k + 2, &a[k], err);
		if (rc == TX_OK)
			rc = run(B->st, s, "store objects", err);
		if (rc == TX_OK && store_db_changes(B->st) != (int64_t)B->n_new)
			rc = tx_error_set(err, TX_ERR_DB, "store objects: no collection"
					  " %" PRId64, B->coll);
	}
	store_db_done(B->st, s);
	arr_free(a, 14);
	return rc;
}

/* Index arrays: search_text (rowid, name, description, vals), search_refs
 * (ref, type, obj), search_ip (lo, hi, obj), supply_objects (obj). */
enum { X_ROW, X_NAME, X_DESC, X_VALS, X_REF, X_RTYPE, X_ROBJ, X_LO, X_HI,
       X_IOBJ, X_SUPPLY, X_N };

/* Item i's rows of the search and supply indexes, appended to x. */
static void batch_index_rows(struct batch *B, size_t i, struct pg_array *x)
{
	const struct bitem *it = &B->b[i];
	struct store_search_fields f;

	store_search_fields_get(B->items[i].obj, &f);
	for (const char *p = f.refs.data ? f.refs.data : ""; *p;) {
		size_t n = strcspn(p, "\n");
		arr_add(&x[X_REF], p, (int64_t)n);
		arr_text(&x[X_RTYPE], it->type);
		arr_int8(&x[X_ROBJ], it->rowid);
		p += n + (p[n] != '\0');
	}
	if (f.name.len || f.desc.len || f.vals.len) {
		arr_int8(&x[X_ROW], it->rowid);
		arr_text(&x[X_NAME], f.name.data ? f.name.data : "");
		arr_text(&x[X_DESC], f.desc.data ? f.desc.data : "");
		arr_text(&x[X_VALS], f.vals.data ? f.vals.data : "");
	}
	for (const char *p = f.vals.data ? f.vals.data : ""; *p;) {
		size_t n = strcspn(p, "\n");
		char one[64];
		uint32_t lo, hi;
		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (store_search_ipv4_range(one, &lo, &hi)) {
				arr_int8(&x[X_LO], lo);
				arr_int8(&x[X_HI], hi);
				arr_int8(&x[X_IOBJ], it->rowid);
			}
		}
		p += n + (p[n] != '\0');
	}
	if (store_supply_is_object(B->items[i].obj))
		arr_int8(&x[X_SUPPLY], it->rowid);
	store_search_fields_free(&f);
}

/* One INSERT ... SELECT FROM unnest of n arrays from x[first]. */
static tx_err batch_rows(struct batch *B, const char *sql, int with_coll,
			 struct pg_array *x, int first, int n, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if (x[first].n == 0)
		return TX_OK;
	if ((rc = store_db_prepare(B->st, sql, &s, err)))
		return rc;
	if (with_coll)
		store_db_bind_int64(s, 1, B->coll);
	for (int k = 0; rc == TX_OK && k < n; k++)
		rc = arr_bind(s, k + 1 + with_coll, &x[first + k], err);
	if (rc == TX_OK)
		rc = run(B->st, s, "store objects: index", err);
	store_db_done(B->st, s);
	return rc;
}

/* The search and supply index rows of the new items. */
static tx_err batch_index(struct batch *B, struct tx_error *err)
{
	static const uint32_t oids[X_N] = { OID_INT8, OID_TEXT, OID_TEXT, OID_TEXT,
		OID_TEXT, OID_TEXT, OID_INT8, OID_INT8, OID_INT8, OID_INT8, OID_INT8 };
	struct pg_array x[X_N];
	tx_err rc;

	for (int k = 0; k < X_N; k++)
		arr_init(&x[k], oids[k]);
	for (size_t i = 0; i < B->n; i++)
		if (B->b[i].is_new)
			batch_index_rows(B, i, x);
	if (!(rc = batch_rows(B, "INSERT INTO search_text(rowid, name, description,"
			      " vals) SELECT * FROM unnest($1::int8[], $2::text[],"
			      " $3::text[], $4::text[])", 0, x, X_ROW, 4, err)) &&
	    !(rc = batch_rows(B, "INSERT INTO search_refs(ref, type, obj) SELECT *"
			      " FROM unnest($1::text[], $2::text[], $3::int8[])", 0,
			      x, X_REF, 3, err)) &&
	    !(rc = batch_rows(B, "INSERT INTO search_ip(lo, hi, obj) SELECT * FROM"
			      " unnest($1::int8[], $2::int8[], $3::int8[])", 0, x,
			      X_LO, 3, err)))
		rc = batch_rows(B, "INSERT INTO supply_objects(obj, coll) SELECT u.o, $1"
				" FROM unnest($2::int8[]) AS u(o)", 1, x, X_SUPPLY, 1,
				err);
	arr_free(x, X_N);
	return rc;
}

/* Step 3: the writes of the new items. */
static tx_err batch_write(struct batch *B, const unsigned char *lanes,
			  struct tx_error *err)
{
	tx_err rc;

	if (B->n_new == 0)
		return TX_OK;
	/* the flags first: the UPDATEs must not meet the new rows */
	if ((rc = batch_rowids(B, err)) || (rc = batch_unflag(B, 1, err)) ||
	    (rc = batch_unflag(B, 0, err)) || (rc = batch_insert(B, lanes, err)) ||
	    (rc = batch_index(B, err)))
		return rc;
	for (size_t i = 0; i < B->n; i++)
		if (B->b[i].is_new &&
		    (rc = store_withdrawal_note(B->st, B->items[i].obj,
						B->items[i].origin, err)) != TX_OK)
			return rc;
	return TX_OK;
}

tx_err store_put_batch_pg(tx_store *st, int64_t coll,
			  const struct store_item *items, size_t n,
			  const unsigned char *lanes, int64_t *next,
			  struct store_put_outcome *out, struct tx_error *err)
{
	struct batch B = { .st = st, .coll = coll, .items = items, .n = n,
			   .out = out };
	int64_t next0 = *next;
	tx_err rc;

	if ((B.b = calloc(n ? n : 1, sizeof(*B.b))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	if ((rc = batch_classify(&B, err)) == TX_OK &&
	    (rc = batch_lookup(&B, err)) == TX_OK) {
		batch_plan(&B, next);
		rc = batch_write(&B, lanes, err);
	}
	if (rc != TX_OK)
		*next = next0;
	for (size_t i = 0; i < n; i++) {
		free(B.b[i].dumped);
		free(B.b[i].db_last);
	}
	free(B.b);
	return rc;
}
