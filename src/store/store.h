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
/*
 * The backend every later store_open of this process uses: "sqlite" (the
 * default: path is the database file) or "postgres" (conninfo, a libpq
 * connection string or URI; store_open's path is then not used). A
 * conninfo with a password is refused (TX_ERR_INVALID): it belongs in a
 * service file, PGPASSFILE or a passfile=PATH of mode 0600. Call before
 * starting threads. (store/store.c, docs/store-postgres.md)
 */
tx_err store_configure(const char *backend, const char *conninfo,
		       struct tx_error *err);
/* store_open on the backend named ("sqlite": path; "postgres":
 * conninfo, checked as store_configure checks it, and path names the
 * notify file), whatever store_configure chose: `trilex migrate` opens
 * both. */
tx_err store_open_as(const char *backend, const char *conninfo,
		     const char *path, int create, tx_store **out,
		     struct tx_error *err);
/* 1 when the store's database server cannot be reached (PostgreSQL: the
 * connection is lost; it is made again at the next statement outside a
 * transaction): callers answer "try again" (TAXII 503), not "failed".
 * Always 0 on SQLite. */
int store_unavailable(tx_store *st);
/* "sqlite" or "postgres": what store_configure chose. */
const char *store_backend_name(void);
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

/* ---- a streaming read replica (PostgreSQL; store/replica.c) ---- */

/*
 * The replica later store_open_replica calls connect to (read_conninfo;
 * NULL or "": none) and the lag past which it is not used (ms). Needs the
 * postgres backend (store_configure first); a password in it is refused
 * as in store_configure's. Call before starting threads.
 */
tx_err store_configure_replica(const char *read_conninfo, int64_t max_lag_ms,
				struct tx_error *err);
/* 1 when store_configure_replica set a replica. */
int store_replica_configured(void);
/* A connection to the replica for reads only (no migrations): give it to
 * read calls (store_query_objects, store_search, ...), never to writes. */
tx_err store_open_replica(tx_store **out, struct tx_error *err);
/* Who writes on st from now on ("user:NAME", the audit trail's name;
 * NULL or "": no one). With a replica configured, each write transaction
 * of st bumps that writer's mark (table write_marks) before its COMMIT,
 * so that store_replica_check can tell whether a replica has it. */
void store_set_writer(tx_store *st, const char *principal);
enum store_replica_verdict {
	STORE_REPLICA_OK,          /* read from the replica */
	STORE_REPLICA_OWN_WRITES,  /* it lacks the reader's last write */
	STORE_REPLICA_LAGGING,     /* further behind than read_max_lag_ms */
	STORE_REPLICA_DOWN,        /* unreachable, or not a streaming standby */
	STORE_REPLICA_N
};
/* "replica", "own_writes", "lagging", "down" (metrics labels). */
const char *store_replica_verdict_name(enum store_replica_verdict v);
/*
 * Whether principal's reads may go to replica now (one statement on
 * each): OK when the replica is a standby still streaming, holds
 * principal's last write (its mark equals the primary's), and is either
 * level with the primary's WAL or behind it by at most read_max_lag_ms
 * of commits. Otherwise the verdict, and why (n bytes) for the log.
 */
enum store_replica_verdict store_replica_check(tx_store *primary,
					       tx_store *replica,
					       const char *principal,
					       char *why, size_t n);

/* ---- copying a store into another backend (store/migrate.c) ---- */

#define STORE_MIGRATE_NAME 80
#define STORE_MIGRATE_HASH 17
/* One table (or collection) on both sides: rows (object versions), a
 * digest of their content (hex), and rows copied by this run. */
struct store_migrate_row {
	char name[STORE_MIGRATE_NAME];
	int64_t src, dst, copied;
	char src_hash[STORE_MIGRATE_HASH], dst_hash[STORE_MIGRATE_HASH];
};
struct store_migrate_report {
	struct store_migrate_row *tables;   /* owned: the tables copied */
	size_t n_tables;
	struct store_migrate_row *colls;    /* owned: by collection */
	size_t n_colls;
	size_t differ;                      /* rows of either list that differ */
	int resumed;                        /* an earlier copy went on */
};
/* Copy every table of src's schema (store/schema.c's list) into dst, an
 * empty store of the same schema version (TX_ERR_EXISTS otherwise) or
 * one an interrupted copy left, which goes on where it stopped. */
tx_err store_migrate_copy(tx_store *src, tx_store *dst,
			  struct store_migrate_report *r, struct tx_error *err);
/* Rows and digests of every table, object versions and a hash of them by
 * collection, on both sides (r->differ: how many differ). */
tx_err store_migrate_check(tx_store *src, tx_store *dst,
			   struct store_migrate_report *r, struct tx_error *err);
/* After a verified copy: drop the destination's record of its progress. */
tx_err store_migrate_finish(tx_store *dst, struct tx_error *err);
void store_migrate_report_free(struct store_migrate_report *r);
/* The tables of st's database that schema.c's list does not name, comma
 * separated into out ("" when none). */
