/*
 * Unit tests for crypto/: identity keys, the self-signed TLS certificate
 * (checked field by field with GnuTLS, then used for real by a
 * libmicrohttpd HTTPS server and a verifying libcurl client), password
 * hashes, tokens and cache keys.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "crypto/crypto.h"

#define MAX_FILE (1024 * 1024)

struct fixture {
	char dir[PATH_MAX];
	char cert[PATH_MAX];
	char key[PATH_MAX];
};

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (tx_path_join(p, sizeof(p), dir, e->d_name) == TX_OK)
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int fx_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	if (fx == NULL)
		return -1;
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (tx_path_join(fx->dir, sizeof(fx->dir), tmp, "txcrypto.XXXXXX") != TX_OK ||
	    mkdtemp(fx->dir) == NULL ||
	    tx_path_join(fx->cert, sizeof(fx->cert), fx->dir, "tls.crt") != TX_OK ||
	    tx_path_join(fx->key, sizeof(fx->key), fx->dir, "tls.key") != TX_OK) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fixture *fx = *state;

	rm_tree(fx->dir);
	free(fx);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (crypto_init() != TX_OK)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

static int is_lower_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	struct tx_error err = { 0 };

	assert_int_equal(tx_read_file(path, MAX_FILE, &data, len, &err), TX_OK);
	return data;
}

/* ---- init ---- */

static void test_init_idempotent(void **state)
{
	(void)state;
	assert_int_equal(crypto_init(), TX_OK);
	assert_int_equal(crypto_init(), TX_OK);
}

/* ---- identity ---- */

static void test_identity_create(void **state)
{
	struct fixture *fx = *state;
	struct tx_error err = { 0 };
	char pub[CRYPTO_PUBHEX_BUF];
	char pub2[CRYPTO_PUBHEX_BUF] = "unchanged";
	char path[PATH_MAX];
	char tail_hex[65];
	unsigned char *before;
	char *data;
	size_t len = 0;

	assert_int_equal(tx_path_join(path, sizeof(path), fx->dir, "identity.key"),
			 TX_OK);
	assert_int_equal(crypto_identity_create(path, pub, &err), TX_OK);
	assert_true(is_lower_hex(pub, 64));
	assert_int_equal(file_mode(path), 0600);

	data = slurp(path, &len);
	assert_int_equal(len, 64);
	/* libsodium's secret key is seed || public key. */
	tx_hex((const unsigned char *)data + 32, 32, tail_hex);
	assert_string_equal(tail_hex, pub);
	before = malloc(len);
	assert_non_null(before);
	memcpy(before, data, len);
	free(data);

	assert_int_equal(crypto_identity_create(path, pub2, &err), TX_ERR_EXISTS);
	assert_int_equal(err.code, TX_ERR_EXISTS);
	assert_non_null(strstr(err.msg, path));
	assert_string_equal(pub2, "unchanged");
	data = slurp(path, &len);
	assert_int_equal(len, 64);
	assert_memory_equal(data, before, 64);
	free(data);
	free(before);
}

static void test_identity_two_keys_differ(void **state)
{
	struct fixture *fx = *state;
	char a[CRYPTO_PUBHEX_BUF], b[CRYPTO_PUBHEX_BUF];
	char pa[PATH_MAX], pb[PATH_MAX];

	assert_int_equal(tx_path_join(pa, sizeof(pa), fx->dir, "a.key"), TX_OK);
	assert_int_equal(tx_path_join(pb, sizeof(pb), fx->dir, "b.key"), TX_OK);
	assert_int_equal(crypto_identity_create(pa, a, NULL), TX_OK);
	assert_int_equal(crypto_identity_create(pb, b, NULL), TX_OK);
	assert_string_not_equal(a, b);
}

static void test_identity_bad_dir(void **state)
{
	struct fixture *fx = *state;
	struct tx_error err = { 0 };
	char pub[CRYPTO_PUBHEX_BUF];
	char path[PATH_MAX];

	assert_int_equal(tx_path_join(path, sizeof(path), fx->dir, "no/such.key"),
			 TX_OK);
	assert_int_equal(crypto_identity_create(path, pub, &err), TX_ERR_IO);
	assert_int_equal(crypto_identity_create("", pub, &err), TX_ERR_INVALID);
}

/* ---- TLS certificate ---- */

struct san_list {
	int n;
	int has_v4_loop, has_v6_loop, has_localhost;
	int n_v4_loop, n_v6_loop, n_localhost;
	int has_host;
};

static gnutls_x509_crt_t load_cert(const char *path)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	size_t len = 0;
	char *pem = slurp(path, &len);

	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	d.data = (unsigned char *)pem;
	d.size = (unsigned)len;
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
	free(pem);
	return crt;
}

