/*
 * store: the node's SQLite database, the only module that speaks SQL.
 *
 * Users, bearer-token hashes, collections and grants; every version of
 * every STIX object per collection, keyed by (collection, id, version);
 * status resources of POSTs. date_added is strictly increasing across the
 * whole store (microseconds), so (date_added, rowid) orders everything and
 * keyset cursors never skip or repeat an object. One tx_store is one
 * SQLite connection: use one per thread.
 */
#ifndef TRILEX_STORE_STORE_H
#define TRILEX_STORE_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

typedef struct tx_store tx_store;

/* Size of an encoded cursor (a `next` token). */
#define STORE_TOKEN_BUF 48

/*
 * Open the database at path. With create set, make the file (refusing an
 * existing one) and its schema; otherwise open an existing file and bring
 * its schema up to date (migrations). WAL mode, synchronous FULL.
 */
tx_err store_open(const char *path, int create, tx_store **out,
		  struct tx_error *err);
void store_close(tx_store *st);
/* The schema version of the open database. */
int store_schema_version(tx_store *st);
/*
 * A consistent copy of the database at path (a new file, mode 0600; an
 * existing one is refused), taken in one read transaction while writers go
 * on, checked with integrity_check; *objects (may be NULL) gets the number
 * of object versions it holds. (store/backup.c)
 */
tx_err store_backup(tx_store *st, const char *path, int64_t *objects,
		    struct tx_error *err);

/* For connections whose writes may be redone (delivery cursors): commits
 * survive a crash of the process but not of the machine (WAL, synchronous
 * NORMAL). Never for objects or statuses. */
void store_relax_durability(tx_store *st);

/* ---- accounts (store/accounts.c) ---- */

#define STORE_NAME_MAX 64

struct store_user {
	int64_t id;
	char name[STORE_NAME_MAX];
	int admin;
	char peer[TX_PARTY_MAX];  /* a partner node's account: its party */
	int locked;               /* passwords refused until unlocked (filled
	                             by store_user_get only) */
};

/* Names of partner accounts begin with this; no user may take it. */
#define STORE_PEER_PREFIX "peer-"

/*
 * Add a user with an already hashed password. The name is stored in lower
 * case; TX_ERR_EXISTS if taken in any case, TX_ERR_INVALID for a bad name
 * or one with STORE_PEER_PREFIX (the message says which).
 */
tx_err store_user_add(tx_store *st, const char *name, const char *pwhash,
		      int admin, struct tx_error *err);
/* Look a user up by name in any case (an exact match first: accounts made
 * before names were folded may differ only in case); pwhash (may be NULL)
 * receives the stored hash. */
tx_err store_user_get(tx_store *st, const char *name, struct store_user *u,
		      char *pwhash, size_t pwhash_size);
/* Lock (locked 1) or unlock (0) password logins of a user; unlocking also
 * means its earlier failures no longer count. TX_ERR_NOTFOUND if none. */
tx_err store_user_set_locked(tx_store *st, const char *name, int locked,
			     struct tx_error *err);
/* Remember a token hash for a user. */
tx_err store_token_add(tx_store *st, const char *user, const char *token_hash,
		       struct tx_error *err);
/* The user a token hash belongs to; TX_ERR_NOTFOUND if none. */
tx_err store_user_by_token(tx_store *st, const char *token_hash,
			   struct store_user *u);

/* Plain data about one collection, as a given user sees it. */
struct store_collection {
	int64_t pk;
	char id[TX_UUID_BUF];
	char title[256];
	char description[1024];
	char alias[128];
	int can_read;
	int can_write;
};

/* Make a collection; id_out receives its new UUID. */
tx_err store_collection_add(tx_store *st, const char *title,
			    const char *description, const char *alias,
			    char id_out[TX_UUID_BUF], struct tx_error *err);
/*
 * The collection with this alias, made (with title and description) when
 * missing, atomically: processes and threads that race to make it all get
 * the same one. Seen as an admin sees it.
 */
tx_err store_collection_ensure(tx_store *st, const char *title,
			       const char *description, const char *alias,
			       struct store_collection *c, struct tx_error *err);
