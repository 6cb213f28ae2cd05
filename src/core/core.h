/*
 * core: the small pieces every trilex module shares.
 *
 * Error values and messages, RFC 3339 time, UUIDs, a capped growable
 * buffer, logging and the node configuration (node.json). Nothing here
 * knows about STIX, SQL or HTTP.
 */
#ifndef TRILEX_CORE_CORE_H
#define TRILEX_CORE_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Result of every function that can fail. 0 is success. */
typedef enum tx_err {
	TX_OK = 0,
	TX_ERR_INVALID,   /* bad input: a message says which field and why */
	TX_ERR_NOMEM,     /* allocation failed */
	TX_ERR_IO,        /* file or socket error */
	TX_ERR_NOTFOUND,  /* no such object, user, collection, ... */
	TX_ERR_EXISTS,    /* refuses to overwrite */
	TX_ERR_DENIED,    /* authenticated, but not allowed */
	TX_ERR_AUTH,      /* not authenticated */
	TX_ERR_TOOBIG,    /* past a size cap */
	TX_ERR_DB,        /* database error */
	TX_ERR_CRYPTO,    /* key, certificate or signature error */
	TX_ERR_INTERNAL,  /* a bug or an impossible state */
	TX_ERR_UNAVAILABLE, /* a service it needs is down for now (retry) */
} tx_err;

#define TX_ERROR_MSG_MAX 512

/* Caller-owned detail for a failure. */
struct tx_error {
	tx_err code;
	char msg[TX_ERROR_MSG_MAX];
};