/* Walk the SAN list; host (may be NULL) is looked for in its own form. */
static void collect_sans(gnutls_x509_crt_t crt, const char *host,
			 struct san_list *s)
{
	static const unsigned char v4[4] = { 127, 0, 0, 1 };
	static const unsigned char v6[16] = { [15] = 1 };
	unsigned char host_ip[16];
	int host_af = 0;

	memset(s, 0, sizeof(*s));
	if (host != NULL && inet_pton(AF_INET, host, host_ip) == 1)
		host_af = 4;
	else if (host != NULL && inet_pton(AF_INET6, host, host_ip) == 1)
		host_af = 16;
	for (unsigned i = 0;; i++) {
		unsigned char buf[512];
		size_t size = sizeof(buf);
		unsigned critical = 0;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size,
								&critical);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		assert_true(type >= 0);
		s->n++;
		if (type == GNUTLS_SAN_IPADDRESS) {
			if (size == 4 && memcmp(buf, v4, 4) == 0)
				s->n_v4_loop++;
			if (size == 16 && memcmp(buf, v6, 16) == 0)
				s->n_v6_loop++;
			if (host_af != 0 && size == (size_t)host_af &&
			    memcmp(buf, host_ip, size) == 0)
				s->has_host = 1;
		} else if (type == GNUTLS_SAN_DNSNAME) {
			if (size == 9 && memcmp(buf, "localhost", 9) == 0)
				s->n_localhost++;
			if (host != NULL && host_af == 0 && size == strlen(host) &&
			    memcmp(buf, host, size) == 0)
				s->has_host = 1;
		} else {
			fail_msg("unexpected SAN type %d", type);
		}
	}
	s->has_v4_loop = s->n_v4_loop > 0;
	s->has_v6_loop = s->n_v6_loop > 0;
	s->has_localhost = s->n_localhost > 0;
}

