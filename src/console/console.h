/*
 * console: the analysts' and duty officers' web console, served by
 * `trilex serve` at /console/ on the node's HTTPS port.
 *
 * Server-rendered HTML that works without JavaScript; one small script
 * and one style sheet, built into the binary, add live alerts and local
 * times. Users sign in with their node account's password and get a
 * session cookie (HttpOnly, Secure, SameSite=Strict, random, only its
 * hash stored, expiring); every form carries a CSRF token; partners'
 * accounts cannot sign in. Every page is sent with a strict
 * Content-Security-Policy (no inline script), X-Frame-Options DENY and
 * no-store. What a user sees is what the user's grants let a TAXII GET
 * see (console_may_read), nothing more, counts included.
 */
#ifndef TRILEX_CONSOLE_CONSOLE_H
#define TRILEX_CONSOLE_CONSOLE_H

#include <stddef.h>

#include "core/core.h"
#include "store/store.h"
#include "taxii/taxii.h"

/* The handler of the extension row "/console/" (flags
 * TAXII_EXT_AUTH_OPTIONAL | TAXII_EXT_ANY_MEDIA): every console page. */
void console_http(void *ctx, const struct taxii_ext_request *rq,
		  struct taxii_ext_reply *rp);

/* The handler of GET /trilex/v1/search?q=...[&type=T][&limit=N][&next=K]:
 * the console's search as JSON, for scripts (users only). */
void console_http_search(void *ctx, const struct taxii_ext_request *rq,
			 struct taxii_ext_reply *rp);

/*
 * Append the n bytes of s to b as HTML text, safe in element content and
 * in quoted attribute values: & < > " ' ` become entities, control bytes
 * (but tab and newline) U+FFFD. The one escaping function of the console.
 */
tx_err console_html_escape(struct tx_buf *b, const char *s, size_t len);

/*
 * Whether u may read collection collection_pk: the one check behind every
 * page (today the store's grants, as TAXII routes check them; roles will
 * plug in here).
 */
int console_may_read(tx_store *st, const struct store_user *u,
		     int64_t collection_pk);

/*
 * taxii_hooks.session_user: the user of a console session cookie, for the
 * alert stream (ctx: the node's struct tx_config). 0 when the session is
 * valid, else -1.
 */
int console_session_user(void *ctx, tx_store *st, const char *cookie,
			 struct store_user *u);

/*
 * The pks of the collections u may read (*pks caller-freed), from the
 * same check as console_may_read: for callers that search or list on a
 * user's behalf (`trilex search`).
 */
tx_err console_readable_pks(tx_store *st, const struct store_user *u,
			    int64_t **pks, size_t *n);

#endif
