/* console/internal.h: what the files of console/ share; private. */
#ifndef TRILEX_CONSOLE_INTERNAL_H
#define TRILEX_CONSOLE_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "console/console.h"
#include "federation/federation.h"
#include "store/store.h"
#include "taxii/taxii.h"

/* Size of a CSRF token: hex of a BLAKE2b-256, and its NUL. */
#define CONSOLE_CSRF_BUF 65

/* Languages, in the order of each label's texts. */
enum { CONSOLE_EN, CONSOLE_JA, CONSOLE_N_LANGS };

/* Every label of the console (labels.c holds their texts). */
enum console_label {
	L_TITLE,
	L_SIGN_IN,
	L_SIGN_OUT,
	L_USER,
	L_PASSWORD,
	L_BAD_LOGIN,
	L_LOCKED,
	L_PARTNER_NO_SIGNIN,
	L_WAIT,
	L_BUSY,
	L_CSRF,
	L_NOT_FOUND,
	L_HOME,
	L_ALERTS,
	L_SEARCH,
	L_LANGUAGE,
	L_SAVE,
	L_SKIP,
	L_SIGNED_IN_AS,
	L_WHAT_CAME_IN,
	L_COLLECTION,
	L_PARTNER,
	L_SINCE_LAST,
	L_LAST_24H,
	L_NEWEST,
	L_DELIVERY,
	L_LAST_CONTACT,
	L_BACKLOG,
	L_LAST_ERROR,
	L_RECEIVED,
	L_REJECTED,
	L_DELIVERED,
	L_UNACKED,
	L_NONE,
	L_THIS_NODE,
	L_NAME,
	L_TYPE,
	L_ADDED,
	L_ORIGIN,
	L_SIGNER,
	L_RECIPIENTS,
	L_LATENCY,
	L_INDICATORS,
	L_TECHNIQUES,
	L_RESPONSIBLE,
	L_DUTY,
	L_ACK,
	L_ACKED,
	L_ACKED_BY,
	L_LIVE,
	L_QUERY,
	L_RESULTS,
	L_NO_RESULTS,
	L_NEXT_PAGE,
	L_OBJECT,
	L_VERSIONS,
	L_MARKINGS,
	L_SIGNATURE,
	L_SIGNED,
	L_UNSIGNED,
	L_REL_OUT,
	L_REL_IN,
	L_SIGHTINGS,
	L_WARNED,
	L_SAME_VALUE,
	L_DESCRIPTION,
	L_JSON,
	L_MENU,
	L_OF_TYPE,
	L_ALL_TYPES,
	L_NEEDS_SIGNIN,
	L_ENGLISH,
	L_JAPANESE,
	L_UTC,
	L_COUNT_CAPPED,
	L_FAILED,
	L_ALERT,
	L_PARTNERS,
	L_DIRECTORY,
	L_CERT_FP,
	L_SIGNING_KEY,
	L_TAXII_SETTINGS,
	L_TAXII_AUTH,
	L_ACK_DONE,
	L_INCIDENTS,
	L_INCIDENT,
	L_ASSESSMENT,
	L_DECISION,
	L_DECISION_RANGE,
	L_LEVEL,
	L_SCORE,
	L_TIER,
	L_RULE,
	L_FACTORS,
	L_FACTOR,
	L_WEIGHT,
	L_EVIDENCE,
	L_WOULD_SETTLE,
	L_UNDETERMINED,
	L_OPEN_FACTS,
	L_OPEN_RULES,
	L_WHEN,
	L_POLICY,
	L_IN_FORCE,
	L_NOT_IN_FORCE,
	L_APPROVED_BY,
	L_APPROVALS_MISSING,
	L_NO_POLICY,
	L_FACTS_FORM,
	L_FACTS_HINT,
	L_UNKNOWN,
	L_YES,
	L_NO,
	L_ASSESS,
	L_DEATHS,
	L_INJURIES,
	L_CAUSATION,
	L_CRIT_INFRA,
	L_NAT_IMPORTANCE,
	L_MILITARY,
	L_ONSET,
	L_STATE,
	L_CONFIDENCE,
	L_BAD_FACT,
	L_STORED,
	L_NO_RIGHT_ASSESS,
	L_PARTNER_INCIDENT,
	L_READ_ONLY,
	L_PROBLEMS,
	L_CANNOT_ASSESS,
	L_FACTS,
	L_NO_INCIDENTS_WRITE,
	L_OPEN_INCIDENT,
	L_WATCH,
	L_WATCH_LIST,
	L_AOR,
	L_RISK,
	L_ENTRY_STATE,
	L_REVIEW,
	L_OVERDUE,
	L_BACKUP,
	L_SCOPE,
	L_OPEN_PROPOSALS,
	L_PROPOSER,
	L_RATIONALE,
	L_VOTES,
	L_APPROVE,
	L_REJECT,
	L_COMMENT,
	L_VOTE,
	L_VOTE_UNTIL,
	L_NO_RIGHT_VOTE,
	L_VOTED,
	L_NO_WATCH_ACCESS,
	L_CHANGE,
	L_VOTE_FAILED,
	L_APPROVALS_OF,
	L_EXPIRES,
	L_POC,
	L_FEEDS,
	L_OUTSIDE_FEEDS,
	L_MISP_FEEDS,
	L_INTO,
	L_LAST_RUN,
	L_LAST_SUCCESS,
	L_RUNS,
	L_ERRORS,
	L_PAGES,
	L_ADDED_N,
	L_ALREADY_PRESENT,
	L_REQUESTS,
	L_EVENTS,
	L_LAST_SERVED,
	L_SERVED_SINCE,
	L_SUPPLY,
	L_BOMS,
	L_ADVISORIES,
	L_COMPONENTS_LC,
	L_ADVISORIES_LOADED,
	L_ECOSYSTEMS,
	L_COMPONENTS,
	L_COMPONENT,
	L_FINDINGS,
	L_RANK,
	L_PRIORITY_TIER,
	L_SEVERITY,
	L_KIND,
	L_FIXED,
	L_RECORDED,
	L_DETAILS,
	L_NEW,
	L_NOT_RECORDED,
	L_NEW_SINCE,
	L_RECORD_SHARE,
	L_NO_RIGHT_RECORD,
	L_FINDINGS_RECORDED,
	L_FINDINGS_CAPPED,
	L_CATEGORY,
	L_UNCHECKED,
	L_CANNOT_CHECK,
	L_COUNT_N,
	L_ADV_OSV,
	L_ADV_MALICIOUS,
	L_ADV_KEV,
	L_ADV_CSAF,
	L_ADV_VEX,
	L_ADV_VENDORS,
	L_ADV_PARTS,
	L_ADV_CATEGORIES,
	L_RELATIONSHIPS,
	L_GRAPH,
	L_NOT_READABLE,
	L_ALL_OF,
	L_SCAN_CAPPED,
	L_NEIGHBOURS,
	L_SHOWN,
	L_GRAPH_CAPPED,
	L_ADVISORIES_COL,
	/* the partnership (partnership.c) */
	L_PARTNERSHIP,
	L_ROLE,
	L_ROLE_MEMBER,
	L_ROLE_OBSERVER,
	L_ROLE_SUSPENDED,
	L_ROLE_BEFORE,
	L_PARTNER_PROPOSALS,
	L_FORWARD_H,
	L_FORWARD_TO,
	L_FORWARD,
	L_FORWARD_TLP,
	L_FORWARD_NONE,
	L_FORWARD_NAMED,
	L_FORWARDED,
	L_FORWARD_REFUSED,
	L_NO_RIGHT_FORWARD,
	L_SIGHTINGS_H,
	L_SIGHTING_COUNT,
	L_FIRST_SEEN,
	L_LAST_SEEN,
	L_SOURCE,
	L_INDICATOR,
	L_WATCH_UNREADABLE,
	L_COUNT
};

