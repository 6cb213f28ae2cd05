/*
 * Certificates: `init --san`, `cert renew` (same key or new), `cert
 * import` of an agency's own certificate (a mismatched key and an expired
 * certificate refused, nothing changed), the 30-day expiry warning of
 * import and check-config, and `peer export` refusing a wildcard URL.
 * Certificates for import are made here with GnuTLS (valid 10 days, or
 * expired yesterday).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "harness.h"

static int has_name(const struct crypto_cert_info *ci, const char *name)
{
	for (size_t i = 0; i < ci->n_names; i++)
		if (strcmp(ci->names[i], name) == 0)
			return 1;
	return 0;
}

static void cert_of(const char *dir, struct crypto_cert_info *ci)
{
	char path[PATH_MAX + 32];
	size_t len = 0;
	char *pem;

	snprintf(path, sizeof(path), "%s/tls/cert.pem", dir);
	assert_non_null(pem = slurp(path, &len));
	assert_int_equal(crypto_cert_info(pem, len, ci, NULL), TX_OK);
	free(pem);
}

static char *file_text(const char *dir, const char *rel)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return slurp(path, NULL);
}

static void test_init_san_and_renew(void **state)
{
	struct node n;
	struct crypto_cert_info *ci = calloc(1, sizeof(*ci));
	struct crypto_cert_info *ci2 = calloc(1, sizeof(*ci2));
	char *out = NULL, *key1, *key2, *key3;

	assert_non_null(ci);
	assert_non_null(ci2);
	assert_int_equal(node_create(&n, NULL), 0);
	/* node_create made a node; a second one with --san beside it */
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s.san", n.dir);
	const char *init[] = { "init", "--dir", dir, "--party", "JP", "--name",
			       "san node", "--listen", "0.0.0.0:8443", "--san",
			       "node.example.gov", "--san", "192.0.2.10", "--san",
			       "2001:db8::7", NULL };
	assert_int_equal(run_trilex(init, NULL, &out, NULL), 0);
	free(out);
	cert_of(dir, ci);
	assert_true(has_name(ci, "node.example.gov"));
	assert_true(has_name(ci, "192.0.2.10"));
	assert_true(has_name(ci, "2001:db8::7"));
	assert_true(has_name(ci, "127.0.0.1"));
	assert_false(has_name(ci, "0.0.0.0"));
	/* a bad name is refused, naming it */
	char dir2[PATH_MAX + 16];
	snprintf(dir2, sizeof(dir2), "%s.bad", n.dir);
	const char *bad[] = { "init", "--dir", dir2, "--party", "JP", "--name",
			      "x", "--san", "not a name!", NULL };
	char *err = NULL;
	assert_int_not_equal(run_trilex(bad, NULL, NULL, &err), 0);
	assert_non_null(strstr(err, "not a name!"));
	free(err);

	/* peer export: the wildcard listen address is refused */
	const char *exp[] = { "peer", "export", "--dir", dir, NULL };
	err = NULL;
	out = NULL;
	assert_int_not_equal(run_trilex(exp, NULL, &out, &err), 0);
	assert_non_null(strstr(err, "public_url"));
	assert_true(out == NULL || out[0] == '\0'); /* no card printed */
	free(out);
	free(err);
	const char *exp6[] = { "peer", "export", "--dir", dir, "--url",
			       "https://[::]:8443/api/", NULL };
	err = NULL;
	assert_int_not_equal(run_trilex(exp6, NULL, NULL, &err), 0);
	assert_non_null(strstr(err, "public_url"));
	free(err);
	const char *expu[] = { "peer", "export", "--dir", dir, "--url",
			       "https://node.example.gov:8443/api/", NULL };
	assert_int_equal(run_trilex(expu, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "\"https://node.example.gov:8443/api/\""));
	free(out);

	/* renew, same key: a new certificate with the same names */
	key1 = file_text(n.dir, "tls/key.pem");
	cert_of(n.dir, ci);
	const char *renew[] = { "cert", "renew", "--dir", n.dir, NULL };
	assert_int_equal(run_trilex(renew, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "peer export"));
	free(out);
	key2 = file_text(n.dir, "tls/key.pem");
	assert_string_equal(key1, key2);
	cert_of(n.dir, ci2);
	assert_string_not_equal(ci->fp, ci2->fp);
	assert_true(has_name(ci2, "127.0.0.1"));
	assert_true(has_name(ci2, "localhost"));
	/* the node serves with it (the harness trusts DIR/tls/cert.pem) */
	assert_int_equal(node_start(&n), 0);
	assert_int_equal(node_stop(&n), 0);

	/* renew with a new key and other names */
	const char *renew2[] = { "cert", "renew", "--dir", n.dir, "--new-key",
				 "--san", "other.example.gov", NULL };
	assert_int_equal(run_trilex(renew2, NULL, &out, NULL), 0);
	free(out);
	key3 = file_text(n.dir, "tls/key.pem");
	assert_string_not_equal(key2, key3);
	cert_of(n.dir, ci);
	assert_true(has_name(ci, "other.example.gov"));
	assert_int_equal(node_start(&n), 0);
	assert_int_equal(node_stop(&n), 0);
	const char *check[] = { "check-config", "--dir", n.dir, NULL };
	assert_int_equal(run_trilex(check, NULL, &out, NULL), 0);
	assert_null(strstr(out, "warning"));
	free(out);

	free(key1);
	free(key2);
	free(key3);
	free(ci);
	free(ci2);
	node_destroy(&n);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, dir2);
	assert_int_equal(system(cmd), 0);
}

