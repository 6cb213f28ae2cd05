/*
 * store/supplyidx.c: which stored object versions are supply-chain
 * objects (issue 16, item 8).
 *
 * supply/ reads back the BOMs (x-trilex-sbom), advisories and finding
 * notes (objects with the supply extension) of a node for the console's
 * supply page, `trilex sbom check --dir` and serve's re-check. It used to
 * walk every vulnerability, identity, indicator and note of the node for
 * them: the indicators of a large node are nearly all of its objects, so
 * the page took seconds at 1,000,000 objects. The table supply_objects
 * (migration 22) holds one row per supply object version (obj =
 * objects.rowid, with its collection), written by put_one in the same
 * transaction as the object (store_supply_index_object) and removed with
 * it (the trigger objects_unsupply, on delete, so also on withdrawal);
 * migration 22 fills it for the objects already stored. Readers join
 * objects and keep last versions, as a TAXII GET does: a new version that
 * is no longer a supply object hides the old one, which stays indexed
 * but is never a last version again.
 */
#include <string.h>

#include "store/internal.h"

int store_supply_is_object(const json_t *obj)
{
	static const char *const types[] = {
		"vulnerability", "identity", "indicator", "note",
	};
	const char *type = json_string_value(json_object_get(obj, "type"));

	if (type == NULL)
		return 0;
	if (strcmp(type, STORE_SUPPLY_SBOM_TYPE) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i]) == 0)
			return json_is_object(json_object_get(json_object_get(
				obj, "extensions"), STORE_SUPPLY_EXT_ID));
	return 0;
}

tx_err store_supply_index_object(tx_store *st, int64_t rowid, int64_t coll,
				 const json_t *obj, struct tx_error *err)
{
	store_stmt *s = NULL;
	tx_err rc;

	if (!store_supply_is_object(obj))
		return TX_OK;
	if ((rc = store_db_prepare(st, "INSERT INTO supply_objects(obj, coll)"
				   " VALUES (?, ?)", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, rowid);
	store_db_bind_int64(s, 2, coll);
	if (store_db_step(s) != STORE_DB_DONE)
		rc = store_db_error(st, err, "supply index");
	store_db_done(st, s);
	return rc;
}

tx_err store_supply_rows(tx_store *st, int64_t coll, store_row_fn fn,
			 void *ctx, struct tx_error *err)
{
	store_stmt *s = NULL;
	struct store_row row;
	tx_err rc;
	int r;

	if ((rc = store_db_prepare(st, "SELECT o.rowid, o.date_added, o.id,"
			     " o.version, o.spec_version, o.json, o.origin, o.via,"
			     " o.restricted FROM supply_objects s JOIN objects o"
			     " ON o.rowid = s.obj WHERE s.coll = ? AND o.is_last = 1"
			     " ORDER BY o.date_added, o.rowid", &s, err)))
		return rc;
	store_db_bind_int64(s, 1, coll);
	while ((r = store_db_step(s)) == STORE_DB_ROW) {
		memset(&row, 0, sizeof(row));
		store_row_columns(s, &row);
		row.collection_pk = coll;
		if (row.id == NULL || row.version == NULL || row.json == NULL) {
			rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
			break;
		}
		if ((r = fn(ctx, &row)) != STORE_ROW_NEXT) {
			if (r != STORE_ROW_STOP)
				rc = tx_error_set(err, TX_ERR_INTERNAL, "supply"
						  " objects: the row callback failed");
			r = STORE_DB_DONE;
			break;
		}
	}
	if (rc == TX_OK && r != STORE_DB_DONE)
		rc = store_db_error(st, err, "supply objects");
	store_db_done(st, s);
	return rc;
}
