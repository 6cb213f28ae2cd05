/*
 * fuzz_policy: libFuzzer target for the policy and incident readers.
 *
 * Every input is read three ways: as a policy (policy_parse, full
 * validation; a valid one is diffed against the default and used to
 * assess a fixed incident), and as an incident bundle (policy_incident_parse)
 * which, when it reads, is assessed under the default policy and rendered.
 * The default policy is loaded once from policies/trilateral-default.json
 * (or $TRILEX_POLICY); seeds are in fuzz/corpus/policy/.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static policy *dflt;
static policy_incident *fixed;

static const char fixed_incident[] =
	"{\"type\":\"bundle\",\"id\":\"bundle--11111111-1111-4111-8111-111111111111\","
	"\"objects\":[{\"type\":\"incident\",\"spec_version\":\"2.1\",\"id\":"
	"\"incident--22222222-2222-4222-8222-222222222222\",\"created\":"
	"\"2025-03-01T00:00:00Z\",\"modified\":\"2025-03-01T00:00:00Z\",\"name\":"
	"\"f\",\"extensions\":{\"extension-definition--ef765651-680c-498d-9894-"
	"99799f2fa126\":{\"extension_type\":\"property-extension\",\"determination\":"
	"\"confirmed\",\"investigation_status\":\"open\",\"impact_refs\":[]},"
	"\"extension-definition--0c8d2f6a-93b4-4e7a-b1d5-2e9f6a7c3b10\":{"
	"\"extension_type\":\"property-extension\",\"deaths\":1,\"causation\":"
	"\"direct\"}}}]}";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const paths[] = { "policies/trilateral-default.json",
		"../policies/trilateral-default.json",
		"../../policies/trilateral-default.json", NULL };
	struct tx_error err;
	const char *env = getenv("TRILEX_POLICY");
	char *text = NULL;
	size_t len = 0;

	if (env == NULL || tx_read_file(env, POLICY_TEXT_MAX, &text, &len,
					&err) != TX_OK)
		for (size_t i = 0; paths[i] && text == NULL; i++)
			if (tx_read_file(paths[i], POLICY_TEXT_MAX, &text, &len,
					 &err) != TX_OK)
				text = NULL;
	if (text == NULL || policy_parse(text, len, "default", &dflt, NULL,
					 &err) != TX_OK) {
		fprintf(stderr, "fuzz_policy: cannot load the default policy"
				" (run from the project root or set TRILEX_POLICY)\n");
		exit(1);
	}
	free(text);
	if (policy_incident_parse(fixed_incident, strlen(fixed_incident), "fixed",
				  NULL, &fixed, &err) != TX_OK) {
		fprintf(stderr, "fuzz_policy: fixed incident: %s\n", err.msg);
		exit(1);
	}
	return 0;
}

static void assess(const policy *p, const policy_incident *inc)
{
	struct policy_standing sd = { .ratified = 0, .note = "fuzz" };
	struct tx_error err;
	json_t *r = NULL;
	char *text;

	if (policy_assess(p, inc, &sd, &r, &err) != TX_OK)
		return;
	text = policy_result_text(r);
	free(text);
	json_decref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_error err;
	json_t *problems = json_array(), *d;
	policy *p = NULL;
	policy_incident *inc = NULL;

	if (policy_parse((const char *)data, size, "fuzz", &p, problems,
			 &err) == TX_OK) {
		d = policy_diff(policy_json(dflt), policy_json(p));
		json_decref(d);
		assess(p, fixed);
		policy_free(p);
	}
	json_decref(problems);
	if (policy_incident_parse((const char *)data, size, "fuzz", NULL, &inc,
				  &err) == TX_OK) {
		assess(dflt, inc);
		policy_incident_free(inc);
	}
	return 0;
}