/* The text of label id in lang (English when lang is unknown). */
const char *console_label(int lang, int id);
/* The first label without a text in lang, or -1 (for the tests). */
int console_label_missing(int lang);
/* "en" -> CONSOLE_EN ...; -1 if unknown. */
int console_lang_parse(const char *code);
const char *console_lang_code(int lang);

/* Biggest page the console writes (bytes); past it the page is refused. */
#define CONSOLE_PAGE_MAX (4 * 1024 * 1024)
/* Cookie of a session, and of a sign-in form not yet sent. The __Host-
 * prefix makes browsers keep them only from this origin over HTTPS. */
#define CONSOLE_COOKIE TAXII_SESSION_COOKIE
#define CONSOLE_PRE_COOKIE "__Host-trilex-pre"

/* One page being answered. */
struct page {
	struct tx_buf b;
	tx_err rc;                       /* the first error writing it */
	int lang;
	const struct taxii_ext_request *rq;
	struct taxii_ext_reply *rp;
	int signed_in;
	struct store_session s;          /* when signed_in */
	char csrf[CONSOLE_CSRF_BUF];      /* the forms' token */
	int64_t now;
	tx_err read_rc;                  /* a store read that failed: a "not
	                                    found" after it is a 503/500 */
};


void console_html_put(struct page *p, const char *fmt, ...);
void console_html_time(struct page *p, int64_t us);
void console_html_tlp(struct page *p, int tlp);

/* ---- sessions and sign-in (session.c) ---- */

/* The CSRF token of a cookie value: BLAKE2b of it, so that only who
 * holds the cookie can make it and the database never holds it. */
void console_session_csrf(const char *cookie, char out[CONSOLE_CSRF_BUF]);
/* Whether the form's "csrf" field is that of cookie (constant time). */
int console_session_csrf_ok(const char *form, size_t len, const char *cookie);
/* Fill p->s from the session cookie; 0 when signed in, -1 when not, -2
 * when the session could not be read (a store error: answer 503). */
int console_session_load(struct page *p);
/* The sign-in and sign-out pages. */
void console_session_signin_page(struct page *p);
void console_session_signin_post(struct page *p);
void console_session_signout_post(struct page *p);

/* A field of an application/x-www-form-urlencoded body, decoded into out
 * (NUL-terminated); 0 when present and it fits. */
