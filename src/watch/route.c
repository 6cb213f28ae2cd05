/*
 * watch/route.c: who an alert, sighting or incident goes to.
 *
 * A received object is routed by what it names: a watch-listed object (or
 * an indicator of one) goes to that entry's responsible party; an actor,
 * sector, country or region goes to the AOR assignment that covers it, in
 * that order of precedence. The first reason found at the best precedence
 * decides; every reason is listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watch/internal.h"

#define MAX_REFS 1000

struct best {
	int prio;
	json_t *who;                /* owned: responsible, backup, duty... */
};

static void offer(struct best *b, int prio, json_t *who, json_t *reasons,
		  json_t *reason)
{
	json_object_set(reason, "party", json_object_get(who, "responsible"));
	json_array_append_new(reasons, reason);
	if (b->who == NULL || prio < b->prio) {
		json_decref(b->who);
		b->who = json_incref(who);
		b->prio = prio;
	}
}

static void by_aor(const watch_state *s, struct best *b, json_t *reasons,
		   const char *sector, const char *country, const char *actor,
		   const char *via)
{
	json_t *who = watch_aor_who(s, sector, country, actor);
	int prio = actor ? 1 : sector ? 2 : 3;

	if (who == NULL)
		return;
	offer(b, prio, who, reasons, json_pack("{s:s, s:O, s:s?}", "kind", "aor",
		"scope", json_object_get(who, "scope"), "via", via));
	json_decref(who);
}

static void by_entry(const watch_state *s, struct best *b, json_t *reasons,
		     const json_t *e, const char *ref)
{
	const char *resp = tx_json_str(e, "responsible_party");
	json_t *who, *bd;

	bd = watch_duty_of(s, tx_json_str(e, "backup_party"), NULL);
	who = json_pack("{s:s?, s:O?, s:O?, s:o?}", "responsible", resp, "backup",
			json_object_get(e, "backup_party"), "duty",
			json_object_get(e, "duty"), "backup_duty", bd);
	offer(b, 0, who, reasons, json_pack("{s:s, s:O, s:s, s:O?, s:O?}", "kind",
		"watch-list", "entry", json_object_get(e, "key"), "ref", ref, "name",
		json_object_get(e, "target_name"), "risk", json_object_get(e, "risk")));
	json_decref(who);
}

static void by_scopes(const watch_state *s, struct best *b, json_t *reasons,
		      const json_t *sectors, const json_t *countries,
		      const char *via)
{
	size_t i;
	const json_t *x;

	json_array_foreach(sectors, i, x)
		if (json_is_string(x))
			by_aor(s, b, reasons, json_string_value(x), NULL, NULL, via);
	json_array_foreach(countries, i, x)
		if (json_is_string(x))
			by_aor(s, b, reasons, NULL, json_string_value(x), NULL, via);
}

static void by_ref(const watch_state *s, struct best *b, json_t *reasons,
		   const char *ref, const json_t *objects)
{
	const json_t *e, *o;

	if ((e = watch_live_entry(s, ref)) != NULL ||
	    (e = watch_indicator_entry(s, ref)) != NULL)
		by_entry(s, b, reasons, e, ref);
	if (watch_actor_id(ref))
		by_aor(s, b, reasons, NULL, NULL, ref, ref);
	if ((o = json_object_get(objects, ref)) == NULL)
		return;
	if (strncmp(ref, "identity--", 10) == 0)
		by_scopes(s, b, reasons, json_object_get(o, "sectors"), NULL, ref);
	if (strncmp(ref, "location--", 10) == 0) {
		const char *c = tx_json_str(o, "country"), *r = tx_json_str(o, "region");
		char up[3] = { 0 };
		if (c && strlen(c) == 2) {
			/* STIX writes country codes in either case */
			up[0] = (char)(c[0] >= 'a' && c[0] <= 'z' ? c[0] - 32 : c[0]);
			up[1] = (char)(c[1] >= 'a' && c[1] <= 'z' ? c[1] - 32 : c[1]);
			by_aor(s, b, reasons, NULL, up, NULL, ref);
		}
		if (r)
			by_aor(s, b, reasons, NULL, r, NULL, ref);
	}
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static json_t *route_object(const watch_state *s, const json_t *obj,
			    const json_t *objects)
{
	struct best b = { 0, NULL };
	json_t *reasons = json_array(), *out;
	const char *k;
	const json_t *v, *x;
	size_t i, n_refs = 0;

	json_object_foreach((json_t *)obj, k, v) {
		if (strcmp(k, "created_by_ref") == 0 ||
		    strcmp(k, "object_marking_refs") == 0)
			continue;
		if (ends_with(k, "_ref") && json_is_string(v) && n_refs++ < MAX_REFS)
			by_ref(s, &b, reasons, json_string_value(v), objects);
		if (ends_with(k, "_refs"))
			json_array_foreach(v, i, x)
				if (json_is_string(x) && n_refs++ < MAX_REFS)
					by_ref(s, &b, reasons, json_string_value(x),
					       objects);
	}
	by_scopes(s, &b, reasons, json_object_get(obj, "x_trilex_sectors"),
		  json_object_get(obj, "x_trilex_countries"), NULL);
	out = json_pack("{s:O?, s:O?, s:O?, s:O?, s:o}",
		"responsible", json_object_get(b.who, "responsible"),
		"backup", json_object_get(b.who, "backup"),
		"duty", json_object_get(b.who, "duty"),
		"backup_duty", json_object_get(b.who, "backup_duty"),
		"reasons", reasons);
	json_decref(b.who);
	return out;
}

/* whole or NULL: a routing that lost a reason or a party is no routing */
json_t *watch_route_object(const watch_state *s, const json_t *obj,
			   const json_t *objects)
{
	unsigned long jf = tx_json_failures();

	return tx_json_whole(jf, route_object(s, obj, objects));
}

static int by_added(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "added"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "added"));

	return x < y ? -1 : x > y;
}