/* Give a user read and/or write access (replaces earlier grants). */
tx_err store_grant(tx_store *st, const char *user, const char *collection,
		   int can_read, int can_write, struct tx_error *err);
/*
 * The collection with this id (or alias) as user u sees it. Admins see all
 * with read and write. TX_ERR_NOTFOUND when it does not exist or u has
 * neither read nor write on it.
 */
tx_err store_collection_get(tx_store *st, const struct store_user *u,
			    const char *id, struct store_collection *c);
/* Every collection u may see, in creation order; *out is caller-freed. */
tx_err store_collection_list(tx_store *st, const struct store_user *u,
			     struct store_collection **out, size_t *n);

/* ---- objects (store/objects.c) ---- */

/* One object of a POST: valid (obj set) or already refused (message set). */
struct store_item {
	const json_t *obj;   /* borrowed; NULL when refused by validation */
	const char *id;      /* borrowed; the object's id if known, else NULL */
	const char *message; /* borrowed; why it was refused */
	const char *text;    /* borrowed; obj as compact JSON text as it was
	                        sent, or NULL to serialise obj */
	size_t text_len;
	const char *origin;  /* borrowed; party that signed it, NULL: us */
	const char *via;     /* borrowed; partner it came from, NULL: made here */
	/* borrowed, may be NULL: a member of "extensions" that does not make
	 * a new version (a signature); for objects without modified or
	 * created (SCOs), whose sameness is judged by their content */
	const char *ignore_ext;
};

/*
 * Store the valid items in one transaction and record a status resource
 * with every item's outcome (a version already present counts as a
 * success). When this returns TX_OK, everything is committed and durable;
 * status_id receives the new status id.
 */
tx_err store_put_objects(tx_store *st, int64_t collection_pk,
			 const struct store_user *u, const struct store_item *items,
			 size_t n, char status_id[TX_UUID_BUF],
			 struct tx_error *err);

/* A partner's counters, moved in the same commit as what it sent. */
struct store_peer_tally {
	const char *party;
	int64_t received, rejected;
};

/* store_put_objects, and tally (may be NULL) added to the partner's
 * received and rejected counters in the same transaction. */
tx_err store_put_objects_tally(tx_store *st, int64_t collection_pk,
			       const struct store_user *u,
			       const struct store_item *items, size_t n,
			       const struct store_peer_tally *tally,
			       char status_id[TX_UUID_BUF], struct tx_error *err);

/*
 * store_put_objects_tally, for a caller that refused n_unlisted more
 * objects itself and left them out of items (it keeps the reasons of no
 * more failures than store_status_failures_max): they are counted in the
 * status's total and failures, not listed.
 */
tx_err store_put_objects_counted(tx_store *st, int64_t collection_pk,
				 const struct store_user *u,
				 const struct store_item *items, size_t n,
				 int64_t n_unlisted,
				 const struct store_peer_tally *tally,
				 char status_id[TX_UUID_BUF],
				 struct tx_error *err);

/* Which versions of each object a query returns. */
struct store_versions {
	int all;                 /* every version */
	int first;
	int last;
	const int64_t *at;       /* versions with these timestamps (us) */
	size_t n_at;
};

/* A position in (date_added, rowid) order. */
struct store_cursor {
	int64_t date_added;
	int64_t rowid;
};

struct store_query {
	int64_t collection_pk;
	int has_added_after;
	int64_t added_after;        /* us */
	const char *const *ids;     /* match[id]; n_ids == 0: any */
	size_t n_ids;
	const char *const *types;   /* match[type] */
	size_t n_types;
	const char *const *spec_versions; /* match[spec_version] */
	size_t n_spec_versions;
	struct store_versions versions; /* all zero: the last version */
	int64_t limit;              /* rows per page, >= 1 */
	int has_cursor;
	struct store_cursor cursor; /* from a next token */
};

/* One row handed to a query callback; every pointer is borrowed. */
struct store_row {
	int64_t rowid;
	int64_t date_added;
	const char *id;
	const char *version;       /* the version as a STIX timestamp */
	const char *spec_version;
	const char *json;          /* the object as stored */
	size_t json_len;
	const char *origin;        /* party whose verified signature it bears,
	                              NULL when made on this node */
	const char *via;           /* partner it came from, NULL: made here */
	int64_t collection_pk;     /* the collection it is in */
};

