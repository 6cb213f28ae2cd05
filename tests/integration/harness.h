/*
 * tests/integration/harness.h: real trilex nodes for end-to-end tests.
 *
 * A node is made with the real binary (TRILEX_BIN) in a temporary folder,
 * served on a free port of 127.0.0.1, and spoken to over HTTPS with
 * libcurl, verifying its certificate.
 */
#ifndef TRILEX_TESTS_HARNESS_H
#define TRILEX_TESTS_HARNESS_H

#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/core.h"

#define ADMIN_PASSWORD "correct horse battery staple"
#define READER_PASSWORD "reader password 1"
#define NOBODY_PASSWORD "nobody password 1"

struct node {
	char dir[PATH_MAX];
	char cacert[PATH_MAX];
	char base[64];         /* https://127.0.0.1:PORT */
	char coll[40];         /* id of collection "main", admin rw, reader r */
	char token[80];        /* bearer token of admin */
	char party[8];
	int port;
	pid_t pid;
};

struct http_resp {
	long status;
	char *body;
	size_t len;
	json_t *json;          /* body parsed, or NULL */
	char headers[4096];    /* raw response headers */
};

/* Where the shared data is, or NULL (with a printed reason) if absent. */
const char *shared_path(const char *rel, char *buf, size_t n);
/* A file under tests/data. */
const char *testdata_path(const char *rel, char *buf, size_t n);

/*
 * Make a node (party JP) with users admin (admin), reader (read on main)
 * and nobody (no grants), collection "main" (shared with partners) and an
 * admin token.
 * extra_config: JSON members merged into node.json (e.g.
 * "\"max_content_length\": 65536"), or NULL.
 */
int node_create(struct node *n, const char *extra_config);
/* The same for another party (e.g. "UK"). */
int node_create_as(struct node *n, const char *party, const char *extra_config);
/* Pin a and b to each other (peer export + peer add both ways). */
int node_pair(struct node *a, struct node *b);
/* Poll fn(n, arg) every 20 ms until it returns non-zero or ms pass;
 * returns its last result. */
int wait_for(int (*fn)(const struct node *, void *), const struct node *n,
	     void *arg, int ms);
/* Number of object versions in collection (alias) of n, all versions. */
int count_objects(const struct node *n, const char *collection,
		  const char *query);
/* A free port of 127.0.0.1 for a node, claimed for this process's life
 * (below the ephemeral range, locked against other test processes). */
int harness_port(void);
/* Start `trilex serve` and wait until it answers. */
int node_start(struct node *n);
/* SIGTERM and wait; returns the exit status (or -1). */
int node_stop(struct node *n);
/* SIGKILL and wait. */
void node_kill(struct node *n);
/* Remove the node's folder. */
void node_destroy(struct node *n);

/*
 * One HTTPS request. auth: "token" (admin bearer), "admin", "reader",
 * "nobody" (Basic), "bad" (wrong password), "USER:PASSWORD" (Basic, any)
 * or NULL. accept/ctype NULL
 * mean the TAXII media type (ctype only with a body); "" means none.
 */
int http(const struct node *n, const char *method, const char *path,
	 const char *auth, const char *accept, const char *ctype,
	 const char *body, size_t len, struct http_resp *r);
void http_free(struct http_resp *r);
/* A request made as a partner node: with the certificate and key in
 * cert_dir/tls/ (a node's folder), and no password or token. */
int http_cert(const struct node *n, const char *cert_dir, const char *method,
	      const char *path, const char *body, struct http_resp *r);
/* The value of a response header (case-insensitive), copied; or NULL. */
const char *http_header(const struct http_resp *r, const char *name,
			char *buf, size_t n);

/* Run sql on n's SQLite store from outside, as only someone with the file
 * could (the node may be serving): 0, or -1 with the error on stderr. */
int node_sql(const struct node *n, const char *sql);

/* Run the trilex binary; stdin_text may be NULL. Output is captured. */
int run_trilex(const char *const *args, const char *stdin_text, char **out,
	       char **err);

/* Start the trilex binary in the background, stdin from /dev/null, stdout
 * and stderr to the files named; its pid (the caller waits for it). */
pid_t spawn_trilex(const char *const *args, const char *out_path,
		   const char *err_path);

/* Object versions of the node in dir, from `trilex info`; -1 on error. */
long node_versions(const char *dir);
/*
 * Start `trilex push --batch BATCH` of TOTAL indicators (make_indicator
 * from number FIRST) into collection "main" of n in the background (its
 * output in n->dir/push.out and push.err) and wait, at most 20 s, until
 * the node holds more than base versions: the push's pid, or -1.
 */
pid_t push_started(const struct node *n, int first, int total, int batch,
		   long base);

/* Read a whole file (caller frees). */
char *slurp(const char *path, size_t *len);

/* An indicator object with a given uuid suffix number and modified time. */
json_t *make_indicator(int i, const char *modified);

#endif
