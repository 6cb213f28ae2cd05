/*
 * crypto/tls.c: the node's self-signed TLS certificate, through GnuTLS.
 *
 * One ECDSA P-256 key and one self-signed X.509 v3 certificate per node,
 * used both as the HTTPS server certificate and, for mutual TLS between
 * nodes, as the client certificate (so extKeyUsage holds serverAuth and
 * clientAuth). Peers pin it by its SHA-256 fingerprint over the DER form.
 *
 * The private key exists in GnuTLS's own memory while the certificate is
 * made; its PEM export is wiped before it is freed. Neither output file is
 * ever overwritten, and if the second cannot be written the first is
 * removed, so a failed run leaves nothing behind.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "crypto/crypto.h"

#define CERT_SERIAL_LEN 16
/* Ten years, counting the leap days such a span always holds. */
#define CERT_LIFETIME_SEC ((time_t)(10 * 365 + 3) * 24 * 60 * 60)
/* Back-date by an hour so peers with a slightly slow clock accept it. */
#define CERT_BACKDATE_SEC ((time_t)60 * 60)
/* X.520 ub-common-name. */
#define CN_MAX 64
#define DNS_NAME_MAX 253

static const unsigned char loop4[4] = { 127, 0, 0, 1 };
static const unsigned char loop6[16] = { [15] = 1 };

/* 1 when s is a plain DNS name: labels of letters, digits and hyphens. */
static int dns_name_ok(const char *s)
{
	size_t len = strnlen(s, DNS_NAME_MAX + 1);
	size_t label = 0;

	if (len == 0 || len > DNS_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[len - 1] != '-';
}

static tx_err gnutls_fail(struct tx_error *err, const char *what, int ret)
{
	return tx_error_set(err, TX_ERR_CRYPTO, "TLS certificate: %s: %s", what,
			    gnutls_strerror(ret));
}

/* Add one SAN entry for host, unless a loopback or unspecified address or
 * "localhost" (always added after). */
static tx_err add_alt_name(gnutls_x509_crt_t crt, const char *host,
			   struct tx_error *err)
{
	static const unsigned char any6[16];
	unsigned char addr[16];
	int ret = 0;

	if (host == NULL || *host == '\0')
		return TX_OK;
	if (inet_pton(AF_INET, host, addr) == 1) {
		/* 0.0.0.0 is a listen-anywhere address, not a name. */
		if (memcmp(addr, loop4, 4) != 0 && memcmp(addr, "\0\0\0\0", 4) != 0)
			ret = gnutls_x509_crt_set_subject_alt_name(
				crt, GNUTLS_SAN_IPADDRESS, addr, 4,
				GNUTLS_FSAN_APPEND);
	} else if (inet_pton(AF_INET6, host, addr) == 1) {
		if (memcmp(addr, loop6, 16) != 0 && memcmp(addr, any6, 16) != 0)
			ret = gnutls_x509_crt_set_subject_alt_name(
				crt, GNUTLS_SAN_IPADDRESS, addr, 16,
				GNUTLS_FSAN_APPEND);
	} else if (!dns_name_ok(host)) {
		return tx_error_set(err, TX_ERR_INVALID,
				    "TLS certificate: host '%.*s' is neither "
				    "an IP address nor a DNS name",
				    DNS_NAME_MAX, host);
	} else if (strcasecmp(host, "localhost") != 0) {
		ret = gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_DNSNAME, host, (unsigned)strlen(host),
			GNUTLS_FSAN_APPEND);
	}
	if (ret < 0)
		return gnutls_fail(err, "subjectAltName", ret);
	return TX_OK;
}

/* Add the SAN entries: the hosts + loopbacks. */
static tx_err set_alt_names(gnutls_x509_crt_t crt, const char *const *hosts,
			    size_t n_hosts, struct tx_error *err)
{
	tx_err rc;
	int ret;

	for (size_t i = 0; i < n_hosts; i++)
		if ((rc = add_alt_name(crt, hosts[i], err)) != TX_OK)
			return rc;
	ret = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
						   loop4, 4, GNUTLS_FSAN_APPEND);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_IPADDRESS, loop6, 16, GNUTLS_FSAN_APPEND);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND);
	if (ret < 0)
		return gnutls_fail(err, "subjectAltName", ret);
	return TX_OK;
}

