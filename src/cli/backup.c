/*
 * cli/backup.c: `trilex backup` and `trilex restore`.
 *
 * A backup is a folder (mode 0700, files 0600):
 *   backup.json   what it is: format, time, party, schema version, number
 *                 of object versions, the SHA-256 of every other file
 *   trilex.db     a consistent copy of the live database (store_backup)
 *   node.json, tls/cert.pem
 *   keys.enc      only with --with-keys: identity.key and tls/key.pem,
 *                 encrypted (XSalsa20-Poly1305) under a key derived from a
 *                 passphrase (Argon2id)
 * The database itself holds password hashes and unsealed TLP:RED content:
 * a backup is as secret as the node.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define BACKUP_FORMAT "trilex-backup-1"
#define KEYS_MAX ((size_t)1 << 20)
#define PASSPHRASE_MIN 12

static const char *const plain_files[] = { "node.json", "tls/cert.pem", NULL };
static const char *const key_files[] = { "identity.key", "tls/key.pem", NULL };

static int sha256_file(const char *path, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES], buf[65536];
	crypto_hash_sha256_state hs;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return cli_fail("%s: %s", path, strerror(errno));
	crypto_hash_sha256_init(&hs);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		crypto_hash_sha256_update(&hs, buf, n);
	if (ferror(f)) {
		fclose(f);
		return cli_fail("%s: cannot read", path);
	}
	fclose(f);
	crypto_hash_sha256_final(&hs, h);
	tx_hex(h, sizeof(h), hex);
	return 0;
}

/* Copy file rel from one folder to another, mode 0600, durably (a file of
 * any size, a block at a time). */
static int copy_rel(const char *from, const char *to, const char *rel)
{
	char src[PATH_MAX], dst[PATH_MAX], tmp[PATH_MAX + 8];
	unsigned char buf[65536];
	FILE *in = NULL;
	int fd = -1, rc = 1;
	size_t n;

	if (tx_path_join(src, sizeof(src), from, rel) != TX_OK ||
	    tx_path_join(dst, sizeof(dst), to, rel) != TX_OK)
		return cli_fail("%s: path too long", rel);
	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	if ((in = fopen(src, "rb")) == NULL)
		return cli_fail("%s: %s", src, strerror(errno));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		cli_fail("%s: %s", tmp, strerror(errno));
		goto out;
	}
	fchmod(fd, 0600);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		for (size_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				cli_fail("%s: %s", tmp, strerror(errno));
				goto out;
			}
			off += (size_t)w;
		}
	}
	if (ferror(in) || fsync(fd) != 0) {
		cli_fail("%s: %s", ferror(in) ? src : tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, dst) != 0) {
		cli_fail("%s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	fclose(in);
	return rc;
}

static int make_folder(const char *path, int must_be_new)
{
	char tls[PATH_MAX];

	if (mkdir(path, 0700) != 0 && (must_be_new || errno != EEXIST))
		return cli_fail("%s: %s", path, errno == EEXIST ? "exists already"
				" (give a new folder)" : strerror(errno));
	chmod(path, 0700);
	if (tx_path_join(tls, sizeof(tls), path, "tls") != TX_OK)
		return cli_fail("%s: path too long", path);
	if (mkdir(tls, 0700) != 0 && errno != EEXIST)
		return cli_fail("%s: %s", tls, strerror(errno));
	return 0;
}

static int read_passphrase(char *buf, size_t n)
{
	if (cli_read_secret(buf, n) != 0)
		return cli_fail("no passphrase on standard input (one line)");
	if (strlen(buf) < PASSPHRASE_MIN)
		return cli_fail("the passphrase must have %d characters or more",
				PASSPHRASE_MIN);
	return 0;
}

/* Derive the box key from the passphrase and salt. */
static int derive(unsigned char key[crypto_secretbox_KEYBYTES], const char *pass,
		  const unsigned char salt[crypto_pwhash_SALTBYTES],
		  unsigned long long ops, size_t mem)
{
	if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass, strlen(pass), salt,
			  ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return cli_fail("out of memory deriving the key");
	return 0;
}

/* keys.enc of the node's secret files, under the passphrase. */
static int write_keys(const char *dir, const char *out, const char *pass)
{
	unsigned char salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
	unsigned char key[crypto_secretbox_KEYBYTES];
	unsigned long long ops = crypto_pwhash_OPSLIMIT_MODERATE;
	size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	struct tx_error err = { 0 };
	json_t *plain = json_object(), *doc = NULL;
	char *text = NULL, *b64 = NULL, path[PATH_MAX], hex[2 * 32 + 1];
	unsigned char *box = NULL;
	int rc = 1;

	for (int i = 0; key_files[i]; i++) {
		char src[PATH_MAX], *data = NULL;
		size_t len = 0;
		if (tx_path_join(src, sizeof(src), dir, key_files[i]) != TX_OK ||
		    tx_read_file(src, KEYS_MAX, &data, &len, &err) != TX_OK) {
			cli_fail("%s: %s", key_files[i], err.msg);
			goto out;
		}
		/* base64: identity.key is raw bytes */
		size_t el = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
		char *enc = malloc(el);
		if (enc == NULL) {
			sodium_memzero(data, len);
			free(data);
			cli_fail("out of memory");
			goto out;
		}
		sodium_bin2base64(enc, el, (unsigned char *)data, len,
				  sodium_base64_VARIANT_ORIGINAL);
		json_object_set_new(plain, key_files[i], json_string(enc));
		sodium_memzero(enc, el);
		free(enc);
		sodium_memzero(data, len);
		free(data);
	}
	if ((text = tx_json_dumps(plain, JSON_COMPACT)) == NULL) {
		cli_fail("out of memory");
		goto out;
	}
	size_t n = strlen(text), blen = n + crypto_secretbox_MACBYTES;
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if ((box = malloc(blen)) == NULL || derive(key, pass, salt, ops, mem) != 0)
		goto out;
	crypto_secretbox_easy(box, (unsigned char *)text, n, nonce, key);
	size_t b64len = sodium_base64_encoded_len(blen, sodium_base64_VARIANT_ORIGINAL);
	if ((b64 = malloc(b64len)) == NULL)
		goto out;
	sodium_bin2base64(b64, b64len, box, blen, sodium_base64_VARIANT_ORIGINAL);
	char salthex[2 * sizeof(salt) + 1], noncehex[2 * sizeof(nonce) + 1];
	tx_hex(salt, sizeof(salt), salthex);
	tx_hex(nonce, sizeof(nonce), noncehex);
	doc = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "kdf", "argon2id13",
			"opslimit", (json_int_t)ops, "memlimit", (json_int_t)mem,
			"salt", salthex, "cipher", "xsalsa20poly1305", "nonce",
			noncehex, "box", b64);
	char *out_text = doc ? tx_json_dumps(doc, JSON_INDENT(2)) : NULL;
	if (out_text == NULL || tx_path_join(path, sizeof(path), out, "keys.enc") ||
	    tx_write_file(path, out_text, strlen(out_text), 0600, &err) != TX_OK)
		cli_fail("keys.enc: %s", err.msg[0] ? err.msg : "out of memory");
	else
		rc = 0;
	free(out_text);
	(void)hex;
out:
	sodium_memzero(key, sizeof(key));
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	free(box);
	free(b64);
	json_decref(plain);
	json_decref(doc);
	return rc;
}