tx_err store_migrate_unlisted(tx_store *st, char *out, size_t n,
			      struct tx_error *err);

/* For connections whose writes may be redone (delivery cursors): commits
 * survive a crash of the process but not of the machine (WAL, synchronous
 * NORMAL). Never for objects or statuses. */
void store_relax_durability(tx_store *st);

/* ---- accounts (store/accounts.c) ---- */

#define STORE_NAME_MAX 64

/*
 * What an account may do. Each role is a fixed set of these (the table in
 * store/roles.c, printed by `trilex role list`); store_user_may is the one
 * check every route and service asks. Collection rights still need a
 * grant for the collection (TX_RIGHT_READ, TX_RIGHT_WRITE), unless the
 * role has TX_RIGHT_ALL_COLLECTIONS.
 */
enum tx_right {
	TX_RIGHT_READ,            /* read the collections granted */
	TX_RIGHT_WRITE,           /* write (POST, DELETE) the collections granted */
	TX_RIGHT_ALERT,           /* raise alerts */
	TX_RIGHT_ASSESS,          /* ask for a use-of-force assessment */
	TX_RIGHT_PROPOSE,         /* propose watch-list and policy changes */
	TX_RIGHT_ACK,             /* acknowledge alerts */
	TX_RIGHT_VOTE,            /* vote for the party */
	TX_RIGHT_ALL_COLLECTIONS, /* read and write every collection */
	TX_RIGHT_ACCOUNTS,        /* users, tokens, grants, keys */
	TX_RIGHT_PARTNERS,        /* partners and their pins */
	TX_RIGHT_SETTINGS,        /* the node's settings */
	TX_RIGHT_AUDIT,           /* read the audit trail */
	TX_RIGHT_COUNT
};

/* The roles; 0 is no role (no right at all). */
enum store_role {
	STORE_ROLE_NONE,
	STORE_ROLE_READER,
	STORE_ROLE_ANALYST,
	STORE_ROLE_DUTY_OFFICER,
	STORE_ROLE_ADMIN,
	STORE_ROLE_COUNT
};

struct store_user {
	int64_t id;
	char name[STORE_NAME_MAX];
	int admin;                /* role is STORE_ROLE_ADMIN (kept for the
	                             callers that act as the node itself) */
	char peer[TX_PARTY_MAX];  /* a partner node's account: its party */
	int locked;               /* passwords refused until unlocked (filled
	                             by store_user_get only) */
	enum store_role role;
	int disabled;             /* refused everywhere until enabled */
};

/*
 * Whether u has right r: by its role (admin set: the admin role); a
 * partner's account has only TX_RIGHT_READ and TX_RIGHT_WRITE (by grant,
 * its inbox), a disabled account none.
 */
int store_user_may(const struct store_user *u, enum tx_right r);
/* A role's name ("duty-officer"), or NULL when out of range. */
const char *store_role_name(enum store_role role);
/* The role called name; TX_ERR_INVALID (err says which exist) if none. */
tx_err store_role_parse(const char *name, enum store_role *out,
			struct tx_error *err);
/* Whether role holds right r (the table itself). */
int store_role_has(enum store_role role, enum tx_right r);
/* A right's name ("assess") and what it allows, or NULL out of range. */
const char *store_right_name(enum tx_right r);
const char *store_right_summary(enum tx_right r);

/* Names of partner accounts begin with this; no user may take it. */
#define STORE_PEER_PREFIX "peer-"
/* Nor this: the accounts of read-only API keys (store_key_add). */
#define STORE_KEY_PREFIX "key-"

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
/* store_user_add with a role (store_user_add: admin or analyst). */
tx_err store_user_add_role(tx_store *st, const char *name, const char *pwhash,
			   enum store_role role, struct tx_error *err);
/* The user with this id (as store_user_get); TX_ERR_NOTFOUND if none. */
tx_err store_user_get_id(tx_store *st, int64_t id, struct store_user *u,
			 char *pwhash, size_t pwhash_size);
/*
 * Changes to one of this node's users (TX_ERR_NOTFOUND if none,
 * TX_ERR_DENIED for a partner's account). Each takes effect at the next
 * request, also on connections and streams already open: remove (its
 * tokens and grants go too), disable/enable (a disabled account is refused
 * everywhere, its tokens too), a new password hash, a new role.
 */
tx_err store_user_remove(tx_store *st, const char *name, struct tx_error *err);
tx_err store_user_set_disabled(tx_store *st, const char *name, int disabled,
			       struct tx_error *err);
tx_err store_user_set_password(tx_store *st, const char *name,
			       const char *pwhash, struct tx_error *err);
tx_err store_user_set_role(tx_store *st, const char *name, enum store_role role,
			   struct tx_error *err);

