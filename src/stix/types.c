/*
 * stix/types.c: the STIX 2.1 object types as data.
 *
 * One table row per type (OASIS STIX 2.1, 10 June 2021, sections 4-7):
 * its kind, its properties with their shapes, and a small function for
 * the rules that tie several properties together. Open vocabularies are
 * only checked to be strings; closed vocabularies (enumerations) are
 * checked against their values.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "stix/internal.h"

#define P(n, k, f) { .name = (n), .kind = (k), .flags = (f) }
#define PA(n, k, f, a) { .name = (n), .kind = (k), .flags = (f), .arg = (a) }
#define PI(n, k, f, lo, hi) \
	{ .name = (n), .kind = (k), .flags = (f), .min = (lo), .max = (hi) }
#define PS(n, k, f, s) { .name = (n), .kind = (k), .flags = (f), .sub = (s) }
#define END { .name = NULL }

#define NOMAX INT64_MAX
#define NOMIN INT64_MIN
#define COUNT_MAX 999999999

/* ---- nested structures ---- */

static const struct prop extref_props[] = {
	P("source_name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	P("url", PK_STRING, 0),
	P("hashes", PK_HASHES, 0),
	P("external_id", PK_STRING, 0),
	END
};

static const struct prop granular_props[] = {
	P("selectors", PK_STRINGS, P_REQ),
	PA("marking_ref", PK_REF, 0, "marking-definition"),
	P("lang", PK_STRING, 0),
	END
};

static const struct prop kcp_props[] = {
	P("kill_chain_name", PK_STRING, P_REQ),
	P("phase_name", PK_STRING, P_REQ),
	END
};

#define KILL_CHAIN PS("kill_chain_phases", PK_STRUCT_LIST, 0, kcp_props)

static const struct prop mime_part_props[] = {
	P("body", PK_STRING, 0),
	PA("body_raw_ref", PK_REF, 0, "artifact|file"),
	P("content_type", PK_STRING, 0),
	P("content_disposition", PK_STRING, 0),
	END
};

static const struct prop regval_props[] = {
	P("name", PK_STRING, 0),
	P("data", PK_STRING, 0),
	PA("data_type", PK_ENUM, 0,
	   "REG_NONE|REG_SZ|REG_EXPAND_SZ|REG_BINARY|REG_DWORD|"
	   "REG_DWORD_BIG_ENDIAN|REG_DWORD_LITTLE_ENDIAN|REG_LINK|"
	   "REG_MULTI_SZ|REG_RESOURCE_LIST|REG_FULL_RESOURCE_DESCRIPTION|"
	   "REG_RESOURCE_REQUIREMENTS_LIST|REG_QWORD|REG_INVALID_TYPE"),
	END
};

static const struct prop ads_props[] = {
	P("name", PK_STRING, P_REQ),
	P("hashes", PK_HASHES, 0),
	PI("size", PK_INT, 0, 0, NOMAX),
	END
};

static const struct prop pe_section_props[] = {
	P("name", PK_STRING, P_REQ),
	PI("size", PK_INT, 0, 0, NOMAX),
	PI("entropy", PK_NUMBER, 0, NOMIN, NOMAX),
	P("hashes", PK_HASHES, 0),
	END
};

/* ---- common properties of each kind ---- */

#define COMMON_MARKINGS \
	PA("object_marking_refs", PK_REFS, 0, "marking-definition"), \
	PS("granular_markings", PK_GRANULAR, 0, granular_props)

/* SDOs, SROs, language content and extension definitions (3.2). */
static const struct prop common_sdo[] = {
	PA("created_by_ref", PK_REF, 0, "identity"),
	P("created", PK_TIMESTAMP, P_REQ),
	P("modified", PK_TIMESTAMP, P_REQ),
	P("revoked", PK_BOOL, 0),
	P("labels", PK_STRINGS, 0),
	PI("confidence", PK_INT, 0, 0, 100),
	P("lang", PK_STRING, 0),
	PS("external_references", PK_STRUCT_LIST, 0, extref_props),
	COMMON_MARKINGS,
	P("extensions", PK_EXTENSIONS, 0),
	END
};

/* SCOs (6.1): no created, modified, created_by_ref, ... */
static const struct prop common_sco[] = {
	COMMON_MARKINGS,
	P("defanged", PK_BOOL, 0),
	P("extensions", PK_EXTENSIONS, 0),
	END
};

/* Marking definitions (7.2.1) are never versioned: no modified. */
static const struct prop common_marking[] = {
	PA("created_by_ref", PK_REF, 0, "identity"),
	P("created", PK_TIMESTAMP, P_REQ),
	PS("external_references", PK_STRUCT_LIST, 0, extref_props),
	COMMON_MARKINGS,
	P("extensions", PK_EXTENSIONS, 0),
	END
};

/*
 * Custom and extension-defined types: we cannot tell an SDO from an SCO,
 * so every common property is optional but keeps its shape when present.
 */
const struct prop stix_common_custom[] = {
	PA("created_by_ref", PK_REF, 0, "identity"),
	P("created", PK_TIMESTAMP, 0),
	P("modified", PK_TIMESTAMP, 0),
	P("revoked", PK_BOOL, 0),
	P("labels", PK_STRINGS, 0),
	PI("confidence", PK_INT, 0, 0, 100),
	P("lang", PK_STRING, 0),
	PS("external_references", PK_STRUCT_LIST, 0, extref_props),
	COMMON_MARKINGS,
	P("defanged", PK_BOOL, 0),
	P("extensions", PK_EXTENSIONS, 0),
	END
};

/* ---- SDOs (section 4) ---- */

static const struct prop attack_pattern[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	P("aliases", PK_STRINGS, 0),
	KILL_CHAIN,
	END
};

static const struct prop campaign[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	P("aliases", PK_STRINGS, 0),
	P("first_seen", PK_TIMESTAMP, 0),
	P("last_seen", PK_TIMESTAMP, 0),
	P("objective", PK_STRING, 0),
	END
};

static const struct prop course_of_action[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	END
};

static const struct prop grouping[] = {
	P("name", PK_STRING, 0),
	P("description", PK_STRING, 0),
	P("context", PK_OV, P_REQ),
	PA("object_refs", PK_REFS, P_REQ, NULL),
	END
};

static const struct prop identity[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	P("roles", PK_STRINGS, 0),
	P("identity_class", PK_OV, 0),
	P("sectors", PK_OV_LIST, 0),
	P("contact_information", PK_STRING, 0),
	END
};

static const struct prop incident[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	KILL_CHAIN,
	END
};

static const struct prop indicator[] = {
	P("name", PK_STRING, 0),
	P("description", PK_STRING, 0),
	P("indicator_types", PK_OV_LIST, 0),
	P("pattern", PK_STRING, P_REQ),
	P("pattern_type", PK_OV, P_REQ),
	P("pattern_version", PK_STRING, 0),
	P("valid_from", PK_TIMESTAMP, P_REQ),
	P("valid_until", PK_TIMESTAMP, 0),
	KILL_CHAIN,
	END
};

static const struct prop infrastructure[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	P("infrastructure_types", PK_OV_LIST, 0),
	P("aliases", PK_STRINGS, 0),
	KILL_CHAIN,
	P("first_seen", PK_TIMESTAMP, 0),
	P("last_seen", PK_TIMESTAMP, 0),
	END
};

static const struct prop intrusion_set[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	P("aliases", PK_STRINGS, 0),
	P("first_seen", PK_TIMESTAMP, 0),
	P("last_seen", PK_TIMESTAMP, 0),
	P("goals", PK_STRINGS, 0),
	P("resource_level", PK_OV, 0),
	P("primary_motivation", PK_OV, 0),
	P("secondary_motivations", PK_OV_LIST, 0),
	END
};

static const struct prop location[] = {
	P("name", PK_STRING, 0),
	P("description", PK_STRING, 0),
	PI("latitude", PK_NUMBER, 0, -90, 90),
	PI("longitude", PK_NUMBER, 0, -180, 180),
	PI("precision", PK_NUMBER, 0, 0, NOMAX),
	P("region", PK_OV, 0),
	P("country", PK_STRING, 0),
	P("administrative_area", PK_STRING, 0),
	P("city", PK_STRING, 0),
	P("street_address", PK_STRING, 0),
	P("postal_code", PK_STRING, 0),
	END
};

static const struct prop malware[] = {
	P("name", PK_STRING, 0),
	P("description", PK_STRING, 0),
	P("malware_types", PK_OV_LIST, 0),
	P("is_family", PK_BOOL, P_REQ),
	P("aliases", PK_STRINGS, 0),
	KILL_CHAIN,
	P("first_seen", PK_TIMESTAMP, 0),
	P("last_seen", PK_TIMESTAMP, 0),
	PA("operating_system_refs", PK_REFS, 0, "software"),
	P("architecture_execution_envs", PK_OV_LIST, 0),
	P("implementation_languages", PK_OV_LIST, 0),
	P("capabilities", PK_OV_LIST, 0),
	PA("sample_refs", PK_REFS, 0, "file|artifact"),
	END
};

static const struct prop malware_analysis[] = {
	P("product", PK_STRING, P_REQ),
	P("version", PK_STRING, 0),
	PA("host_vm_ref", PK_REF, 0, "software"),
	PA("operating_system_ref", PK_REF, 0, "software"),
	PA("installed_software_refs", PK_REFS, 0, "software"),
	P("configuration_version", PK_STRING, 0),
	P("modules", PK_STRINGS, 0),
	P("analysis_engine_version", PK_STRING, 0),
	P("analysis_definition_version", PK_STRING, 0),
	P("submitted", PK_TIMESTAMP, 0),
	P("analysis_started", PK_TIMESTAMP, 0),
	P("analysis_ended", PK_TIMESTAMP, 0),
	P("result_name", PK_STRING, 0),
	P("result", PK_OV, 0),
	PA("analysis_sco_refs", PK_REFS, 0, "@sco"),
	PA("sample_ref", PK_REF, 0, "file|artifact|network-traffic"),
	END
};

static const struct prop note[] = {
	P("abstract", PK_STRING, 0),
	P("content", PK_STRING, P_REQ),
	P("authors", PK_STRINGS, 0),
	PA("object_refs", PK_REFS, P_REQ, NULL),
	END
};

static const struct prop observed_data[] = {
	P("first_observed", PK_TIMESTAMP, P_REQ),
	P("last_observed", PK_TIMESTAMP, P_REQ),
	PI("number_observed", PK_INT, P_REQ, 1, COUNT_MAX),
	P("objects", PK_DICT, 0),
	PA("object_refs", PK_REFS, 0, "@sco|relationship"),
	END
};

static const struct prop opinion[] = {
	P("explanation", PK_STRING, 0),
	P("authors", PK_STRINGS, 0),
	PA("opinion", PK_ENUM, P_REQ,
	   "strongly-disagree|disagree|neutral|agree|strongly-agree"),
	PA("object_refs", PK_REFS, P_REQ, NULL),
	END
};

static const struct prop report[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	P("report_types", PK_OV_LIST, 0),
	P("published", PK_TIMESTAMP, P_REQ),
	PA("object_refs", PK_REFS, P_REQ, NULL),
	END
};

static const struct prop threat_actor[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	P("threat_actor_types", PK_OV_LIST, 0),
	P("aliases", PK_STRINGS, 0),
	P("first_seen", PK_TIMESTAMP, 0),
	P("last_seen", PK_TIMESTAMP, 0),
	P("roles", PK_OV_LIST, 0),
	P("goals", PK_STRINGS, 0),
	P("sophistication", PK_OV, 0),
	P("resource_level", PK_OV, 0),
	P("primary_motivation", PK_OV, 0),
	P("secondary_motivations", PK_OV_LIST, 0),
	P("personal_motivations", PK_OV_LIST, 0),
	END
};

static const struct prop tool[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	P("tool_types", PK_OV_LIST, 0),
	P("aliases", PK_STRINGS, 0),
	KILL_CHAIN,
	P("tool_version", PK_STRING, 0),
	END
};

static const struct prop vulnerability[] = {
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	END
};

/* ---- SROs (section 5) ---- */

static const struct prop relationship[] = {
	P("relationship_type", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	PA("source_ref", PK_REF, P_REQ, "@sdo|@sco"),
	PA("target_ref", PK_REF, P_REQ, "@sdo|@sco"),
	P("start_time", PK_TIMESTAMP, 0),
	P("stop_time", PK_TIMESTAMP, 0),
	END
};

static const struct prop sighting[] = {
	P("description", PK_STRING, 0),
	P("first_seen", PK_TIMESTAMP, 0),
	P("last_seen", PK_TIMESTAMP, 0),
	PI("count", PK_INT, 0, 0, COUNT_MAX),
	PA("sighting_of_ref", PK_REF, P_REQ, "@sdo"),
	PA("observed_data_refs", PK_REFS, 0, "observed-data"),
	PA("where_sighted_refs", PK_REFS, 0, "identity|location"),
	P("summary", PK_BOOL, 0),
	END
};

/* ---- SCOs (section 6) ---- */

static const struct prop artifact[] = {
	P("mime_type", PK_STRING, 0),
	P("payload_bin", PK_BINARY, 0),
	P("url", PK_STRING, 0),
	P("hashes", PK_HASHES, 0),
	PA("encryption_algorithm", PK_ENUM, 0,
	   "AES-256-GCM|ChaCha20-Poly1305|mime-type-indicated"),
	P("decryption_key", PK_STRING, 0),
	END
};

static const struct prop autonomous_system[] = {
	PI("number", PK_INT, P_REQ, 0, 4294967295LL),
	P("name", PK_STRING, 0),
	P("rir", PK_STRING, 0),
	END
};

static const struct prop directory[] = {
	P("path", PK_STRING, P_REQ),
	P("path_enc", PK_STRING, 0),
	P("ctime", PK_TIMESTAMP, 0),
	P("mtime", PK_TIMESTAMP, 0),
	P("atime", PK_TIMESTAMP, 0),
	PA("contains_refs", PK_REFS, 0, "file|directory"),
	END
};

static const struct prop domain_name[] = {
	P("value", PK_STRING, P_REQ),
	PA("resolves_to_refs", PK_REFS, 0, "ipv4-addr|ipv6-addr|domain-name"),
	END
};

static const struct prop email_addr[] = {
	P("value", PK_STRING, P_REQ),
	P("display_name", PK_STRING, 0),
	PA("belongs_to_ref", PK_REF, 0, "user-account"),
	END
};

static const struct prop email_message[] = {
	P("is_multipart", PK_BOOL, P_REQ),
	P("date", PK_TIMESTAMP, 0),
	P("content_type", PK_STRING, 0),
	PA("from_ref", PK_REF, 0, "email-addr"),
	PA("sender_ref", PK_REF, 0, "email-addr"),
	PA("to_refs", PK_REFS, 0, "email-addr"),
	PA("cc_refs", PK_REFS, 0, "email-addr"),
	PA("bcc_refs", PK_REFS, 0, "email-addr"),
	P("message_id", PK_STRING, 0),
	P("subject", PK_STRING, 0),
	P("received_lines", PK_STRINGS, 0),
	P("additional_header_fields", PK_DICT, 0),
	P("body", PK_STRING, 0),
	PS("body_multipart", PK_STRUCT_LIST, 0, mime_part_props),
	PA("raw_email_ref", PK_REF, 0, "artifact"),
	END
};

static const struct prop file[] = {
	P("hashes", PK_HASHES, 0),
	PI("size", PK_INT, 0, 0, NOMAX),
	P("name", PK_STRING, 0),
	P("name_enc", PK_STRING, 0),
	P("magic_number_hex", PK_HEX, 0),
	P("mime_type", PK_STRING, 0),
	P("ctime", PK_TIMESTAMP, 0),
	P("mtime", PK_TIMESTAMP, 0),
	P("atime", PK_TIMESTAMP, 0),
	PA("parent_directory_ref", PK_REF, 0, "directory"),
	PA("contains_refs", PK_REFS, 0, "@sco"),
	PA("content_ref", PK_REF, 0, "artifact"),
	END
};

static const struct prop ipv4_addr[] = {
	P("value", PK_STRING, P_REQ),
	PA("resolves_to_refs", PK_REFS, 0, "mac-addr"),
	PA("belongs_to_refs", PK_REFS, 0, "autonomous-system"),
	END
};

static const struct prop ipv6_addr[] = {
	P("value", PK_STRING, P_REQ),
	PA("resolves_to_refs", PK_REFS, 0, "mac-addr"),
	PA("belongs_to_refs", PK_REFS, 0, "autonomous-system"),
	END
};

static const struct prop mac_addr[] = {
	P("value", PK_STRING, P_REQ),
	END
};

static const struct prop mutex[] = {
	P("name", PK_STRING, P_REQ),
	END
};

#define NET_ADDR "ipv4-addr|ipv6-addr|mac-addr|domain-name"

static const struct prop network_traffic[] = {
	P("start", PK_TIMESTAMP, 0),
	P("end", PK_TIMESTAMP, 0),
	P("is_active", PK_BOOL, 0),
	PA("src_ref", PK_REF, 0, NET_ADDR),
	PA("dst_ref", PK_REF, 0, NET_ADDR),
	PI("src_port", PK_INT, 0, 0, 65535),
	PI("dst_port", PK_INT, 0, 0, 65535),
	P("protocols", PK_STRINGS, P_REQ),
	PI("src_byte_count", PK_INT, 0, 0, NOMAX),
	PI("dst_byte_count", PK_INT, 0, 0, NOMAX),
	PI("src_packets", PK_INT, 0, 0, NOMAX),
	PI("dst_packets", PK_INT, 0, 0, NOMAX),
	P("ipfix", PK_DICT, 0),
	PA("src_payload_ref", PK_REF, 0, "artifact"),
	PA("dst_payload_ref", PK_REF, 0, "artifact"),
	PA("encapsulates_refs", PK_REFS, 0, "network-traffic"),
	PA("encapsulated_by_ref", PK_REF, 0, "network-traffic"),
	END
};

static const struct prop process[] = {
	P("is_hidden", PK_BOOL, 0),
	PI("pid", PK_INT, 0, NOMIN, NOMAX),
	P("created_time", PK_TIMESTAMP, 0),
	P("cwd", PK_STRING, 0),
	P("command_line", PK_STRING, 0),
	P("environment_variables", PK_DICT, 0),
	PA("opened_connection_refs", PK_REFS, 0, "network-traffic"),
	PA("creator_user_ref", PK_REF, 0, "user-account"),
	PA("image_ref", PK_REF, 0, "file"),
	PA("parent_ref", PK_REF, 0, "process"),
	PA("child_refs", PK_REFS, 0, "process"),
	END
};

static const struct prop software[] = {
	P("name", PK_STRING, P_REQ),
	P("cpe", PK_STRING, 0),
	P("swid", PK_STRING, 0),
	P("languages", PK_STRINGS, 0),
	P("vendor", PK_STRING, 0),
	P("version", PK_STRING, 0),
	END
};

static const struct prop url[] = {
	P("value", PK_STRING, P_REQ),
	END
};

static const struct prop user_account[] = {
	P("user_id", PK_STRING, 0),
	P("credential", PK_STRING, 0),
	P("account_login", PK_STRING, 0),
	P("account_type", PK_OV, 0),
	P("display_name", PK_STRING, 0),
	P("is_service_account", PK_BOOL, 0),
	P("is_privileged", PK_BOOL, 0),
	P("can_escalate_privs", PK_BOOL, 0),
	P("is_disabled", PK_BOOL, 0),
	P("account_created", PK_TIMESTAMP, 0),
	P("account_expires", PK_TIMESTAMP, 0),
	P("credential_last_changed", PK_TIMESTAMP, 0),
	P("account_first_login", PK_TIMESTAMP, 0),
	P("account_last_login", PK_TIMESTAMP, 0),
	END
};

static const struct prop windows_registry_key[] = {
	P("key", PK_STRING, 0),
	PS("values", PK_STRUCT_LIST, 0, regval_props),
	P("modified_time", PK_TIMESTAMP, 0),
	PA("creator_user_ref", PK_REF, 0, "user-account"),
	PI("number_of_subkeys", PK_INT, 0, 0, NOMAX),
	END
};

static const struct prop x509_certificate[] = {
	P("is_self_signed", PK_BOOL, 0),
	P("hashes", PK_HASHES, 0),
	P("version", PK_STRING, 0),
	P("serial_number", PK_STRING, 0),
	P("signature_algorithm", PK_STRING, 0),
	P("issuer", PK_STRING, 0),
	P("validity_not_before", PK_TIMESTAMP, 0),
	P("validity_not_after", PK_TIMESTAMP, 0),
	P("subject", PK_STRING, 0),
	P("subject_public_key_algorithm", PK_STRING, 0),
	P("subject_public_key_modulus", PK_STRING, 0),
	PI("subject_public_key_exponent", PK_INT, 0, 0, NOMAX),
	P("x509_v3_extensions", PK_DICT, 0),
	END
};

/* ---- meta objects (section 7) ---- */

static const struct prop marking_definition[] = {
	P("name", PK_STRING, 0),
	P("definition_type", PK_STRING, 0),
	P("definition", PK_DICT, 0),
	END
};

static const struct prop language_content[] = {
	PA("object_ref", PK_REF, P_REQ, NULL),
	P("object_modified", PK_TIMESTAMP, 0),
	P("contents", PK_DICT, P_REQ),
	END
};

static const struct prop extension_definition[] = {
	PA("created_by_ref", PK_REF, P_REQ, "identity"),
	P("name", PK_STRING, P_REQ),
	P("description", PK_STRING, 0),
	P("schema", PK_STRING, P_REQ),
	P("version", PK_STRING, P_REQ),
	PA("extension_types", PK_ENUM_LIST, P_REQ,
	   "new-sdo|new-sco|new-sro|property-extension|"
	   "toplevel-property-extension"),
	P("extension_properties", PK_STRINGS, 0),
	END
};

/* ---- predefined SCO extensions (section 6) ---- */

static const struct prop archive_ext[] = {
	PA("contains_refs", PK_REFS, P_REQ, "file|directory"),
	P("comment", PK_STRING, 0),
	END
};

static const struct prop ntfs_ext[] = {
	P("sid", PK_STRING, 0),
	PS("alternate_data_streams", PK_STRUCT_LIST, 0, ads_props),
	END
};

static const struct prop pdf_ext[] = {
	P("version", PK_STRING, 0),
	P("is_optimized", PK_BOOL, 0),
	P("document_info_dict", PK_DICT, 0),
	P("pdfid0", PK_STRING, 0),
	P("pdfid1", PK_STRING, 0),
	END
};

static const struct prop raster_image_ext[] = {
	PI("image_height", PK_INT, 0, 0, NOMAX),
	PI("image_width", PK_INT, 0, 0, NOMAX),
	PI("bits_per_pixel", PK_INT, 0, 0, NOMAX),
	P("exif_tags", PK_DICT, 0),
	END
};

static const struct prop pebinary_ext[] = {
	P("pe_type", PK_OV, P_REQ),
	P("imphash", PK_STRING, 0),
	P("machine_hex", PK_HEX, 0),
	PI("number_of_sections", PK_INT, 0, 0, NOMAX),
	P("time_date_stamp", PK_TIMESTAMP, 0),
	P("pointer_to_symbol_table_hex", PK_HEX, 0),
	PI("number_of_symbols", PK_INT, 0, 0, NOMAX),
	PI("size_of_optional_header", PK_INT, 0, 0, NOMAX),
	P("characteristics_hex", PK_HEX, 0),
	P("optional_header", PK_DICT, 0),
	PS("sections", PK_STRUCT_LIST, 0, pe_section_props),
	END
};

static const struct prop http_request_ext[] = {
	P("request_method", PK_STRING, P_REQ),
	P("request_value", PK_STRING, P_REQ),
	P("request_version", PK_STRING, 0),
	P("request_header", PK_DICT, 0),
	PI("message_body_length", PK_INT, 0, 0, NOMAX),
	PA("message_body_data_ref", PK_REF, 0, "artifact"),
	END
};

static const struct prop icmp_ext[] = {
	P("icmp_type_hex", PK_HEX, P_REQ),
	P("icmp_code_hex", PK_HEX, P_REQ),
	END
};

static const struct prop socket_ext[] = {
	PA("address_family", PK_ENUM, P_REQ,
	   "AF_UNSPEC|AF_INET|AF_IPX|AF_APPLETALK|AF_NETBIOS|AF_INET6|"
	   "AF_IRDA|AF_BTH"),
	P("is_blocking", PK_BOOL, 0),
	P("is_listening", PK_BOOL, 0),
	P("options", PK_DICT, 0),
	PA("socket_type", PK_ENUM, 0,
	   "SOCK_STREAM|SOCK_DGRAM|SOCK_RAW|SOCK_RDM|SOCK_SEQPACKET"),
	PI("socket_descriptor", PK_INT, 0, 0, NOMAX),
	PI("socket_handle", PK_INT, 0, NOMIN, NOMAX),
	END
};

static const struct prop tcp_ext[] = {
	P("src_flags_hex", PK_HEX, 0),
	P("dst_flags_hex", PK_HEX, 0),
	END
};

static const struct prop windows_process_ext[] = {
	P("aslr_enabled", PK_BOOL, 0),
	P("dep_enabled", PK_BOOL, 0),
	P("priority", PK_STRING, 0),
	P("owner_sid", PK_STRING, 0),
	P("window_title", PK_STRING, 0),
	P("startup_info", PK_DICT, 0),
	PA("integrity_level", PK_ENUM, 0, "low|medium|high|system"),
	END
};

static const struct prop windows_service_ext[] = {
	P("service_name", PK_STRING, 0),
	P("descriptions", PK_STRINGS, 0),
	P("display_name", PK_STRING, 0),
	P("group_name", PK_STRING, 0),
	PA("start_type", PK_ENUM, 0,
	   "SERVICE_AUTO_START|SERVICE_BOOT_START|SERVICE_DEMAND_START|"
	   "SERVICE_DISABLED|SERVICE_SYSTEM_ALERT"),
	PA("service_dll_refs", PK_REFS, 0, "file"),
	PA("service_type", PK_ENUM, 0,
	   "SERVICE_KERNEL_DRIVER|SERVICE_FILE_SYSTEM_DRIVER|"
	   "SERVICE_WIN32_OWN_PROCESS|SERVICE_WIN32_SHARE_PROCESS"),
	PA("service_status", PK_ENUM, 0,
	   "SERVICE_CONTINUE_PENDING|SERVICE_PAUSE_PENDING|SERVICE_PAUSED|"
	   "SERVICE_RUNNING|SERVICE_START_PENDING|SERVICE_STOP_PENDING|"
	   "SERVICE_STOPPED"),
	END
};

static const struct prop unix_account_ext[] = {
	PI("gid", PK_INT, 0, NOMIN, NOMAX),
	P("groups", PK_STRINGS, 0),
	P("home_dir", PK_STRING, 0),
	P("shell", PK_STRING, 0),
	END
};

static const struct stix_ext exts[] = {
	{ "archive-ext", "file", 0, archive_ext },
	{ "ntfs-ext", "file", T_AT_LEAST_ONE, ntfs_ext },
	{ "pdf-ext", "file", T_AT_LEAST_ONE, pdf_ext },
	{ "raster-image-ext", "file", T_AT_LEAST_ONE, raster_image_ext },
	{ "windows-pebinary-ext", "file", 0, pebinary_ext },
	{ "http-request-ext", "network-traffic", 0, http_request_ext },
	{ "icmp-ext", "network-traffic", 0, icmp_ext },
	{ "socket-ext", "network-traffic", 0, socket_ext },
	{ "tcp-ext", "network-traffic", T_AT_LEAST_ONE, tcp_ext },
	{ "windows-process-ext", "process", T_AT_LEAST_ONE,
	  windows_process_ext },
	{ "windows-service-ext", "process", T_AT_LEAST_ONE,
	  windows_service_ext },
	{ "unix-account-ext", "user-account", T_AT_LEAST_ONE,
	  unix_account_ext },
};

/* ---- rules across properties ---- */

static int has(const json_t *obj, const char *name)
{
	return json_object_get(obj, name) != NULL;
}

static int is_true(const json_t *obj, const char *name)
{
	return json_is_true(json_object_get(obj, name));
}

static tx_err invalid(struct tx_error *err, const char *msg)
{
	return tx_error_set(err, TX_ERR_INVALID, "%s", msg);
}

static tx_err check_location(const json_t *obj, struct tx_error *err)
{
	int lat = has(obj, "latitude"), lon = has(obj, "longitude");

	if (lat && !lon)
		return invalid(err, "longitude: required with latitude");
	if (lon && !lat)
		return invalid(err, "latitude: required with longitude");
	if (has(obj, "precision") && !lat)
		return invalid(err, "precision: requires latitude and longitude");
	if (!lat && !has(obj, "region") && !has(obj, "country"))
		return invalid(err, "region: required property missing "
				    "(or country, or latitude and longitude)");
	return TX_OK;
}

static tx_err check_malware(const json_t *obj, struct tx_error *err)
{
	if (is_true(obj, "is_family") && !has(obj, "name"))
		return invalid(err, "name: required property missing "
				    "(is_family is true)");
	return TX_OK;
}

static tx_err check_malware_analysis(const json_t *obj, struct tx_error *err)
{
	if (!has(obj, "result") && !has(obj, "analysis_sco_refs"))
		return invalid(err, "result: required property missing "
				    "(or analysis_sco_refs)");
	return TX_OK;
}

static tx_err check_observed_data(const json_t *obj, struct tx_error *err)
{
	const json_t *objects = json_object_get(obj, "objects");
	const char *key;
	const json_t *v;

	if (objects == NULL) {
		if (!has(obj, "object_refs"))
			return invalid(err, "object_refs: required property "
					    "missing");
		return TX_OK;
	}
	if (has(obj, "object_refs"))
		return invalid(err, "objects: not allowed with object_refs");
	if (json_object_size(objects) == 0)
		return invalid(err, "objects: must not be empty");
	/* The deprecated observable container (2.0 style): keys are local
	 * references, values SCOs without ids. Only the shape is checked. */
	json_object_foreach((json_t *)objects, key, v) {
		if (!json_is_object(v) || !json_is_string(json_object_get(v, "type")))
			return invalid(err, "objects: each value must be an "
					    "object with a type");
	}
	return TX_OK;
}

static tx_err check_artifact(const json_t *obj, struct tx_error *err)
{
	int bin = has(obj, "payload_bin"), u = has(obj, "url");

	if (bin && u)
		return invalid(err, "url: not allowed with payload_bin");
	if (!bin && !u)
		return invalid(err, "payload_bin: required property missing "
				    "(or url)");
	if (u && !has(obj, "hashes"))
		return invalid(err, "hashes: required when url is present");
	if (has(obj, "decryption_key") && !has(obj, "encryption_algorithm"))
		return invalid(err, "decryption_key: not allowed without "
				    "encryption_algorithm");
	return TX_OK;
}

static tx_err check_email_message(const json_t *obj, struct tx_error *err)
{
	int multi = is_true(obj, "is_multipart");

	if (multi && has(obj, "body"))
		return invalid(err, "body: not allowed when is_multipart is "
				    "true");
	if (!multi && has(obj, "body_multipart"))
		return invalid(err, "body_multipart: not allowed when "
				    "is_multipart is false");
	return TX_OK;
}

static tx_err check_file(const json_t *obj, struct tx_error *err)
{
	if (!has(obj, "hashes") && !has(obj, "name"))
		return invalid(err, "hashes: required property missing "
				    "(or name)");
	return TX_OK;
}

/* value of an ipv4-addr or ipv6-addr: an address or a CIDR block. */
static tx_err check_ip_value(const json_t *obj, int af, struct tx_error *err)
{
	const char *s = stix_json_str(json_object_get(obj, "value"));
	unsigned char addr[16];
	char buf[64];
	const char *slash;
	size_t alen;
	long bits = 0;
	int maxbits = af == AF_INET ? 32 : 128;

	if (s == NULL)
		goto bad;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		goto bad;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(af, buf, addr) != 1)
		goto bad;
	if (slash) {
		const char *p = slash + 1;

		if (*p == '\0' || strlen(p) > 3)
			goto bad;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				goto bad;
			bits = bits * 10 + (*p - '0');
		}
		if (bits > maxbits)
			goto bad;
	}
	return TX_OK;
bad:
	return tx_error_set(err, TX_ERR_INVALID, "value: not an %s address "
			    "or CIDR block", af == AF_INET ? "IPv4" : "IPv6");
}

