/*
 * The matcher's worked case (test_sensor's test_engine, test_alloc's
 * sweep of it): three indicators, one of one observation, one FOLLOWEDBY
 * within 60 s, one REPEATS 3 TIMES, and five EVE events that match them
 * 4 times (lines 2, 4, 5 and 5).
 */
#ifndef TRILEX_TESTS_ENGINE_CASE_H
#define TRILEX_TESTS_ENGINE_CASE_H

#define ENGINE_CASE_INDICATORS \
	{ "indicator--00000000-0000-4000-8000-000000000001", "[domain-name:value = 'c2.evil.example']", 0, INT64_MAX, 0 }, \
	{ "indicator--00000000-0000-4000-8000-000000000002", \
	  "([domain-name:value = 'c2.evil.example'] FOLLOWEDBY [network-traffic:dst_port = 443]) WITHIN 60 SECONDS", \
	  0, INT64_MAX, 0 }, \
	{ "indicator--00000000-0000-4000-8000-000000000003", "[ipv4-addr:value ISSUBSET '198.51.100.0/24'] REPEATS 3 TIMES", 0, INT64_MAX, 0 }

#define ENGINE_CASE_EVENTS \
	"{\"timestamp\":\"2024-05-01T10:00:00Z\",\"src_ip\":\"10.0.0.5\",\"dest_ip\":\"198.51.100.1\",\"dest_port\":443}", \
	"{\"timestamp\":\"2024-05-01T10:00:10Z\",\"src_ip\":\"10.0.0.5\",\"dest_ip\":\"10.0.0.1\",\"dns\":{\"rrname\":\"c2.evil.example\"}}", \
	"{\"timestamp\":\"2024-05-01T10:01:20Z\",\"src_ip\":\"10.0.0.5\",\"dest_ip\":\"198.51.100.2\",\"dest_port\":443}", \
	"{\"timestamp\":\"2024-05-01T10:01:30Z\",\"src_ip\":\"10.0.0.5\",\"dest_ip\":\"10.0.0.1\",\"dns\":{\"rrname\":\"c2.evil.example\"}}", \
	"{\"timestamp\":\"2024-05-01T10:01:40Z\",\"src_ip\":\"10.0.0.5\",\"dest_ip\":\"198.51.100.3\",\"dest_port\":443}"

#endif