int console_form_field(const char *body, size_t len, const char *name, char *out,
	       size_t out_size);

/* ---- pages (pages.c) ---- */

void console_page_begin(struct page *p, int title_label, const char *title);
void console_page_end(struct page *p);
/* Answer status with the page written so far (its headers added). */
void console_page_send(struct page *p, unsigned status);
/* Answer 303 to location (a console path). */
void console_page_redirect(struct page *p, const char *location);

/* ---- who reads what (pages.c) ---- */

/* The collections a user may read: the one place the console decides it
 * (the store's grants, as the TAXII routes check them). */
struct readable {
	struct store_collection *c;   /* owned; the user's readable ones */
	size_t n;
	int64_t *pks;                 /* owned; their pks */
};
tx_err console_readable_load(tx_store *st, const struct store_user *u,
		     struct readable *r);
void console_readable_free(struct readable *r);
const struct store_collection *console_readable_find(const struct readable *r,
					     int64_t pk);

/* ---- shared by the page files (pages.c) ---- */

/* A page saying label, with status. */
void console_page_message(struct page *p, unsigned status, int label);
/* A store read the page shows failed: logged, and the page is refused
 * (500) when sent, not shown with that part left out. */
void console_page_read_failed(struct page *p, const char *what,
			      const struct tx_error *err);
/* The same, then why (a tx_error message, escaped) on a line of its own. */
void console_page_failure(struct page *p, unsigned status, int label,
			  const char *why);
/* The object of a row, parsed (caller frees), or NULL. */
json_t *console_row_object(const struct store_row *row);
/* Where a row came from: its verified signer, or this node. */
void console_html_origin(struct page *p, const struct store_row *row);
/* What an object is called on a page: its name (or value, pattern,
 * content, id); borrowed from o. */
const char *console_object_name(const json_t *o);
/* A link to an object's page, named by its name (or value, pattern). */
void console_html_object_link(struct page *p, const json_t *o);

/* The last version of id that the user may read, parsed; NULL if none. */
struct console_object {
	json_t *obj;
	struct store_row row;         /* its pointers not kept */
	char origin[TX_PARTY_MAX];
	char via[TX_PARTY_MAX];
	int64_t coll;
	size_t n_versions;
	int nomem;                    /* a version not read for lack of memory */
};
/* Load into o the last version of id the user may read (all_versions:
 * count them all); 0 when found (o->obj caller-freed), else -1 (when the
 * store failed, p->read_rc says so: the page is refused, not "not
 * found"). */
int console_object_load(struct page *p, const struct readable *r, const char *id,
			int all_versions, struct console_object *o);

/* ---- routes: one table per page file, read by the router (pages.c) ---- */

typedef void (*console_page_fn)(struct page *p, const char *arg,
				const struct readable *r);

/* CONSOLE_REPLICA: a GET whose data may be a little stale: with a read
 * replica, the page reads it there (p->rq->st is taxii_ext_read_store's
 * choice; the session and the user's grants are read from the primary
 * first). Only on pages that write nothing. */
enum { CONSOLE_PUBLIC = 1, CONSOLE_NO_CSRF = 2, CONSOLE_REPLICA = 4 };

struct console_route {
	const char *method;           /* NULL ends a table */
	const char *path;             /* after /console/; '/' at the end: a
	                                 prefix, the rest is arg */
	console_page_fn fn;
	unsigned flags;               /* CONSOLE_PUBLIC, CONSOLE_NO_CSRF,
	                                 CONSOLE_REPLICA */
};

/* incidents.c, watch.c, feeds.c, supply.c, graph.c */
extern const struct console_route console_incident_routes[];
extern const struct console_route console_watch_routes[];
extern const struct console_route console_feeds_routes[];
extern const struct console_route console_supply_routes[];
/* graph.c: an object's neighbours grouped by relationship type (the
 * object page's lists), and the graph and neighbour pages */
extern const struct console_route console_graph_routes[];
void console_html_neighbours(struct page *p, const struct readable *r,
			     const char *id);
/* watch.c: whether the user may see the watch state (proposals, votes),
 * and one proposal's section with its tally and vote form; back (NULL:
 * the watch page) names the page the vote returns to ("partners") */
int console_watch_may_read(const struct page *p, const struct readable *r);
void console_watch_proposal(struct page *p, const json_t *pr, const char *back);
/* partnership.c: the partnership's parties by role, and its open
 * partner proposals with voting (on the partners page) */
void console_html_partnership(struct page *p, const struct readable *r);
/* forward.c: the alert page's "forward to a partner" section for a
 * (partner's) alert a, and POST /console/forward/ID */
extern const struct console_route console_forward_routes[];
void console_html_forward(struct page *p, const struct console_object *a,
			  const char *id);
/* sightings.c: the alert page's sightings of the alert's indicators on
 * this node, in the user's collections, marked as the most restrictive
 * of them and the alert */
void console_html_sightings(struct page *p, const struct readable *r,
			    const json_t *alert);

/* ---- built-in files (static.c) ---- */

extern const char console_app_js[];
extern const char console_app_css[];

#endif
