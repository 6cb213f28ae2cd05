/*
 * console/session.c: sign-in, sign-out, sessions and CSRF tokens.
 *
 * A session is a random 256-bit token in the cookie CONSOLE_COOKIE
 * (HttpOnly, Secure, SameSite=Strict, Path=/, the __Host- prefix); the
 * store keeps its BLAKE2b hash, the user, its end (console_session_s
 * after sign-in) and its last use (it ends after console_idle_s without
 * one). The CSRF token of every form is a BLAKE2b of the cookie, so only
 * a page that holds the cookie's session can post, and nothing extra is
 * stored. The sign-in form itself carries the token of a pre-session
 * cookie (CONSOLE_PRE_COOKIE) set with the form: no other site can make
 * a browser sign in as someone else.
 *
 * Passwords are checked as the TAXII server checks them: Argon2id, at
 * most auth_verify_max at once (more: "busy"), partner accounts and
 * locked ones refused, unknown names checked against a dummy hash (the
 * time of an answer tells no names), and failures of one name counted:
 * past auth_backoff_after each try waits (doubling up to
 * auth_backoff_max_s), past auth_lockout_after the account is locked in
 * the database. The counts are in the store (store/authfail.c, scope
 * "console.name"), shared by every serve process of the node and kept
 * over a restart.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "console/internal.h"
#include "crypto/crypto.h"

#define SCOPE "console.name"

static struct {
	pthread_mutex_t lock;
	int64_t verifying;
	char dummy[CRYPTO_PWHASH_BUF];
} guard = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* No allocation: a failed one gave forms with an empty token (a page
 * whose every form is refused). A cookie is shorter than CRYPTO_TOKEN_BUF;
 * a longer one has no token. */
void console_session_csrf(const char *cookie, char out[CONSOLE_CSRF_BUF])
{
	char b[sizeof("trilex-console-csrf:") + CRYPTO_TOKEN_BUF];
	int n = snprintf(b, sizeof(b), "trilex-console-csrf:%s", cookie);

	if (n > 0 && (size_t)n < sizeof(b))
		crypto_token_hash(b, (size_t)n, out);
	else
		out[0] = '\0';
	sodium_memzero(b, sizeof(b));
}

