/*
 * store/schema.c: the schema as a list of migrations.
 *
 * PRAGMA user_version is the number of migrations applied. A migration is
 * never edited once released: add a new one at the end. Each runs in its
 * own transaction with the user_version bump.
 */
#include <stdio.h>

#include "store/internal.h"

static const char *const migrations[] = {
	/* 1: accounts, collections, objects, status resources */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  pwhash TEXT NOT NULL,"
	"  admin INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE tokens ("
	"  hash TEXT PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE collections ("
	"  pk INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  title TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  alias TEXT UNIQUE,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE grants ("
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  coll INTEGER NOT NULL REFERENCES collections(pk) ON DELETE CASCADE,"
	"  can_read INTEGER NOT NULL,"
	"  can_write INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, coll)) WITHOUT ROWID;"
	/* The one clock that makes date_added strictly increasing. */
	"CREATE TABLE clock (last INTEGER NOT NULL);"
	"INSERT INTO clock VALUES (0);"
	"CREATE TABLE objects ("
	"  rowid INTEGER PRIMARY KEY,"
	"  coll INTEGER NOT NULL REFERENCES collections(pk),"
	"  id TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  spec_version TEXT NOT NULL,"
	"  version TEXT NOT NULL,"
	"  version_us INTEGER NOT NULL,"
	"  date_added INTEGER NOT NULL,"
	"  is_first INTEGER NOT NULL,"
	"  is_last INTEGER NOT NULL,"
	"  json TEXT NOT NULL);"
	"CREATE UNIQUE INDEX objects_version ON objects(coll, id, version_us);"
	"CREATE INDEX objects_added ON objects(coll, date_added);"
	"CREATE TABLE status ("
	"  id TEXT PRIMARY KEY,"
	"  user_id INTEGER,"
	"  coll INTEGER NOT NULL,"
	"  request_ts INTEGER NOT NULL,"
	"  total INTEGER NOT NULL,"
	"  success INTEGER NOT NULL,"
	"  failure INTEGER NOT NULL,"
	/* the status-details lists, as TAXII JSON arrays */
	"  successes TEXT NOT NULL,"
	"  failures TEXT NOT NULL) WITHOUT ROWID;",
	/* 2: federation: partners, where objects came from */
	"CREATE TABLE peers ("
	"  party TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  url TEXT NOT NULL DEFAULT '',"
	"  cert_fp TEXT NOT NULL UNIQUE,"
	"  cert_pem TEXT NOT NULL,"
	"  sign_pk TEXT NOT NULL UNIQUE,"
	"  seal_pk TEXT NOT NULL,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  inbox INTEGER NOT NULL REFERENCES collections(pk),"
	"  push_added INTEGER NOT NULL DEFAULT 0,"
	"  push_rowid INTEGER NOT NULL DEFAULT 0,"
	"  pull_token TEXT NOT NULL DEFAULT '',"
	"  delivered INTEGER NOT NULL DEFAULT 0,"
	"  received INTEGER NOT NULL DEFAULT 0,"
	"  rejected INTEGER NOT NULL DEFAULT 0,"
	"  last_ok INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  last_error_at INTEGER NOT NULL DEFAULT 0,"
	"  added INTEGER NOT NULL);"
	"ALTER TABLE users ADD COLUMN peer TEXT;"
	/* origin: party whose key signed the object (NULL: this node);
	 * via: the partner it was received from (NULL: made here). */
	"ALTER TABLE objects ADD COLUMN origin TEXT;"
	"ALTER TABLE objects ADD COLUMN via TEXT;"
	"CREATE INDEX objects_global ON objects(date_added);",
	/* 3: the outbox (this node's own objects, in order) without a scan of
	 * everything partners sent: delivery polls it every few ms. */
	"CREATE INDEX objects_own ON objects(date_added, rowid) WHERE via IS NULL;",
	/* 4: whether a partner checks batch signatures (its card says so) */
	"ALTER TABLE peers ADD COLUMN batch_sig INTEGER NOT NULL DEFAULT 0;",
	/* 5: status resources expire (those from before: 7 days after their
	 * request), and say how many failures their list leaves out */
	"ALTER TABLE status ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE status ADD COLUMN unlisted INTEGER NOT NULL DEFAULT 0;"
	"UPDATE status SET expires = request_ts + 604800000000;"
	"CREATE INDEX status_expires ON status(expires);",
	/* 6: accounts locked after failed passwords; user names compared
	 * without case (new ones are stored lower-cased) */
	"ALTER TABLE users ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX users_name_nocase ON users(name COLLATE NOCASE);",
	/* 7: what of a collection may leave the node (store/sharing.c): new
	 * collections stay local; those from before keep today's sharing */
	"ALTER TABLE collections ADD COLUMN share TEXT NOT NULL DEFAULT 'local';"
	"UPDATE collections SET share = 'partners';",
	/* 8: objects a partner sent that we had already, apart from the new */
	"ALTER TABLE peers ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;",
	/* 9: outside TAXII feeds polled into a local collection, with where
	 * each stands (added_after: the last page's X-TAXII-Date-Added-Last
	 * as the server wrote it) and its counters */
	"CREATE TABLE feeds ("
	"  name TEXT PRIMARY KEY,"
	"  url TEXT NOT NULL,"
	"  collection TEXT NOT NULL,"
	"  into_coll INTEGER NOT NULL REFERENCES collections(pk),"
	"  auth TEXT NOT NULL DEFAULT '',"
	"  user TEXT NOT NULL DEFAULT '',"
	"  secret TEXT NOT NULL DEFAULT '',"
	"  cacert TEXT NOT NULL DEFAULT '',"
	"  every_s INTEGER NOT NULL,"
	"  page_limit INTEGER NOT NULL,"
	"  max_pages INTEGER NOT NULL,"
	"  max_page_bytes INTEGER NOT NULL,"
	"  added_after TEXT NOT NULL DEFAULT '',"
	"  pages INTEGER NOT NULL DEFAULT 0,"
	"  received INTEGER NOT NULL DEFAULT 0,"
	"  added INTEGER NOT NULL DEFAULT 0,"
	"  present INTEGER NOT NULL DEFAULT 0,"
	"  rejected INTEGER NOT NULL DEFAULT 0,"
	"  reasons TEXT NOT NULL DEFAULT '{}',"
	"  last_run INTEGER NOT NULL DEFAULT 0,"
	"  last_ok INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  last_error_at INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);",
	/* 10: roles (the users there were: admins, or analysts, who read and
	 * write what they were granted as before), disabled accounts; named
	 * tokens with an expiry and their last use */
	"ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'analyst';"
	"UPDATE users SET role = 'admin' WHERE admin = 1;"
	"ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tokens ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tokens ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;"
	"UPDATE tokens SET name = 'token-' || substr(hash, 1, 8);"
	"CREATE UNIQUE INDEX tokens_name ON tokens(user_id, name);",
	/* 11: the audit trail (store/audit.c), append-only */
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  address TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  what TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  prev TEXT NOT NULL,"
	"  hash TEXT NOT NULL);"
	"CREATE INDEX audit_at ON audit(at);"
	"CREATE INDEX audit_action ON audit(action, seq);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
	/* 12: objects marked TLP:RED or AMBER+STRICT (store_audit_sensitive,
	 * decided once when stored), so that a page's reads of them are
	 * recorded without scanning every row's text */
	"ALTER TABLE objects ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;"
	"UPDATE objects SET restricted = 1 WHERE"
	" instr(json, 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1')"
	" OR instr(json, 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003')"
	" OR instr(json, 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed');",
	/* 13: the console's sessions (only a hash of each cookie is kept) and
	 * each user's console settings; the search index over every object
	 * version (search_text: words of names and descriptions, and the
	 * values an object names; search_ip: IPv4 values and networks as
	 * ranges), kept with the objects by store/search.c and filled for
	 * the objects of an older database at the next open (search_todo). */
	"CREATE TABLE sessions ("
	"  hash TEXT PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX sessions_expires ON sessions(expires);"
	"CREATE TABLE console_users ("
	"  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  lang TEXT NOT NULL DEFAULT '',"
	"  last_visit INTEGER NOT NULL DEFAULT 0,"
	"  this_visit INTEGER NOT NULL DEFAULT 0);"
	"CREATE VIRTUAL TABLE search_text USING fts5(name, description, vals,"
	"  tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TABLE search_refs ("
	"  ref TEXT NOT NULL,"
	"  type TEXT NOT NULL,"   /* the referring object's */
	"  obj INTEGER NOT NULL);"
	"CREATE INDEX search_refs_ref ON search_refs(ref, type, obj);"
	"CREATE INDEX search_refs_any ON search_refs(ref, obj);"
	"CREATE INDEX search_refs_obj ON search_refs(obj);"
	/* the console's list of the newest reports (alerts); partial, so
	 * that TAXII's type-filtered queries (type IN (?), a parameter the
	 * planner cannot match to it) keep the (coll, date_added) index */
	"CREATE INDEX objects_reports ON objects(date_added) WHERE type = 'report';"
	"CREATE TABLE search_ip ("
	"  lo INTEGER NOT NULL,"
	"  hi INTEGER NOT NULL,"
	"  obj INTEGER NOT NULL);"
	"CREATE INDEX search_ip_lo ON search_ip(lo);"
	"CREATE INDEX search_ip_obj ON search_ip(obj);"
	"CREATE TRIGGER objects_unsearch AFTER DELETE ON objects BEGIN"
	"  DELETE FROM search_text WHERE rowid = old.rowid;"
	"  DELETE FROM search_ip WHERE obj = old.rowid;"
	"  DELETE FROM search_refs WHERE obj = old.rowid;"
	" END;"
	"CREATE TABLE search_todo (next INTEGER NOT NULL);"
	"INSERT INTO search_todo SELECT 0 WHERE EXISTS (SELECT 1 FROM objects);",
	/* 14: delivery lanes (federation/deliver.c): each own object is on
	 * the priority lane (1: alerts, votes, approvals, withdrawals) or
	 * the bulk lane (0), and each partner has a cursor per lane; the
	 * priority cursor starts where the one cursor was (every object
	 * stored before is bulk, so nothing is sent twice or skipped). */
	"ALTER TABLE objects ADD COLUMN lane INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX objects_own_priority ON objects(date_added, rowid)"
	"  WHERE via IS NULL AND lane = 1;"
	"ALTER TABLE peers ADD COLUMN prio_added INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN prio_rowid INTEGER NOT NULL DEFAULT 0;"
	"UPDATE peers SET prio_added = push_added, prio_rowid = push_rowid;",
	/* 15: withdrawals (store/withdrawals.c): who took back which object
	 * (party '' is this node), from a revoked version or a notice; and
	 * objects by id alone, to tell who spoke for an object */
	"CREATE TABLE withdrawals ("
	"  object_id TEXT NOT NULL,"
	"  party TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  notice TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (object_id, party)) WITHOUT ROWID;"
	"CREATE INDEX objects_id ON objects(id);",
	/* 16: how many runs (polls) each feed made, and how many ended in an
	 * error, for /metrics; whether a feed's objects may leave the node
	 * (feed add --reshare; off for the feeds there were) */
	"ALTER TABLE feeds ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE feeds ADD COLUMN errors INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE feeds ADD COLUMN reshare INTEGER NOT NULL DEFAULT 0;",
	/* 17: the console's list of incidents, newest first (store_recent),
	 * by a partial index as the reports' */
	"CREATE INDEX objects_incidents ON objects(date_added) WHERE type = 'incident';",
	/* 18: a partner's role in the partnership (watch/partners.c):
	 * member (every partner pinned before), observer, suspended */
	"ALTER TABLE peers ADD COLUMN role TEXT NOT NULL DEFAULT 'member';"
	/* ... and what tells serve's keeper that the partners decided
	 * something (store_last_vote_added), without a look at the rest */
	"CREATE INDEX objects_votes ON objects(date_added) WHERE type IN"
	"  ('x-trilex-watch-proposal', 'x-trilex-watch-vote');",
	/* 19: saved filters over collections (store/filters.c), published as
	 * MISP feeds; the criteria as JSON text */
	"CREATE TABLE saved_filters ("
	"  name TEXT PRIMARY KEY,"
	"  spec TEXT NOT NULL,"
	"  created INTEGER NOT NULL);",
	/* 20: objects of one type in a collection in date_added order
	 * (store_query_objects with one type: the warning lists that
	 * sensor_warn_stamp reads for every object page of the console, the
	 * stored BOMs serve's re-check looks for), which walked the whole
	 * collection by objects_added: 845 ms at 1,000,000 objects, 0.1 ms
	 * with it */
	"CREATE INDEX objects_type ON objects(coll, type, date_added);",
	/* 21: who delivers to which partner (store/leases.c): one row per
	 * partner, held by one serve process until `expires` (us) unless it
	 * renews it; several processes on one database deliver once */
	"CREATE TABLE leases ("
	"  name TEXT PRIMARY KEY,"
	"  holder TEXT NOT NULL,"
	"  expires INTEGER NOT NULL) WITHOUT ROWID;",
	/* 22: the supply-chain objects (store/supplyidx.c): one row per
	 * version of a BOM or of an object with the supply extension, so
	 * that supply/ reads them without walking every indicator (the
	 * console's supply page: seconds at 1,000,000 objects); kept by
	 * put_one, removed with the object, filled here for those stored */
	"CREATE TABLE supply_objects ("
	"  obj INTEGER PRIMARY KEY,"  /* objects.rowid */
	"  coll INTEGER NOT NULL);"
	"CREATE INDEX supply_objects_coll ON supply_objects(coll, obj);"
	"CREATE TRIGGER objects_unsupply AFTER DELETE ON objects BEGIN"
	"  DELETE FROM supply_objects WHERE obj = old.rowid;"
	" END;"
	"INSERT INTO supply_objects(obj, coll) SELECT rowid, coll FROM objects"
	"  WHERE type = '" STORE_SUPPLY_SBOM_TYPE "' OR (type IN ('vulnerability',"
	"  'identity', 'indicator', 'note') AND instr(json, '" STORE_SUPPLY_EXT_ID "')"
	"  > 0 AND json_type(json, '$.extensions.\"" STORE_SUPPLY_EXT_ID "\"')"
	"  = 'object');",
	/* 23 (22 on h/observer, renumbered at merge): what a partner is to get later
	 * (store_peer_set_role, store_policy_release). A suspended partner's
	 * cursors and role when it was suspended (held_*: 0 and '' when not
	 * suspended), to which reinstating it rewinds; the policy versions
	 * (by digest) whose release to observers was done once they came
	 * into force; and what tells serve's keeper a policy object came */
	"ALTER TABLE peers ADD COLUMN held_added INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN held_rowid INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN held_prio_added INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN held_prio_rowid INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE peers ADD COLUMN held_role TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE policy_released ("
	"  digest TEXT PRIMARY KEY,"
	"  at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX objects_policies ON objects(date_added) WHERE type IN"
	"  ('x-trilex-policy', 'x-trilex-policy-approval');",
	/* 24: read-your-writes with a read replica (store/replica.c): per
	 * writer (the audit name, "user:NAME"), a count bumped inside each
	 * of its write transactions; a replica whose count is the primary's
	 * has replayed the writer's last commit */
	"CREATE TABLE write_marks ("
	"  principal TEXT PRIMARY KEY,"
	"  n INTEGER NOT NULL) WITHOUT ROWID;",
	/* 25: PostgreSQL's bulk ingest (schema_pg.c: the foreign key on
	 * objects.coll replaced, fillfactor); nothing to do on SQLite, whose
	 * key costs no round trip */
	"SELECT 1;",
	/* 26: failed passwords per name and address, shared by every
	 * serve process (store/authfail.c). Written to run again (IF NOT
	 * EXISTS): a test that rewinds the version past it replays it. */
	"CREATE TABLE IF NOT EXISTS auth_failures ("
	"  scope TEXT NOT NULL,"
	"  hash TEXT NOT NULL,"
	"  failures INTEGER NOT NULL,"
	"  last_us INTEGER NOT NULL,"
	"  PRIMARY KEY (scope, hash)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS auth_failures_age ON auth_failures(scope, last_us);",
};