/* One row of store_user_list. */
struct store_user_info {
	struct store_user user;
	int64_t created;          /* us */
	int64_t n_tokens;
};
/* Every account (partners' too), by name; *out caller-freed. */
tx_err store_user_list(tx_store *st, struct store_user_info **out, size_t *n);

/* Remember a token hash for a user (named "token-" and the first 8 hex
 * digits of the hash, never expiring). */
tx_err store_token_add(tx_store *st, const char *user, const char *token_hash,
		       struct tx_error *err);
/* The same with a name (letters, digits, -_.; unique per user; NULL or
 * "": as store_token_add) and an expiry (us since the epoch; 0: never). */
tx_err store_token_add_named(tx_store *st, const char *user,
			     const char *token_hash, const char *name,
			     int64_t expires, struct tx_error *err);
/* Forget a user's token by name; TX_ERR_NOTFOUND if it has none such. */
tx_err store_token_revoke(tx_store *st, const char *user, const char *name,
			  struct tx_error *err);
/* What is known of a token: never the token, nor its hash. */
struct store_token_info {
	char user[STORE_NAME_MAX];
	char name[STORE_NAME_MAX];
	int64_t created, last_used, expires;  /* us; 0: never */
};
/* The tokens of user (NULL: of everyone), by user and age; *out
 * caller-freed. */
tx_err store_token_list(tx_store *st, const char *user,
			struct store_token_info **out, size_t *n);
/* The user a token hash belongs to; TX_ERR_NOTFOUND if none, or when the
 * token has expired or its account is disabled. Records the token's last
 * use (to the minute); *first (may be NULL) is set when this use was
 * recorded (its first in a minute: a sign-in to audit), and name (may be
 * NULL, STORE_NAME_MAX bytes) receives the token's name. */
tx_err store_user_by_token(tx_store *st, const char *token_hash,
			   struct store_user *u, int *first, char *name);

/* ---- audit trail (store/audit.c) ---- */

/*
 * The node's audit trail: append-only, each entry chained to the one
 * before by BLAKE2b-256 (see store/audit.c). Fields longer than their
 * buffer below are cut (at a UTF-8 boundary).
 */
#define STORE_AUDIT_HASH_BUF 65
struct store_audit_entry {
	int64_t seq;                     /* 1, 2, ... */
	int64_t at;                      /* us */
	char actor[128];                 /* "user:alice", "partner:UK", "cli:root" */
	char address[64];                /* client address, or "" */
	char action[32];                 /* "signin", "user.remove", "read", ... */
	char what[256];                  /* what it was done to */
	char detail[1024];
	char prev[STORE_AUDIT_HASH_BUF]; /* hash of entry seq-1 (hex) */
	char hash[STORE_AUDIT_HASH_BUF]; /* this entry's (hex) */
};

/*
 * Append one entry: who (actor), what they did (action, required), to
 * what, and anything else worth keeping (detail). Durable when it returns
 * TX_OK. This is the one function every module calls to record what it
 * must; what/detail may be NULL. Errors: TX_ERR_INVALID without an
 * action, TX_ERR_DB (err says why).
 */
tx_err store_audit(tx_store *st, const char *actor, const char *action,
		   const char *what, const char *detail, struct tx_error *err);
/* The same, with the client address the request came from (sign-ins). */
tx_err store_audit_from(tx_store *st, const char *actor, const char *address,
			const char *action, const char *what,
			const char *detail, struct tx_error *err);

/* Fill e for store_audit_batch: the fields (cut to their sizes), seq,
 * at (0: the time of the append), prev and hash empty. */
void store_audit_entry_set(struct store_audit_entry *e, const char *actor,
			   const char *address, const char *action,
			   const char *what, const char *detail);
/* Append n entries (filled by store_audit_entry_set, at the time of what
 * they record) in one transaction: for callers that queue entries and
 * write them together. seq, prev and hash are filled in. */
tx_err store_audit_batch(tx_store *st, struct store_audit_entry *entries,
			 size_t n, struct tx_error *err);

/* Which entries store_audit_list hands over, oldest first. */
struct store_audit_query {
	int64_t since;         /* us; 0: from the first */
	int64_t after_seq;     /* only entries after this one */
	const char *actor;     /* NULL: anyone (compared without case) */
	const char *action;    /* NULL: any */
	int64_t limit;         /* <= 0: all */
};
/* fn returns non-zero to stop; the entry is borrowed for the call. */
typedef int (*store_audit_fn)(void *ctx, const struct store_audit_entry *e);
tx_err store_audit_list(tx_store *st, const struct store_audit_query *q,
			store_audit_fn fn, void *ctx, struct tx_error *err);
/* The last entry with this action; TX_ERR_NOTFOUND if none. */
tx_err store_audit_last(tx_store *st, const char *action,
			struct store_audit_entry *e);