int console_session_csrf_ok(const char *form, size_t len, const char *cookie)
{
	char want[CONSOLE_CSRF_BUF], got[CONSOLE_CSRF_BUF];

	if (cookie == NULL || form == NULL ||
	    console_form_field(form, len, "csrf", got, sizeof(got)) != 0 ||
	    strlen(got) != CONSOLE_CSRF_BUF - 1)
		return 0;
	console_session_csrf(cookie, want);
	return want[0] != '\0' &&
	       sodium_memcmp(want, got, CONSOLE_CSRF_BUF - 1) == 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int console_form_field(const char *body, size_t len, const char *name, char *out,
	       size_t out_size)
{
	size_t nlen = strlen(name);
	const char *p = body, *end = body + len;

	while (p != NULL && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fend = amp ? amp : end;
		size_t o = 0;

		if ((size_t)(fend - p) > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			for (const char *q = p + nlen + 1; q < fend; q++) {
				int c = (unsigned char)*q;
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					if (fend - q < 3 || hexval(q[1]) < 0 ||
					    hexval(q[2]) < 0)
						return -1;
					c = hexval(q[1]) << 4 | hexval(q[2]);
					q += 2;
				}
				if (c == 0 || o + 1 >= out_size)
					return -1;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return 0;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -1;
}

/* ---- the guard against guessing ---- */

/* Seconds name must still wait before a try; 0: it may try now; -1: its
 * count cannot be read. */
static int64_t must_wait(const struct tx_config *cfg, tx_store *st,
			 const char *name, int64_t now)
{
	struct store_auth_fail f;
	struct tx_error err = { 0 };
	int64_t wait = 0;

	if (store_auth_fail_get(st, SCOPE, name, strlen(name), &f, &err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "console sign-in: %s", err.msg);
		return -1;
	}
	if (now - f.last_us > cfg->auth_forget_s * 1000000)
		f.failures = 0; /* forgotten */
	if (cfg->auth_backoff_after > 0 && f.failures >= cfg->auth_backoff_after) {
		int64_t steps = f.failures - cfg->auth_backoff_after;
		int64_t w = cfg->auth_backoff_s;
		for (int64_t i = 0; i < steps && w < cfg->auth_backoff_max_s; i++)
			w *= 2;
		if (w > cfg->auth_backoff_max_s)
			w = cfg->auth_backoff_max_s;
		int64_t until = f.last_us + w * 1000000;
		if (until > now)
			wait = (until - now + 999999) / 1000000;
	}
	return wait;
}

/* Count a failure of name (one statement: every process's failures
 * count); 1 when the account is now to be locked. */
static int count_failure(const struct tx_config *cfg, tx_store *st,
			 const char *name, int64_t now)
{
	struct tx_error err = { 0 };
	int64_t n = 0;

	if (store_auth_fail_add(st, SCOPE, name, strlen(name), now,
				cfg->auth_forget_s * 1000000, 0, &n, &err) != TX_OK)
		tx_log(TX_LOG_ERROR, "console sign-in: %s", err.msg);
	return cfg->auth_lockout_after > 0 && n >= cfg->auth_lockout_after;
}

static void forget_failures(tx_store *st, const char *name)
{
	struct tx_error err = { 0 };

	if (store_auth_fail_clear(st, SCOPE, name, strlen(name), &err) != TX_OK)
		tx_log(TX_LOG_ERROR, "console sign-in: %s", err.msg);
}

static int verify_begin(const struct tx_config *cfg)
{
	int ok;

	pthread_mutex_lock(&guard.lock);
	ok = guard.verifying < cfg->auth_verify_max;
	if (ok)
		guard.verifying++;
	if (ok && guard.dummy[0] == '\0' &&
	    crypto_password_hash("trilex-console-dummy", 20, guard.dummy) !=
		    TX_OK)
		guard.dummy[0] = '\0';
	pthread_mutex_unlock(&guard.lock);
	return ok;
}

static void verify_end(void)
{
	pthread_mutex_lock(&guard.lock);
	guard.verifying--;
	pthread_mutex_unlock(&guard.lock);
}

/* ---- pages ---- */

static void set_cookie(struct page *p, const char *name, const char *value,
		       int64_t max_age)
{
	taxii_ext_reply_header(p->rp, "Set-Cookie", "%s=%s; Path=/; Secure;"
			       " HttpOnly; SameSite=Strict; Max-Age=%lld", name,
			       value, (long long)max_age);
}

int console_session_user(void *ctx, tx_store *st, const char *cookie,
			 struct store_user *u)
{
	const struct tx_config *cfg = ctx;
	char hash[CRYPTO_TOKEN_HASH_BUF];
	struct store_session s;

	if (cookie == NULL || strlen(cookie) >= CRYPTO_TOKEN_BUF || cfg == NULL)
		return -1;
	crypto_token_hash(cookie, strlen(cookie), hash);
	if (store_session_get(st, hash, tx_time_now_us(),
			      cfg->console_idle_s * 1000000, &s) != TX_OK)
		return -1;
	*u = s.user;
	return 0;
}

int console_session_load(struct page *p)
{
	const char *c = taxii_ext_cookie(p->rq, CONSOLE_COOKIE);
	char hash[CRYPTO_TOKEN_HASH_BUF];
	int lang;

	p->signed_in = 0;
	if (c == NULL || strlen(c) >= CRYPTO_TOKEN_BUF)
		return -1;
	crypto_token_hash(c, strlen(c), hash);
	switch (store_session_get(p->rq->st, hash, p->now,
				  p->rq->cfg->console_idle_s * 1000000, &p->s)) {
	case TX_OK:
		break;
	case TX_ERR_NOTFOUND:
		return -1;
	default:
		return -2; /* not read: not "signed out" */
	}
	p->signed_in = 1;
	console_session_csrf(c, p->csrf);
	if ((lang = console_lang_parse(p->s.lang)) >= 0)
		p->lang = lang;
	return 0;
}

/* The sign-in form, with message (a label, or -1) above it. */
static void signin_form(struct page *p, int message, const char *user,
			unsigned status)
{
	char pre[CRYPTO_TOKEN_BUF];

	if (crypto_token_new(pre) != TX_OK) {
		p->rc = TX_ERR_INTERNAL;
		console_page_send(p, 500);
		return;
	}
	console_session_csrf(pre, p->csrf);
	set_cookie(p, CONSOLE_PRE_COOKIE, pre, 3600);
	console_page_begin(p, L_SIGN_IN, NULL);
	if (message >= 0)
		console_html_put(p, "<p class=\"error\" role=\"alert\" id=\"signin-error\">"
			 "%L</p>", message);
	console_html_put(p, "<form method=\"post\" action=\"/console/signin\""
		 " class=\"signin\">"
		 "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
		 "<label for=\"user\">%L</label>"
		 "<input id=\"user\" name=\"user\" autocomplete=\"username\""
		 " required value=\"%s\">"
		 "<label for=\"password\">%L</label>"
		 "<input id=\"password\" name=\"password\" type=\"password\""
		 " autocomplete=\"current-password\" required>"
		 "<button type=\"submit\">%L</button></form>",
		 p->csrf, L_USER, user ? user : "", L_PASSWORD, L_SIGN_IN);
	console_page_end(p);
	sodium_memzero(pre, sizeof(pre));
	console_page_send(p, status);
}

void console_session_signin_page(struct page *p)
{
	if (p->signed_in) {
		console_page_redirect(p, "/console/");
		return;
	}
	signin_form(p, -1, NULL, 200);
}

void console_session_signin_post(struct page *p)
{
	const struct taxii_ext_request *rq = p->rq;
	const struct tx_config *cfg = rq->cfg;
	char user[STORE_NAME_MAX], pw[1024], pwhash[256] = "";
	char token[CRYPTO_TOKEN_BUF], hash[CRYPTO_TOKEN_HASH_BUF];
	struct store_user u = { 0 };
	struct tx_error err = { 0 };
	int64_t wait, previous;
	int found, ok;

	if (!console_session_csrf_ok(rq->body, rq->body_len,
			     taxii_ext_cookie(rq, CONSOLE_PRE_COOKIE))) {
		signin_form(p, L_CSRF, NULL, 403);
		return;
	}
	if (console_form_field(rq->body, rq->body_len, "user", user, sizeof(user)) ||
	    console_form_field(rq->body, rq->body_len, "password", pw, sizeof(pw)) ||
	    user[0] == '\0') {
		signin_form(p, L_BAD_LOGIN, NULL, 401);
		goto out;
	}
	for (char *c = user; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if ((wait = must_wait(cfg, rq->st, user, p->now)) < 0) {
		taxii_ext_reply_header(p->rp, "Retry-After", "1");
		signin_form(p, L_BUSY, user, 503);
		goto out;
	}
	if (wait > 0) {
		taxii_ext_reply_header(p->rp, "Retry-After", "%lld",
				       (long long)wait);
		signin_form(p, L_WAIT, user, 429);
		goto out;
	}
	found = store_user_get(rq->st, user, &u, pwhash, sizeof(pwhash)) == TX_OK;
	if (found && u.peer[0] != '\0') {
		signin_form(p, L_PARTNER_NO_SIGNIN, NULL, 403);
		goto out;
	}
	if (!verify_begin(cfg)) {
		taxii_ext_reply_header(p->rp, "Retry-After", "1");
		signin_form(p, L_BUSY, user, 503);
		goto out;
	}
	ok = crypto_password_verify(found ? pwhash : guard.dummy, pw,
				    strlen(pw)) && found;
	verify_end();
	if (found && u.locked) {
		signin_form(p, L_LOCKED, user, 401);
		goto out;
	}
	if (!ok) {
		if (count_failure(cfg, rq->st, user, p->now) && found) {
			store_user_set_locked(rq->st, user, 1, NULL);
			tx_log(TX_LOG_WARN, "user \"%s\" locked after failed"
			       " console passwords", u.name);
		}
		signin_form(p, L_BAD_LOGIN, user, 401);
		goto out;
	}
	forget_failures(rq->st, user);
	if (crypto_token_new(token) != TX_OK) {
		console_page_send(p, 500);
		goto out;
	}
	crypto_token_hash(token, strlen(token), hash);
	if (store_session_add(rq->st, hash, u.id, p->now,
			      p->now + cfg->console_session_s * 1000000,
			      &err) != TX_OK ||
	    store_console_visit(rq->st, u.id, p->now, &previous, &err) != TX_OK) {
		tx_log(TX_LOG_ERROR, "console sign-in: %s", err.msg);
		console_page_send(p, 500);
		goto out;
	}
	set_cookie(p, CONSOLE_COOKIE, token, cfg->console_session_s);
	set_cookie(p, CONSOLE_PRE_COOKIE, "", 0);
	tx_log(TX_LOG_INFO, "console: %s signed in", u.name);
	console_page_redirect(p, "/console/");
out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(token, sizeof(token));
}

void console_session_signout_post(struct page *p)
{
	const char *c = taxii_ext_cookie(p->rq, CONSOLE_COOKIE);
	char hash[CRYPTO_TOKEN_HASH_BUF];

	if (!p->signed_in || !console_session_csrf_ok(p->rq->body, p->rq->body_len, c)) {
		console_page_begin(p, L_SIGN_OUT, NULL);
		console_html_put(p, "<p class=\"error\" role=\"alert\">%L</p>", L_CSRF);
		console_page_end(p);
		console_page_send(p, 403);
		return;
	}
	crypto_token_hash(c, strlen(c), hash);
	store_session_delete(p->rq->st, hash, NULL);
	set_cookie(p, CONSOLE_COOKIE, "", 0);
	console_page_redirect(p, "/console/signin");
}