/*
 * Every table of the schema (both backends), in an order that satisfies
 * the foreign keys, and what `trilex migrate` does with it
 * (store/migrate.c). A migration that adds a table adds its row here:
 * test_store's test_table_list fails while a table of a new database is
 * in neither list. key: an integer column to copy in batches by (resumed
 * after the last batch committed); NULL: the table in one transaction.
 */
const struct store_table store_tables[] = {
	{ "users", "id", STORE_TABLE_COPY, NULL },
	{ "collections", "pk", STORE_TABLE_COPY, NULL },
	{ "tokens", NULL, STORE_TABLE_COPY, NULL },
	{ "grants", NULL, STORE_TABLE_COPY, NULL },
	{ "clock", NULL, STORE_TABLE_REPLACE, NULL },
	{ "objects", "rowid", STORE_TABLE_COPY, NULL },
	{ "status", NULL, STORE_TABLE_COPY, NULL },
	{ "peers", NULL, STORE_TABLE_COPY, NULL },
	{ "feeds", NULL, STORE_TABLE_COPY, NULL },
	{ "audit", "seq", STORE_TABLE_COPY, NULL },
	{ "sessions", NULL, STORE_TABLE_COPY, NULL },
	{ "console_users", "user_id", STORE_TABLE_COPY, NULL },
	{ "search_text", "rowid", STORE_TABLE_COPY, NULL },
	{ "search_refs", "obj", STORE_TABLE_COPY, NULL },
	{ "search_ip", "obj", STORE_TABLE_COPY, NULL },
	{ "search_todo", NULL, STORE_TABLE_REPLACE, NULL },
	{ "withdrawals", NULL, STORE_TABLE_COPY, NULL },
	{ "saved_filters", NULL, STORE_TABLE_COPY, NULL },
	{ "leases", NULL, STORE_TABLE_COPY, NULL },
	{ "supply_objects", "obj", STORE_TABLE_COPY, NULL },
	{ "policy_released", NULL, STORE_TABLE_COPY, NULL },
	{ "write_marks", NULL, STORE_TABLE_SKIP, "read-your-writes counts of"
	  " one primary and its replicas; a new database starts without" },
	{ "auth_failures", NULL, STORE_TABLE_SKIP, "failed-password counts"
	  " (they fade in auth_forget_s; locks are in users)" },
	/* not copied, each for its reason */
	{ "trilex_schema", NULL, STORE_TABLE_SKIP, "the schema version"
	  " (PostgreSQL); both sides are opened at the same version first" },
	{ "trilex_migrate", NULL, STORE_TABLE_SKIP, "migrate's own progress"
	  " on the destination, dropped once the copy is verified" },
	{ "search_text_data", NULL, STORE_TABLE_SKIP, "FTS5's index of"
	  " search_text (SQLite), made again as search_text's rows are copied" },
	{ "search_text_idx", NULL, STORE_TABLE_SKIP, "FTS5's index (as above)" },
	{ "search_text_content", NULL, STORE_TABLE_SKIP, "FTS5's copy of"
	  " search_text's columns (as above)" },
	{ "search_text_docsize", NULL, STORE_TABLE_SKIP, "FTS5's index (as above)" },
	{ "search_text_config", NULL, STORE_TABLE_SKIP, "FTS5's settings (as above)" },
};
const size_t store_n_tables = sizeof(store_tables) / sizeof(store_tables[0]);

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
/* Every migration has its PostgreSQL twin in schema_pg.c, which asserts
 * the same count: a migration added here must be added there too. */
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == 26,
	       "schema.c: add the new migration to schema_pg.c as well");