static const struct cli_opt backup_opts[] = {
	{ "with-keys", NULL, 0, "include the identity and TLS keys, encrypted to a"
	  " passphrase read from standard input" },
	{ 0 },
};

static int backup_run(const struct cli_args *a)
{
	const char *dir = a->dir, *out = a->argv[0];
	struct tx_error err = { 0 };
	struct tx_config cfg;
	tx_store *st = NULL;
	json_t *files = json_object(), *manifest = NULL;
	char path[PATH_MAX], hex[65], now[TX_TIME_BUF], pass[1024] = "";
	int64_t objects = 0;
	int with_keys = cli_flag(a, "with-keys"), rc = 1;

	if (with_keys && read_passphrase(pass, sizeof(pass)) != 0)
		goto out;
	if (cli_open_node(dir, &cfg, &st) != 0)
		goto out;
	if (make_folder(out, 1) != 0)
		goto out;
	if (tx_path_join(path, sizeof(path), out, "trilex.db") != TX_OK ||
	    store_backup(st, path, &objects, &err) != TX_OK) {
		cli_fail("%s", err.msg[0] ? err.msg : "path too long");
		goto out;
	}
	for (int i = 0; plain_files[i]; i++)
		if (copy_rel(dir, out, plain_files[i]) != 0)
			goto out;
	if (with_keys && write_keys(dir, out, pass) != 0)
		goto out;
	const char *names[] = { "trilex.db", "node.json", "tls/cert.pem",
				with_keys ? "keys.enc" : NULL, NULL };
	for (int i = 0; names[i]; i++) {
		if (tx_path_join(path, sizeof(path), out, names[i]) != TX_OK ||
		    sha256_file(path, hex) != 0)
			goto out;
		json_object_set_new(files, names[i], json_string(hex));
	}
	tx_time_format_ms(tx_time_now_us(), now);
	manifest = json_pack("{s:s, s:s, s:s, s:i, s:I, s:b, s:O}", "format",
			     BACKUP_FORMAT, "created", now, "party", cfg.party,
			     "schema_version", store_schema_version(st), "objects",
			     (json_int_t)objects, "keys", with_keys, "files", files);
	char *text = manifest ? tx_json_dumps(manifest, JSON_INDENT(2)) : NULL;
	if (text == NULL || tx_path_join(path, sizeof(path), out, "backup.json") ||
	    tx_write_file(path, text, strlen(text), 0600, &err) != TX_OK) {
		free(text);
		cli_fail("backup.json: %s", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	free(text);
	printf("backup of %s (party %s) in %s: %lld object versions%s\n", dir,
	       cfg.party, out, (long long)objects,
	       with_keys ? ", keys encrypted to the passphrase" : "");
	if (!with_keys)
		printf("the keys are not in it: keep %s/identity.key and"
		       " %s/tls/key.pem safe apart, or back up --with-keys\n", dir, dir);
	rc = cli_audit(st, "export.backup", out, "%lld object versions%s",
		       (long long)objects, with_keys ? ", with the keys" : "");
out:
	sodium_memzero(pass, sizeof(pass));
	json_decref(files);
	json_decref(manifest);
	store_close(st);
	return rc;
}

const struct cmd cmd_backup = {
	.name = "backup",
	.summary = "a consistent copy of a running node in a new folder (keys only"
		   " with --with-keys, encrypted)",
	.opts = backup_opts,
	.operands = "OUT",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = backup_run,
};

/* Decrypt keys.enc of backup: *out gets its files (base64), or the
 * passphrase is wrong and nothing was written anywhere. */
static int open_keys(const char *backup, const char *pass, json_t **out)
{
	json_error_t jerr;
	char path[PATH_MAX];
	unsigned char salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
	unsigned char key[crypto_secretbox_KEYBYTES], *box = NULL, *plain = NULL;
	size_t blen = 0, slen = 0, nlen = 0;
	json_t *doc = NULL, *keys = NULL;
	int rc = 1;

	if (tx_path_join(path, sizeof(path), backup, "keys.enc") != TX_OK ||
	    (doc = json_load_file(path, 0, &jerr)) == NULL) {
		cli_fail("%s: %s", path, jerr.text);
		goto out;
	}
	const char *b64 = tx_json_str(doc, "box"), *sh = tx_json_str(doc, "salt");
	const char *nh = tx_json_str(doc, "nonce");
	json_int_t ops = json_integer_value(json_object_get(doc, "opslimit"));
	json_int_t mem = json_integer_value(json_object_get(doc, "memlimit"));
	if (!b64 || !sh || !nh || ops < 1 || mem < 8192 ||
	    ops > (json_int_t)crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    mem > (json_int_t)crypto_pwhash_MEMLIMIT_SENSITIVE ||
	    sodium_hex2bin(salt, sizeof(salt), sh, strlen(sh), NULL, &slen, NULL) ||
	    slen != sizeof(salt) ||
	    sodium_hex2bin(nonce, sizeof(nonce), nh, strlen(nh), NULL, &nlen, NULL) ||
	    nlen != sizeof(nonce) || strlen(b64) > 2 * KEYS_MAX) {
		cli_fail("%s: not a keys file of a trilex backup", path);
		goto out;
	}
	if ((box = malloc(strlen(b64))) == NULL ||
	    sodium_base642bin(box, strlen(b64), b64, strlen(b64), NULL, &blen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    blen < crypto_secretbox_MACBYTES) {
		cli_fail("%s: \"box\" is not base64", path);
		goto out;
	}
	if (derive(key, pass, salt, (unsigned long long)ops, (size_t)mem) != 0)
		goto out;
	if ((plain = malloc(blen - crypto_secretbox_MACBYTES + 1)) == NULL)
		goto out;
	if (crypto_secretbox_open_easy(plain, box, blen, nonce, key) != 0) {
		cli_fail("%s: wrong passphrase (or the file was changed)", path);
		goto out;
	}
	plain[blen - crypto_secretbox_MACBYTES] = '\0';
	if ((keys = json_loads((char *)plain, 0, NULL)) == NULL) {
		cli_fail("%s: the keys do not read", path);
		goto out;
	}
	*out = keys;
	keys = NULL;
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	if (plain) {
		sodium_memzero(plain, blen - crypto_secretbox_MACBYTES);
		free(plain);
	}
	free(box);
	json_decref(keys);
	json_decref(doc);
	return rc;
}

/* The key files of keys (from open_keys) into dir, mode 0600. */
static int write_key_files(const json_t *keys, const char *dir)
{
	struct tx_error err = { 0 };
	int rc = 1;

	for (int i = 0; key_files[i]; i++) {
		const char *v = tx_json_str(keys, key_files[i]);
		char dst[PATH_MAX];
		unsigned char bin[KEYS_MAX / 64];
		size_t bl = 0;
		if (v == NULL || sodium_base642bin(bin, sizeof(bin), v, strlen(v), NULL,
						   &bl, NULL,
						   sodium_base64_VARIANT_ORIGINAL) != 0) {
			return cli_fail("keys.enc: %s missing in the keys", key_files[i]);
		}
		rc = tx_path_join(dst, sizeof(dst), dir, key_files[i]) != TX_OK ||
		     tx_write_file(dst, bin, bl, 0600, &err) != TX_OK;
		sodium_memzero(bin, sizeof(bin));
		if (rc)
			return cli_fail("%s: %s", key_files[i], err.msg);
		rc = 1;
	}
	return 0;
}

static int restore_run(const struct cli_args *a)
{
	const char *dir = a->dir, *backup = a->argv[0];
	json_error_t jerr;
	json_t *m = NULL, *files;
	char path[PATH_MAX], hex[65], pass[1024] = "";
	struct tx_config cfg;
	tx_store *st = NULL;
	const char *name;
	json_t *want, *key_json = NULL;
	int rc = 1, keys;

	if (tx_path_join(path, sizeof(path), backup, "backup.json") != TX_OK ||
	    (m = json_load_file(path, 0, &jerr)) == NULL)
		return cli_fail("%s: not a trilex backup (%s)", backup, jerr.text);
	if (tx_json_str(m, "format") == NULL ||
	    strcmp(tx_json_str(m, "format"), BACKUP_FORMAT) != 0 ||
	    !json_is_object(files = json_object_get(m, "files"))) {
		cli_fail("%s: not a %s backup", path, BACKUP_FORMAT);
		goto out;
	}
	keys = json_is_true(json_object_get(m, "keys"));
	/* every file as it was written */
	json_object_foreach(files, name, want) {
		if (strstr(name, "..") || name[0] == '/' ||
		    tx_path_join(path, sizeof(path), backup, name) != TX_OK ||
		    sha256_file(path, hex) != 0)
			goto out;
		if (!json_is_string(want) || strcmp(hex, json_string_value(want)) != 0) {
			cli_fail("%s: changed since the backup was taken (SHA-256 %s,"
				 " backup.json says %s)", path, hex,
				 json_string_value(want) ? json_string_value(want) : "?");
			goto out;
		}
	}
	if (keys && (read_passphrase(pass, sizeof(pass)) != 0 ||
		     open_keys(backup, pass, &key_json) != 0))
		goto out;
	if (tx_path_join(path, sizeof(path), dir, "node.json") == TX_OK &&
	    access(path, F_OK) == 0) {
		cli_fail("%s: a node is there already; restore into a new folder", dir);
		goto out;
	}
	if (make_folder(dir, 0) != 0)
		goto out;
	const char *copy[] = { "trilex.db", "node.json", "tls/cert.pem", NULL };
	for (int i = 0; copy[i]; i++)
		if (copy_rel(backup, dir, copy[i]) != 0)
			goto out;
	if (keys && write_key_files(key_json, dir) != 0)
		goto out;
	if (cli_open_node(dir, &cfg, &st) != 0)
		goto out;
	int64_t n = 0;
	if (store_count_objects(st, 0, &n) != TX_OK) {
		cli_fail("%s: restored, but its objects cannot be counted (database"
			 " error)", dir);
		goto out;
	}
	printf("restored %s: party %s, %lld object versions (backup of %s)\n", dir,
	       cfg.party, (long long)n, tx_json_str(m, "created") ?
	       tx_json_str(m, "created") : "?");
	if (!keys)
		printf("the backup holds no keys: put identity.key and tls/key.pem in"
		       " %s (mode 0600) before `trilex serve`\n", dir);
	rc = 0;
out:
	sodium_memzero(pass, sizeof(pass));
	store_close(st);
	json_decref(key_json);
	json_decref(m);
	return rc;
}

const struct cmd cmd_restore = {
	.name = "restore",
	.summary = "make a node in a new folder from a backup (the passphrase on"
		   " standard input when it holds keys)",
	.operands = "BACKUP",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_DIR,
	.main = restore_run,
};