/* Fill err (if not NULL) with code and a printf-style message; returns code. */
tx_err tx_error_set(struct tx_error *err, tx_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix the message already in err with a printf-style context + ": ". */
void tx_error_prefix(struct tx_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A short English name of an error value ("invalid input", ...). */
const char *tx_err_str(tx_err code);
/* Whether code says the system failed (memory, database, I/O, a bug)
 * rather than the input: such a failure on one object fails the whole
 * request, so that its sender tries again instead of taking a refusal. */
int tx_err_transient(tx_err code);

/* ---- time (core/time.c) ---- */

/* Microseconds since the Unix epoch, UTC, from the real-time clock. */
int64_t tx_time_now_us(void);

/*
 * Parse an RFC 3339 timestamp in UTC ("2016-05-12T08:17:27Z", with 0 to 9
 * fractional digits; the offset must be Z as STIX requires) into
 * microseconds since the epoch. Digits past microseconds are truncated.
 * If digits is not NULL it receives the number of fractional digits.
 * Returns TX_ERR_INVALID on anything else.
 */
tx_err tx_time_parse(const char *s, int64_t *us, int *digits);

/* Length of the buffer tx_time_format needs, with the terminating NUL. */
#define TX_TIME_BUF 32
/* Format us as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (always six digits). */
void tx_time_format(int64_t us, char buf[TX_TIME_BUF]);
/* Format us with three fractional digits (STIX's usual millisecond form). */
void tx_time_format_ms(int64_t us, char buf[TX_TIME_BUF]);

/* ---- identifiers (core/uuid.c) ---- */

#define TX_UUID_BUF 37
/* A random (version 4) UUID in lower case, from libsodium's randombytes. */
void tx_uuid4(char out[TX_UUID_BUF]);
/* True when s is a UUID in the 8-4-4-4-12 hex form (RFC 4122 shape). */
int tx_uuid_valid(const char *s, size_t len);

/*
 * Every id trilex derives from content is a name-based version 5 UUID
 * (RFC 4122: SHA-1 of namespace || name) made by tx_uuid5: SCOs in the
 * STIX 2.1 namespace over their canonical JSON (stix_sco_id), trilex's
 * own objects in trilex's namespace over a name the caller documents.
 */
extern const unsigned char tx_uuid_ns_stix_sco[16]; /* 00abedb4-aa42-466c-9c01-fed23315a9b7 */
extern const unsigned char tx_uuid_ns_trilex[16];   /* 6f1c2a3e-7b4d-4e8f-9a0b-1c2d3e4f5a6b */
void tx_uuid5(const unsigned char ns[16], const void *name, size_t len,
	      char out[TX_UUID_BUF]);

/* SHA-1 (core/sha1.c), streaming; only for UUIDv5, never for security. */
struct tx_sha1 {
	uint32_t h[5];
	uint64_t len;
	unsigned char buf[64];
	size_t n;
};
void tx_sha1_init(struct tx_sha1 *s);
void tx_sha1_update(struct tx_sha1 *s, const void *data, size_t len);
void tx_sha1_final(struct tx_sha1 *s, unsigned char out[20]);
/* The UUIDv5 of what s was fed (the namespace's 16 bytes, then the name
 * in pieces): tx_uuid5 without gathering the name in one buffer. */
void tx_uuid5_final(struct tx_sha1 *s, char out[TX_UUID_BUF]);

/* ---- growable buffer with a cap (core/buf.c) ---- */

/* Owns data. max is the cap; 0 means SIZE_MAX/2. */
struct tx_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

void tx_buf_init(struct tx_buf *b, size_t max);
/* Append len bytes; keeps data NUL-terminated. TX_ERR_TOOBIG past the cap. */
tx_err tx_buf_append(struct tx_buf *b, const void *data, size_t len);
/* Room for len more bytes (and the NUL after them) without growing. */
tx_err tx_buf_reserve(struct tx_buf *b, size_t len);
tx_err tx_buf_puts(struct tx_buf *b, const char *s);
tx_err tx_buf_printf(struct tx_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * snprintf into out (n > 0 bytes) where a cut is expected and harmless
 * (field paths, names in messages): a value that does not fit ends in
 * "..." so that the cut shows. Returns 1 when cut, else 0.
 */
int tx_strfmt(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append s as a JSON string literal (quoted, escaped). */
tx_err tx_buf_json_string(struct tx_buf *b, const char *s);
/* Hand the data over to the caller (who frees it) and reset b. */
char *tx_buf_take(struct tx_buf *b);
void tx_buf_free(struct tx_buf *b);

/* ---- logging (core/log.c) ---- */

enum tx_log_level { TX_LOG_DEBUG, TX_LOG_INFO, TX_LOG_WARN, TX_LOG_ERROR };

/* Where log lines go; by default stderr at TX_LOG_INFO. Thread-safe. */
void tx_log_set_level(enum tx_log_level level);
/* One line; every control byte and every byte past ASCII of the message
 * is escaped (\n, \x1b, ...), whatever the arguments hold. */
void tx_log(enum tx_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Lines of one kind (the same format string) are printed at most max_lines
 * times per interval_s seconds (by default 10 per 60 s); the others are
 * counted and told in one line "N similar lines suppressed" once the
 * interval is over. Values below 1 leave a setting as it is.
 */
void tx_log_set_repeat(int64_t max_lines, int64_t interval_s);
/* Print the "suppressed" lines still pending (before exit). */
void tx_log_flush(void);
/*
 * Outside text (a user name, a path, a header value, a partner's message)
 * made fit to quote in a log line: len bytes of s into out (outsz bytes),
 * with control bytes, bytes past ASCII, quotes and backslashes escaped,
 * cut with "..." when it does not fit. Returns out.
 */
const char *tx_log_escape(const void *s, size_t len, char *out, size_t outsz);
/*
 * How and where lines go: format "text" (TIME LEVEL MESSAGE), "logfmt"
 * (time=... level=... msg="...") or "json" (one JSON object a line);
 * output "stderr", "syslog" (facility daemon, to /dev/log), "syslog:PATH"
 * (to the syslog datagram socket PATH) or a file path, opened for
 * appending (made 0600). TX_ERR_INVALID for an unknown format, TX_ERR_IO
 * when the file cannot be opened (the output stays as it was).
 */
tx_err tx_log_setup(const char *format, const char *output,
		    struct tx_error *err);
/* Open the log file again (after it was moved away: log rotation); the
 * old one stays in use when that fails. Nothing for stderr or syslog. */
tx_err tx_log_reopen(struct tx_error *err);
/* One request answered, for its log line. Strings are borrowed, may be
 * NULL ("-"), and are escaped when written: they come from outside. */
struct tx_log_request {
	const char *addr;      /* the client's address */
	const char *user;      /* its account ("peer-UK" for a partner) */
	const char *method;
	const char *path;      /* without the query */
	unsigned status;
	int64_t bytes;         /* of the answer's body (-1: streamed) */
	int64_t duration_us;
};
/* Log one request line at TX_LOG_INFO; never rate-limited. */
void tx_log_request(const struct tx_log_request *r);

/* ---- small helpers (core/util.c) ---- */

/* Parse a whole decimal integer in [min, max]; TX_ERR_INVALID otherwise. */
tx_err tx_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Read a whole file into a NUL-terminated buffer of at most max bytes. */
tx_err tx_read_file(const char *path, size_t max, char **out, size_t *len,
		    struct tx_error *err);
/* Write a file atomically (temp + rename) with the given mode. */
tx_err tx_write_file(const char *path, const void *data, size_t len,
		     unsigned mode, struct tx_error *err);
/* Make directory path with mode 0700, or make an existing one 0700 (a
 * node's folder holds secrets, whatever umask or mkdir made it).
 * TX_ERR_IO naming path when it is not a directory or cannot be changed. */
tx_err tx_mkdir_private(const char *path, struct tx_error *err);
/* Set an existing file's mode to 0600; missing files are fine. */
tx_err tx_chmod_private(const char *path, struct tx_error *err);
/*
 * Whether a file holding secrets is private: TX_OK when only its owner may
 * read or write it (or, with may_be_missing, when it does not exist), else
 * TX_ERR_DENIED with a message naming the file, its mode and the chmod
 * to run.
 */
tx_err tx_check_private(const char *path, int may_be_missing,
			struct tx_error *err);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void tx_hex(const unsigned char *in, size_t n, char *out);
/* v in decimal into out (21 bytes are enough), NUL-terminated, without
 * printf (on paths that run for every request); returns its length. */
size_t tx_u64_text(uint64_t v, char *out);
/* Join dir and name into out (size outsz); TX_ERR_TOOBIG when it won't fit. */
tx_err tx_path_join(char *out, size_t outsz, const char *dir, const char *name);

/* ---- limits on the process's own file access (core/sandbox.c) ---- */

/* One folder (everything beneath it) or file the process may still use. */
struct tx_sandbox_path {
	const char *path;
	int write;           /* 0: read and execute; 1: everything */
};

/* Whether the kernel has Landlock (and it is enabled). */
int tx_sandbox_available(void);
/*
 * From now on, this thread and every thread and process it starts may
 * open files only as paths allow (paths that do not exist are skipped);
 * also sets no_new_privs. Call before starting threads. TX_ERR_NOTFOUND
 * when the kernel has no Landlock (nothing changed), TX_ERR_IO otherwise.
 */
tx_err tx_sandbox_restrict(const struct tx_sandbox_path *paths, size_t n,
			   struct tx_error *err);

/* ---- JSON text without a tree (core/json.c) ---- */

/* A piece of a text: offset and length. */
struct tx_span {
	size_t off;
	size_t len;
};

/*
 * The spans of the elements of the list that is member key of the
 * top-level object of JSON text s (any text; the spans mean something
 * only for text a parser accepts, see tx_json_frame_valid). *out is
 * caller-freed. TX_ERR_NOTFOUND when there is no such list.
 */
tx_err tx_json_array_spans(const char *s, size_t len, const char *key,
			   struct tx_span **out, size_t *n);
/* The same, stopping at the element after the first max: then
 * TX_ERR_TOOBIG, nothing in *out and *n = max + 1 (a cap is checked
 * without scanning, or holding spans for, the rest of a big list). */
tx_err tx_json_array_spans_max(const char *s, size_t len, const char *key,
			       size_t max, struct tx_span **out, size_t *n);
/*
 * Whether text (len bytes, any input) is valid JSON apart from the n
 * elements at spans (from tx_json_array_spans, in order), without reading
 * them: the text is parsed with each element taken as a null unseen (an
 * error's line and column are the text's, in jerr), and each must be met
 * where a value starts. If each element is valid JSON too, so is the
 * text: how a big bundle is read a batch of elements at a time (in
 * core/jparse.c). Fuzzed against a whole parse (fuzz/fuzz_bundle.c).
 */
int tx_json_frame_valid(const char *text, size_t len, const struct tx_span *spans,
			size_t n, json_error_t *jerr);
/* Copy JSON text without whitespace outside strings into out (len + 1
 * bytes); returns the new length. */
size_t tx_json_compact(const char *in, size_t len, char *out);

/* The string member key of o, or NULL (o not an object, key missing or not
 * a string): the one getter every module uses. */
const char *tx_json_str(const json_t *o, const char *key);
/*
 * Allocation failures of JSON values, counted per thread: a function that
 * builds a tree takes tx_json_failures() first and, when the count moved
 * by the end, drops what it built (a call whose failure was not checked
 * would have left a part of it out). The count moves only once
 * tx_json_guard_install (or taxii's memcap, which notes its refusals with
 * tx_json_failure_note) has set jansson's allocator; every program of
 * trilex does so at start.
 */
void tx_json_guard_install(void);
unsigned long tx_json_failures(void);
void tx_json_failure_note(void);
/* v when no JSON allocation failed on this thread since mark; else NULL
 * (v is released). */
json_t *tx_json_whole(unsigned long mark, json_t *v);
/*
 * json_dumps, whole or NULL (free the text with free()): jansson 2.14's
 * json_dumps ignores a failure to write an object's key (dump.c calls
 * dump_string for keys without checking it), so under memory pressure it
 * can return text with a key missing ("nested":{:1}) instead of NULL. This
 * writes through a callback that remembers any refusal (and counts it in
 * tx_json_failures, as json_dumps's own allocations were). Use it for
 * every text that is stored, signed, hashed or sent.
 */
char *tx_json_dumps(const json_t *v, size_t flags);

/* ---- JSON text to jansson values (core/jparse.c) ---- */

/*
 * json_loadb, faster: accepts exactly the texts json_loadb accepts with
 * the same flags (JSON_REJECT_DUPLICATES, JSON_DECODE_ANY,
 * JSON_DISABLE_EOF_CHECK, JSON_DECODE_INT_AS_REAL) and returns equal
 * values; on error NULL, with line, column, position and a text in err.
 */
json_t *tx_json_load(const char *text, size_t len, size_t flags,
		     json_error_t *err);

/* ---- node configuration, DIR/node.json (core/config.c) ---- */

#define TX_PARTY_MAX 8
/* Whether p is a party code: 2 to 7 upper-case ASCII letters (NULL: no). */
int tx_party_valid(const char *p);
#define TX_NAME_MAX 128
#define TX_HOST_MAX 256

/* Plain data: the settings of one node. */
struct tx_config {
	char party[TX_PARTY_MAX];        /* party code, 2-7 upper-case letters */
	char name[TX_NAME_MAX];          /* display name */
	char listen_host[TX_HOST_MAX];   /* host or address to listen on */
	int listen_port;
	char public_url[TX_HOST_MAX + 16]; /* "https://host[:port]" as clients
	                                    reach the node; "": the listen
	                                    address */
	char api_root[64];               /* path segment of the one API root */
	char public_key[65];             /* Ed25519 public key, hex */
	int64_t max_content_length;      /* largest request body, bytes */
	int64_t page_max;                /* largest page of objects */
	int64_t page_default;            /* page size when no limit is given */
	int64_t threads;                 /* HTTP worker threads */
	int64_t ingest_workers;          /* threads storing partners' big
	                                    POSTs (taxii/ingestq.c) */
	int64_t ingest_queue;            /* of those, waiting at most */
	int64_t recheck_s;               /* serve: stored BOMs re-checked at most
	                                    this often when objects come in */
	int64_t max_envelope_objects;    /* objects in one POSTed envelope */
	int64_t max_bodies_in_flight;    /* bytes of request bodies held at
	                                    once, all requests together */
	int64_t body_memory_factor;      /* a POST of objects may take this
	                                    many times its body (+1 MiB) in
	                                    JSON values */
	int64_t status_failures_max;     /* failures listed (with reasons) in
	                                    one status resource */
	int64_t status_ttl_s;            /* status resources kept this long */
	int64_t log_repeat_max;          /* lines of one kind per interval */
	int64_t log_repeat_interval_s;
	/* HTTP connections (taxii/conns.c): what one client may hold */
	int64_t max_connections;         /* open at once, all clients */
	int64_t max_connections_per_address;
	int64_t max_pending_connections; /* not yet through a request head */
	int64_t partner_reserved_connections; /* users may never take these */
	int64_t head_timeout_s;          /* TLS handshake + request head */
	int64_t min_upload_rate;         /* bytes/s a body must keep up; 0 off */
	int64_t idle_timeout_s;          /* no byte either way */
	int64_t plain_http_peek_ms;      /* wait for a first byte (accept.c) */
	int64_t stream_window;           /* bytes an alert stream holds */
	/* Password guessing (taxii/auth.c): failures of one user name before
	 * each further try waits (auth_backoff_s, doubling up to
	 * auth_backoff_max_s);
	 * failures before the account is locked until `trilex user unlock`;
	 * failures from one address (IPv6: its /64) before it waits too;
	 * how long a failure is remembered; Argon2 checks run at once. A
	 * count of 0 turns that guard off. */
	int64_t auth_backoff_after;
	int64_t auth_backoff_s;          /* the first wait, doubling after */
	int64_t auth_backoff_max_s;
	int64_t auth_lockout_after;
	int64_t auth_addr_backoff_after;
	int64_t auth_forget_s;
	int64_t auth_verify_max;
	int64_t landlock;                /* serve: limit file access (1) or not */
	/* Operations (docs/operations.md): the log's form and place, one
	 * line per request or not, and who may read /metrics without an
	 * admin account. */
	char log_format[16];             /* "text", "logfmt" or "json" */
	char log_output[512];            /* "stderr", "syslog[:PATH]" or a file */
	int64_t log_requests;            /* one line per request (1) or not */
	char metrics_allow[512];         /* addresses / CIDR, comma-separated */
	/* The console (console/): a session ends this long after sign-in,
	 * or after console_idle_s without a request. */
	int64_t console_session_s;
	int64_t console_idle_s;
	/* Delivery to partners (federation/deliver.c): a failure waits
	 * delivery_backoff_min_ms, doubling up to delivery_backoff_max_ms,
	 * unless the partner is heard from or moves (peer update). */
	int64_t delivery_backoff_min_ms;
	int64_t delivery_backoff_max_ms;
	/* Several serve processes on one database (federation/deliver.c):
	 * one of them delivers to each partner, holding a lease that it
	 * renews every third of delivery_lease_ms; another takes over when
	 * it has not for that long. */
	int64_t delivery_lease_ms;
	/* The store (node.json "store": {"backend", "conninfo"}): "sqlite"
	 * (DIR/trilex.db, the default) or "postgres" with a libpq conninfo
	 * that holds no password (service file, PGPASSFILE or passfile=). */
	char store_backend[16];
	char store_conninfo[1024];
	/* A streaming replica for reads ("read_conninfo", "" = none; postgres
	 * only) and the lag past which it is not used ("read_max_lag_ms"). */
	char store_read_conninfo[1024];
	int64_t store_read_max_lag_ms;
};

/* Fill cfg with the defaults of every setting. */
void tx_config_defaults(struct tx_config *cfg);
/* The id of the node's STIX identity, "identity--" + UUIDv5 of its public
 * key in trilex's namespace (the CLI and the console name it so); -1 and
 * out "" when cfg has no key. */
int tx_node_identity_id(const struct tx_config *cfg, char out[64]);
/*
 * Read DIR/node.json into cfg (defaults first, then the file). Every setting
 * is checked against its type and bounds; err names the first bad one.
 */
tx_err tx_config_load(const char *dir, struct tx_config *cfg,
		      struct tx_error *err);
/* Write cfg to DIR/node.json (mode 0600), atomically. */
tx_err tx_config_save(const char *dir, const struct tx_config *cfg,
		      struct tx_error *err);
/*
 * Whether the address addr (IPv4 or IPv6 text; NULL: no) is in list, a
 * comma-separated list of addresses and CIDR blocks ("10.0.0.5,
 * 192.0.2.0/24, ::1"); an IPv4-mapped IPv6 address counts as IPv4.
 */
int tx_config_addr_allowed(const char *list, const char *addr);
/* Parse "HOST:PORT", "[V6]:PORT" or "PORT" into cfg's listen fields. */
tx_err tx_config_set_listen(struct tx_config *cfg, const char *spec,
			    struct tx_error *err);

/* ---- arena, hash table, FNV-1a (core/arena.c) ---- */

/* qsort(3) for arrays that may be empty: C leaves qsort(NULL, 0, ...)
 * undefined (UBSan: "null pointer passed as argument 1"), and an empty
 * list is often a NULL one here. Every sort in src/ goes through it. */
void tx_sort(void *base, size_t n, size_t size,
	     int (*cmp)(const void *, const void *));

/* FNV-1a 64 over len bytes, continuing from h (start: TX_HASH64_INIT). */
uint64_t tx_hash64(uint64_t h, const void *data, size_t len);
#define TX_HASH64_INIT 0xcbf29ce484222325ULL

/*
 * Many small allocations, freed at once: zeroed, aligned for any type,
 * NULL past cap bytes handed out or when out of memory. The first chunk
 * has first bytes (fit it to the expected size), later ones chunk; a block
 * over a quarter of a chunk gets one of its own.
 */
struct tx_arena_chunk;
struct tx_arena {
	struct tx_arena_chunk *head;
	size_t used, cap;
	size_t first, chunk;
};
/* 0 for first, chunk or cap: chunk, 1 MiB, no cap. */
void tx_arena_init(struct tx_arena *a, size_t first, size_t chunk, size_t cap);
void tx_arena_free(struct tx_arena *a);
void *tx_arena_alloc(struct tx_arena *a, size_t n);
/* Copies, NUL-terminated; NULL s gives NULL (and is not an error). */
char *tx_arena_strdup(struct tx_arena *a, const char *s);
char *tx_arena_strndup(struct tx_arena *a, const char *s, size_t n);

/*
 * Make room for n elements of elem bytes in the array *arrp points to (a
 * pointer of any type) of capacity *cap, doubling from first. TX_ERR_NOMEM
 * on overflow or when out of memory, and then nothing changes.
 */
tx_err tx_grow(void *arrp, size_t *cap, size_t n, size_t elem, size_t first);

/* A string-keyed hash table (keys and values borrowed); zero is empty. */
struct tx_htab_ent {
	uint64_t h;
	const char *key;
	void *val;
};
struct tx_htab {
	struct tx_htab_ent *e;
	size_t cap, n;
};
uint64_t tx_htab_hash(const char *s);
/* The value for key, or NULL. */
void *tx_htab_get(const struct tx_htab *t, const char *key);
/* Insert or replace; *old (may be NULL) gets the value replaced. */
tx_err tx_htab_put(struct tx_htab *t, const char *key, void *val, void **old);
void tx_htab_free(struct tx_htab *t);

#endif