static void check_cert(const struct fixture *fx, const char *host,
		       const char *cn, const char *fp)
{
	gnutls_x509_crt_t crt = load_cert(fx->cert);
	struct san_list s;
	char buf[256];
	size_t size;
	unsigned critical = 0, ca = 1, usage = 0, bits = 0, status = 1;
	int pathlen = 0, has_server = 0, has_client = 0;
	time_t now = time(NULL), from, until;
	char fp2[CRYPTO_FP_BUF];
	char *pem;
	size_t pem_len = 0;

	assert_int_equal(gnutls_x509_crt_get_version(crt), 3);

	/* SANs: the host plus the three loopback names, each once. */
	collect_sans(crt, host, &s);
	assert_true(s.has_v4_loop);
	assert_true(s.has_v6_loop);
	assert_true(s.has_localhost);
	assert_int_equal(s.n_v4_loop, 1);
	assert_int_equal(s.n_v6_loop, 1);
	assert_int_equal(s.n_localhost, 1);
	assert_true(s.has_host);
	assert_int_equal(gnutls_x509_crt_check_hostname(crt, host), 1);
	assert_int_equal(gnutls_x509_crt_check_hostname(crt, "localhost"), 1);
	assert_int_equal(gnutls_x509_crt_check_hostname(crt, "127.0.0.1"), 1);
	assert_int_equal(gnutls_x509_crt_check_hostname(crt, "::1"), 1);
	assert_int_equal(gnutls_x509_crt_check_hostname(crt, "other.example"), 0);

	/* Subject and issuer: CN=cn, O=trilex. */
	size = sizeof(buf);
	assert_int_equal(gnutls_x509_crt_get_dn_by_oid(
				 crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &size),
			 0);
	assert_string_equal(buf, cn);
	size = sizeof(buf);
	assert_int_equal(gnutls_x509_crt_get_dn_by_oid(
				 crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, 0, buf,
				 &size),
			 0);
	assert_string_equal(buf, "trilex");

	/* Key: ECDSA P-256. */
	assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, &bits),
			 GNUTLS_PK_ECDSA);
	assert_int_equal(bits, 256);

	/* Serial: 16 bytes. */
	size = sizeof(buf);
	assert_int_equal(gnutls_x509_crt_get_serial(crt, buf, &size), 0);
	assert_int_equal(size, 16);

	/* Validity: from an hour ago, for ten years. */
	from = gnutls_x509_crt_get_activation_time(crt);
	until = gnutls_x509_crt_get_expiration_time(crt);
	assert_true(from <= now - 3600 + 5 && from >= now - 3600 - 60);
	assert_true(until - now >= (time_t)3650 * 86400 - 60);
	assert_true(until - now <= (time_t)3654 * 86400);

	/* Extensions. */
	assert_int_equal(gnutls_x509_crt_get_basic_constraints(crt, &critical, &ca,
								&pathlen),
			 0);
	assert_int_equal(critical, 1);
	assert_int_equal(ca, 0);
	assert_int_equal(gnutls_x509_crt_get_key_usage(crt, &usage, &critical), 0);
	assert_true(usage & GNUTLS_KEY_DIGITAL_SIGNATURE);
	assert_false(usage & GNUTLS_KEY_KEY_CERT_SIGN);
	for (unsigned i = 0;; i++) {
		size = sizeof(buf);
		int r = gnutls_x509_crt_get_key_purpose_oid(crt, i, buf, &size,
							    &critical);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		assert_int_equal(r, 0);
		if (strcmp(buf, GNUTLS_KP_TLS_WWW_SERVER) == 0)
			has_server = 1;
		if (strcmp(buf, GNUTLS_KP_TLS_WWW_CLIENT) == 0)
			has_client = 1;
	}
	assert_true(has_server);
	assert_true(has_client);

	/* Self-signed: issuer == subject and the signature verifies. */
	assert_int_equal(gnutls_x509_crt_check_issuer(crt, crt), 1);
	assert_int_equal(gnutls_x509_crt_verify(crt, &crt, 1, 0, &status), 0);
	assert_int_equal(status, 0);

	/* Fingerprint: 64 hex, same as from the file. */
	assert_true(is_lower_hex(fp, 64));
	pem = slurp(fx->cert, &pem_len);
	assert_int_equal(crypto_cert_fingerprint(pem, pem_len, fp2, NULL), TX_OK);
	assert_string_equal(fp, fp2);
	free(pem);

	/* Key file: private, parses, matches the certificate. */
	assert_int_equal(file_mode(fx->key), 0600);
	{
		gnutls_x509_privkey_t k;
		gnutls_datum_t d;
		unsigned char id1[64], id2[64];
		size_t l1 = sizeof(id1), l2 = sizeof(id2);
		size_t klen = 0;
		char *kpem = slurp(fx->key, &klen);

		assert_int_equal(gnutls_x509_privkey_init(&k), 0);
		d.data = (unsigned char *)kpem;
		d.size = (unsigned)klen;
		assert_int_equal(gnutls_x509_privkey_import(k, &d,
							    GNUTLS_X509_FMT_PEM),
				 0);
		assert_int_equal(gnutls_x509_privkey_get_key_id(k, 0, id1, &l1), 0);
		assert_int_equal(gnutls_x509_crt_get_key_id(crt, 0, id2, &l2), 0);
		assert_int_equal(l1, l2);
		assert_memory_equal(id1, id2, l1);
		gnutls_x509_privkey_deinit(k);
		free(kpem);
	}
	gnutls_x509_crt_deinit(crt);
}

static void make_and_check(const struct fixture *fx, const char *host)
{
	struct tx_error err = { 0 };
	char fp[CRYPTO_FP_BUF];

	assert_int_equal(crypto_tls_create(fx->cert, fx->key, host, "node-a", fp,
					   &err),
			 TX_OK);
	check_cert(fx, host, "node-a", fp);
}

static void test_tls_ipv4_host(void **state)
{
	make_and_check(*state, "192.0.2.10");
}

static void test_tls_ipv6_host(void **state)
{
	make_and_check(*state, "2001:db8::5");
}

static void test_tls_dns_host(void **state)
{
	make_and_check(*state, "node1.example.org");
}

static void test_tls_loopback_host_no_dup(void **state)
{
	struct fixture *fx = *state;
	const char *hosts[] = { "127.0.0.1", "::1", "localhost", "0:0::1" };

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		gnutls_x509_crt_t crt;
		struct san_list s;
		char fp[CRYPTO_FP_BUF];

		assert_int_equal(crypto_tls_create(fx->cert, fx->key, hosts[i],
						   "n", fp, NULL),
				 TX_OK);
		crt = load_cert(fx->cert);
		collect_sans(crt, hosts[i], &s);
		assert_int_equal(s.n, 3);
		assert_true(s.has_host);
		gnutls_x509_crt_deinit(crt);
		unlink(fx->cert);
		unlink(fx->key);
	}
}