/* What a page of a query came to. */
struct store_page {
	size_t n;                  /* rows handed to the callback */
	int more;
	struct store_cursor next;  /* valid when more */
	int stopped;               /* the callback said STORE_ROW_STOP */
	int64_t first_added, last_added;
};

/*
 * What a row callback returns: STORE_ROW_NEXT (0) for the next row;
 * STORE_ROW_STOP when it has what it wants: the query ends there without
 * an error, before that row (not counted, and a cursor stays before it;
 * page->stopped set, page->more 0); STORE_ROW_FAIL (or any other
 * value) when it failed: the query ends with TX_ERR_INTERNAL, and the
 * callback's context says why.
 */
#define STORE_ROW_NEXT 0
#define STORE_ROW_STOP 1
#define STORE_ROW_FAIL (-1)
typedef int (*store_row_fn)(void *ctx, const struct store_row *row);

/* Run a query, handing each row of one page to fn in date_added order
 * (fn may be NULL: the page is only counted). */
tx_err store_query_objects(tx_store *st, const struct store_query *q,
			   store_row_fn fn, void *ctx, struct store_page *page,
			   struct tx_error *err);

/*
 * Run q over every collection of the node (q->collection_pk, cursor and
 * limit are ignored), every page, handing each row to fn; STORE_ROW_STOP
 * from fn ends the scan (TX_OK), STORE_ROW_FAIL fails it. For services that look
 * at the node as a whole (watch list, policy, alerts, directory).
 */
tx_err store_query_every(tx_store *st, const struct store_query *q,
			 store_row_fn fn, void *ctx, struct tx_error *err);

/*
 * Delete the versions of object id that q's version and spec_version
 * filters select (all versions when they are all zero/empty).
 * TX_ERR_NOTFOUND when nothing matched.
 */
tx_err store_delete_object(tx_store *st, const struct store_query *q,
			   const char *id, struct tx_error *err);

/* Count of object versions in a collection (or all when pk is 0). */
tx_err store_count_objects(tx_store *st, int64_t collection_pk, int64_t *n);

/* ---- status resources (store/objects.c) ---- */

/*
 * How the status resources that st writes are kept: at most failures_max
 * failures listed with their reasons (every failure is counted; the
 * status says how many its list leaves out), for ttl_s seconds, after
 * which they are not found and are deleted by later writes. By default
 * 1000 and 7 days. Values below 0 (failures_max) or 1 (ttl_s) leave a
 * setting as it is.
 */
void store_set_status_policy(tx_store *st, int64_t failures_max, int64_t ttl_s);
/* The failures_max of st's status policy. */
int64_t store_status_failures_max(const tx_store *st);

/*
 * The status resource id as TAXII JSON (caller frees with json_decref),
 * if u made it or is an admin; TX_ERR_NOTFOUND otherwise.
 */
tx_err store_status_get(tx_store *st, const struct store_user *u,
			const char *id, json_t **out);
/* The same status resource as JSON text, appended to out: the details
 * lists as stored, nothing parsed and written again. successes 0 leaves
 * the optional list of successes out (the counts stay). When failures
 * were left out of the list, "x_trilex_failures_unlisted" says how many. */
tx_err store_status_text(tx_store *st, const struct store_user *u,
			 const char *id, int successes, struct tx_buf *out);

/* ---- partners (store/peers.c) ---- */

#define STORE_URL_MAX 512
#define STORE_PEM_MAX 8192

/* Plain data about one partner node. */
struct store_peer {
	char party[TX_PARTY_MAX];
	char name[TX_NAME_MAX];
	char url[STORE_URL_MAX];       /* its API root, or "" (key only) */
	char cert_fp[65];              /* SHA-256 of its certificate, hex */
	char cert_pem[STORE_PEM_MAX];
	char sign_pk[65];              /* Ed25519, hex */
	char seal_pk[65];              /* X25519, hex */
	int64_t user_id;               /* its account here */
	int64_t inbox_pk;              /* its inbox collection here */
	struct store_cursor push;      /* last of our objects it acknowledged */
	char pull_token[STORE_TOKEN_BUF]; /* where our pull from it stands */
	int64_t delivered, received, rejected;
	int64_t last_ok;               /* us */
	char last_error[256];
	int64_t last_error_at;
	int batch_sig;                 /* it checks batch signatures */
};