static tx_err route_all(tx_store *st, const watch_state *s, const char *party,
			json_t **out, struct tx_error *err)
{
	static const char *const types[] = {
		"report", "sighting", "incident", "identity", "location",
	};
	json_t *recs = NULL, *objects = json_object(), *seen = json_object();
	json_t *list = json_array(), *r;
	json_t **v = NULL;
	size_t i, n = 0;
	tx_err rc;

	*out = NULL;
	if (!objects || !seen || !list) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = watch_collect(st, party, types, 5, &recs, err)) != TX_OK)
		goto out;
	json_array_foreach(recs, i, r) {
		const json_t *o = json_object_get(r, "object");
		const char *t = tx_json_str(o, "type"), *id = tx_json_str(o, "id");
		if (id && t && (!strcmp(t, "identity") || !strcmp(t, "location")))
			json_object_set(objects, id, (json_t *)o);
	}
	json_array_foreach(recs, i, r) {
		const json_t *o = json_object_get(r, "object");
		const char *t = tx_json_str(o, "type"), *id = tx_json_str(o, "id");
		json_t *route, *row;
		char when[TX_TIME_BUF];
		if (!id || !t || (strcmp(t, "report") && strcmp(t, "sighting") &&
				  strcmp(t, "incident")) || json_object_get(seen, id))
			continue;
		json_object_set_new(seen, id, json_true());
		route = watch_route_object(s, o, objects);
		tx_time_format_ms(json_integer_value(json_object_get(r, "added")), when);
		row = json_pack("{s:s, s:s, s:O?, s:s, s:s, s:I}", "id", id, "type", t,
				"name", json_object_get(o, "name"), "origin",
				json_is_true(json_object_get(r, "here")) ? "here" :
				tx_json_str(r, "party"), "received", when, "added",
				json_integer_value(json_object_get(r, "added")));
		json_object_update(row, route);
		json_decref(route);
		json_array_append_new(list, row);
	}
	n = json_array_size(list);
	if ((v = malloc((n ? n : 1) * sizeof(*v))) == NULL) {
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(list, i));
	tx_sort(v, n, sizeof(*v), by_added);
	json_array_clear(list);
	for (i = 0; i < n; i++) {
		json_object_del(v[i], "added");
		json_array_append_new(list, v[i]);
	}
	*out = list;
	list = NULL;
out:
	free(v);
	json_decref(recs);
	json_decref(objects);
	json_decref(seen);
	json_decref(list);
	return rc;
}

tx_err watch_route_all(tx_store *st, const watch_state *s, const char *party,
		       json_t **out, struct tx_error *err)
{
	unsigned long jf = tx_json_failures();
	tx_err rc = route_all(st, s, party, out, err);

	/* a row that lost its routing to a failed allocation: no list */
	if (rc == TX_OK && (*out = tx_json_whole(jf, *out)) == NULL)
		rc = tx_error_set(err, TX_ERR_NOMEM, "out of memory");
	return rc;
}
