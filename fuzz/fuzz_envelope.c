/*
 * fuzz/fuzz_envelope.c: a TAXII POST body, from bytes to stored versions
 * and back.
 *
 * The body is parsed the way the server parses it (JSON_REJECT_DUPLICATES);
 * when it is an object with an "objects" list, taxii_ingest validates and
 * stores it. Then every row the ingest added is read back page by page with
 * store_query_objects, and each stored JSON text must parse again.
 *
 * One store per process, created on the first input in a fresh directory
 * (under /dev/shm when it exists, since the store fsyncs every commit and
 * the fuzzer cannot turn synchronous off through the API), removed at exit.
 * TRILEX_FUZZ_DIR overrides the parent directory.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "taxii/taxii.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QUERY_LIMIT 7

static tx_store *store;
static int64_t coll_pk;
/* Rows with date_added up to here were read back already. */
static int64_t seen_added;
static char dir[256];
static char db_path[300];

static void remove_store(void)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char path[320];

	if (store != NULL)
		store_close(store);
	store = NULL;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]);
		unlink(path);
	}
	if (dir[0] != '\0')
		rmdir(dir);
}

static void die(const char *what, const struct tx_error *err)
{
	fprintf(stderr, "fuzz_envelope: %s: %s\n", what, err ? err->msg : "");
	abort();
}

static void open_store(void)
{
	const char *base = getenv("TRILEX_FUZZ_DIR");
	struct store_user admin = { .admin = 1 };
	struct store_collection c;
	struct tx_error err = { 0 };
	char id[TX_UUID_BUF];
	struct stat sb;

	if (base == NULL || *base == '\0')
		base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
		       access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/trilex-fuzz-XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		dir[0] = '\0';
		die("mkdtemp", NULL);
	}
	snprintf(db_path, sizeof(db_path), "%s/trilex.db", dir);
	atexit(remove_store);
	tx_log_set_level(TX_LOG_ERROR);
	if (store_open(db_path, 1, &store, &err) != TX_OK)
		die("store_open", &err);
	if (store_collection_add(store, "fuzz", "fuzzed envelopes", "fuzz", id,
				 &err) != TX_OK)
		die("store_collection_add", &err);
	if (store_collection_get(store, &admin, id, &c) != TX_OK)
		die("store_collection_get", NULL);
	coll_pk = c.pk;
}

/* Every row the store hands back must be JSON again. */
static int check_row(void *ctx, const struct store_row *row)
{
	json_error_t jerr;
	json_t *v;

	(void)ctx;
	v = json_loadb(row->json, row->json_len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL || !json_is_object(v)) {
		fprintf(stderr, "fuzz_envelope: stored row %lld (%s) does not parse:"
			" %s\n%.*s\n", (long long)row->rowid, row->id, jerr.text,
			(int)row->json_len, row->json);
		abort();
	}
	json_decref(v);
	return 0;
}

/* Read every row added since the last call, QUERY_LIMIT at a time. */
static void read_back(void)
{
	struct store_query q = { 0 };
	struct store_page page;
	struct tx_error err = { 0 };

	q.collection_pk = coll_pk;
	q.has_added_after = 1;
	q.added_after = seen_added;
	q.versions.all = 1;
	q.limit = QUERY_LIMIT;
	for (;;) {
		if (store_query_objects(store, &q, check_row, NULL, &page,
					&err) != TX_OK)
			die("store_query_objects", &err);
		if (page.n > 0 && page.last_added > seen_added)
			seen_added = page.last_added;
		if (!page.more)
			break;
		q.has_cursor = 1;
		q.cursor = page.next;
	}
}

/* The status of a POST is there and counts every object once. */
static void check_status(const char *status_id, size_t n)
{
	struct store_user admin = { .admin = 1 };
	json_t *status = NULL, *d;
	size_t i;
	char *text;

	if (store_status_get(store, &admin, status_id, &status) != TX_OK)
		die("store_status_get", NULL);
	if ((size_t)json_integer_value(json_object_get(status, "total_count")) != n ||
	    json_array_size(json_object_get(status, "successes")) +
	    json_array_size(json_object_get(status, "failures")) != n)
		die("status counts do not add up", NULL);
	/* A refusal the client cannot read is no use: it must say why. */
	json_array_foreach(json_object_get(status, "failures"), i, d) {
		if (!json_is_string(json_object_get(d, "message")))
			die("a failure in the status has no message", NULL);
	}
	if ((text = json_dumps(status, JSON_COMPACT)) == NULL)
		die("status does not serialise", NULL);
	free(text);
	json_decref(status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_error err = { 0 };
	char status_id[TX_UUID_BUF];
	json_t *body, *objects;
	tx_err rc;

	if (store == NULL)
		open_store();
	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (body == NULL)
		return 0;
	objects = json_object_get(body, "objects");
	if (json_is_object(body) && json_is_array(objects)) {
		rc = taxii_ingest(store, coll_pk, NULL, objects, 0, status_id, &err);
		/*
		 * Bad objects are listed in the status, never an error of the
		 * whole POST: anything but success here is the server's 500.
		 */
		if (rc != TX_OK && rc != TX_ERR_TOOBIG)
			die("taxii_ingest", &err);
		if (rc == TX_OK)
			check_status(status_id, json_array_size(objects));
		read_back();
	}
	json_decref(body);
	return 0;
}
