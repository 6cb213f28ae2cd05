/*
 * taxii/filters.c: TAXII 2.1 query parameters (sections 3.4 and 3.5).
 *
 * added_after, limit, next, match[id], match[type], match[version] and
 * match[spec_version]. Lists are comma-separated; every value is checked,
 * and a bad one is a 400 with a message naming the parameter, never a
 * silently empty result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"
#include "taxii/internal.h"

void taxii_filters_init(struct filters *f, int64_t page_default)
{
	memset(f, 0, sizeof(*f));
	f->q.limit = page_default;
}

void taxii_filters_free(struct filters *f)
{
	for (int i = 0; i < f->n_copies; i++)
		free(f->copies[i]);
	f->n_copies = 0;
}

static int type_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 3 && n <= 250 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static int spec_version_ok(const char *s)
{
	return strcmp(s, "2.0") == 0 || strcmp(s, "2.1") == 0;
}

/*
 * Split a copy of value on commas into list (appending after *n); check
 * each with ok. Returns -1 with msg on a bad or empty item.
 */
static int split(struct filters *f, const char *key, const char *value,
		 char **list, size_t *n, int (*ok)(const char *), char *msg,
		 size_t msgsz)
{
	char *copy, *p;

	if (f->n_copies == (int)(sizeof(f->copies) / sizeof(f->copies[0]))) {
		snprintf(msg, msgsz, "%s: given too many times", key);
		return -1;
	}
	if ((copy = strdup(value)) == NULL) {
		snprintf(msg, msgsz, "out of memory");
		return -1;
	}
	f->copies[f->n_copies++] = copy;
	for (p = copy;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p == '\0' || (ok && !ok(p))) {
			snprintf(msg, msgsz, "%s: \"%.100s\" is not valid", key, p);
			return -1;
		}
		if (*n == FILTER_LIST_MAX) {
			snprintf(msg, msgsz, "%s: more than %d values", key,
				 FILTER_LIST_MAX);
			return -1;
		}
		list[(*n)++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

static int id_ok(const char *s)
{
	return stix_id_valid(s, NULL);
}

static int add_versions(struct filters *f, const char *value, char *msg,
			size_t msgsz)
{
	struct store_versions *v = &f->q.versions;
	const char *p = value;

	for (;;) {
		size_t n = strcspn(p, ",");
		char item[64];

		if (n == 0 || n >= sizeof(item))
			goto bad;
		memcpy(item, p, n);
		item[n] = '\0';
		if (strcmp(item, "all") == 0)
			v->all = 1;
		else if (strcmp(item, "first") == 0)
			v->first = 1;
		else if (strcmp(item, "last") == 0)
			v->last = 1;
		else if (v->n_at == FILTER_LIST_MAX)
			goto bad;
		else if (tx_time_parse(item, &f->at[v->n_at], NULL) == TX_OK)
			v->n_at++;
		else
			goto bad;
		p += n;
		if (*p == '\0')
			break;
		p++;
	}
	v->at = f->at;
	return 0;
bad:
	snprintf(msg, msgsz, "match[version]: \"%.100s\" is not first, last, all"
		 " or an RFC 3339 timestamp", value);
	return -1;
}

int taxii_filters_add(struct filters *f, const char *key, const char *value,
		int64_t page_max, char *msg, size_t msgsz)
{
	struct store_query *q = &f->q;

	if (value == NULL)
		value = "";
	if (strcmp(key, "added_after") == 0) {
		if (tx_time_parse(value, &q->added_after, NULL) != TX_OK) {
			snprintf(msg, msgsz, "added_after: \"%.100s\" is not an RFC 3339"
				 " timestamp such as 2026-01-31T12:00:00.000Z", value);
			return -1;
		}
		q->has_added_after = 1;
	} else if (strcmp(key, "limit") == 0) {
		if (tx_parse_int64(value, 1, INT64_MAX, &q->limit) != TX_OK) {
			snprintf(msg, msgsz, "limit: \"%.100s\" is not a positive integer",
				 value);
			return -1;
		}
		if (q->limit > page_max)
			q->limit = page_max;
		f->has_limit = 1;
	} else if (strcmp(key, "next") == 0) {
		if (store_cursor_decode(value, &q->cursor) != TX_OK) {
			snprintf(msg, msgsz, "next: \"%.100s\" is not a token this server"
				 " gave", value);
			return -1;
		}
		q->has_cursor = 1;
	} else if (strcmp(key, "match[id]") == 0) {
		if (split(f, key, value, f->ids, &q->n_ids, id_ok, msg, msgsz))
			return -1;
		q->ids = (const char *const *)f->ids;
	} else if (strcmp(key, "match[type]") == 0) {
		if (split(f, key, value, f->types, &q->n_types, type_name_ok, msg,
			  msgsz))
			return -1;
		q->types = (const char *const *)f->types;
	} else if (strcmp(key, "match[spec_version]") == 0) {
		if (split(f, key, value, f->spec_versions, &q->n_spec_versions,
			  spec_version_ok, msg, msgsz))
			return -1;
		q->spec_versions = (const char *const *)f->spec_versions;
	} else if (strcmp(key, "match[version]") == 0) {
		return add_versions(f, value, msg, msgsz);
	}
	return 0;
}