static tx_err check_ipv4(const json_t *obj, struct tx_error *err)
{
	return check_ip_value(obj, AF_INET, err);
}

static tx_err check_ipv6(const json_t *obj, struct tx_error *err)
{
	return check_ip_value(obj, AF_INET6, err);
}

/* 6.8: a single colon-delimited, lower-case MAC-48 with leading zeros. */
static tx_err check_mac(const json_t *obj, struct tx_error *err)
{
	const char *s = stix_json_str(json_object_get(obj, "value"));

	if (s == NULL || strlen(s) != 17)
		goto bad;
	for (int i = 0; i < 17; i++) {
		char c = s[i];

		if (i % 3 == 2) {
			if (c != ':')
				goto bad;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			goto bad;
		}
	}
	return TX_OK;
bad:
	return invalid(err, "value: not a lower-case, colon-delimited MAC-48 "
			    "address");
}

static tx_err check_network_traffic(const json_t *obj, struct tx_error *err)
{
	if (!has(obj, "src_ref") && !has(obj, "dst_ref"))
		return invalid(err, "src_ref: required property missing "
				    "(or dst_ref)");
	if (is_true(obj, "is_active") && has(obj, "end"))
		return invalid(err, "end: not allowed when is_active is true");
	return TX_OK;
}

/* TLP 1.0 markings: the four fixed marking definitions of 7.2.1.4. */
static const struct {
	const char *color;
	const char *id;
} tlp_ids[] = {
	{ "white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" },
	{ "green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" },
	{ "amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" },
	{ "red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" },
};