static void test_tls_refuses_overwrite(void **state)
{
	struct fixture *fx = *state;
	struct tx_error err = { 0 };
	char fp[CRYPTO_FP_BUF], fp2[CRYPTO_FP_BUF] = "x";
	char *pem;
	size_t len = 0;

	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "h.example", "n", fp,
					   &err),
			 TX_OK);
	/* Both exist. */
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "h.example", "n", fp2,
					   &err),
			 TX_ERR_EXISTS);
	assert_string_equal(fp2, "x");
	pem = slurp(fx->cert, &len);
	assert_int_equal(crypto_cert_fingerprint(pem, len, fp2, NULL), TX_OK);
	assert_string_equal(fp, fp2);
	free(pem);

	/* Only the certificate exists: refused, and no key left behind. */
	assert_int_equal(unlink(fx->key), 0);
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "h.example", "n", fp2,
					   &err),
			 TX_ERR_EXISTS);
	assert_int_not_equal(access(fx->key, F_OK), 0);

	/* Only the key exists: refused, and no certificate made. */
	assert_int_equal(unlink(fx->cert), 0);
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "h.example", "n", fp,
					   &err),
			 TX_OK);
	assert_int_equal(unlink(fx->cert), 0);
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "h.example", "n", fp2,
					   &err),
			 TX_ERR_EXISTS);
	assert_int_not_equal(access(fx->cert, F_OK), 0);
}

static void test_tls_bad_input(void **state)
{
	struct fixture *fx = *state;
	struct tx_error err = { 0 };
	char fp[CRYPTO_FP_BUF];
	char long_cn[100];

	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "bad host!", "n", fp,
					   &err),
			 TX_ERR_INVALID);
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "fe80::1%eth0", "n",
					   fp, &err),
			 TX_ERR_INVALID);
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "-a.example", "n", fp,
					   &err),
			 TX_ERR_INVALID);
	memset(long_cn, 'c', sizeof(long_cn) - 1);
	long_cn[sizeof(long_cn) - 1] = '\0';
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "a.example", long_cn,
					   fp, &err),
			 TX_ERR_INVALID);
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "a.example", "", fp,
					   &err),
			 TX_ERR_INVALID);
	assert_int_equal(crypto_tls_create(fx->cert, fx->cert, "a.example", "n", fp,
					   &err),
			 TX_ERR_INVALID);
	assert_int_not_equal(access(fx->cert, F_OK), 0);
	assert_int_not_equal(access(fx->key, F_OK), 0);
}

static void test_fingerprint_bad_input(void **state)
{
	static const char junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n"
				   "-----END CERTIFICATE-----\n";
	struct tx_error err = { 0 };
	char fp[CRYPTO_FP_BUF];

	(void)state;
	assert_int_equal(crypto_cert_fingerprint("hello", 5, fp, &err),
			 TX_ERR_INVALID);
	assert_int_equal(crypto_cert_fingerprint(junk, sizeof(junk) - 1, fp, &err),
			 TX_ERR_INVALID);
	assert_int_equal(crypto_cert_fingerprint("", 0, fp, &err), TX_ERR_INVALID);
}

static void test_fingerprint_first_of_bundle(void **state)
{
	struct fixture *fx = *state;
	char fp1[CRYPTO_FP_BUF], fp2[CRYPTO_FP_BUF], fp3[CRYPTO_FP_BUF];
	char c2[PATH_MAX], k2[PATH_MAX];
	char *a, *b, *both;
	size_t la = 0, lb = 0;

	assert_int_equal(tx_path_join(c2, sizeof(c2), fx->dir, "b.crt"), TX_OK);
	assert_int_equal(tx_path_join(k2, sizeof(k2), fx->dir, "b.key"), TX_OK);
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "a.example", "a", fp1,
					   NULL),
			 TX_OK);
	assert_int_equal(crypto_tls_create(c2, k2, "b.example", "b", fp2, NULL),
			 TX_OK);
	assert_string_not_equal(fp1, fp2);
	a = slurp(fx->cert, &la);
	b = slurp(c2, &lb);
	both = malloc(la + lb);
	assert_non_null(both);
	memcpy(both, a, la);
	memcpy(both + la, b, lb);
	/* Not NUL-terminated on purpose. */
	assert_int_equal(crypto_cert_fingerprint(both, la + lb, fp3, NULL), TX_OK);
	assert_string_equal(fp3, fp1);
	free(both);
	free(a);
	free(b);
}

/* ---- passwords ---- */

