/*
 * taxii/client.c: a small TAXII 2.1 client over libcurl, for the CLI.
 * Responses are capped; TLS is always verified (against cacert when given).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "taxii/taxii.h"

static size_t on_body(char *data, size_t size, size_t nmemb, void *cls)
{
	struct tx_buf *b = cls;
	size_t n = size * nmemb;

	return tx_buf_append(b, data, n) == TX_OK ? n : 0;
}

tx_err taxii_client_request(const struct taxii_client *c, const char *method,
			    const char *path, const char *body, size_t len,
			    size_t max, struct taxii_response *resp,
			    struct tx_error *err)
{
	struct curl_slist *hdrs = NULL;
	struct tx_buf b, url, auth;
	CURL *h = NULL;
	CURLcode cc;
	tx_err rc = TX_OK;

	memset(resp, 0, sizeof(*resp));
	tx_buf_init(&b, max);
	tx_buf_init(&url, 0);
	tx_buf_init(&auth, 0);
	if (strncasecmp(c->url, "https://", 8) != 0) {
		rc = tx_error_set(err, TX_ERR_INVALID, "%s: a node speaks HTTPS only:"
				  " the URL must start with https://", c->url);
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (h = curl_easy_init()) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "cannot start libcurl");
		goto out;
	}
	if (tx_buf_printf(&url, "%s%s%s", c->url,
			  c->url[0] && c->url[strlen(c->url) - 1] == '/' ? "" : "/",
			  path) != TX_OK) {
		rc = TX_ERR_NOMEM;
		goto out;
	}
	hdrs = curl_slist_append(hdrs, "Accept: " TAXII_MEDIA_TYPE);
	if (body != NULL)
		hdrs = curl_slist_append(hdrs, "Content-Type: " TAXII_MEDIA_TYPE);
	if (c->token != NULL) {
		if (tx_buf_printf(&auth, "Authorization: Bearer %s", c->token)) {
			rc = TX_ERR_NOMEM;
			goto out;
		}
		hdrs = curl_slist_append(hdrs, auth.data);
	} else if (c->user != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
	curl_easy_setopt(h, CURLOPT_URL, url.data);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s > 0 ? c->timeout_s : 120L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		/* Say what to do about the usual first-hour failures. */
		const char *hint = "";
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
out:
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	tx_buf_free(&b);
	tx_buf_free(&url);
	if (auth.data)
		memset(auth.data, 0, auth.len);
	tx_buf_free(&auth);
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
