/*
 * federation/sign.c: signing and checking objects.
 *
 * The signature covers the RFC 8785 canonical JSON of the object without
 * our extension (and without "extensions" when ours was its only member),
 * so it survives any re-serialisation and any relay. The extension holds
 * the signer's party, its Ed25519 key (hex) and the signature (base64).
 *
 * Objects that leave together are signed together: a batch of n objects
 * is a Merkle tree (RFC 9162 section 2.1 tree hashing, with BLAKE2b-256
 * for SHA-256) whose leaves are the hashes of the objects' canonical JSON;
 * the node signs the root once, and each object carries that signature
 * with its own audit path (batch_size, batch_index, batch_path). Each
 * object is still checkable on its own, after any relay: its canonical
 * JSON, the path and the signed root prove it, as in batch signing for
 * TLS. One Ed25519 signature and one check per batch instead of per
 * object; that is what lets a partner take a backlog at line rate. A lone
 * object (an alert) is signed directly, without a tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "federation/internal.h"
#include "stix/stix.h"

/* The signed message of a batch: this prefix, the size (8 bytes, big
 * endian) and the root. A canonical JSON object starts with '{', so it
 * can never be mistaken for one of these, nor one of these for it. */
static const char batch_prefix[] = "trilex batch signature v1";
#define BATCH_MSG_LEN (sizeof(batch_prefix) + 8 + SIG_HASH_BYTES)

/* The canonical JSON of obj without our extension; caller frees. */
static tx_err unsigned_canon(const json_t *obj, char **canon, size_t *len,
			     struct tx_error *err)
{
	return stix_canonicalize_omit(obj, FED_SIG_EXT, canon, len, err);
}

static void leaf_hash(const char *canon, size_t len,
		      unsigned char out[SIG_HASH_BYTES])
{
	crypto_generichash_state s;
	const unsigned char zero = 0;

	crypto_generichash_init(&s, NULL, 0, SIG_HASH_BYTES);
	crypto_generichash_update(&s, &zero, 1);
	crypto_generichash_update(&s, (const unsigned char *)canon, len);
	crypto_generichash_final(&s, out, SIG_HASH_BYTES);
}

static void node_hash(const unsigned char l[SIG_HASH_BYTES],
		      const unsigned char r[SIG_HASH_BYTES],
		      unsigned char out[SIG_HASH_BYTES])
{
	unsigned char in[1 + 2 * SIG_HASH_BYTES];

	in[0] = 1;
	memcpy(in + 1, l, SIG_HASH_BYTES);
	memcpy(in + 1 + SIG_HASH_BYTES, r, SIG_HASH_BYTES);
	crypto_generichash(out, SIG_HASH_BYTES, in, sizeof(in), NULL, 0);
}

static void batch_message(uint64_t size, const unsigned char root[SIG_HASH_BYTES],
			  unsigned char msg[BATCH_MSG_LEN])
{
	memcpy(msg, batch_prefix, sizeof(batch_prefix));
	for (int i = 0; i < 8; i++)
		msg[sizeof(batch_prefix) + i] = (unsigned char)(size >> (56 - 8 * i));
	memcpy(msg + sizeof(batch_prefix) + 8, root, SIG_HASH_BYTES);
}

/* The tree hash of leaves[lo, lo+n), appending to each leaf's audit path
 * the root of the other side at every level (leaf to root order). */
static void tree(const unsigned char (*leaves)[SIG_HASH_BYTES], size_t lo,
		 size_t n, struct sig_proof *proofs, unsigned char out[SIG_HASH_BYTES])
{
	unsigned char l[SIG_HASH_BYTES], r[SIG_HASH_BYTES];
	size_t k = 1;

	if (n == 1) {
		memcpy(out, leaves[lo], SIG_HASH_BYTES);
		return;
	}
	while (k * 2 < n)
		k *= 2; /* the largest power of two below n */
	tree(leaves, lo, k, proofs, l);
	tree(leaves, lo + k, n - k, proofs, r);
	for (size_t i = lo; i < lo + k; i++)
		memcpy(proofs[i].path[proofs[i].n_path++], r, SIG_HASH_BYTES);
	for (size_t i = lo + k; i < lo + n; i++)
		memcpy(proofs[i].path[proofs[i].n_path++], l, SIG_HASH_BYTES);
	node_hash(l, r, out);
}