/* Entry seq (seq <= 0: the last, the chain's head); TX_ERR_NOTFOUND. */
tx_err store_audit_get(tx_store *st, int64_t seq, struct store_audit_entry *e);
/*
 * Walk the whole chain: every entry's hash recomputed, every link and
 * every number checked. TX_OK with *n_checked entries; TX_ERR_INVALID
 * naming the first entry that was changed, replaced or follows a gap.
 * (Entries cut off the end are found against the heads partners hold.)
 */
tx_err store_audit_verify(tx_store *st, int64_t *n_checked,
			  struct tx_error *err);
/* Whether an object (its JSON) is marked TLP:RED or TLP:AMBER+STRICT, so
 * that reading it is recorded. Cheap: no parsing. */
int store_audit_sensitive(const char *json, size_t len);

/* ---- read-only API keys (store/accounts.c) ---- */

/*
 * A key for a SIEM or another TAXII client: an account "key-NAME" with the
 * reader role, no password, read grants on the collections given (ids or
 * aliases; all must exist, else nothing is made) and one token, the key,
 * of which only key_hash is kept; expires in us (0: never).
 */
tx_err store_key_add(tx_store *st, const char *name, const char *key_hash,
		     const char *const *collections, size_t n_collections,
		     int64_t expires, struct tx_error *err);
/* Revoke a key: its account, token and grants go. TX_ERR_NOTFOUND. */
tx_err store_key_remove(tx_store *st, const char *name, struct tx_error *err);
/* Whether u is an API key's account. */
int store_user_is_key(const struct store_user *u);
struct store_key_info {
	char name[STORE_NAME_MAX];
	char collections[1024];          /* ids, comma-separated (cut) */
	int64_t created, last_used, expires;
};
/* Every key, by name; *out caller-freed. */
tx_err store_key_list(tx_store *st, struct store_key_info **out, size_t *n);

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
/* Take a user's grant on a collection away; TX_ERR_NOTFOUND if it had
 * none (or there is no such user or collection; err says which). */
tx_err store_grant_revoke(tx_store *st, const char *user,
			  const char *collection, struct tx_error *err);
/*
 * The collection with this id (or alias) as user u sees it. Roles with
 * TX_RIGHT_ALL_COLLECTIONS see all with read and write; otherwise the
 * grant, capped by what u's role may (a reader's write grant writes
 * nothing). TX_ERR_NOTFOUND when it does not exist or u has
 * neither read nor write on it.
 */
tx_err store_collection_get(tx_store *st, const struct store_user *u,
			    const char *id, struct store_collection *c);
/* Every collection u may see, in creation order; *out is caller-freed. */
tx_err store_collection_list(tx_store *st, const struct store_user *u,
			     struct store_collection **out, size_t *n);

/* ---- what of a collection leaves the node (store/sharing.c) ---- */

/*
 * A collection's sharing policy is text: STORE_SHARE_LOCAL (nothing of it
 * leaves the node, by push or by pull), STORE_SHARE_PARTNERS (every
 * partner its TLP entitles) or party codes separated by commas ("FR,UK":
 * those of them its TLP entitles). store_collection_add makes local
 * collections; store_collection_ensure (the collections trilex makes for
 * shared work: alerts, watch, policies, directory) shared ones.
 */
#define STORE_SHARE_BUF 128
#define STORE_SHARE_LOCAL "local"
#define STORE_SHARE_PARTNERS "partners"

/* Check a sharing policy and write it in its stored form into out (a
 * list without repeated parties). TX_ERR_INVALID says what is wrong. */
tx_err store_share_parse(const char *text, char out[STORE_SHARE_BUF],
			 struct tx_error *err);
/* Whether share (stored form) lets party have the collection's objects
 * that TLP entitles it to. */
int store_share_allows(const char *share, const char *party);
/* The sharing policy of collection pk; TX_ERR_NOTFOUND if none. */
tx_err store_collection_share(tx_store *st, int64_t pk,
			      char out[STORE_SHARE_BUF]);
/*
 * Set the sharing policy of collection pk. When it lets some party have
 * what it could not before, the collection's own objects go back into
 * the outbox, in the same transaction: their date_added becomes now (in
 * their order), so every partner gets them from then on; *requeued (may
 * be NULL) says how many object versions.
 */
tx_err store_collection_set_share(tx_store *st, int64_t pk, const char *share,
				  int64_t *requeued, struct tx_error *err);

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
	/* the collection holds this very version with this very text, come
	 * the same way (store_object_held): not stored again, counted as a
	 * duplicate ("already present") */
	int held;
};

/*
 * Delivery lanes: each object made on this node is stored on one, and
 * each partner has a cursor per lane (store_peer.push and .prio), so
 * what the priority lane holds leaves ahead of a bulk backlog.
 */
#define STORE_LANE_BULK 0
#define STORE_LANE_PRIORITY 1
/*
 * Decides the lane of each of n items stored together (items[i].obj is
 * NULL for those refused): lanes[i] = STORE_LANE_*, all bulk on entry.
 * The store knows no lane rules: the process installs its classifier
 * once, before any store is opened (main: federation's fed_store_lanes);
 * without one every object is bulk.
 */
