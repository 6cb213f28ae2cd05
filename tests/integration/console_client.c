/* tests/integration/console_client.c: see console_client.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "console_client.h"


static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = size * n, room = sizeof(r->body) - 1 - r->len;

	if (len > room)
		len = room;
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t have = strlen(r->headers), len = size * n;

	if (have + len < sizeof(r->headers)) {
		memcpy(r->headers + have, p, len);
		r->headers[have + len] = '\0';
	}
	return size * n;
}

/* One request with cookie (NULL: none) and form body (NULL: a GET),
 * optionally with the certificate of a node's folder. */
void req(const struct node *n, const char *method, const char *path,
	 const char *cookie, const char *form, const char *cert_dir,
	 struct resp *r)
{
	CURL *c = curl_easy_init();
	char url[1024], cert[PATH_MAX + 16], key[PATH_MAX + 16];
	struct curl_slist *h = NULL;

	memset(r, 0, sizeof(*r));
	assert_non_null(c);
	tx_strfmt(url, sizeof(url), "%s%s", n->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_CAINFO, n->cacert);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	h = curl_slist_append(h, "Accept: text/html");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (cookie)
		curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
	if (form) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	}
	if (cert_dir) {
		tx_strfmt(cert, sizeof(cert), "%s/tls/cert.pem", cert_dir);
		tx_strfmt(key, sizeof(key), "%s/tls/key.pem", cert_dir);
		curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

/* The value of cookie name set by r ("" when cleared), into out. */
int set_cookie(const struct resp *r, const char *name, char *out, size_t n,
	       char *line, size_t line_n)
{
	char want[128];
	const char *p;

	tx_strfmt(want, sizeof(want), "Set-Cookie: %s=", name);
	if ((p = strcasestr(r->headers, want)) == NULL)
		return -1;
	p += strlen(want);
	size_t len = strcspn(p, ";\r\n");
	tx_strfmt(out, n, "%.*s", (int)len, p);
	if (line)
		tx_strfmt(line, line_n, "%.*s", (int)strcspn(p, "\r\n"), p);
	return 0;
}

/* The first form's csrf field of a page. */
void csrf_of(const struct resp *r, char out[80])
{
	const char *p = strstr(r->body, "name=\"csrf\" value=\"");

	assert_non_null(p);
	p += strlen("name=\"csrf\" value=\"");
	tx_strfmt(out, 80, "%.*s", (int)strcspn(p, "\""), p);
	assert_int_equal(strlen(out), 64);
}

/* Sign in as user: the session cookie ("__Host-trilex=..."), or "" when
 * refused; r gets the sign-in POST's answer. */
void sign_in(const struct node *n, const char *user, const char *pw,
	     char cookie[160], struct resp *r)
{
	char pre[128], pre_cookie[160], csrf[80], form[512], v[128];

	req(n, "GET", "/console/signin", NULL, NULL, NULL, r);
	assert_int_equal(r->status, 200);
	assert_int_equal(set_cookie(r, "__Host-trilex-pre", pre, sizeof(pre), NULL,
				    0), 0);
	csrf_of(r, csrf);
	tx_strfmt(pre_cookie, sizeof(pre_cookie), "__Host-trilex-pre=%s", pre);
	tx_strfmt(form, sizeof(form), "csrf=%s&user=%s&password=%s", csrf, user, pw);
	for (char *s = strstr(form, "&password=") + 10; *s; s++)
		if (*s == ' ')
			*s = '+';
	req(n, "POST", "/console/signin", pre_cookie, form, NULL, r);
	cookie[0] = '\0';
	if (set_cookie(r, "__Host-trilex", v, sizeof(v), NULL, 0) == 0 && v[0])
		tx_strfmt(cookie, 160, "__Host-trilex=%s", v);
}

