/*
 * store/roles.c: the roles and their rights, in one table.
 *
 * Every role is a fixed set of rights; nothing else decides what an
 * account may do beyond its grants. `trilex role list --markdown` prints
 * this table, and the README's copy is checked against it
 * (scripts/readme-check), so the documentation cannot drift from it.
 */
#include <stdio.h>
#include <string.h>

#include "store/internal.h"

#define R(x) (1u << (x))

static const struct {
	const char *name;
	const char *summary;
} rights[TX_RIGHT_COUNT] = {
	[TX_RIGHT_READ] = { "read", "read the collections granted to it" },
	[TX_RIGHT_WRITE] = { "write", "add and delete objects in the"
			     " collections granted to it for writing" },
	[TX_RIGHT_ALERT] = { "alert", "raise alerts" },
	[TX_RIGHT_ASSESS] = { "assess", "ask for a use-of-force assessment" },
	[TX_RIGHT_PROPOSE] = { "propose", "propose watch-list and policy"
			       " changes" },
	[TX_RIGHT_ACK] = { "acknowledge", "acknowledge alerts" },
	[TX_RIGHT_VOTE] = { "vote", "vote for the party" },
	[TX_RIGHT_ALL_COLLECTIONS] = { "all-collections", "read and write every"
				       " collection, granted or not" },
	[TX_RIGHT_ACCOUNTS] = { "accounts", "users, tokens, grants and keys" },
	[TX_RIGHT_PARTNERS] = { "partners", "partners and their pins" },
	[TX_RIGHT_SETTINGS] = { "settings", "the node's settings" },
	[TX_RIGHT_AUDIT] = { "audit", "read the audit trail" },
};

#define READER_RIGHTS R(TX_RIGHT_READ)
#define ANALYST_RIGHTS (READER_RIGHTS | R(TX_RIGHT_WRITE) | R(TX_RIGHT_ALERT) | \
			R(TX_RIGHT_ASSESS) | R(TX_RIGHT_PROPOSE))
#define DUTY_RIGHTS (ANALYST_RIGHTS | R(TX_RIGHT_ACK) | R(TX_RIGHT_VOTE))
#define ADMIN_RIGHTS (DUTY_RIGHTS | R(TX_RIGHT_ALL_COLLECTIONS) | \
		      R(TX_RIGHT_ACCOUNTS) | R(TX_RIGHT_PARTNERS) | \
		      R(TX_RIGHT_SETTINGS) | R(TX_RIGHT_AUDIT))

/* The one table of roles: name and rights. */
static const struct {
	const char *name;
	unsigned rights;
} roles[STORE_ROLE_COUNT] = {
	[STORE_ROLE_NONE] = { NULL, 0 },
	[STORE_ROLE_READER] = { "reader", READER_RIGHTS },
	[STORE_ROLE_ANALYST] = { "analyst", ANALYST_RIGHTS },
	[STORE_ROLE_DUTY_OFFICER] = { "duty-officer", DUTY_RIGHTS },
	[STORE_ROLE_ADMIN] = { "admin", ADMIN_RIGHTS },
};

int store_role_has(enum store_role role, enum tx_right r)
{
	if ((unsigned)role >= STORE_ROLE_COUNT || (unsigned)r >= TX_RIGHT_COUNT)
		return 0;
	return (roles[role].rights & R(r)) != 0;
}

int store_user_may(const struct store_user *u, enum tx_right r)
{
	if (u == NULL || u->disabled)
		return 0;
	if (u->peer[0] != '\0')
		return r == TX_RIGHT_READ || r == TX_RIGHT_WRITE;
	/* The node's own commands act as { .admin = 1 }. */
	return store_role_has(u->admin ? STORE_ROLE_ADMIN : u->role, r);
}

const char *store_role_name(enum store_role role)
{
	return (unsigned)role < STORE_ROLE_COUNT ? roles[role].name : NULL;
}

tx_err store_role_parse(const char *name, enum store_role *out,
			struct tx_error *err)
{
	for (int i = 1; i < STORE_ROLE_COUNT; i++)
		if (name != NULL && strcmp(name, roles[i].name) == 0) {
			*out = (enum store_role)i;
			return TX_OK;
		}
	return tx_error_set(err, TX_ERR_INVALID, "no role \"%.64s\": one of"
			    " reader, analyst, duty-officer, admin",
			    name ? name : "");
}

const char *store_right_name(enum tx_right r)
{
	return (unsigned)r < TX_RIGHT_COUNT ? rights[r].name : NULL;
}

const char *store_right_summary(enum tx_right r)
{
	return (unsigned)r < TX_RIGHT_COUNT ? rights[r].summary : NULL;
}