/* SHA-256 of crt's DER form, lower-case hex. */
static tx_err fingerprint_of(gnutls_x509_crt_t crt, char fp_hex[CRYPTO_FP_BUF],
			     struct tx_error *err)
{
	unsigned char fp[32];
	size_t fp_len = sizeof(fp);
	int ret;

	ret = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fp_len);
	if (ret < 0)
		return gnutls_fail(err, "fingerprint", ret);
	if (fp_len != sizeof(fp))
		return tx_error_set(err, TX_ERR_INTERNAL,
				    "TLS certificate: fingerprint of %zu bytes",
				    fp_len);
	tx_hex(fp, sizeof(fp), fp_hex);
	return TX_OK;
}

/*
 * Make an ECDSA P-256 key and a self-signed X.509 v3 certificate for it:
 * random 16-byte serial, valid from an hour ago for ten years, subject and
 * issuer CN=common_name, O=trilex, basicConstraints CA:false (critical),
 * keyUsage digitalSignature, extKeyUsage serverAuth + clientAuth, and a
 * subjectAltName of host (IP if it parses as IPv4/IPv6, else DNS; omitted
 * when it is a loopback or unspecified address or "localhost"), 127.0.0.1,
 * ::1 and localhost. Writes the certificate PEM to cert_path (mode 0644)
 * and the key PEM to key_path (mode 0600); neither may exist
 * (TX_ERR_EXISTS). fp_hex receives the SHA-256 of the DER certificate.
 * Returns TX_ERR_INVALID for a bad host or common name, TX_ERR_CRYPTO on
 * GnuTLS failures, TX_ERR_IO on file errors.
 */
tx_err crypto_tls_create(const char *cert_path, const char *key_path,
			 const char *host, const char *common_name,
			 char fp_hex[CRYPTO_FP_BUF], struct tx_error *err)
{
	const char *hosts[1] = { host };

	return crypto_tls_create_for(cert_path, key_path, hosts, host ? 1 : 0,
				     common_name, NULL, 0, fp_hex, err);
}

/* The paths and common name of crypto_tls_create_for, checked; the
 * common name's length into *cn_len. */
static tx_err check_create(const char *cert_path, const char *key_path,
			   const char *common_name, size_t *cn_len,
			   struct tx_error *err)
{
	if (cert_path == NULL || key_path == NULL || *cert_path == '\0' ||
	    *key_path == '\0')
		return tx_error_set(err, TX_ERR_INVALID, "TLS certificate: no path");
	if (strcmp(cert_path, key_path) == 0)
		return tx_error_set(err, TX_ERR_INVALID,
				    "TLS certificate: certificate and key paths "
				    "are the same");
	*cn_len = common_name == NULL ? 0 : strnlen(common_name, CN_MAX + 1);
	if (*cn_len == 0 || *cn_len > CN_MAX)
		return tx_error_set(err, TX_ERR_INVALID,
				    "TLS certificate: common name must be 1 to %d "
				    "bytes", CN_MAX);
	return TX_OK;
}

/* The key: key_in (PEM) when given, else a new ECDSA P-256 key; into
 * *xkey (caller-owned, also on failure) and as PEM into *key_pem. */
static tx_err make_key(const char *key_in, size_t key_in_len,
		       gnutls_x509_privkey_t *xkey, gnutls_datum_t *key_pem,
		       struct tx_error *err)
{
	int ret;