/* A self-signed certificate for 127.0.0.1 valid from from to until (unix
 * seconds), and its key, into cert_path and key_path. */
static void make_cert(const char *cert_path, const char *key_path,
		      time_t from, time_t until)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	unsigned char serial[8] = { 0x42, 1, 2, 3, 4, 5, 6, 7 };
	unsigned char lo[4] = { 127, 0, 0, 1 };
	gnutls_datum_t c, k;
	FILE *f;

	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
			 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	gnutls_x509_crt_set_activation_time(crt, from);
	gnutls_x509_crt_set_expiration_time(crt, until);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
				      "agency node", 11);
	gnutls_x509_crt_set_key(crt, key);
	gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
	gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0);
	gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, lo, 4,
					     GNUTLS_FSAN_APPEND);
	assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c), 0);
	assert_int_equal(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &k), 0);
	assert_non_null(f = fopen(cert_path, "w"));
	fwrite(c.data, 1, c.size, f);
	fclose(f);
	assert_non_null(f = fopen(key_path, "w"));
	fwrite(k.data, 1, k.size, f);
	fclose(f);
	gnutls_free(c.data);
	gnutls_free(k.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

static void test_import_and_expiry(void **state)
{
	struct node n;
	struct crypto_cert_info *ci = calloc(1, sizeof(*ci));
	char soon_c[PATH_MAX + 16], soon_k[PATH_MAX + 16];
	char old_c[PATH_MAX + 16], old_k[PATH_MAX + 16];
	char *out = NULL, *err = NULL, *before;
	time_t now = time(NULL);

	assert_non_null(ci);
	assert_int_equal(node_create(&n, NULL), 0);
	snprintf(soon_c, sizeof(soon_c), "%s.soon.crt", n.dir);
	snprintf(soon_k, sizeof(soon_k), "%s.soon.key", n.dir);
	snprintf(old_c, sizeof(old_c), "%s.old.crt", n.dir);
	snprintf(old_k, sizeof(old_k), "%s.old.key", n.dir);
	make_cert(soon_c, soon_k, now - 3600, now + 10 * 86400 + 600);
	make_cert(old_c, old_k, now - 20 * 86400, now - 86400);

	/* a key that is not the certificate's: refused, nothing changed */
	before = file_text(n.dir, "tls/cert.pem");
	const char *mism[] = { "cert", "import", "--dir", n.dir, "--cert", soon_c,
			       "--key", old_k, NULL };
	assert_int_not_equal(run_trilex(mism, NULL, NULL, &err), 0);
	assert_non_null(strstr(err, "do not go together"));
	free(err);
	/* an expired certificate: refused */
	const char *exp[] = { "cert", "import", "--dir", n.dir, "--cert", old_c,
			      "--key", old_k, NULL };
	err = NULL;
	assert_int_not_equal(run_trilex(exp, NULL, NULL, &err), 0);
	assert_non_null(strstr(err, "expired"));
	free(err);
	char *after = file_text(n.dir, "tls/cert.pem");
	assert_string_equal(before, after);
	free(after);
	free(before);

	/* one that ends in 10 days: imported, with a warning */
	const char *imp[] = { "cert", "import", "--dir", n.dir, "--cert", soon_c,
			      "--key", soon_k, NULL };
	assert_int_equal(run_trilex(imp, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "warning:"));
	assert_non_null(strstr(out, "(in 10 days)"));
	free(out);
	cert_of(n.dir, ci);
	assert_true(has_name(ci, "127.0.0.1"));
	const char *check[] = { "check-config", "--dir", n.dir, NULL };
	assert_int_equal(run_trilex(check, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "warning:"));
	assert_non_null(strstr(out, "trilex cert renew"));
	free(out);
	/* the node serves it (the client trusts the imported certificate) */
	assert_int_equal(node_start(&n), 0);
	assert_int_equal(node_stop(&n), 0);

	free(ci);
	remove(soon_c);
	remove(soon_k);
	remove(old_c);
	remove(old_k);
	node_destroy(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_san_and_renew),
		cmocka_unit_test(test_import_and_expiry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