int store_schema_limit;

static int user_version(tx_store *st)
{
	sqlite3_stmt *s = NULL;
	int version = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return version;
}

tx_err store_schema_apply(tx_store *st, const char *const *list, int n,
			  int (*version_of)(tx_store *), const char *bump_prefix,
			  const char *backend, struct tx_error *err)
{
	char bump[96];
	int version = -1;
	tx_err rc;

	if (store_schema_limit > 0 && store_schema_limit < n)
		n = store_schema_limit;
	/* One migration per write transaction; the version is read inside it,
	 * so two processes opening the same new database cannot both apply
	 * the same migration. */
	for (;;) {
		if ((rc = store_db_begin(st, err)) != TX_OK)
			return rc;
		version = version_of(st);
		if (version < 0 || version >= n) {
			store_db_commit(st, NULL);
			break;
		}
		snprintf(bump, sizeof(bump), "%s%d", bump_prefix, version + 1);
		if ((rc = store_db_exec(st, list[version], err)) != TX_OK ||
		    (rc = store_db_exec(st, bump, err)) != TX_OK) {
			store_db_rollback(st, NULL);
			tx_error_prefix(err, "migration %d%s", version + 1, backend);
			return rc;
		}
		if ((rc = store_db_commit(st, err)) != TX_OK)
			return rc;
	}
	if (version > n)
		return tx_error_set(err, TX_ERR_DB,
				    "database schema %d is newer than this trilex (%d)",
				    version, n);
	if (version < 0)
		return tx_error_set(err, TX_ERR_DB, "cannot read the schema version");
	st->schema_version = n;
	return TX_OK;
}

tx_err store_schema_migrate(tx_store *st, struct tx_error *err)
{
	if (user_version(st) == N_MIGRATIONS && store_schema_limit == 0) {
		st->schema_version = N_MIGRATIONS;
		return TX_OK;
	}
	return store_schema_apply(st, migrations, N_MIGRATIONS, user_version,
				  "PRAGMA user_version=", "", err);
}