typedef void (*store_lane_fn)(const struct store_item *items, size_t n,
			      unsigned char *lanes);
void store_set_lane_classifier(store_lane_fn fn);

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
	int64_t received, rejected;  /* received: ignored (see below) */
};

/* store_put_objects, and tally (may be NULL) added to the partner's
 * counters in the same transaction: rejected as given; the versions
 * stored anew to received, those already present to duplicates. */
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
	int restricted;            /* marked TLP:RED or AMBER+STRICT (set by
	                              store_query_objects only) */
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

/* ---- withdrawals (store/withdrawals.c) ---- */

/* The type of a withdrawal notice (object_refs, reason), and the property
 * of a revoked version that says why. */
#define STORE_WITHDRAWAL_TYPE "x-trilex-withdrawal"
#define STORE_WITHDRAWAL_REASON "x_trilex_withdrawal_reason"
#define STORE_WITHDRAWAL_REASON_MAX 1024
/* The most object_refs of one notice that are taken. */
#define STORE_WITHDRAWAL_REFS_MAX 1000
#define STORE_WITHDRAWAL_ID_BUF 300

struct store_withdrawal {
	char party[TX_PARTY_MAX];   /* who withdrew it ("" : this node) */
	char reason[STORE_WITHDRAWAL_REASON_MAX];
	char notice[STORE_WITHDRAWAL_ID_BUF]; /* the revoked version's or notice's id */
	int64_t at;                 /* when it was stored here (us) */
};

/*
 * Whether object id is withdrawn here: a revoked version of it, or a
 * notice naming it, from a party that is the origin of a stored version
 * of it or the partner one came through; and so for every copy of it
 * (the last version in each collection holding it): a copy that another
 * party still stands by keeps it in use. TX_OK and *w (may be NULL)
 * filled; TX_ERR_NOTFOUND when not withdrawn; TX_ERR_DB.
 */
tx_err store_withdrawal_get(tx_store *st, const char *id,
			    struct store_withdrawal *w);

/*
 * How many versions of object id the store holds (*n_versions), and of
 * those how many party (NULL or "": this node) signed, or with or_via
 * passed on to us (*n_by). For "only the origin withdraws its objects".
 */
tx_err store_object_spoken(tx_store *st, const char *id, const char *party,
			   int or_via, int64_t *n_versions, int64_t *n_by);

/*
 * Whether collection coll holds the version version_us of object id with
 * exactly the text text (len bytes), come via partner via: 1 yes, 0 no,
 * -1 when the database failed. What a partner sends again (a resend, or
 * what a pull brought first) is then known without checking it again.
 */
int store_object_held(tx_store *st, int64_t coll, const char *id,
		      int64_t version_us, const char *text, size_t len,
		      const char *via);

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
	struct store_cursor push;      /* last of our bulk-lane objects it
	                                  acknowledged (or was passed over) */
	struct store_cursor prio;      /* the same on the priority lane */
	char pull_token[STORE_TOKEN_BUF]; /* where our pull from it stands */
	int64_t delivered;             /* objects of ours it acknowledged */
	int64_t received;              /* objects from it new here */
	int64_t duplicates;            /* objects from it we had already */
	int64_t rejected;
	int64_t last_ok;               /* us */
	char last_error[256];
	int64_t last_error_at;
	int batch_sig;                 /* it checks batch signatures */
	char role[16];                 /* STORE_PARTY_MEMBER, _OBSERVER, _SUSPENDED */
	char held_role[16];            /* suspended: its role before, else "" */
};

/* A partner's role in the partnership (migration 18; the partners decide
 * it by vote, watch/partners.c). A member gets what TLP and the
 * collections' sharing allow; an observer only CLEAR, GREEN, the
 * use-of-force policy and what names it (fed_partner_entitled); a
 * suspended partner nothing, and nothing of it is taken. */
#define STORE_PARTY_MEMBER "member"
#define STORE_PARTY_OBSERVER "observer"
#define STORE_PARTY_SUSPENDED "suspended"
int store_peer_role_valid(const char *role);
/* The newest date_added of a proposal or vote of the watch list's kind
 * (x-trilex-watch-proposal, -vote: the partnership's decisions), 0 when
 * none, -1 on error; by a partial index, however many objects there are. */
int64_t store_last_vote_added(tx_store *st);
/*
 * Set party's role (one of the three). Suspending a partner keeps its
 * cursors and role as they were (held_role); reinstating it (any other
 * role) rewinds its cursors there, so that what its role entitles it to
 * and the cursors passed over while it was suspended is sent then, once,
 * and nothing it had before. A batch that left before the suspension and
 * is acknowledged during it counts as had.
 */
