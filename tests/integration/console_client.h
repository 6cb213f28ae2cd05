/*
 * tests/integration/console_client.h: the console as a browser without
 * JavaScript uses it, for the integration tests (test_console, test_relay):
 * one request with a cookie and a form, the cookies a page sets, its CSRF
 * token, sign-in.
 */
#ifndef TRILEX_TESTS_CONSOLE_CLIENT_H
#define TRILEX_TESTS_CONSOLE_CLIENT_H

#include <stddef.h>

#include "harness.h"

struct resp {
	long status;
	char body[1 << 20];
	size_t len;
	char headers[8192];
};

/* One request with cookie (NULL: none) and form body (NULL: a GET),
 * optionally with the certificate of a node's folder. */
void req(const struct node *n, const char *method, const char *path,
	 const char *cookie, const char *form, const char *cert_dir,
	 struct resp *r);
/* The value of cookie name set by r ("" when cleared), into out. */
int set_cookie(const struct resp *r, const char *name, char *out, size_t n,
	       char *line, size_t line_n);
/* The first form's csrf field of a page. */
void csrf_of(const struct resp *r, char out[80]);
/* Sign in as user: the session cookie ("__Host-trilex=..."), or "" when
 * refused; r gets the sign-in POST's answer. */
void sign_in(const struct node *n, const char *user, const char *pw,
	     char cookie[160], struct resp *r);

#endif
