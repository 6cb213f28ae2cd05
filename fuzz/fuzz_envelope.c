/*
 * fuzz/fuzz_envelope.c: a TAXII POST body, from bytes to stored versions
 * and back.
 *
 * The body goes the way the server's POST takes it (routes.c post_objects):
 * json_loadb with JSON_REJECT_DUPLICATES; when it is an object with an
 * "objects" list, tx_json_array_spans finds each object's own text and
 * taxii_ingest_text validates and stores them. Checked on the way:
 *  - every span found is the text of the element at its index, and stays
 *    that value once tx_json_compact has taken its whitespace out;
 *  - the status counts every object once and says why for each refusal;
 *  - every row the ingest added, read back page by page with
 *    store_query_objects, parses and is one of the objects sent under its id.
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

/* Every row the store hands back is JSON, and one of the objects sent. */
static int check_row(void *ctx, const struct store_row *row)
{
	const json_t *objects = ctx, *o;
	json_error_t jerr;
	json_t *v;
	size_t i;
	int found = 0;

	v = json_loadb(row->json, row->json_len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL || !json_is_object(v)) {
		fprintf(stderr, "fuzz_envelope: stored row %lld (%s) does not parse:"
			" %s\n%.*s\n", (long long)row->rowid, row->id, jerr.text,
			(int)row->json_len, row->json);
		abort();
	}
	json_array_foreach(objects, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));

		if (id != NULL && strcmp(id, row->id) == 0 && json_equal(o, v)) {
			found = 1;
			break;
		}
	}
	if (!found) {
		fprintf(stderr, "fuzz_envelope: stored row %lld (%s) is none of the"
			" objects sent:\n%.*s\n", (long long)row->rowid, row->id,
			(int)row->json_len, row->json);
		abort();
	}
	json_decref(v);
	return 0;
}

/*
 * Each span is the text of the element at its index: alone it parses to an
 * equal value, and so does its compact form, which is never longer.
 */
static void check_spans(const char *raw, const struct tx_span *spans,
			const json_t *objects)
{
	for (size_t i = 0; i < json_array_size(objects); i++) {
		const json_t *want = json_array_get(objects, i);
		const char *text = raw + spans[i].off;
		size_t len = spans[i].len, clen;
		char *compact;
		json_t *got;

		got = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
				 NULL);
		if (got == NULL || !json_equal(got, want)) {
			fprintf(stderr, "fuzz_envelope: span %zu (%zu+%zu) is not"
				" objects[%zu]: %.*s\n", i, spans[i].off, len, i,
				(int)len, text);
			abort();
		}
		json_decref(got);
		if ((compact = malloc(len + 1)) == NULL)
			abort();
		clen = tx_json_compact(text, len, compact);
		got = json_loadb(compact, clen, JSON_REJECT_DUPLICATES |
				 JSON_DECODE_ANY, NULL);
		if (clen > len || strlen(compact) != clen || got == NULL ||
		    !json_equal(got, want)) {
			fprintf(stderr, "fuzz_envelope: compact form of objects[%zu]"
				" changed it:\n%.*s\n%s\n", i, (int)len, text,
				compact);
			abort();
		}
		json_decref(got);
		free(compact);
	}
}

/* Read every row added since the last call, QUERY_LIMIT at a time. */
static void read_back(const json_t *objects)
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
		if (store_query_objects(store, &q, check_row, (void *)objects, &page,
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
	const char *raw = (const char *)data;
	struct tx_error err = { 0 };
	char status_id[TX_UUID_BUF];
	struct tx_span *spans = NULL;
	size_t n_spans = 0;
	json_t *body, *objects;
	tx_err rc;

	if (store == NULL)
		open_store();
	body = json_loadb(raw, size, JSON_REJECT_DUPLICATES, NULL);
	if (body == NULL)
		return 0;
	objects = json_object_get(body, "objects");
	if (!json_is_object(body) || !json_is_array(objects))
		goto out;
	/*
	 * The server falls back to re-serialising when the spans are not
	 * found (an escaped key, deep nesting), but a list found with a count
	 * of its own would mean the scanner misread the text.
	 */
	rc = tx_json_array_spans(raw, size, "objects", &spans, &n_spans);
	if (rc == TX_OK && n_spans != json_array_size(objects)) {
		fprintf(stderr, "fuzz_envelope: %zu spans for %zu objects\n",
			n_spans, json_array_size(objects));
		abort();
	}
	if (rc != TX_OK) {
		free(spans);
		spans = NULL;
	} else {
		check_spans(raw, spans, objects);
	}
	rc = taxii_ingest_text(store, coll_pk, NULL, objects, spans ? raw : NULL,
			       spans, 0, status_id, &err);
	/*
	 * Bad objects are listed in the status, never an error of the whole
	 * POST: anything but success here is the server's 500.
	 */
	if (rc != TX_OK && rc != TX_ERR_TOOBIG)
		die("taxii_ingest_text", &err);
	if (rc == TX_OK)
		check_status(status_id, json_array_size(objects));
	read_back(objects);
out:
	free(spans);
	json_decref(body);
	return 0;
}