tx_err store_peer_set_role(tx_store *st, const char *party, const char *role,
			   struct tx_error *err);
/* The newest date_added of a policy version or approval (the partial
 * index objects_policies), 0 when none, -1 on error. */
int64_t store_last_policy_added(tx_store *st);
/*
 * Once, for the policy version of digest that came into force: the
 * cursors of the observers (and the held cursors of suspended observers)
 * that are past the earliest of this node's own objects of ids (the
 * version's proposal and approvals) go back to just before it on its
 * lane, so that delivery sends them now. *done: 1 when done now, 0 when
 * it was done before (policy_released). Objects of the observer's share
 * between there and where its cursor was are sent again (it keeps one
 * copy of each).
 */
tx_err store_policy_release(tx_store *st, const char *digest,
			    const char *const *ids, size_t n, int *done,
			    struct tx_error *err);

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
/* Record a delivery the partner acknowledged (last_ok moves): the new
 * cursor and how many objects it carried. (The cursor never moves back.)
 * Both lanes' cursors move to c: everything of the outbox up to c was
 * given (a partner's pull by /trilex/v1/sync). */
tx_err store_peer_delivered(tx_store *st, const char *party,
			    const struct store_cursor *c, int64_t n);
/* Move the cursors over rows none of which were for the partner: no
 * contact, so not a success (last_ok stays). */
tx_err store_peer_passed(tx_store *st, const char *party,
			 const struct store_cursor *c);
/* store_peer_delivered (n > 0, or contact) and store_peer_passed for one
 * lane's cursor only (STORE_LANE_*), for rows that began after from: a
 * cursor moved back behind from meanwhile (a rewind) stays. With holder
 * (not NULL), nothing changes unless holder holds the lease named party
 * (store_lease_claim): a delivery that lost its lease is fenced off. */
tx_err store_peer_lane_moved(tx_store *st, const char *party, int lane,
			     const char *holder,
			     const struct store_cursor *from,
			     const struct store_cursor *c, int64_t n,
			     int contact);
/* Pin partner p->party anew from a card it handed over: name, URL (kept
 * when p->url is ""), certificate and keys; its last error is forgotten,
 * its cursors and counters stay. TX_ERR_NOTFOUND when not pinned,
 * TX_ERR_EXISTS when another partner has that certificate or key. */
tx_err store_peer_repin(tx_store *st, const struct store_peer *p,
			struct tx_error *err);
/* Set a partner's URL (it moved); its last error is forgotten, being of
 * the old address. TX_ERR_NOTFOUND when no such partner. A delivery worker
 * reads it at once (federation/deliver.c). */
tx_err store_peer_set_url(tx_store *st, const char *party, const char *url,
			  struct tx_error *err);
/* What partner p has yet to get: the objects of the outbox after its
 * cursor and the date_added of the first of them (0 when none). */
tx_err store_peer_lag(tx_store *st, const struct store_peer *p, int64_t *objects,
		      int64_t *oldest_added);
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
 * (date_added, rowid) order after c, across every collection that is not
 * local (row.collection_pk says which): what is to be shared. Row pointers are borrowed for the callback's duration.
 */
tx_err store_query_outgoing(tx_store *st, const struct store_cursor *c,
			    int64_t limit, store_row_fn fn, void *ctx,
			    struct store_page *page, struct tx_error *err);
/* store_query_outgoing for one lane's objects only (STORE_LANE_*). */
tx_err store_query_lane(tx_store *st, int lane, const struct store_cursor *c,
			int64_t limit, store_row_fn fn, void *ctx,
			struct store_page *page, struct tx_error *err);
/* A partner's backlog over both lanes: the objects after its cursor on
 * each (*n) and the date_added of the oldest of them (*first, 0: none). */
tx_err store_peer_backlog(tx_store *st, const struct store_peer *p, int64_t *n,
			  int64_t *first);
/*
 * How many of the objects store_query_outgoing would give after c there
 * are (*n), and the date_added of the first of them (*first, 0 when
 * none): a partner's backlog and how far behind it is.
 */
tx_err store_count_outgoing(tx_store *st, const struct store_cursor *c,
			    int64_t *n, int64_t *first);
/* The store's clock: the date_added of the last object stored, moved on
 * by deletes too (never back): a cheap "anything changed?" probe. */
int64_t store_last_added(tx_store *st);
/* The newest date_added of this node's own objects (the outbox), or 0:
 * what partners send us does not move it. */
int64_t store_last_own_added(tx_store *st);

/* ---- commits, announced (store/notify.c) ---- */

/*
 * A waiter for commits to the database at db_path by any process: every
 * connection of the store touches a file beside the database after each
 * commit, and the watch is an inotify watch on it (so nothing polls).
 * Opaque; one thread waits on it at a time.
 */
typedef struct store_watch store_watch;
tx_err store_watch_open(const char *db_path, store_watch **out,
			struct tx_error *err);
