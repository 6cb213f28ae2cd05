/*
 * watch/watch.c: the clock and the partnership settings.
 *
 * Design
 *   The AOR and the watch list are changed by proposals that the parties
 *   vote on. Proposals (x-trilex-watch-proposal) and votes
 *   (x-trilex-watch-vote) are STIX 2.1 custom objects: type x-..., id
 *   type--UUIDv4, spec_version, created, modified, and custom properties
 *   named by the rules of 11.1. They are kept in the collection "watch"
 *   under TLP:AMBER, so federation signs them and brings them to every
 *   partner's inbox; nothing else has to be synchronised.
 *
 *   State (watch/state.c) is recomputed from the objects each time: a
 *   proposal's partnership (its parties) and quorum are written in the
 *   proposal when it is made, so every node counts the same votes; a
 *   vote counts for the party that signed it (the store's origin), never
 *   for a name in the object; ties are broken by (created, id). The only
 *   other input is the time, read here: TRILEX_NOW (RFC 3339) when set,
 *   so tests and drills can move it, else the real clock.
 *
 * Data
 *   DIR/watch.json (optional): quorum, review_months, grace_days,
 *   vote_days. They are what this node writes into its new proposals;
 *   once written, a proposal's own values govern it on every node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watch/watch.h"

tx_err watch_now(int64_t *now_us, struct tx_error *err)
{
	const char *s = getenv(WATCH_CLOCK_ENV);

	if (s == NULL || s[0] == '\0') {
		*now_us = tx_time_now_us();
		return TX_OK;
	}
	if (tx_time_parse(s, now_us, NULL) != TX_OK)
		return tx_error_set(err, TX_ERR_INVALID, "%s: \"%.64s\" is not an"
				    " RFC 3339 UTC timestamp (e.g."
				    " 2026-03-01T00:00:00Z)", WATCH_CLOCK_ENV, s);
	return TX_OK;
}

static int leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t watch_add_months(int64_t t_us, int months)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	time_t secs = (time_t)(t_us / 1000000);
	int64_t frac = t_us % 1000000;
	struct tm tm;
	long m;
	int dim;

	if (frac < 0) {
		frac += 1000000;
		secs -= 1;
	}
	if (gmtime_r(&secs, &tm) == NULL)
		return t_us;
	m = (long)tm.tm_year * 12 + tm.tm_mon + months;
	tm.tm_year = (int)(m / 12);
	tm.tm_mon = (int)(m % 12);
	dim = mdays[tm.tm_mon] + (tm.tm_mon == 1 && leap(tm.tm_year + 1900L));
	if (tm.tm_mday > dim)
		tm.tm_mday = dim;
	return (int64_t)timegm(&tm) * 1000000 + frac;
}

void watch_settings_defaults(struct watch_settings *s)
{
	s->quorum = 0;
	s->review_months = WATCH_REVIEW_MONTHS;
	s->grace_days = WATCH_GRACE_DAYS;
	s->vote_days = WATCH_VOTE_DAYS;
}

/* The table of settings: name, bounds, where. */
static const struct setting {
	const char *name;
	int min, max;
	size_t off;
} settings[] = {
	{ "quorum", 0, WATCH_MAX_PARTIES, offsetof(struct watch_settings, quorum) },
	{ "review_months", 1, 60, offsetof(struct watch_settings, review_months) },
	{ "grace_days", 0, 365, offsetof(struct watch_settings, grace_days) },
	{ "vote_days", 1, 365, offsetof(struct watch_settings, vote_days) },
};

tx_err watch_settings_parse(const char *text, size_t len,
			    struct watch_settings *s, struct tx_error *err)
{
	json_error_t jerr;
	json_t *doc = NULL, *v;
	const char *key;
	tx_err rc = TX_OK;

	watch_settings_defaults(s);
	if (len > WATCH_SETTINGS_MAX) {
		rc = tx_error_set(err, TX_ERR_TOOBIG, "watch.json: over %d bytes",
				  WATCH_SETTINGS_MAX);
		goto out;
	}
	doc = tx_json_load(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		rc = tx_error_set(err, TX_ERR_INVALID, "watch.json: line %d: %s",
				  jerr.line, jerr.text);
		goto out;
	}
	if (!json_is_object(doc)) {
		rc = tx_error_set(err, TX_ERR_INVALID, "watch.json: not a JSON object");
		goto out;
	}
	json_object_foreach(doc, key, v) {
		const struct setting *t = NULL;
		for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
			if (strcmp(settings[i].name, key) == 0)
				t = &settings[i];
		if (t == NULL) {
			rc = tx_error_set(err, TX_ERR_INVALID, "watch.json: %.64s:"
					  " unknown setting (quorum, review_months,"
					  " grace_days, vote_days)", key);
			goto out;
		}
		if (!json_is_integer(v) || json_integer_value(v) < t->min ||
		    json_integer_value(v) > t->max) {
			rc = tx_error_set(err, TX_ERR_INVALID, "watch.json: %s: must"
					  " be an integer %d-%d", key, t->min, t->max);
			goto out;
		}
		*(int *)((char *)s + t->off) = (int)json_integer_value(v);
	}
out:
	json_decref(doc);
	return rc;
}

tx_err watch_settings_load(const char *dir, struct watch_settings *s,
			   struct tx_error *err)
{
	char path[4096];
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	tx_err rc;

	watch_settings_defaults(s);
	if ((rc = tx_path_join(path, sizeof(path), dir, "watch.json")) != TX_OK)
		return tx_error_set(err, rc, "%s: path too long", dir);
	if ((f = fopen(path, "r")) == NULL)
		return TX_OK;   /* no file: the defaults */
	fclose(f);
	if ((rc = tx_read_file(path, WATCH_SETTINGS_MAX, &text, &len, err)) != TX_OK)
		goto out;
	if ((rc = watch_settings_parse(text, len, s, err)) != TX_OK)
		tx_error_prefix(err, "%s", dir);
out:
	free(text);
	return rc;
}