static tx_err check_marking(const json_t *obj, struct tx_error *err)
{
	const char *dtype = stix_json_str(json_object_get(obj, "definition_type"));
	const json_t *def = json_object_get(obj, "definition");
	const char *id = stix_json_str(json_object_get(obj, "id"));
	const char *s;

	if (json_object_get(obj, "definition_type") == NULL) {
		if (def != NULL)
			return invalid(err, "definition_type: required with "
					    "definition");
		/* 7.2.1: new markings are defined through extensions. */
		if (!has(obj, "extensions"))
			return invalid(err, "definition_type: required property "
					    "missing (or extensions)");
		return TX_OK;
	}
	if (dtype == NULL)
		return invalid(err, "definition_type: must be a string");
	if (def == NULL)
		return invalid(err, "definition: required property missing");
	if (strcmp(dtype, "statement") == 0) {
		if (!json_is_string(json_object_get(def, "statement")))
			return invalid(err, "definition.statement: required "
					    "property missing");
	} else if (strcmp(dtype, "tlp") == 0) {
		s = stix_json_str(json_object_get(def, "tlp"));
		if (s == NULL)
			return invalid(err, "definition.tlp: required property "
					    "missing");
		for (size_t i = 0; i < sizeof(tlp_ids) / sizeof(tlp_ids[0]); i++) {
			if (strcmp(s, tlp_ids[i].color) != 0)
				continue;
			if (id == NULL || strcmp(id, tlp_ids[i].id) != 0)
				return tx_error_set(err, TX_ERR_INVALID,
						    "id: not the TLP:%s marking "
						    "definition", tlp_ids[i].color);
			return TX_OK;
		}
		return invalid(err, "definition.tlp: must be one of: white, "
				    "green, amber, red");
	}
	return TX_OK;
}

