/*
 * Signed partner cards (issue 14 item 5, issue 15 item 6): a card is
 * signed by its node's identity key; an altered or unsigned card is
 * refused; after `cert renew` (a new TLS key, then a new identity key
 * too) the partner takes the handover card with `peer update --card`,
 * because the key it pinned signed it, and both keep delivering with no
 * re-pinning by hand; a card of the same party code from another node is
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct node JP, UK, US;

static int setup(void **state)
{
	if (node_create_as(&JP, "JP", NULL) || node_create_as(&UK, "UK", NULL) ||
	    node_create_as(&US, "US", NULL) || node_pair(&JP, &UK) ||
	    node_start(&JP) || node_start(&UK))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	int rc = node_stop(&JP) | node_stop(&UK);

	node_destroy(&JP);
	node_destroy(&UK);
	node_destroy(&US);
	return rc == 0 ? 0 : -1;
}

static int run(const char *const *args, char **out, char **err)
{
	*out = *err = NULL;
	return run_trilex(args, NULL, out, err);
}

/* n's card, written to n->dir/NAME; its path in path. */
static json_t *export_card(const struct node *n)
{
	const char *a[] = { "peer", "export", "--dir", n->dir, NULL };
	char *out, *err;
	json_t *card;

	assert_int_equal(run(a, &out, &err), 0);
	assert_non_null(card = json_loads(out, 0, NULL));
	free(out);
	free(err);
	return card;
}

static void write_json(const char *path, const json_t *v)
{
	assert_int_equal(json_dump_file(v, path, JSON_INDENT(2)), 0);
}

static int post_indicator(const struct node *n, int i)
{
	json_t *env = json_pack("{s:[o]}", "objects", make_indicator(i, NULL));
	char *body = json_dumps(env, JSON_COMPACT);
	struct http_resp r;
	int ok;

	assert_int_equal(http(n, "POST", "/api/collections/main/objects/", "token",
			      NULL, NULL, body, strlen(body), &r), 0);
	ok = r.status == 202;
	http_free(&r);
	free(body);
	json_decref(env);
	return ok;
}

static int has(const struct node *n, void *arg)
{
	const char **w = arg;  /* collection, id */
	char q[160];

	snprintf(q, sizeof(q), "match[id]=%s", w[1]);
	return count_objects(n, w[0], q) > 0;
}

/* from posts indicator i; to has it in inbox-<from> within 20 s. */
static void delivered(const struct node *from, const struct node *to, int i)
{
	char coll[32], id[80];
	const char *w[2] = { coll, id };

	snprintf(coll, sizeof(coll), "inbox-%s", from->party);
	snprintf(id, sizeof(id), "indicator--00000000-0000-4000-8000-%012d", i);
	assert_true(post_indicator(from, i));
	if (!wait_for(has, to, w, 20000))
		fail_msg("%s's indicator %d did not reach %s", from->party, i,
			 to->party);
}

/* A card carries its self-signature; altered or unsigned, it is refused. */
static void test_card_signed(void **state)
{
	json_t *card = export_card(&JP);
	char path[PATH_MAX + 32], *out, *err;
	const char *add[] = { "peer", "add", "--dir", US.dir, path, NULL };

	assert_non_null(json_object_get(json_object_get(card, "card_signature"),
					"sig"));
	snprintf(path, sizeof(path), "%s/altered.card", US.dir);
	json_object_set_new(card, "url", json_string("https://203.0.113.9:8443/api/"));
	write_json(path, card);
	assert_int_equal(run(add, &out, &err), 1);
	assert_non_null(strstr(err, "card_signature does not hold"));
	free(out);
	free(err);
	json_object_del(card, "card_signature");
	write_json(path, card);
	assert_int_equal(run(add, &out, &err), 1);
	assert_non_null(strstr(err, "card_signature: missing"));
	free(out);
	free(err);
	json_decref(card);
	/* as exported, it is taken */
	card = export_card(&JP);
	write_json(path, card);
	assert_int_equal(run(add, &out, &err), 0);
	free(out);
	free(err);
	json_decref(card);
}

/* JP renews (the TLS key, then the identity key); UK takes each handover
 * card and both keep delivering. */
static void test_handover(void **state)
{
	char card[PATH_MAX + 32], *out, *err;
	const char *update[] = { "peer", "update", "--dir", UK.dir, "--card", card,
				 "JP", NULL };
	const char *renew[] = { "cert", "renew", "--dir", JP.dir, "--new-key", NULL };
	const char *renew_id[] = { "cert", "renew", "--dir", JP.dir, "--new-key",
				   "--new-identity", NULL };

	snprintf(card, sizeof(card), "%s/handover-card.json", JP.dir);
	delivered(&JP, &UK, 401);
	delivered(&UK, &JP, 402);

	assert_int_equal(run(renew, &out, &err), 0);
	assert_non_null(strstr(out, "handover card: "));
	free(out);
	free(err);
	assert_int_equal(node_stop(&JP), 0);
	assert_int_equal(node_start(&JP), 0);
	assert_int_equal(run(update, &out, &err), 0);
	assert_non_null(strstr(out, "partner JP re-pinned"));
	free(out);
	free(err);
	delivered(&JP, &UK, 403);
	delivered(&UK, &JP, 404);

	/* a new identity key: the card is signed by the old one as well */
	assert_int_equal(run(renew_id, &out, &err), 0);
	assert_non_null(strstr(out, "identity key: ed25519:"));
	free(out);
	free(err);
	json_t *c = json_load_file(card, 0, NULL);
	assert_non_null(json_object_get(c, "handover_signature"));
	json_decref(c);
	assert_int_equal(node_stop(&JP), 0);
	assert_int_equal(node_start(&JP), 0);
	assert_int_equal(run(update, &out, &err), 0);
	assert_non_null(strstr(out, "partner JP re-pinned"));
	free(out);
	free(err);
	delivered(&JP, &UK, 405);
	delivered(&UK, &JP, 406);
}

/* A card of "JP" made by another node (its own keys, self-signed) is not
 * signed by the key UK pinned: refused, and the pin stays. */
static void test_forged_handover(void **state)
{
	struct node X;
	char path[PATH_MAX + 32], *out, *err;
	const char *update[] = { "peer", "update", "--dir", UK.dir, "--card", path,
				 "JP", NULL };

	assert_int_equal(node_create_as(&X, "JP", NULL), 0);
	json_t *card = export_card(&X);
	snprintf(path, sizeof(path), "%s/forged.card", UK.dir);
	write_json(path, card);
	json_decref(card);
	assert_int_equal(run(update, &out, &err), 1);
	assert_non_null(strstr(err, "is not signed by JP's pinned key"));
	free(out);
	free(err);
	/* a forged handover signature (by X's key) is refused the same way */
	card = export_card(&X);
	json_t *real = json_load_file(path, 0, NULL);
	json_object_set(card, "handover_signature",
			json_object_get(real, "card_signature"));
	json_decref(real);
	write_json(path, card);
	json_decref(card);
	assert_int_equal(run(update, &out, &err), 1);
	assert_non_null(strstr(err, "is not signed by JP's pinned key"));
	free(out);
	free(err);
	node_destroy(&X);
	delivered(&JP, &UK, 407);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_card_signed),
		cmocka_unit_test(test_handover),
		cmocka_unit_test(test_forged_handover),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