static void test_password(void **state)
{
	char h[CRYPTO_PWHASH_BUF], h2[CRYPTO_PWHASH_BUF];
	static const char pw[] = "correct horse battery staple";

	(void)state;
	assert_int_equal(crypto_password_hash(pw, strlen(pw), h), TX_OK);
	assert_non_null(strstr(h, "$argon2id$v=19$m=19456,t=2,p=1$"));
	assert_int_equal(crypto_password_verify(h, pw, strlen(pw)), 1);
	assert_int_equal(crypto_password_verify(h, "wrong", 5), 0);
	assert_int_equal(crypto_password_verify(h, pw, strlen(pw) - 1), 0);
	assert_int_equal(crypto_password_verify(h, "", 0), 0);
	/* Salted: same password, different string, both verify. */
	assert_int_equal(crypto_password_hash(pw, strlen(pw), h2), TX_OK);
	assert_string_not_equal(h, h2);
	assert_int_equal(crypto_password_verify(h2, pw, strlen(pw)), 1);
	/* Length is explicit: bytes past len do not count, NULs inside do. */
	assert_int_equal(crypto_password_hash("a\0b", 3, h), TX_OK);
	assert_int_equal(crypto_password_verify(h, "a\0b", 3), 1);
	assert_int_equal(crypto_password_verify(h, "a", 1), 0);
}

