/*
 * taxii/client.c: the one HTTPS client set-up of trilex, over libcurl.
 *
 * taxii_client_setup puts every option of a request on a libcurl handle:
 * HTTPS only, TLS 1.2 or later, the peer always verified (against cacert
 * when given; a pinned partner certificate without its name checked),
 * credentials (Basic, Bearer or X-API-Key), timeouts, a cancel callback,
 * a capped body and the TAXII headers of the answer. The CLI and feeds
 * call taxii_client_request; partner delivery sets up its own handles
 * with taxii_client_setup.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "taxii/taxii.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int global_ok(void)
{
	pthread_once(&global_once, global_init);
	return global_rc == CURLE_OK;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *cls)
{
	struct taxii_call *call = cls;
	size_t n = size * nmemb;
	tx_err rc = tx_buf_append(call->body, data, n);

	if (rc == TX_ERR_TOOBIG)
		call->toobig = 1;
	return rc == TX_OK ? n : 0;
}

/* Copy a header's value (trimmed) into out, or leave out alone. */
static void header_value(const char *line, size_t len, const char *name,
			 char *out, size_t outsz)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
			   line[len - 1] == ' '))
		len--;
	snprintf(out, outsz, "%.*s", (int)(len < outsz ? len : outsz - 1), line);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *cls)
{
	struct taxii_call *call = cls;
	struct taxii_response *r = call->resp;
	size_t n = size * nmemb;

	if (r == NULL)
		return n;
	/* A new status line (after a 100 Continue): its headers count. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		r->date_added_first[0] = r->date_added_last[0] = '\0';
		r->content_type[0] = '\0';
		return n;
	}
	header_value(data, n, "X-TAXII-Date-Added-First", r->date_added_first,
		     sizeof(r->date_added_first));
	header_value(data, n, "X-TAXII-Date-Added-Last", r->date_added_last,
		     sizeof(r->date_added_last));
	header_value(data, n, "Content-Type", r->content_type,
		     sizeof(r->content_type));
	return n;
}

static int on_progress(void *cls, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	const struct taxii_client *c = ((struct taxii_call *)cls)->client;

	return c->cancelled != NULL && c->cancelled(c->cancel_ctx) ? 1 : 0;
}

/* Append "name: value" to the header list; 0, or -1 (out of memory). */
static int add_header(struct curl_slist **list, const char *name,
		      const char *prefix, const char *value)
{
	struct tx_buf line;
	struct curl_slist *l;

	tx_buf_init(&line, 0);
	if (tx_buf_printf(&line, "%s: %s%s", name, prefix, value) != TX_OK)
		return -1;
	l = curl_slist_append(*list, line.data);
	/* the list keeps its own copy: wipe ours (it may be a secret) */
	memset(line.data, 0, line.len);
	tx_buf_free(&line);
	if (l == NULL)
		return -1;
	*list = l;
	return 0;
}

tx_err taxii_client_setup(void *curl, const struct taxii_client *c,
			  const char *method, const char *url, const char *body,
			  size_t len, struct tx_buf *out,
			  struct taxii_response *resp, struct taxii_call *call,
			  struct tx_error *err)
{
	struct curl_slist *hdrs = NULL;
	CURL *h = curl;

	memset(call, 0, sizeof(*call));
	call->body = out;
	call->resp = resp;
	call->client = c;
	if (add_header(&hdrs, "Accept", "", c->accept ? c->accept :
		       TAXII_MEDIA_TYPE) ||
	    (body != NULL && add_header(&hdrs, "Content-Type", "",
					TAXII_MEDIA_TYPE)) ||
	    (c->token != NULL && add_header(&hdrs, "Authorization", "Bearer ",
					    c->token)) ||
	    (c->token == NULL && c->api_key != NULL &&
	     add_header(&hdrs, "X-API-Key", "", c->api_key))) {
		curl_slist_free_all(hdrs);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	call->headers = hdrs;
	if (c->token == NULL && c->api_key == NULL && c->user != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, call);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, call);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s > 0 ? c->timeout_s : 120L);
	if (c->connect_timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	if (c->pinned) {
		/* The partner's own certificate is the only trust anchor; the
		 * name in the URL need not be in it (partners reach each other
		 * by addresses the certificate cannot know); the key must be. */
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->client_cert != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->client_cert);
	if (c->client_key != NULL)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->client_key);
	if (c->cancelled != NULL) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, call);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	return TX_OK;
}

void taxii_call_done(struct taxii_call *call)
{
	curl_slist_free_all(call->headers);
	call->headers = NULL;
}

tx_err taxii_client_open(struct taxii_client *c, struct tx_error *err)
{
	if (!global_ok() || (c->handle = curl_easy_init()) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "cannot start libcurl");
	return TX_OK;
}

void taxii_client_close(struct taxii_client *c)
{
	if (c->handle != NULL)
		curl_easy_cleanup(c->handle);
	c->handle = NULL;
}

tx_err taxii_client_request(const struct taxii_client *c, const char *method,
			    const char *path, const char *body, size_t len,
			    size_t max, struct taxii_response *resp,
			    struct tx_error *err)
{
	struct taxii_call call = { 0 };
	struct tx_buf b, url;
	CURL *h = c->handle;
	CURLcode cc;
	tx_err rc = TX_OK;

	memset(resp, 0, sizeof(*resp));
	tx_buf_init(&b, max);
	tx_buf_init(&url, 0);
	if (strncasecmp(c->url, "https://", 8) != 0) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s: a node speaks HTTPS only:"
				  " the URL must start with https://", c->url);
		goto out;
	}
	if (h != NULL) {
		curl_easy_reset(h);
	} else if (!global_ok() || (h = curl_easy_init()) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "cannot start libcurl");
		goto out;
	}
	if (tx_buf_printf(&url, "%s%s%s", c->url,
			  c->url[0] && c->url[strlen(c->url) - 1] == '/' ? "" : "/",
			  path) != TX_OK) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = taxii_client_setup(h, c, method, url.data, body, len, &b, resp,
				     &call, err)) != TX_OK)
		goto out;
	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		/* Say what to do about the usual first-hour failures. */
		const char *hint = "";
		if (cc == CURLE_WRITE_ERROR && call.toobig) {
			rc = tx_error_set(err, TX_ERR_TOOBIG, "%s: the answer is"
					  " longer than %zu bytes", url.data, max);
			goto out;
		}
		if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
			hint = c->cacert ? " (is --cacert the server's certificate, and"
					   " its name or address the one in the URL?)" :
					   " (a node's self-signed certificate is trusted"
					   " with --cacert DIR/tls/cert.pem)";
		else if (cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_RECV_ERROR)
			hint = " (is it an HTTPS server? a trilex node speaks only"
			       " HTTPS)";
		else if (cc == CURLE_COULDNT_CONNECT)
			hint = " (is the node running, on this address and port?)";
		rc = tx_error_set(err, TX_ERR_IO, "%s: %s%s", url.data,
				  curl_easy_strerror(cc), hint);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->len = b.len;
	resp->body = tx_buf_take(&b);
	if (resp->body == NULL && (resp->body = strdup("")) == NULL)
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
out:
	taxii_call_done(&call);
	if (h != NULL && h != c->handle)
		curl_easy_cleanup(h);
	tx_buf_free(&b);
	tx_buf_free(&url);
	return rc;
}

void taxii_response_free(struct taxii_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

char *taxii_url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0), *copy;

	if (e == NULL)
		return NULL;
	copy = strdup(e);
	curl_free(e);
	return copy;
}