/*
 * Pin a partner: its row, an account "peer-<PARTY>" that no password can
 * open, and its inbox collection (alias "inbox-<PARTY>") that the account
 * may write. TX_ERR_EXISTS when the party, certificate or key is pinned.
 */
tx_err store_peer_add(tx_store *st, struct store_peer *p, struct tx_error *err);
/*
 * The party whose inbox collection c is (its alias is "inbox-<PARTY>"),
 * pointing into c; NULL when c is no inbox. An inbox holds only what its
 * partner sent, signed: store_put_objects refuses anything else in it
 * (TX_ERR_DENIED), and nothing in an inbox is ever this node's own.
 */
const char *store_inbox_party(const struct store_collection *c);
/* Unpin: the row and the account go; the inbox and its objects stay. */
tx_err store_peer_remove(tx_store *st, const char *party, struct tx_error *err);
/* Every partner, by party; *out caller-freed. */
tx_err store_peer_list(tx_store *st, struct store_peer **out, size_t *n);
/* One partner by party, certificate fingerprint or signing key (the
 * others NULL). TX_ERR_NOTFOUND if none. */
tx_err store_peer_find(tx_store *st, const char *party, const char *cert_fp,
		       const char *sign_pk, struct store_peer *p);
/* Record a delivery: the new cursor and how many objects it carried. */
/* (The cursor never moves back.) */
tx_err store_peer_delivered(tx_store *st, const char *party,
			    const struct store_cursor *c, int64_t n);
/* Record a failed delivery or pull. */
tx_err store_peer_failed(tx_store *st, const char *party, const char *error);
/* Record a pull: the new token, objects received and rejected. */
tx_err store_peer_pulled(tx_store *st, const char *party, const char *token,
			 int64_t received, int64_t rejected);
/* Count objects received from / rejected for a partner. */
tx_err store_peer_count(tx_store *st, const char *party, int64_t received,
			int64_t rejected);

/*
 * Objects made on this node (not received from a partner), in
 * (date_added, rowid) order after c, across every collection: what is to
 * be shared. Row pointers are borrowed for the callback's duration.
 */
tx_err store_query_outgoing(tx_store *st, const struct store_cursor *c,
			    int64_t limit, store_row_fn fn, void *ctx,
			    struct store_page *page, struct tx_error *err);
/* The store's clock: the date_added of the last object stored, moved on
 * by deletes too (never back): a cheap "anything changed?" probe. */
int64_t store_last_added(tx_store *st);
/* The newest date_added of this node's own objects (the outbox), or 0:
 * what partners send us does not move it. */
int64_t store_last_own_added(tx_store *st);

/* ---- console sessions and settings (store/sessions.c) ---- */

/* A signed-in console session, with its user (times in us). */
struct store_session {
	struct store_user user;
	int64_t created, expires, last_seen;
	char lang[8];              /* the user's console language, "" unset */
	int64_t last_visit;        /* when the user's previous visit began */
};

/* Remember a session by the hash of its cookie (crypto_token_hash) for
 * user_id until expires; sessions past their end are deleted. */
tx_err store_session_add(tx_store *st, const char *hash, int64_t user_id,
			 int64_t now, int64_t expires, struct tx_error *err);
/* The session of a cookie hash, if it has not expired and was used
 * less than idle us ago (then its use is recorded); TX_ERR_NOTFOUND
 * otherwise, and for locked and partner accounts. */
tx_err store_session_get(tx_store *st, const char *hash, int64_t now,
			 int64_t idle, struct store_session *out);
/* End a session (sign-out); no error when there was none. */
tx_err store_session_delete(tx_store *st, const char *hash,
			    struct tx_error *err);
/* Keep a user's console language. */
tx_err store_console_set_lang(tx_store *st, int64_t user_id, const char *lang,
			      struct tx_error *err);
/* Record that a visit (a sign-in) of the user began at now; *previous
 * gets when the one before began (0: none). */