static tx_err check_language_content(const json_t *obj, struct tx_error *err)
{
	const json_t *contents = json_object_get(obj, "contents");
	const char *key;
	const json_t *v;

	if (json_object_size(contents) == 0)
		return invalid(err, "contents: must not be empty");
	json_object_foreach((json_t *)contents, key, v) {
		if (!json_is_object(v) || json_object_size(v) == 0)
			return invalid(err, "contents: each language must map "
					    "to a non-empty dictionary");
	}
	return TX_OK;
}

/* ---- the type table ---- */

#define SDO(n, t, c) { n, STIX_KIND_SDO, 0, common_sdo, t, c }
#define SCO(n, t, f, c) { n, STIX_KIND_SCO, f, common_sco, t, c }

static const struct stix_type types[] = {
	SDO("attack-pattern", attack_pattern, NULL),
	SDO("campaign", campaign, NULL),
	SDO("course-of-action", course_of_action, NULL),
	SDO("grouping", grouping, NULL),
	SDO("identity", identity, NULL),
	SDO("incident", incident, NULL),
	SDO("indicator", indicator, NULL),
	SDO("infrastructure", infrastructure, NULL),
	SDO("intrusion-set", intrusion_set, NULL),
	SDO("location", location, check_location),
	SDO("malware", malware, check_malware),
	SDO("malware-analysis", malware_analysis, check_malware_analysis),
	SDO("note", note, NULL),
	SDO("observed-data", observed_data, check_observed_data),
	SDO("opinion", opinion, NULL),
	SDO("report", report, NULL),
	SDO("threat-actor", threat_actor, NULL),
	SDO("tool", tool, NULL),
	SDO("vulnerability", vulnerability, NULL),

	{ "relationship", STIX_KIND_SRO, 0, common_sdo, relationship, NULL },
	{ "sighting", STIX_KIND_SRO, 0, common_sdo, sighting, NULL },

	SCO("artifact", artifact, 0, check_artifact),
	SCO("autonomous-system", autonomous_system, 0, NULL),
	SCO("directory", directory, 0, NULL),
	SCO("domain-name", domain_name, 0, NULL),
	SCO("email-addr", email_addr, 0, NULL),
	SCO("email-message", email_message, 0, check_email_message),
	SCO("file", file, 0, check_file),
	SCO("ipv4-addr", ipv4_addr, 0, check_ipv4),
	SCO("ipv6-addr", ipv6_addr, 0, check_ipv6),
	SCO("mac-addr", mac_addr, 0, check_mac),
	SCO("mutex", mutex, 0, NULL),
	SCO("network-traffic", network_traffic, 0, check_network_traffic),
	SCO("process", process, T_AT_LEAST_ONE, NULL),
	SCO("software", software, 0, NULL),
	SCO("url", url, 0, NULL),
	SCO("user-account", user_account, T_AT_LEAST_ONE, NULL),
	SCO("windows-registry-key", windows_registry_key, T_AT_LEAST_ONE, NULL),
	SCO("x509-certificate", x509_certificate, T_AT_LEAST_ONE, NULL),

	{ "marking-definition", STIX_KIND_META, 0, common_marking,
	  marking_definition, check_marking },
	{ "language-content", STIX_KIND_META, 0, common_sdo, language_content,
	  check_language_content },
	{ "extension-definition", STIX_KIND_META, 0, common_sdo,
	  extension_definition, NULL },
};

/* The table row of a STIX 2.1 type (borrowed, static), NULL for others. */
const struct stix_type *stix_type_find(const char *type)
{
	if (type == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, type) == 0)
			return &types[i];
	return NULL;
}

/* The predefined SCO extension called name (static), NULL for others. */
const struct stix_ext *stix_ext_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strcmp(exts[i].name, name) == 0)
			return &exts[i];
	return NULL;
}

/*
 * The kind of a type defined by STIX 2.1: SDO, SRO, SCO or META.
 * STIX_KIND_UNKNOWN for custom and extension-defined types and for NULL.
 */
enum stix_kind stix_type_kind(const char *type)
{
	const struct stix_type *t = stix_type_find(type);

	return t ? t->kind : STIX_KIND_UNKNOWN;
}