	if (key_in != NULL) {
		gnutls_datum_t d = { (unsigned char *)(uintptr_t)key_in,
				     (unsigned)key_in_len };
		if (key_in_len > UINT_MAX ||
		    (ret = gnutls_x509_privkey_init(xkey)) < 0 ||
		    (ret = gnutls_x509_privkey_import(*xkey, &d,
						      GNUTLS_X509_FMT_PEM)) < 0)
			return tx_error_set(err, TX_ERR_CRYPTO, "TLS key: not a PEM"
					    " private key GnuTLS can read");
	} else if ((ret = gnutls_x509_privkey_init(xkey)) < 0 ||
		   (ret = gnutls_x509_privkey_generate(
			    *xkey, GNUTLS_PK_ECDSA,
			    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0) {
		return gnutls_fail(err, "key generation", ret);
	}
	if ((ret = gnutls_x509_privkey_export2(*xkey, GNUTLS_X509_FMT_PEM,
					       key_pem)) < 0)
		return gnutls_fail(err, "key export", ret);
	return TX_OK;
}

/* The fields of crt (version, serial, validity, subject, public key,
 * extensions, alternative names, subject key id), unsigned. */
static tx_err fill_cert(gnutls_x509_crt_t crt, gnutls_x509_privkey_t xkey,
			const char *const *hosts, size_t n_hosts,
			const char *common_name, size_t cn_len,
			struct tx_error *err)
{
	unsigned char serial[CERT_SERIAL_LEN];
	unsigned char key_id[64];
	size_t key_id_len = sizeof(key_id);
	time_t now;
	tx_err rc;
	int ret;

	if ((ret = gnutls_x509_crt_set_version(crt, 3)) < 0)
		return gnutls_fail(err, "certificate init", ret);
	randombytes_buf(serial, sizeof(serial));
	/* A positive INTEGER with no leading zero byte: still 126 random bits. */
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
	if ((ret = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0)
		return gnutls_fail(err, "serial", ret);
	now = time(NULL);
	if ((ret = gnutls_x509_crt_set_activation_time(
		     crt, now - CERT_BACKDATE_SEC)) < 0 ||
	    (ret = gnutls_x509_crt_set_expiration_time(
		     crt, now + CERT_LIFETIME_SEC)) < 0)
		return gnutls_fail(err, "validity", ret);
	if ((ret = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
						 0, common_name,
						 (unsigned)cn_len)) < 0 ||
	    (ret = gnutls_x509_crt_set_dn_by_oid(
		     crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "trilex", 6)) < 0)
		return gnutls_fail(err, "subject", ret);
	if ((ret = gnutls_x509_crt_set_key(crt, xkey)) < 0)
		return gnutls_fail(err, "public key", ret);
	/* GnuTLS marks basicConstraints and keyUsage critical. */
	if ((ret = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (ret = gnutls_x509_crt_set_key_usage(
		     crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (ret = gnutls_x509_crt_set_key_purpose_oid(
		     crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (ret = gnutls_x509_crt_set_key_purpose_oid(
		     crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0)
		return gnutls_fail(err, "extensions", ret);
	if ((rc = set_alt_names(crt, hosts, n_hosts, err)) != TX_OK)
		return rc;
	if ((ret = gnutls_x509_crt_get_key_id(crt, 0, key_id, &key_id_len)) < 0 ||
	    (ret = gnutls_x509_crt_set_subject_key_id(crt, key_id,
						      key_id_len)) < 0)
		return gnutls_fail(err, "subject key id", ret);
	return TX_OK;
}

/* crt signed by its own key *xkey (handed to *pkey, which the caller
 * frees), as PEM into *crt_pem, its fingerprint into fp. */
static tx_err sign_cert(gnutls_x509_crt_t crt, gnutls_x509_privkey_t *xkey,
			gnutls_privkey_t *pkey, gnutls_datum_t *crt_pem,
			char fp[CRYPTO_FP_BUF], struct tx_error *err)
{
	int ret;

	if ((ret = gnutls_privkey_init(pkey)) < 0 ||
	    (ret = gnutls_privkey_import_x509(
		     *pkey, *xkey, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0)
		return gnutls_fail(err, "key import", ret);
	*xkey = NULL; /* pkey owns it now */
	if ((ret = gnutls_x509_crt_privkey_sign(crt, crt, *pkey, GNUTLS_DIG_SHA256,
						0)) < 0)
		return gnutls_fail(err, "signing", ret);
	if ((ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM,
					   crt_pem)) < 0)
		return gnutls_fail(err, "certificate export", ret);
	return fingerprint_of(crt, fp, err);
}

tx_err crypto_tls_create_for(const char *cert_path, const char *key_path,
			     const char *const *hosts, size_t n_hosts,
			     const char *common_name, const char *key_in,
			     size_t key_in_len, char fp_hex[CRYPTO_FP_BUF],
			     struct tx_error *err)
{
	gnutls_x509_privkey_t xkey = NULL; /* owned until handed to pkey */
	gnutls_privkey_t pkey = NULL;      /* owned */
	gnutls_x509_crt_t crt = NULL;      /* owned */
	gnutls_datum_t key_pem = { NULL, 0 }; /* owned, secret */
	gnutls_datum_t crt_pem = { NULL, 0 }; /* owned */
	char fp[CRYPTO_FP_BUF];
	int key_written = 0;
	size_t cn_len = 0;
	tx_err rc;
	int ret;

	if ((rc = check_create(cert_path, key_path, common_name, &cn_len,
			       err)) != TX_OK)
		goto out;
	if ((rc = crypto_init()) != TX_OK) {
		tx_error_set(err, rc, "TLS certificate: crypto library init failed");
		goto out;
	}
	if ((rc = make_key(key_in, key_in_len, &xkey, &key_pem, err)) != TX_OK)
		goto out;
	if ((ret = gnutls_x509_crt_init(&crt)) < 0) {
		rc = gnutls_fail(err, "certificate init", ret);
		goto out;
	}
	if ((rc = fill_cert(crt, xkey, hosts, n_hosts, common_name, cn_len,
			    err)) != TX_OK ||
	    (rc = sign_cert(crt, &xkey, &pkey, &crt_pem, fp, err)) != TX_OK)
		goto out;
	/* Key first: if the certificate then fails we remove the key. */
	if ((rc = crypto_write_new_file(key_path, key_pem.data, key_pem.size,
					0600, err)) != TX_OK)
		goto out;
	key_written = 1;
	if ((rc = crypto_write_new_file(cert_path, crt_pem.data, crt_pem.size,
					0644, err)) != TX_OK)
		goto out;
	memcpy(fp_hex, fp, CRYPTO_FP_BUF);
out:
	if (rc != TX_OK && key_written)
		unlink(key_path);
	if (key_pem.data != NULL) {
		sodium_memzero(key_pem.data, key_pem.size);
		gnutls_free(key_pem.data);
	}
	gnutls_free(crt_pem.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (pkey != NULL)
		gnutls_privkey_deinit(pkey);
	if (xkey != NULL)
		gnutls_x509_privkey_deinit(xkey);
	return rc;
}

/*
 * SHA-256 fingerprint (lower-case hex) of the first certificate in a PEM
 * buffer of len bytes (borrowed; need not be NUL-terminated). Returns
 * TX_ERR_INVALID when no certificate can be parsed, TX_ERR_TOOBIG for a
 * buffer past 4 GiB.
 */
tx_err crypto_cert_fingerprint(const char *pem, size_t len,
			       char fp_hex[CRYPTO_FP_BUF], struct tx_error *err)
{
	gnutls_x509_crt_t crt = NULL; /* owned */
	gnutls_datum_t d;
	tx_err rc = TX_OK;
	int ret;

	if (pem == NULL || len == 0) {
		rc = tx_error_set(err, TX_ERR_INVALID, "certificate: empty");
		goto out;
	}
	if (len > UINT_MAX) {
		rc = tx_error_set(err, TX_ERR_TOOBIG, "certificate: too large");
		goto out;
	}
	if ((rc = crypto_init()) != TX_OK) {
		tx_error_set(err, rc, "certificate: crypto library init failed");
		goto out;
	}
	if ((ret = gnutls_x509_crt_init(&crt)) < 0) {
		rc = gnutls_fail(err, "init", ret);
		goto out;
	}
	d.data = (unsigned char *)(uintptr_t)pem; /* GnuTLS only reads it */
	d.size = (unsigned)len;
	/* With PEM, GnuTLS finds and decodes the first CERTIFICATE block. */
	if ((ret = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM)) < 0) {
		rc = tx_error_set(err, TX_ERR_INVALID,
				  "certificate: not a PEM X.509 certificate: %s",
				  gnutls_strerror(ret));
		goto out;
	}
	rc = fingerprint_of(crt, fp_hex, err);
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

/* Import the first certificate of a PEM buffer into *crt (caller frees). */
static tx_err import_cert(const char *pem, size_t len, gnutls_x509_crt_t *crt,
			  struct tx_error *err)
{
	gnutls_datum_t d;
	int ret;

	*crt = NULL;
	if (pem == NULL || len == 0 || len > UINT_MAX)
		return tx_error_set(err, TX_ERR_INVALID, "certificate: empty or"
				    " too large");
	if ((ret = gnutls_x509_crt_init(crt)) < 0)
		return gnutls_fail(err, "init", ret);
	d.data = (unsigned char *)(uintptr_t)pem;
	d.size = (unsigned)len;
	if ((ret = gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_PEM)) < 0) {
		gnutls_x509_crt_deinit(*crt);
		*crt = NULL;
		return tx_error_set(err, TX_ERR_INVALID, "certificate: not a PEM"
				    " X.509 certificate: %s", gnutls_strerror(ret));
	}
	return TX_OK;
}

tx_err crypto_cert_info(const char *pem, size_t len, struct crypto_cert_info *ci,
			struct tx_error *err)
{
	gnutls_x509_crt_t crt = NULL;
	tx_err rc;

	memset(ci, 0, sizeof(*ci));
	if ((rc = crypto_init()) != TX_OK)
		return tx_error_set(err, rc, "certificate: crypto library init failed");
	if ((rc = import_cert(pem, len, &crt, err)) != TX_OK)
		return rc;
	ci->not_before = (int64_t)gnutls_x509_crt_get_activation_time(crt);
	ci->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
	for (unsigned i = 0; ci->n_names < CRYPTO_CERT_NAMES_MAX; i++) {
		char buf[CRYPTO_CERT_NAME_MAX];
		size_t n = sizeof(buf);
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &n, NULL);
		char *out = ci->names[ci->n_names];
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_SAN_DNSNAME && n < sizeof(buf)) {
			buf[n] = '\0';
			snprintf(out, CRYPTO_CERT_NAME_MAX, "%s", buf);
		} else if (type == GNUTLS_SAN_IPADDRESS && (n == 4 || n == 16)) {
			if (inet_ntop(n == 4 ? AF_INET : AF_INET6, buf, out,
				      CRYPTO_CERT_NAME_MAX) == NULL)
				continue;
		} else {
			continue;
		}
		ci->n_names++;
	}
	rc = fingerprint_of(crt, ci->fp, err);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

tx_err crypto_tls_check_pair(const char *cert_pem, size_t cert_len,
			     const char *key_pem, size_t key_len,
			     struct tx_error *err)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_datum_t c, k;
	tx_err rc = TX_OK;
	int ret;

	if ((rc = crypto_init()) != TX_OK)
		return tx_error_set(err, rc, "TLS: crypto library init failed");
	if (cert_len > UINT_MAX || key_len > UINT_MAX)
		return tx_error_set(err, TX_ERR_TOOBIG, "TLS: file too large");
	c.data = (unsigned char *)(uintptr_t)cert_pem;
	c.size = (unsigned)cert_len;
	k.data = (unsigned char *)(uintptr_t)key_pem;
	k.size = (unsigned)key_len;
	if ((ret = gnutls_certificate_allocate_credentials(&cred)) < 0)
		return gnutls_fail(err, "credentials", ret);
	/* GnuTLS checks that the key is the certificate's own. */
	if ((ret = gnutls_certificate_set_x509_key_mem(cred, &c, &k,
						       GNUTLS_X509_FMT_PEM)) < 0)
		rc = tx_error_set(err, TX_ERR_CRYPTO, "the certificate and the key"
				  " do not go together, or one is not PEM: %s",
				  gnutls_strerror(ret));
	gnutls_certificate_free_credentials(cred);
	return rc;
}