/* The root that leaf, at index of a tree of size, and path lead to
 * (RFC 9162 section 2.1.3.2); 0 if the path does not fit the size. */
static int path_root(const unsigned char leaf[SIG_HASH_BYTES], uint64_t index,
		     uint64_t size, const unsigned char (*path)[SIG_HASH_BYTES],
		     size_t n_path, unsigned char root[SIG_HASH_BYTES])
{
	uint64_t fn = index, sn = size - 1;
	unsigned char r[SIG_HASH_BYTES];

	if (size == 0 || index >= size)
		return 0;
	memcpy(r, leaf, SIG_HASH_BYTES);
	for (size_t i = 0; i < n_path; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			node_hash(path[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			node_hash(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return 0;
	memcpy(root, r, SIG_HASH_BYTES);
	return 1;
}

const char *fed_sig_signer(const json_t *obj)
{
	const json_t *e = json_object_get(json_object_get(obj, "extensions"),
					  FED_SIG_EXT);

	return json_string_value(json_object_get(e, "signer_key"));
}

tx_err fed_sig_attach(const tx_fed *fed, json_t *obj, const struct sig_proof *p,
		  struct tx_error *err)
{
	struct tx_buf text;
	json_t *ext, *mine = NULL;

	/* The extension as fed_sig_ext_text writes it (what most objects carry,
	 * spliced into their stored text): one definition of its members. */
	tx_buf_init(&text, 0);
	if (fed_sig_ext_text(fed, p, &text) == TX_OK)
		mine = tx_json_load(text.data, text.len, 0, NULL);
	tx_buf_free(&text);
	ext = json_object_get(obj, "extensions");
	if (mine == NULL || (!json_is_object(ext) &&
			     json_object_set_new(obj, "extensions",
						 ext = json_object()) != 0)) {
		json_decref(mine);
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	}
	if (json_object_set_new(ext, FED_SIG_EXT, mine) != 0) /* takes mine */
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return TX_OK;
}

tx_err fed_sig_ext_text(const tx_fed *fed, const struct sig_proof *p,
		    struct tx_buf *out)
{
	char b64[SIG_B64_BUF], num[80];
	tx_err rc;

	/* Written once per object sent: puts, not printf. */
	if ((rc = tx_buf_puts(out, "{\"extension_type\":\"property-extension\","
			      "\"signer_party\":")) ||
	    (rc = tx_buf_json_string(out, fed->cfg.party)) ||
	    (rc = tx_buf_puts(out, ",\"signer_key\":\"")) ||
	    (rc = tx_buf_puts(out, fed->pk_hex)) ||
	    (rc = tx_buf_puts(out, "\",\"signature\":\"")) ||
	    (rc = tx_buf_puts(out, p->b64)) ||
	    (rc = tx_buf_puts(out, "\"")))
		return rc;
	if (p->size > 1) {
		snprintf(num, sizeof(num), ",\"batch_size\":%u,\"batch_index\":%u,",
			 p->size, p->index);
		if ((rc = tx_buf_puts(out, num)) ||
		    (rc = tx_buf_puts(out, "\"batch_path\":[")))
			return rc;
		for (size_t i = 0; i < p->n_path; i++) {
			if (crypto_base64_encode_public(p->path[i], SIG_HASH_BYTES,
							b64, sizeof(b64)) != 0)
				return TX_ERR_INTERNAL;
			if ((i > 0 && (rc = tx_buf_puts(out, ","))) ||
			    (rc = tx_buf_puts(out, "\"")) ||
			    (rc = tx_buf_puts(out, b64)) ||
			    (rc = tx_buf_puts(out, "\"")))
				return rc;
		}
		if ((rc = tx_buf_puts(out, "]")))
			return rc;
	}
	return tx_buf_puts(out, "}");
}

static tx_err sign_bytes(const tx_fed *fed, const void *msg, size_t len,
			 char b64_out[SIG_B64_BUF], struct tx_error *err)
{
	unsigned char sig[CRYPTO_SIG_BYTES];
	tx_err rc;

	if ((rc = crypto_sign_detached_id(fed->id, msg, len, sig)) != TX_OK)
		return tx_error_set(err, rc, "cannot sign");
	if (crypto_base64_encode_public(sig, sizeof(sig), b64_out, SIG_B64_BUF) != 0)
		return tx_error_set(err, TX_ERR_INTERNAL, "cannot write a signature");
	return TX_OK;
}

/* One tree over objs[0, n), n <= SIG_BATCH_MAX; a lone object is signed
 * directly over its canonical JSON. */
static tx_err sign_tree(const tx_fed *fed, json_t *const *objs, size_t n,
			struct sig_proof *out, struct tx_error *err)
{
	unsigned char (*leaves)[SIG_HASH_BYTES] = NULL;
	unsigned char root[SIG_HASH_BYTES], msg[BATCH_MSG_LEN];
	char *canon = NULL, b64[SIG_B64_BUF];
	size_t len = 0;
	tx_err rc = TX_OK;

	memset(out, 0, n * sizeof(*out));
	if (n == 1) {
		if ((rc = unsigned_canon(objs[0], &canon, &len, err)) == TX_OK &&
		    (rc = sign_bytes(fed, canon, len, out[0].b64, err)) == TX_OK)
			out[0].size = 1;
		free(canon);
		return rc;
	}
	if ((leaves = malloc(n * sizeof(*leaves))) == NULL)
		return tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if ((rc = unsigned_canon(objs[i], &canon, &len, err)) != TX_OK)
			goto out;
		leaf_hash(canon, len, leaves[i]);
		free(canon);
		canon = NULL;
		out[i].index = (uint32_t)i;
		out[i].size = (uint32_t)n;
	}
	tree((const unsigned char (*)[SIG_HASH_BYTES])leaves, 0, n, out, root);
	batch_message(n, root, msg);
	if ((rc = sign_bytes(fed, msg, sizeof(msg), b64, err)) != TX_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		memcpy(out[i].b64, b64, SIG_B64_BUF);
out:
	free(leaves);
	return rc;
}

tx_err fed_sig_make_batch(const tx_fed *fed, json_t *const *objs, size_t n,
		      struct sig_proof *out, struct tx_error *err)
{
	tx_err rc = TX_OK;

	/* Trees of SIG_TREE_LEAVES: an audit path of 7 hashes per object
	 * (~330 bytes) and one signature per 128 objects. The receiver's
	 * Ed25519 check of a root costs about as much as 200 path hashes
	 * (callgrind: ~880k instructions); at 32 leaves (5 hashes) it was
	 * 27k instructions per object, at 128 7k, for two hashes (~4k)
	 * more on each object. Bigger trees would save little more. */
	for (size_t at = 0; rc == TX_OK && at < n; at += SIG_TREE_LEAVES) {
		size_t k = n - at < SIG_TREE_LEAVES ? n - at : SIG_TREE_LEAVES;
		rc = sign_tree(fed, objs + at, k, out + at, err);
	}
	return rc;
}

tx_err fed_sign(const tx_fed *fed, json_t *obj, struct tx_error *err)
{
	struct sig_proof p;
	tx_err rc;

	if ((rc = fed_sig_make_batch(fed, &obj, 1, &p, err)) != TX_OK)
		return rc;
	return fed_sig_attach(fed, obj, &p, err);
}

/* The party of signing key key (hex), through memo: 1 found, 0 no
 * partner has it, -1 the lookup failed (database, memory). */
static int key_party(const tx_fed *fed, tx_store *st, const char *key,
		     struct verify_memo *memo, char origin[TX_PARTY_MAX])
{
	struct store_peer *peer;
	tx_err rc;
	int found;

	if (strcmp(key, fed->pk_hex) == 0) {
		snprintf(origin, TX_PARTY_MAX, "%s", fed->cfg.party);
		return 1;
	}
	if (memo->key[0] && strcmp(memo->key, key) == 0) {
		snprintf(origin, TX_PARTY_MAX, "%s", memo->party);
		return 1;
	}
	if ((peer = malloc(sizeof(*peer))) == NULL)
		return -1;
	rc = store_peer_find(st, NULL, NULL, key, peer);
	found = rc == TX_OK ? 1 : rc == TX_ERR_NOTFOUND ? 0 : -1;
	if (found > 0) {
		snprintf(origin, TX_PARTY_MAX, "%s", peer->party);
		snprintf(memo->key, sizeof(memo->key), "%s", key);
		snprintf(memo->party, sizeof(memo->party), "%s", peer->party);
	}
	free(peer);
	return found;
}

/* Whether the batch root (size, root) was checked with sig under pk. */
static int memo_has(const struct verify_memo *m, const unsigned char *pk,
		    const unsigned char *sig, uint64_t size,
		    const unsigned char *root)
{
	for (int i = 0; i < VERIFY_MEMO_ROOTS; i++) {
		const struct verified_root *v = &m->roots[i];
		if (v->size == size && memcmp(v->root, root, SIG_HASH_BYTES) == 0 &&
		    memcmp(v->sig, sig, CRYPTO_SIG_BYTES) == 0 &&
		    memcmp(v->pk, pk, CRYPTO_SIGN_PK_BYTES) == 0)
			return 1;
	}
	return 0;
}

static void memo_add(struct verify_memo *m, const unsigned char *pk,
		     const unsigned char *sig, uint64_t size,
		     const unsigned char *root)
{
	struct verified_root *v = &m->roots[m->next++ % VERIFY_MEMO_ROOTS];

	memcpy(v->pk, pk, CRYPTO_SIGN_PK_BYTES);
	memcpy(v->sig, sig, CRYPTO_SIG_BYTES);
	memcpy(v->root, root, SIG_HASH_BYTES);
	v->size = size;
}

/* The signing key of hex key into pk, decoded once for a run of objects
 * by one signer; -1 when it is not a key. */
static int memo_key(struct verify_memo *m, const char *key,
		    unsigned char pk[CRYPTO_SIGN_PK_BYTES])
{
	if (m->pk_hex[0] && strcmp(m->pk_hex, key) == 0) {
		memcpy(pk, m->pk, CRYPTO_SIGN_PK_BYTES);
		return 0;
	}
	if (crypto_hex_decode(key, pk, CRYPTO_SIGN_PK_BYTES) != 0)
		return -1;
	memcpy(m->pk, pk, CRYPTO_SIGN_PK_BYTES);
	snprintf(m->pk_hex, sizeof(m->pk_hex), "%s", key); /* 64 digits */
	return 0;
}

/* The signature of base64 sig64 into sig, decoded once for the objects of
 * one tree; -1 when it is not one. */
static int memo_sig(struct verify_memo *m, const char *sig64,
		    unsigned char sig[CRYPTO_SIG_BYTES])
{
	size_t len = strlen(sig64);

	if (len < sizeof(m->sig64) && memcmp(m->sig64, sig64, len + 1) == 0 &&
	    m->sig64[0]) {
		memcpy(sig, m->sig, CRYPTO_SIG_BYTES);
		return 0;
	}
	if (crypto_base64_decode_exact(sig64, len, sig, CRYPTO_SIG_BYTES) != 0)
		return -1;
	if (len < sizeof(m->sig64)) {
		memcpy(m->sig64, sig64, len + 1);
		memcpy(m->sig, sig, CRYPTO_SIG_BYTES);
	}
	return 0;
}

/* Read the audit path of e into path; -1 if malformed. */
static int read_path(const json_t *e, uint64_t *size, uint64_t *index,
		     unsigned char (*path)[SIG_HASH_BYTES], size_t *n_path)
{
	const json_t *js = json_object_get(e, "batch_size");
	const json_t *ji = json_object_get(e, "batch_index");
	const json_t *jp = json_object_get(e, "batch_path");
	const json_t *h;
	size_t i;

	if (!json_is_integer(js) || !json_is_integer(ji) || !json_is_array(jp) ||
	    json_integer_value(js) < 2 || json_integer_value(js) > SIG_BATCH_MAX ||
	    json_integer_value(ji) < 0 ||
	    json_integer_value(ji) >= json_integer_value(js) ||
	    json_array_size(jp) > SIG_PATH_MAX)
		return -1;
	*size = (uint64_t)json_integer_value(js);
	*index = (uint64_t)json_integer_value(ji);
	*n_path = json_array_size(jp);
	json_array_foreach(jp, i, h) {
		const char *s = json_string_value(h);
		if (s == NULL ||
		    crypto_base64_decode_exact(s, json_string_length(h), path[i],
					       SIG_HASH_BYTES) != 0)
			return -1;
	}
	return 0;
}

int fed_sig_batch_root(const json_t *e, const char *canon, size_t len,
		   uint64_t *size, unsigned char root[SIG_HASH_BYTES])
{
	unsigned char path[SIG_PATH_MAX][SIG_HASH_BYTES], leaf[SIG_HASH_BYTES];
	uint64_t index = 0;
	size_t n_path = 0;

	*size = 1;
	if (json_object_get(e, "batch_size") == NULL &&
	    json_object_get(e, "batch_index") == NULL &&
	    json_object_get(e, "batch_path") == NULL)
		return 0;
	if (read_path(e, size, &index, path, &n_path) != 0)
		return -1;
	leaf_hash(canon, len, leaf);
	if (!path_root(leaf, index, *size,
		       (const unsigned char (*)[SIG_HASH_BYTES])path, n_path, root))
		return -2;
	return 1;
}

enum fed_verdict fed_verify_memo(const tx_fed *fed, tx_store *st,
				 const json_t *obj, struct verify_memo *memo,
				 char origin[TX_PARTY_MAX], struct tx_error *err)
{
	const json_t *e = json_object_get(json_object_get(obj, "extensions"),
					  FED_SIG_EXT);
	const char *key = json_string_value(json_object_get(e, "signer_key"));
	const char *sig64 = json_string_value(json_object_get(e, "signature"));
	unsigned char pk[CRYPTO_SIGN_PK_BYTES], sig[CRYPTO_SIG_BYTES];
	unsigned char root[SIG_HASH_BYTES], msg[BATCH_MSG_LEN];
	struct verify_memo local;
	enum fed_verdict v = FED_BAD_SIGNATURE;
	uint64_t size = 1;
	char *canon = NULL;
	size_t len = 0;

	if (memo == NULL) {
		memset(&local, 0, sizeof(local));
		memo = &local;
	}
	if (key == NULL || sig64 == NULL) {
		tx_error_set(err, TX_ERR_CRYPTO, "unsigned: no trilex signature");
		return FED_UNSIGNED;
	}
	if (memo_key(memo, key, pk) != 0) {
		tx_error_set(err, TX_ERR_CRYPTO, "signer_key is not a key");
		return FED_UNKNOWN_KEY;
	}
	switch (key_party(fed, st, key, memo, origin)) {
	case 1:
		break;
	case 0:
		tx_error_set(err, TX_ERR_CRYPTO, "signed by a key no partner"
			     " pinned (ed25519:%.16s...)", key);
		return FED_UNKNOWN_KEY;
	default: /* not the object's fault: err's code says so */
		tx_error_set(err, TX_ERR_DB, "cannot look the signing key up");
		return FED_UNKNOWN_KEY;
	}
	/* The party named beside the signature is not covered by it: it must
	 * be the party whose key signed. */
	const char *named = json_string_value(json_object_get(e, "signer_party"));
	if (named == NULL || strcmp(named, origin) != 0) {
		tx_error_set(err, TX_ERR_CRYPTO, "signer_party \"%.8s\" is not the"
			     " party of the signing key (%s)", named ? named : "",
			     origin);
		goto out;
	}
	if (memo_sig(memo, sig64, sig) != 0) {
		tx_error_set(err, TX_ERR_CRYPTO, "signature is not base64 Ed25519");
		goto out;
	}
	if (unsigned_canon(obj, &canon, &len, err) != TX_OK)
		goto out;
	switch (fed_sig_batch_root(e, canon, len, &size, root)) {
	case 0: /* signed alone */
		if (!crypto_verify(pk, canon, len, sig))
			goto altered;
		break;
	case 1:
		if (!memo_has(memo, pk, sig, size, root)) {
			batch_message(size, root, msg);
			if (!crypto_verify(pk, msg, sizeof(msg), sig))
				goto altered;
			memo_add(memo, pk, sig, size, root);
		}
		break;
	case -1:
		tx_error_set(err, TX_ERR_CRYPTO, "batch_size, batch_index,"
			     " batch_path: not an audit path");
		goto out;
	default:
		goto altered; /* a path that does not fit its place */
	}
	v = FED_SIGNED_OK;
	goto out;
altered:
	tx_error_set(err, TX_ERR_CRYPTO, "signature of %s does not match the"
		     " content: altered", origin);
out:
	free(canon);
	return v;
}

enum fed_verdict fed_verify(const tx_fed *fed, tx_store *st, const json_t *obj,
			    char origin[TX_PARTY_MAX], struct tx_error *err)
{
	return fed_verify_memo(fed, st, obj, NULL, origin, err);
}

/* ---- the extension-definition of our signatures ---- */

#define TRILEX_PROJECT_IDENTITY "identity--6d1c2b0e-7f3a-4c59-8e21-4b9a7d0c5f13"

json_t *fed_extension_definition(void)
{
	static const char schema[] =
		"A property extension on any STIX object, added by the trilex node "
		"that made the object when the object first leaves it. Properties: "
		"extension_type (\"property-extension\"); signer_party (string, "
		"the party code of the signing node; must be the party the key "
		"was pinned for); signer_key (string, the node's Ed25519 public "
		"key, 64 lowercase hex digits); signature (string, base64 of the "
		"64-byte Ed25519 signature); batch_size, batch_index (integers) "
		"and batch_path (list of base64 32-byte hashes), present when the "
		"object was signed in a batch. Without batch_size, signature signs "
		"the RFC 8785 canonical JSON of the object without this extension "
		"(and without \"extensions\" when this was its only member). With "
		"it, the leaf is BLAKE2b-256(0x00 || that canonical JSON), inner "
		"nodes BLAKE2b-256(0x01 || left || right), the tree and the audit "
		"path (leaf to root) as in RFC 9162 section 2.1, and signature "
		"signs the ASCII bytes \"trilex batch signature v1\", a zero "
		"byte, batch_size as 8 bytes big endian, and the 32-byte root.";

	return json_pack(
		"{s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s},"
		" {s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}]}",
		"objects",
		"type", "identity", "spec_version", "2.1", "id",
		TRILEX_PROJECT_IDENTITY, "created", "2026-11-26T00:00:00.000Z",
		"modified", "2026-11-26T00:00:00.000Z", "name", "trilex",
		"identity_class", "system", "description",
		"The trilex federation of national CSIRT nodes (JP, UK, US and"
		" allies).",
		"type", "extension-definition", "spec_version", "2.1", "id",
		FED_SIG_EXT, "created_by_ref", TRILEX_PROJECT_IDENTITY, "created",
		"2026-11-26T00:00:00.000Z", "modified", "2026-11-26T00:00:00.000Z",
		"name", "trilex origin signature", "description",
		"Who made this object, and proof of it: the origin node's Ed25519"
		" signature, checkable after any relay.",
		"schema", schema, "version", "1.0.0", "extension_types",
		"property-extension");
}

void fed_http_extension(void *ctx, const struct taxii_ext_request *rq,
			struct taxii_ext_reply *rp)
{
	if (strcmp(rq->method, "GET") != 0) {
		rp->status = 405;
		snprintf(rp->message, sizeof(rp->message), "use GET");
		return;
	}
	rp->json = fed_extension_definition();
	rp->status = rp->json ? 200 : 500;
}