/* Wait up to timeout_ms (< 0: no limit) for commits: 1 when there were
 * some (all those queued count as one), 0 when the time was up or
 * store_watch_interrupt was called, -1 on error. */
int store_watch_wait(store_watch *w, int timeout_ms);
/* Whether w looks at the file every 50 ms instead (no inotify instance
 * was left: the per-user limit, fs.inotify.max_user_instances). */
int store_watch_polls(const store_watch *w);
/* End a store_watch_wait in progress (or the next one) early; any thread. */
void store_watch_interrupt(store_watch *w);
void store_watch_close(store_watch *w);
/* From now on st's commits are not announced: for a connection whose
 * writes no waiter needs (the server's audit writer: its batches of read
 * records would wake delivery and the alert streams for nothing). */
void store_notify_quiet(tx_store *st);

/* ---- leases: one holder of a task across processes (store/leases.c) ---- */

#define STORE_LEASE_HOLDER_MAX 128
/*
 * Take or keep lease name for holder until now_us + ttl_us. *held: 1 when
 * holder has it now (it was free, expired, holder's already, or held by
 * steal_from, a holder the caller knows to be dead; NULL: none), else 0.
 * cur and expires (each may be NULL) receive who holds it and until when.
 */
tx_err store_lease_claim(tx_store *st, const char *name, const char *holder,
			 const char *steal_from, int64_t now_us, int64_t ttl_us,
			 int *held, char cur[STORE_LEASE_HOLDER_MAX],
			 int64_t *expires, struct tx_error *err);
/* Renew, in one transaction (one commit), the n leases names[] that
 * holder holds, until now_us + ttl_us; held[i]: 1 when names[i] was still
 * holder's (renewed), 0 when another took it or it was released. */
tx_err store_lease_renew(tx_store *st, const char *holder,
			 const char (*names)[TX_PARTY_MAX], size_t n,
			 int64_t now_us, int64_t ttl_us, int *held,
			 struct tx_error *err);
/* Who holds lease name and until when; TX_ERR_NOTFOUND when nobody did. */
tx_err store_lease_get(tx_store *st, const char *name,
		       char holder[STORE_LEASE_HOLDER_MAX], int64_t *expires);
/* Give up lease name (NULL: every lease) of holder. */
tx_err store_lease_release(tx_store *st, const char *name, const char *holder,
			   struct tx_error *err);

/* ---- outside TAXII feeds (store/feeds.c) ---- */

#define STORE_FEED_SECRET_MAX 1024
#define STORE_FEED_PEM_MAX (64 * 1024)
#define STORE_FEED_REASONS_MAX 4096

/* How a feed authenticates to its server. */
enum store_feed_auth {
	STORE_FEED_AUTH_NONE,
	STORE_FEED_AUTH_BASIC,     /* user and secret (the password) */
	STORE_FEED_AUTH_BEARER,    /* Authorization: Bearer secret */
	STORE_FEED_AUTH_API_KEY,   /* X-API-Key: secret */
};

/* Plain data about one feed: an outside TAXII collection polled into a
 * local one. The secret is kept in the database (a private file) and
 * never shown. */
struct store_feed {
	char name[STORE_NAME_MAX];
	char url[STORE_URL_MAX];       /* the server's API root */
	char collection[256];          /* the remote collection's id */
	int64_t into_pk;               /* the local collection */
	char into[128];                /* its alias, or its id (filled by reads) */
	enum store_feed_auth auth;
	char user[256];
	char secret[STORE_FEED_SECRET_MAX];
	char cacert[STORE_FEED_PEM_MAX]; /* PEM to trust, "" for the system's */
	int64_t every_s;
	int64_t page_limit;            /* objects asked per page */
	int64_t max_pages;             /* pages per run at most */
	int64_t max_page_bytes;        /* bytes of one answer at most */
	/* where it stands: added_after of the next run, as the server wrote
	 * its X-TAXII-Date-Added-Last ("" before the first page) */
	char added_after[64];
	int64_t pages, received, added, present, rejected;
	char reasons[STORE_FEED_REASONS_MAX]; /* {"reason": count} of rejected */
	int64_t last_run, last_ok;     /* us */
	char last_error[512];
	int64_t last_error_at;
	int64_t runs, errors;          /* polls made; those with an error */
	int reshare;                   /* its objects may enter the outbox (when
	                                  the collection is shared; TLP applies) */
};

/* Add a feed; TX_ERR_EXISTS when the name is taken, TX_ERR_DENIED when
 * into_pk is a partner's inbox. */
tx_err store_feed_add(tx_store *st, const struct store_feed *f,
		      struct tx_error *err);
/* Remove a feed (what it brought stays); TX_ERR_NOTFOUND if none. */
tx_err store_feed_remove(tx_store *st, const char *name, struct tx_error *err);
/* One feed by name; TX_ERR_NOTFOUND if none. */
tx_err store_feed_get(tx_store *st, const char *name, struct store_feed *f);
/* Every feed, by name; *out caller-freed (large: each holds its PEM). */
tx_err store_feed_list(tx_store *st, struct store_feed **out, size_t *n);