static void test_password_garbage_hash(void **state)
{
	char h[CRYPTO_PWHASH_BUF];
	char edited[CRYPTO_PWHASH_BUF];
	char huge[300];
	const char *bad[] = {
		"",
		"garbage",
		"$argon2id$",
		"$argon2id$v=19$",
		"$argon2id$v=19$m=19456,t=2,p=1$",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$",
		"$argon2id$v=19$m=99999999999999999999,t=2,p=1$c2FsdHNhbHRzYWx0$"
		"aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		"aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=19456,t=4000000000,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		"aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		"aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$2b$12$abcdefghijklmnopqrstuuGHCkPnSd0R5Rb3l4vV7p3E1yZ3xX1pW",
	};

	(void)state;
	assert_int_equal(crypto_password_hash("pw", 2, h), TX_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(crypto_password_verify(bad[i], "pw", 2), 0);
	assert_int_equal(crypto_password_verify(NULL, "pw", 2), 0);

	/* Truncated and bit-flipped versions of a real hash. */
	for (size_t cut = 0; cut < strlen(h); cut += 7) {
		memcpy(edited, h, cut);
		edited[cut] = '\0';
		assert_int_equal(crypto_password_verify(edited, "pw", 2), 0);
	}
	memcpy(edited, h, sizeof(edited));
	edited[strlen(edited) - 3] ^= 0x01;
	assert_int_equal(crypto_password_verify(edited, "pw", 2), 0);

	/* Far too long (no NUL within CRYPTO_PWHASH_BUF). */
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	memcpy(huge, h, strlen(h));
	assert_int_equal(crypto_password_verify(huge, "pw", 2), 0);

	/* The real one still works. */
	assert_int_equal(crypto_password_verify(h, "pw", 2), 1);
}

/* ---- tokens ---- */

static void test_token(void **state)
{
	char a[CRYPTO_TOKEN_BUF], b[CRYPTO_TOKEN_BUF];
	char ha[CRYPTO_TOKEN_HASH_BUF], ha2[CRYPTO_TOKEN_HASH_BUF];
	char hb[CRYPTO_TOKEN_HASH_BUF];

	(void)state;
	assert_int_equal(crypto_token_new(a), TX_OK);
	assert_int_equal(crypto_token_new(b), TX_OK);
	assert_int_equal(strlen(a), 46);
	assert_int_equal(strlen(b), 46);
	assert_memory_equal(a, "tx_", 3);
	for (size_t i = 3; i < 46; i++) {
		char c = a[i];

		assert_true((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_');
	}
	assert_string_not_equal(a, b);

	crypto_token_hash(a, strlen(a), ha);
	crypto_token_hash(a, strlen(a), ha2);
	crypto_token_hash(b, strlen(b), hb);
	assert_true(is_lower_hex(ha, 64));
	assert_string_equal(ha, ha2);
	assert_string_not_equal(ha, hb);
	/* Unkeyed BLAKE2b-256 of "abc" (RFC 7693 test value family). */
	crypto_token_hash("abc", 3, ha);
	assert_string_equal(ha, "bddd813c634239723171ef3fee98579b"
				"94964e3bb1cb3e427262c8c068d52319");
}

static void test_cache_key(void **state)
{
	char k1[CRYPTO_TOKEN_HASH_BUF], k2[CRYPTO_TOKEN_HASH_BUF];
	char k3[CRYPTO_TOKEN_HASH_BUF], th[CRYPTO_TOKEN_HASH_BUF];

	(void)state;
	crypto_cache_key("abc", 3, k1);
	crypto_cache_key("abc", 3, k2);
	crypto_cache_key("abd", 3, k3);
	assert_true(is_lower_hex(k1, 64));
	assert_string_equal(k1, k2);
	assert_string_not_equal(k1, k3);
	/* Keyed: not the plain hash. */
	crypto_token_hash("abc", 3, th);
	assert_string_not_equal(k1, th);
	crypto_cache_key(NULL, 0, k3);
	assert_true(is_lower_hex(k3, 64));
}

/* ---- real TLS: libmicrohttpd server, libcurl client ---- */

struct server {
	struct MHD_Daemon *d;
	uint16_t port;
	char *cert_pem;
	char *key_pem;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	static const char ok[] = "hello";
	static const char denied[] = "no client certificate";
	int want_client = *(const int *)cls;
	unsigned code = MHD_HTTP_OK;
	const char *body = ok;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (want_client) {
		/* Verify the peer as a TLS client: trusted and clientAuth. */
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
			conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		gnutls_typed_vdata_st vd = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
					     .data = (unsigned char *)(uintptr_t)
						     GNUTLS_KP_TLS_WWW_CLIENT };
		unsigned status = 1;

		if (ci == NULL || ci->tls_session == NULL ||
		    gnutls_certificate_verify_peers(ci->tls_session, &vd, 1,
						    &status) != 0 ||
		    status != 0) {
			code = MHD_HTTP_FORBIDDEN;
			body = denied;
		}
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
					    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static void server_start(struct server *srv, const struct fixture *fx,
			 const int *want_client)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	size_t len = 0;

	memset(srv, 0, sizeof(*srv));
	srv->cert_pem = slurp(fx->cert, &len);
	srv->key_pem = slurp(fx->key, &len);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (*want_client)
		srv->d = MHD_start_daemon(
			MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
			handle, (void *)(uintptr_t)want_client, MHD_OPTION_SOCK_ADDR,
			(struct sockaddr *)&sa, MHD_OPTION_HTTPS_MEM_KEY, srv->key_pem,
			MHD_OPTION_HTTPS_MEM_CERT, srv->cert_pem,
			MHD_OPTION_HTTPS_MEM_TRUST, srv->cert_pem,
			MHD_OPTION_HTTPS_PRIORITIES,
			"NORMAL:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-SSL3.0",
			MHD_OPTION_END);
	else
		srv->d = MHD_start_daemon(
			MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
			handle, (void *)(uintptr_t)want_client, MHD_OPTION_SOCK_ADDR,
			(struct sockaddr *)&sa, MHD_OPTION_HTTPS_MEM_KEY, srv->key_pem,
			MHD_OPTION_HTTPS_MEM_CERT, srv->cert_pem,
			MHD_OPTION_HTTPS_PRIORITIES,
			"NORMAL:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-SSL3.0",
			MHD_OPTION_END);
	assert_non_null(srv->d);
	info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	srv->port = info->port;
	assert_true(srv->port != 0);
}

static void server_stop(struct server *srv)
{
	MHD_stop_daemon(srv->d);
	free(srv->cert_pem);
	free(srv->key_pem);
}

struct fetch {
	char body[64];
	size_t len;
	int tls_version; /* gnutls_protocol_t, or -1 if not known */
	CURL *h;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct fetch *f = ud;
	size_t len = size * n;
	const struct curl_tlssessioninfo *ti = NULL;

	/* The TLS session is only valid during the transfer: look now. */
	if (f->tls_version < 0 &&
	    curl_easy_getinfo(f->h, CURLINFO_TLS_SSL_PTR, &ti) == CURLE_OK &&
	    ti != NULL && ti->backend == CURLSSLBACKEND_GNUTLS &&
	    ti->internals != NULL)
		f->tls_version =
			(int)gnutls_protocol_get_version(ti->internals);
	if (len > sizeof(f->body) - 1 - f->len)
		return 0;
	memcpy(f->body + f->len, p, len);
	f->len += len;
	f->body[f->len] = '\0';
	return len;
}

struct fetch_opts {
	const char *url;
	const char *cainfo;
	const char *resolve;   /* CURLOPT_RESOLVE entry, or NULL */
	long sslversion;       /* 0: default */
	const char *client_cert; /* mutual TLS, or NULL */
	const char *client_key;
};

static CURLcode fetch(const struct fetch_opts *o, struct fetch *f, long *code)
{
	struct curl_slist *resolve = NULL;
	CURLcode rc;

	memset(f, 0, sizeof(*f));
	f->tls_version = -1;
	f->h = curl_easy_init();
	assert_non_null(f->h);
	curl_easy_setopt(f->h, CURLOPT_URL, o->url);
	curl_easy_setopt(f->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(f->h, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(f->h, CURLOPT_CAINFO, o->cainfo);
	curl_easy_setopt(f->h, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(f->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(f->h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(f->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(f->h, CURLOPT_WRITEDATA, f);
	if (o->sslversion != 0)
		curl_easy_setopt(f->h, CURLOPT_SSLVERSION, o->sslversion);
	if (o->resolve != NULL) {
		resolve = curl_slist_append(NULL, o->resolve);
		assert_non_null(resolve);
		curl_easy_setopt(f->h, CURLOPT_RESOLVE, resolve);
	}
	if (o->client_cert != NULL) {
		curl_easy_setopt(f->h, CURLOPT_SSLCERT, o->client_cert);
		curl_easy_setopt(f->h, CURLOPT_SSLKEY, o->client_key);
	}
	rc = curl_easy_perform(f->h);
	*code = 0;
	curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, code);
	curl_easy_cleanup(f->h);
	f->h = NULL;
	curl_slist_free_all(resolve);
	return rc;
}

static int curl_uses_gnutls(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return v->ssl_version != NULL && strncmp(v->ssl_version, "GnuTLS", 6) == 0;
}

static void test_https_roundtrip(void **state)
{
	struct fixture *fx = *state;
	static const int no_client = 0;
	struct server srv;
	struct fetch f;
	struct fetch_opts o = { 0 };
	char url[128], resolve[128];
	char other_cert[PATH_MAX], other_key[PATH_MAX];
	char fp[CRYPTO_FP_BUF];
	long code = 0;
	CURLcode rc;

	if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
		skip();
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "node1.example.org",
					   "node1", fp, NULL),
			 TX_OK);
	server_start(&srv, fx, &no_client);

	/* 127.0.0.1, full verification against the certificate itself. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", (unsigned)srv.port);
	o.url = url;
	o.cainfo = fx->cert;
	rc = fetch(&o, &f, &code);
	assert_int_equal(rc, CURLE_OK);
	assert_int_equal(code, 200);
	assert_string_equal(f.body, "hello");
	if (curl_uses_gnutls())
		assert_true(f.tls_version >= GNUTLS_TLS1_2);

	/* localhost. */
	snprintf(url, sizeof(url), "https://localhost:%u/", (unsigned)srv.port);
	rc = fetch(&o, &f, &code);
	assert_int_equal(rc, CURLE_OK);
	assert_int_equal(code, 200);
	assert_string_equal(f.body, "hello");

	/* The host name given at creation (resolved to loopback). */
	snprintf(url, sizeof(url), "https://node1.example.org:%u/",
		 (unsigned)srv.port);
	snprintf(resolve, sizeof(resolve), "node1.example.org:%u:127.0.0.1",
		 (unsigned)srv.port);
	o.resolve = resolve;
	rc = fetch(&o, &f, &code);
	assert_int_equal(rc, CURLE_OK);
	assert_int_equal(code, 200);

	/* A name not in the SAN list is refused: verification is on. */
	snprintf(url, sizeof(url), "https://other.example:%u/",
		 (unsigned)srv.port);
	snprintf(resolve, sizeof(resolve), "other.example:%u:127.0.0.1",
		 (unsigned)srv.port);
	rc = fetch(&o, &f, &code);
	assert_int_not_equal(rc, CURLE_OK);
	o.resolve = NULL;

	/* Another node's certificate as the trust anchor: refused. */
	assert_int_equal(tx_path_join(other_cert, sizeof(other_cert), fx->dir,
				      "other.crt"),
			 TX_OK);
	assert_int_equal(tx_path_join(other_key, sizeof(other_key), fx->dir,
				      "other.key"),
			 TX_OK);
	assert_int_equal(crypto_tls_create(other_cert, other_key, "127.0.0.1",
					   "other", fp, NULL),
			 TX_OK);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", (unsigned)srv.port);
	o.cainfo = other_cert;
	rc = fetch(&o, &f, &code);
	assert_int_not_equal(rc, CURLE_OK);
	o.cainfo = fx->cert;

	/* At most TLS 1.1: the server's priorities refuse it. */
	o.sslversion = (long)(CURL_SSLVERSION_TLSv1_0 |
			      CURL_SSLVERSION_MAX_TLSv1_1);
	rc = fetch(&o, &f, &code);
	assert_int_not_equal(rc, CURLE_OK);

	/* At least TLS 1.2 works. */
	o.sslversion = CURL_SSLVERSION_TLSv1_2;
	rc = fetch(&o, &f, &code);
	assert_int_equal(rc, CURLE_OK);
	assert_int_equal(code, 200);

	server_stop(&srv);
}

static void test_https_mutual(void **state)
{
	struct fixture *fx = *state;
	static const int want_client = 1;
	struct server srv;
	struct fetch f;
	struct fetch_opts o = { 0 };
	char url[128];
	char fp[CRYPTO_FP_BUF];
	long code = 0;

	if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
		skip();
	assert_int_equal(crypto_tls_create(fx->cert, fx->key, "127.0.0.1", "node1",
					   fp, NULL),
			 TX_OK);
	server_start(&srv, fx, &want_client);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", (unsigned)srv.port);
	o.url = url;
	o.cainfo = fx->cert;

	/* The same certificate serves as the client's: accepted. */
	o.client_cert = fx->cert;
	o.client_key = fx->key;
	assert_int_equal(fetch(&o, &f, &code), CURLE_OK);
	assert_int_equal(code, 200);
	assert_string_equal(f.body, "hello");

	/* No client certificate: the handler refuses. */
	o.client_cert = NULL;
	o.client_key = NULL;
	assert_int_equal(fetch(&o, &f, &code), CURLE_OK);
	assert_int_equal(code, 403);

	server_stop(&srv);
}

/* RFC 4122 version 5: "www.example.com" in the DNS namespace. */
static void test_uuid5(void **state)
{
	static const unsigned char dns[16] = {
		0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
		0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
	};
	char out[TX_UUID_BUF], again[TX_UUID_BUF];

	tx_uuid5(dns, "www.example.com", 15, out);
	assert_string_equal(out, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
	tx_uuid5(tx_uuid_ns_trilex, "x", 1, out);
	tx_uuid5(tx_uuid_ns_trilex, "x", 1, again);
	assert_string_equal(out, again);
	assert_int_equal(out[14], '5');
}

/* crypto_base64_decode_exact takes what libsodium's strict decoder takes
 * for the same length, and gives the same bytes: every length 0-40 of
 * random bytes, each encoding mutated at each position. */
static void test_base64_exact(void **state)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n-_";
	(void)state;
	for (size_t n = 0; n <= 40; n++) {
		unsigned char raw[40], a[40], b[40];
		char enc[64], mut[64];
		size_t elen, blen;

		randombytes_buf(raw, n);
		sodium_bin2base64(enc, sizeof(enc), raw, n,
				  sodium_base64_VARIANT_ORIGINAL);
		elen = strlen(enc);
		assert_int_equal(crypto_base64_decode_exact(enc, elen, a, n), 0);
		assert_memory_equal(a, raw, n);
		/* Not the length n needs: refused. */
		assert_int_equal(crypto_base64_decode_exact(enc, elen, a, n + 1), -1);
		for (size_t i = 0; i < elen; i++) {
			for (size_t k = 0; k < sizeof(alphabet) - 1; k++) {
				int ours, theirs;
				memcpy(mut, enc, elen + 1);
				mut[i] = alphabet[k];
				ours = crypto_base64_decode_exact(mut, elen, a, n);
				theirs = sodium_base642bin(b, sizeof(b), mut, elen, NULL,
							   &blen, NULL,
							   sodium_base64_VARIANT_ORIGINAL) == 0 &&
					 blen == n;
				assert_int_equal(ours == 0, theirs);
				if (theirs)
					assert_memory_equal(a, b, n);
			}
		}
	}
}

/* crypto_base64_encode_public writes what libsodium's encoder writes, for
 * every length 0-40 of random bytes, and refuses a buffer one short. */
static void test_base64_encode_public(void **state)
{
	(void)state;
	for (size_t n = 0; n <= 40; n++) {
		unsigned char raw[40];
		char ours[64], theirs[64];
		size_t need = (n + 2) / 3 * 4 + 1;

		randombytes_buf(raw, n);
		sodium_bin2base64(theirs, sizeof(theirs), raw, n,
				  sodium_base64_VARIANT_ORIGINAL);
		memset(ours, 'x', sizeof(ours));
		assert_int_equal(crypto_base64_encode_public(raw, n, ours, need), 0);
		assert_string_equal(ours, theirs);
		assert_int_equal(crypto_base64_encode_public(raw, n, ours, need - 1), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid5),
		cmocka_unit_test(test_init_idempotent),
		cmocka_unit_test_setup_teardown(test_identity_create, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_identity_two_keys_differ,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_identity_bad_dir, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_tls_ipv4_host, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_tls_ipv6_host, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_tls_dns_host, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_tls_loopback_host_no_dup,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tls_refuses_overwrite,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tls_bad_input, fx_setup,
						fx_teardown),
		cmocka_unit_test(test_fingerprint_bad_input),
		cmocka_unit_test_setup_teardown(test_fingerprint_first_of_bundle,
						fx_setup, fx_teardown),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_password_garbage_hash),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_base64_exact),
		cmocka_unit_test(test_base64_encode_public),
		cmocka_unit_test(test_cache_key),
		cmocka_unit_test_setup_teardown(test_https_roundtrip, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_https_mutual, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
