/*
 * federation/lanes.c: which delivery lane an object of ours takes.
 *
 * Delivery keeps two lanes per partner (deliver.c): the priority lane,
 * sent first whenever it holds anything, and the bulk lane for the rest.
 * Each lane is the subsequence of the outbox (our own objects in
 * (date_added, rowid) order) that the store marked with it when the
 * object was stored, and each has its own cursor, so that nothing is lost
 * or reordered within a lane and a restart resumes both.
 *
 * This file is the one place that decides the lane (the table below):
 *   - alerts (reports labelled trilex-alert) and, stored with them, the
 *     objects they refer to (their indicators, identity, stubs);
 *   - watch-list proposals and votes, and every x-trilex-partner-* type
 *     (admission proposals and votes);
 *   - policy approvals;
 *   - withdrawals: any version with "revoked": true, and
 *     x-trilex-withdrawal notices.
 * An object an alert refers to that was stored before it keeps the lane it
 * was stored on: a lane never changes under a cursor.
 */
#include <stdlib.h>
#include <string.h>

#include "federation/internal.h"
#include "stix/stix.h"

/* Types on the priority lane; a row ending in '-' is a prefix. */
static const char *const priority_types[] = {
	"x-trilex-watch-vote",
	"x-trilex-watch-proposal",
	"x-trilex-policy-approval",
	"x-trilex-withdrawal",
	"x-trilex-partner-",
};

int fed_is_alert(const json_t *obj)
{
	const json_t *l;
	size_t i;

	if (strcmp(tx_json_str(obj, "type") ? tx_json_str(obj, "type") : "",
		   "report") != 0)
		return 0;
	json_array_foreach(json_object_get(obj, "labels"), i, l)
		if (json_is_string(l) &&
		    strcmp(json_string_value(l), TAXII_ALERT_LABEL) == 0)
			return 1;
	return 0;
}

int fed_lane_of(const json_t *obj)
{
	const char *type = tx_json_str(obj, "type");

	if (type == NULL)
		return STORE_LANE_BULK;
	if (json_is_true(json_object_get(obj, "revoked")))
		return STORE_LANE_PRIORITY;
	for (size_t i = 0; i < sizeof(priority_types) / sizeof(*priority_types);
	     i++) {
		size_t n = strlen(priority_types[i]);
		if (priority_types[i][n - 1] == '-' ?
		    strncmp(type, priority_types[i], n) == 0 :
		    strcmp(type, priority_types[i]) == 0)
			return STORE_LANE_PRIORITY;
	}
	return fed_is_alert(obj) ? STORE_LANE_PRIORITY : STORE_LANE_BULK;
}

/* The batch's ids, sorted, to find what an alert refers to: the cost is
 * (n + refs) log n whatever the batch holds. */
struct batch_id {
	const char *id;
	size_t at;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct batch_id *)a)->id,
		      ((const struct batch_id *)b)->id);
}

static void mark(const struct batch_id *ids, size_t n_ids, const char *id,
		 unsigned char *lanes)
{
	struct batch_id key = { .id = id };
	const struct batch_id *hit;

	if (id == NULL || n_ids == 0 ||
	    (hit = bsearch(&key, ids, n_ids, sizeof(*ids), by_id)) == NULL)
		return;
	/* every version of it in the batch */
	while (hit > ids && strcmp(hit[-1].id, id) == 0)
		hit--;
	for (; hit < ids + n_ids && strcmp(hit->id, id) == 0; hit++)
		lanes[hit->at] = STORE_LANE_PRIORITY;
}

void fed_store_lanes(const struct store_item *items, size_t n,
		     unsigned char *lanes)
{
	struct batch_id *ids = NULL;
	size_t n_ids = 0, n_alerts = 0;

	for (size_t i = 0; i < n; i++)
		if (items[i].obj != NULL &&
		    fed_lane_of(items[i].obj) == STORE_LANE_PRIORITY) {
			lanes[i] = STORE_LANE_PRIORITY;
			n_alerts += fed_is_alert(items[i].obj);
		}
	if (n_alerts == 0)
		return;
	/* Without memory for the index, what an alert refers to stays on
	 * the bulk lane: later, never lost. */
	if ((ids = calloc(n, sizeof(*ids))) == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if (items[i].obj != NULL && tx_json_str(items[i].obj, "id") != NULL) {
			ids[n_ids].id = tx_json_str(items[i].obj, "id");
			ids[n_ids++].at = i;
		}
	tx_sort(ids, n_ids, sizeof(*ids), by_id);
	for (size_t i = 0; i < n; i++) {
		const json_t *ref;
		size_t k;

		if (items[i].obj == NULL || !fed_is_alert(items[i].obj))
			continue;
		/* what the alert groups, stored with it, goes with it; and its
		 * author's identity */
		json_array_foreach(json_object_get(items[i].obj, "object_refs"), k, ref)
			mark(ids, n_ids, json_string_value(ref), lanes);
		mark(ids, n_ids, tx_json_str(items[i].obj, "created_by_ref"), lanes);
	}
	free(ids);
}