tx_err store_console_visit(tx_store *st, int64_t user_id, int64_t now,
			   int64_t *previous, struct tx_error *err);

/* ---- search (store/search.c) ---- */

/* Most bytes of a query, and most words in it. */
#define STORE_SEARCH_TEXT_MAX 512
#define STORE_SEARCH_TERMS_MAX 16

/*
 * A search: every word of text must occur (a value such as 10.1.2.3,
 * evil.example or T0801 as a whole, in the values an object names, its
 * name or its description); a text that is one IPv4 address or network
 * (10.0.0.0/8) finds the objects naming an address or network starting
 * inside it. Only last versions, only in the collections listed (the
 * caller's readable ones: the store does not decide who reads what).
 */
struct store_search {
	const char *text;
	const int64_t *colls;      /* collection pks searched */
	size_t n_colls;
	const char *type;          /* only objects of this type; NULL: any */
	int64_t limit;             /* results per page, >= 1 */
	int64_t before;            /* a page's next: results after it; 0 */
};

struct store_search_page {
	size_t n;
	int more;
	int64_t next;              /* for store_search.before, when more */
};

/* Hand the results of one page to fn, newest first (row.json is the
 * object). TX_ERR_INVALID for an empty query or one of too many words,
 * TX_ERR_TOOBIG for one too long. */
tx_err store_search(tx_store *st, const struct store_search *q,
		    store_row_fn fn, void *ctx, struct store_search_page *page,
		    struct tx_error *err);

/* store_search, but for the objects whose references (source_ref,
 * target_ref, object_refs, sighting_of_ref, where_sighted_refs,
 * observed_data_refs, sample_refs) include the id q->text. */
tx_err store_search_refs(tx_store *st, const struct store_search *q,
			 store_row_fn fn, void *ctx,
			 struct store_search_page *page, struct tx_error *err);

/* The values obj names as the index holds them (its pattern's literals,
 * its value, its hashes), one a line, into out (truncated to size);
 * 0 when size is 0. */
int store_object_values(const json_t *obj, char *out, size_t size);

struct store_search_type {
	char type[64];
	int64_t count;
};
/* How many results of each type (at most max types) among the first
 * scan_max results of q (its type, limit and before unused): counts stop
 * there (a caller shows "N or more"). */
tx_err store_search_types(tx_store *st, const struct store_search *q,
			  int64_t scan_max, struct store_search_type *types,
			  size_t max, size_t *n, struct tx_error *err);

/* ---- lists for the console (store/recent.c) ---- */

/* The newest last versions in the collections listed. */
struct store_recent {
	const int64_t *colls;      /* collection pks */
	size_t n_colls;
	const char *type;          /* only "report"s (alerts); NULL: any */
	const char *contains;      /* only objects whose text has this; NULL */
	const char *via;           /* only what this partner sent; NULL: any */
	int64_t limit;
};
/* Hand q's objects to fn, newest first; *n (may be NULL) counts them. */
tx_err store_recent(tx_store *st, const struct store_recent *q,
		    store_row_fn fn, void *ctx, size_t *n, struct tx_error *err);
/* How many object versions were added to collection coll after since,
 * counting at most cap. */
tx_err store_count_added(tx_store *st, int64_t coll, int64_t since,
			 int64_t cap, int64_t *n, struct tx_error *err);
/* The versions of object id in the collections listed (all of them, or
 * only last ones), newest first, at most 1000. */
tx_err store_object_versions(tx_store *st, const int64_t *colls,
			     size_t n_colls, const char *id, int all,
			     store_row_fn fn, void *ctx, size_t *n,
			     struct tx_error *err);
/* How many of this node's own objects come after c (a partner's
 * delivery cursor: its backlog), counting at most cap. */
tx_err store_count_after(tx_store *st, const struct store_cursor *c,
			 int64_t cap, int64_t *n, struct tx_error *err);

/* ---- next tokens ---- */

/* Encode a cursor as an opaque token / decode one (TX_ERR_INVALID). */
void store_cursor_encode(const struct store_cursor *c, char out[STORE_TOKEN_BUF]);
tx_err store_cursor_decode(const char *token, struct store_cursor *c);

#endif