/* What one page (or one run) of a feed came to. */
struct store_feed_tally {
	int64_t pages, received, added, present, rejected;
	int64_t runs;          /* 1 when this records the end of a run */
	const char *reasons;   /* {"reason": count} to add, or NULL */
	const char *added_after; /* the new position, or NULL: unchanged */
	int ok;                /* the run ended well: last_ok = now */
	const char *error;     /* or it failed: last_error (NULL: neither) */
};
/* Add t to the counters of feed name and set what it says, with
 * last_run = now, in one transaction. TX_ERR_NOTFOUND if none. */
tx_err store_feed_record(tx_store *st, const char *name,
			 const struct store_feed_tally *t, struct tx_error *err);
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

/* ---- failed passwords (store/authfail.c) ---- */

/* Rows kept per scope at most (the least recently failed make room). */
#define STORE_AUTH_FAIL_ROWS 10000
/* The failed passwords of one name or address in a scope ("taxii.name",
 * "taxii.addr", "console.name"); data, len: the name or address bytes
 * (only their hash is stored). */
struct store_auth_fail {
	int64_t failures;
	int64_t last_us;           /* time of the last failure (0: none) */
};
/* The count as stored (0, 0: none); the caller judges its age. */
tx_err store_auth_fail_get(tx_store *st, const char *scope, const void *data,
			   size_t len, struct store_auth_fail *out,
			   struct tx_error *err);
/* Count one failure at now, in one statement (safe with several
 * processes); *failures gets the count with it. A count whose last
 * failure is older than forget_us begins again at 1, unless it had
 * reached keep_from (0: always). */
tx_err store_auth_fail_add(tx_store *st, const char *scope, const void *data,
			   size_t len, int64_t now, int64_t forget_us,
			   int64_t keep_from, int64_t *failures,
			   struct tx_error *err);
/* Forget the failures of one name or address (a right password). */
tx_err store_auth_fail_clear(tx_store *st, const char *scope, const void *data,
			     size_t len, struct tx_error *err);

/* ---- saved filters over collections (store/filters.c) ---- */

#define STORE_FILTER_COLLS_MAX 32
#define STORE_FILTER_LABELS_MAX 16
#define STORE_FILTER_LABEL_MAX 128

/* A saved filter: the reports of its collections (by id, in the order
 * given: the first that holds a report speaks for it) that carry one of
 * its labels (none: any), with only what is marked at most tlp ("clear",
 * "green", "amber"; "": what a feed of the collections holds). Where it
 * is published, every collection it names must be readable. */
struct store_filter {
	char name[STORE_NAME_MAX];
	size_t n_colls;
	char colls[STORE_FILTER_COLLS_MAX][TX_UUID_BUF];
	size_t n_labels;
	char labels[STORE_FILTER_LABELS_MAX][STORE_FILTER_LABEL_MAX];
	char tlp[16];
	int64_t created;               /* us */
};

/* Save a filter; TX_ERR_EXISTS when the name is taken, TX_ERR_INVALID
 * without collections or past the limits. */
tx_err store_filter_add(tx_store *st, const struct store_filter *f,
			struct tx_error *err);
/* Remove a saved filter; TX_ERR_NOTFOUND if none. */
tx_err store_filter_remove(tx_store *st, const char *name, struct tx_error *err);
/* One saved filter by name; TX_ERR_NOTFOUND if none. */
tx_err store_filter_get(tx_store *st, const char *name, struct store_filter *f);
/* Every saved filter, by name; *out caller-freed. */
tx_err store_filter_list(tx_store *st, struct store_filter **out, size_t *n);

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
 * 0 when size is 0, -1 (out "") when out of memory. */
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
	const char *type;          /* only "report"s (alerts) or "incident"s;
	                              NULL: any */
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

/* ---- the supply-chain objects (store/supplyidx.c) ---- */

/* supply/'s extension definition and BOM type (supply/supply.h names
 * them SUPPLY_EXT_ID and SUPPLY_SBOM_TYPE). */
#define STORE_SUPPLY_EXT_ID \
	"extension-definition--6b1c3a52-7d0e-4f5a-9c1e-2f4b8d3a7e61"
#define STORE_SUPPLY_SBOM_TYPE "x-trilex-sbom"
/* Whether obj is one that supply/ reads back: a BOM, or a vulnerability,
 * identity, indicator or note with the supply extension (an object). */
int store_supply_is_object(const json_t *obj);
/* The last versions of the supply objects of collection coll, oldest
 * first (date_added, rowid), each handed to fn (STORE_ROW_STOP ends). */
tx_err store_supply_rows(tx_store *st, int64_t coll, store_row_fn fn,
			 void *ctx, struct tx_error *err);

#endif
