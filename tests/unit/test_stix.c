/*
 * Unit tests of stix/: type kinds, identifiers, and stix_validate on a
 * valid example of every STIX 2.1 type, a table of invalid objects with
 * the message each must produce, and (when $TRILEX_SHARED holds them)
 * the MITRE ATT&CK for ICS bundle and the OASIS example bundles.
 *
 * JSON literals are written with ` for " so they stay readable in C;
 * json_bt() turns them back before parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stix/stix.h"

/* ---- identifiers used in the examples ---- */

#define ID_IDENTITY "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
#define ID_INDICATOR "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define ID_MALWARE "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
#define ID_CAMPAIGN "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define ID_OBSERVED "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"
#define ID_TLP_GREEN "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define ID_EXTDEF "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
#define ID_IPV4 "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
#define ID_IPV4B "ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53"
#define ID_FILE "file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"
#define ID_ARTIFACT "artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641"
#define ID_EMAIL_ADDR "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3"
#define ID_SOFTWARE "software--a1827f6d-ca53-5605-9e93-4316cd22a00a"
#define ID_REL "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"

#define SDO_TIMES "`spec_version`:`2.1`,`created`:`2016-04-06T20:03:00.000Z`," \
	"`modified`:`2016-04-06T20:03:48.000Z`"
#define SHA256 "4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877"

/* ---- SDOs ---- */

#define V_ATTACK_PATTERN "{`type`:`attack-pattern`,`id`:`attack-pattern--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061`," SDO_TIMES \
	",`name`:`Spear Phishing`,`external_references`:[{`source_name`:`capec`,`external_id`:`CAPEC-163`}]," \
	"`kill_chain_phases`:[{`kill_chain_name`:`lockheed-martin-cyber-kill-chain`,`phase_name`:`reconnaissance`}]}"
#define V_CAMPAIGN "{`type`:`campaign`,`id`:`" ID_CAMPAIGN "`," SDO_TIMES ",`created_by_ref`:`" ID_IDENTITY "`," \
	"`name`:`Green Group Attacks Against Finance`,`first_seen`:`2016-01-01T00:00:00Z`," \
	"`last_seen`:`2016-02-01T00:00:00Z`,`objective`:`money`}"
#define V_COA "{`type`:`course-of-action`,`id`:`course-of-action--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`," SDO_TIMES \
	",`name`:`Add TCP port 80 Filter Rule to the existing Block UDP 1434 Filter`,`description`:`...`}"
#define V_GROUPING "{`type`:`grouping`,`id`:`grouping--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3`," SDO_TIMES \
	",`name`:`The Black Vine Cyberespionage Group`,`context`:`suspicious-activity`," \
	"`object_refs`:[`" ID_INDICATOR "`,`" ID_CAMPAIGN "`]}"
#define V_IDENTITY "{`type`:`identity`,`id`:`" ID_IDENTITY "`," SDO_TIMES \
	",`name`:`John Smith`,`identity_class`:`individual`,`sectors`:[`technology`],`roles`:[`analyst`]}"
#define V_INCIDENT "{`type`:`incident`,`id`:`incident--26ffb872-1dd9-446e-b6f5-d58527e5b5d2`," SDO_TIMES \
	",`name`:`Breach of HR`,`kill_chain_phases`:[{`kill_chain_name`:`mitre-attack`,`phase_name`:`exfiltration`}]}"
#define V_INDICATOR "{`type`:`indicator`,`id`:`" ID_INDICATOR "`," SDO_TIMES ",`created_by_ref`:`" ID_IDENTITY "`," \
	"`name`:`Poison Ivy Malware`,`indicator_types`:[`malicious-activity`]," \
	"`pattern`:`[file:hashes.'SHA-256' = '" SHA256 "']`,`pattern_type`:`stix`," \
	"`valid_from`:`2016-01-01T00:00:00Z`,`valid_until`:`2017-01-01T00:00:00.5Z`," \
	"`object_marking_refs`:[`" ID_TLP_GREEN "`],`confidence`:85,`lang`:`en`,`labels`:[`apt`]," \
	"`granular_markings`:[{`selectors`:[`description`,`labels.[0]`],`marking_ref`:`" ID_TLP_GREEN "`}," \
	"{`selectors`:[`name`],`lang`:`en`}]}"
#define V_INFRASTRUCTURE "{`type`:`infrastructure`,`id`:`infrastructure--38c47d93-d984-4fd9-b87b-d69d0841628d`," \
	SDO_TIMES ",`name`:`Poison Ivy C2`,`infrastructure_types`:[`command-and-control`]," \
	"`first_seen`:`2016-01-01T00:00:00Z`,`last_seen`:`2016-01-01T00:00:00Z`}"
#define V_INTRUSION_SET "{`type`:`intrusion-set`,`id`:`intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29`," \
	SDO_TIMES ",`name`:`Bobcat Breakin`,`aliases`:[`Zookeeper`],`goals`:[`acquisition-theft`]," \
	"`resource_level`:`government`,`primary_motivation`:`organizational-gain`," \
	"`secondary_motivations`:[`personal-gain`]}"
#define V_LOCATION "{`type`:`location`,`id`:`location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64`," SDO_TIMES \
	",`region`:`south-eastern-asia`,`country`:`th`}"
#define V_LOCATION_LL "{`type`:`location`,`id`:`location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d65`," SDO_TIMES \
	",`latitude`:48.8566,`longitude`:2.3522,`precision`:1000.0}"
#define V_MALWARE "{`type`:`malware`,`id`:`" ID_MALWARE "`," SDO_TIMES ",`name`:`Cryptolocker`," \
	"`malware_types`:[`ransomware`],`is_family`:true,`sample_refs`:[`" ID_FILE "`]," \
	"`operating_system_refs`:[`" ID_SOFTWARE "`],`capabilities`:[`evades-av`,`something-new`]}"
#define V_MALWARE_NONAME "{`type`:`malware`,`id`:`malware--31b940d4-6f7f-459a-80ea-9c1f17b5891c`," SDO_TIMES \
	",`is_family`:false}"
#define V_MALWARE_ANALYSIS "{`type`:`malware-analysis`,`id`:`malware-analysis--d25167b7-fed0-4068-9ccd-a73dd2c5b07c`," \
	SDO_TIMES ",`product`:`microsoft`,`analysis_engine_version`:`5.1.0`,`result`:`malicious`," \
	"`sample_ref`:`" ID_FILE "`,`host_vm_ref`:`" ID_SOFTWARE "`," \
	"`analysis_started`:`2018-01-01T00:00:00Z`,`analysis_ended`:`2018-01-01T00:05:00Z`}"
#define V_NOTE "{`type`:`note`,`id`:`note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061`," SDO_TIMES \
	",`abstract`:`Tracking Team Note#1`,`content`:`This note indicates ...`,`authors`:[`John Doe`]," \
	"`object_refs`:[`" ID_CAMPAIGN "`]}"
#define V_OBSERVED "{`type`:`observed-data`,`id`:`" ID_OBSERVED "`," SDO_TIMES \
	",`first_observed`:`2015-12-21T19:00:00Z`,`last_observed`:`2015-12-21T19:00:00Z`," \
	"`number_observed`:50,`object_refs`:[`" ID_IPV4 "`,`" ID_REL "`]}"
#define V_OBSERVED_OLD "{`type`:`observed-data`,`id`:`observed-data--b67d30ff-02ac-498a-92f9-32f845f448ce`," \
	SDO_TIMES ",`first_observed`:`2015-12-21T19:00:00Z`,`last_observed`:`2015-12-21T19:00:00Z`," \
	"`number_observed`:1,`objects`:{`0`:{`type`:`file`,`name`:`foo.exe`}}}"
#define V_OPINION "{`type`:`opinion`,`id`:`opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7`," SDO_TIMES \
	",`opinion`:`strongly-disagree`,`explanation`:`This doesn't seem like it is feasible.`," \
	"`object_refs`:[`relationship--16d2358f-3b0d-4c88-b047-0da2f7ed4471`]}"
#define V_REPORT "{`type`:`report`,`id`:`report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3`," SDO_TIMES \
	",`name`:`The Black Vine Cyberespionage Group`,`report_types`:[`campaign`]," \
	"`published`:`2016-01-20T17:00:00.000Z`,`object_refs`:[`" ID_INDICATOR "`,`" ID_CAMPAIGN "`]}"
#define V_THREAT_ACTOR "{`type`:`threat-actor`,`id`:`threat-actor--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`," \
	SDO_TIMES ",`name`:`Evil Org`,`threat_actor_types`:[`crime-syndicate`],`roles`:[`agent`]," \
	"`sophistication`:`expert`,`personal_motivations`:[`revenge`]}"
#define V_TOOL "{`type`:`tool`,`id`:`tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`," SDO_TIMES \
	",`name`:`VNC`,`tool_types`:[`remote-access`],`tool_version`:`1.0`," \
	"`kill_chain_phases`:[{`kill_chain_name`:`lockheed-martin-cyber-kill-chain`,`phase_name`:`command-and-control`}]}"
#define V_VULNERABILITY "{`type`:`vulnerability`,`id`:`vulnerability--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061`," \
	SDO_TIMES ",`name`:`CVE-2016-1234`,`external_references`:[{`source_name`:`cve`,`external_id`:`CVE-2016-1234`}]}"

/* ---- SROs ---- */

#define V_RELATIONSHIP "{`type`:`relationship`,`id`:`" ID_REL "`," SDO_TIMES \
	",`relationship_type`:`indicates`,`source_ref`:`" ID_INDICATOR "`,`target_ref`:`" ID_MALWARE "`," \
	"`start_time`:`2016-01-01T00:00:00Z`,`stop_time`:`2016-02-01T00:00:00Z`}"
#define V_SIGHTING "{`type`:`sighting`,`id`:`sighting--ee20065d-2555-424f-ad9e-0f8428623c75`," SDO_TIMES \
	",`created_by_ref`:`" ID_IDENTITY "`,`first_seen`:`2015-12-21T19:00:00Z`," \
	"`last_seen`:`2015-12-21T19:00:00Z`,`count`:50,`sighting_of_ref`:`" ID_INDICATOR "`," \
	"`observed_data_refs`:[`" ID_OBSERVED "`],`where_sighted_refs`:[`" ID_IDENTITY "`],`summary`:false}"

/* ---- SCOs ---- */

#define V_ARTIFACT "{`type`:`artifact`,`spec_version`:`2.1`,`id`:`" ID_ARTIFACT "`," \
	"`mime_type`:`text/plain`,`payload_bin`:`aGVsbG8gd29ybGQ=`}"
#define V_ARTIFACT_URL "{`type`:`artifact`,`id`:`artifact--6f437177-6e48-5cf8-9d9e-872a2bddd642`," \
	"`url`:`https://example.com/file.bin`,`hashes`:{`SHA-256`:`" SHA256 "`}," \
	"`encryption_algorithm`:`mime-type-indicated`,`decryption_key`:`infected`}"
#define V_AS "{`type`:`autonomous-system`,`id`:`autonomous-system--f720c34b-98ae-597f-ade5-27ef6e0d9e8f`," \
	"`number`:15139,`name`:`Slime Industries`,`rir`:`ARIN`}"
#define V_DIRECTORY "{`type`:`directory`,`id`:`directory--93c0a9b0-520d-545d-9094-1a08ddf46b05`," \
	"`path`:`/usr/bin`,`ctime`:`2018-11-23T08:17:27.000Z`,`contains_refs`:[`" ID_FILE "`]}"
#define V_DOMAIN "{`type`:`domain-name`,`id`:`domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5`," \
	"`value`:`example.com`,`resolves_to_refs`:[`" ID_IPV4 "`]}"
#define V_EMAIL_ADDR "{`type`:`email-addr`,`id`:`" ID_EMAIL_ADDR "`,`value`:`john@example.com`," \
	"`display_name`:`John Doe`}"
#define V_EMAIL_MSG "{`type`:`email-message`,`spec_version`:`2.1`," \
	"`id`:`email-message--0c57a381-2a17-5e61-8754-5ef96efb286c`,`is_multipart`:false," \
	"`date`:`1997-11-21T15:55:06.000Z`,`from_ref`:`" ID_EMAIL_ADDR "`,`to_refs`:[`" ID_EMAIL_ADDR "`]," \
	"`subject`:`Saying Hello`,`body`:`Hi`,`additional_header_fields`:{`X-Mailer`:[`Foo`]}}"
#define V_EMAIL_MULTI "{`type`:`email-message`,`id`:`email-message--0c57a381-2a17-5e61-8754-5ef96efb286d`," \
	"`is_multipart`:true,`content_type`:`multipart/mixed`,`body_multipart`:[{`content_type`:`text/plain`," \
	"`body`:`Hello`},{`content_type`:`image/png`,`body_raw_ref`:`" ID_ARTIFACT "`}]}"
#define V_FILE "{`type`:`file`,`spec_version`:`2.1`,`id`:`" ID_FILE "`,`name`:`foo.exe`,`size`:25536," \
	"`hashes`:{`SHA-256`:`" SHA256 "`,`ssdeep`:`3:a+JraNvsgzsVqSwHq9:tJuOgzsko`}," \
	"`magic_number_hex`:`4D5A`,`extensions`:{`windows-pebinary-ext`:{`pe_type`:`exe`," \
	"`sections`:[{`name`:`.text`,`size`:1024,`entropy`:7.5}]},`ntfs-ext`:{`sid`:`1-2-3`}," \
	"`archive-ext`:{`contains_refs`:[`file--364fe3e5-b1f4-5ba3-b951-ee5983b3538e`]}}}"
#define V_IPV4 "{`type`:`ipv4-addr`,`id`:`" ID_IPV4 "`,`value`:`198.51.100.3`}"
#define V_IPV4_CIDR "{`type`:`ipv4-addr`,`id`:`" ID_IPV4B "`,`value`:`10.2.4.5/24`,`defanged`:false}"
#define V_IPV6 "{`type`:`ipv6-addr`,`id`:`ipv6-addr--1e61d36c-a16c-53b7-a80f-2a00161c96b1`," \
	"`value`:`2001:0db8:85a3:0000:0000:8a2e:0370:7334`}"
#define V_MAC "{`type`:`mac-addr`,`id`:`mac-addr--65cfcf98-8a6e-5a1b-8f61-379ac4f92d00`,`value`:`d2:fb:49:24:37:18`}"
#define V_MUTEX "{`type`:`mutex`,`id`:`mutex--eba44954-d4e4-5d3b-814c-2b17dd8de300`,`name`:`__CLEANSWEEP__`}"
#define V_NETTRAFFIC "{`type`:`network-traffic`,`id`:`network-traffic--f8ae967a-3dc3-5cdf-8f94-8505abff00c2`," \
	"`src_ref`:`" ID_IPV4 "`,`dst_ref`:`" ID_IPV4B "`,`src_port`:2487,`dst_port`:80," \
	"`protocols`:[`ipv4`,`tcp`,`http`],`start`:`2014-01-01T00:00:00Z`,`end`:`2014-01-01T00:01:00Z`," \
	"`extensions`:{`http-request-ext`:{`request_method`:`get`,`request_value`:`/download.html`," \
	"`request_header`:{`Host`:`example.com`}},`tcp-ext`:{`src_flags_hex`:`00000002`}}}"
#define V_PROCESS "{`type`:`process`,`id`:`process--f52a906a-0dfc-40bd-92f1-e7778ead38a9`,`pid`:1221," \
	"`command_line`:`./gedit-bin --new-window`,`image_ref`:`" ID_FILE "`," \
	"`extensions`:{`windows-process-ext`:{`aslr_enabled`:true,`integrity_level`:`high`}}}"
#define V_SOFTWARE "{`type`:`software`,`id`:`" ID_SOFTWARE "`,`name`:`Word`," \
	"`cpe`:`cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*`,`version`:`2002`,`vendor`:`Microsoft`}"
#define V_URL "{`type`:`url`,`id`:`url--c1477287-23ac-5971-a010-5c287877fa60`," \
	"`value`:`https://example.com/research/index.html`}"
#define V_USER "{`type`:`user-account`,`id`:`user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c`," \
	"`user_id`:`1001`,`account_login`:`jdoe`,`account_type`:`unix`,`is_privileged`:false," \
	"`extensions`:{`unix-account-ext`:{`gid`:1001,`groups`:[`wheel`],`shell`:`/bin/bash`}}}"
#define V_REGKEY "{`type`:`windows-registry-key`,`id`:`windows-registry-key--2ba37ae7-2745-5082-9dfd-9486dad41016`," \
	"`key`:`HKEY_LOCAL_MACHINE/System/Foo/Bar`,`values`:[{`name`:`Foo`,`data`:`qwerty`,`data_type`:`REG_SZ`}]}"
#define V_X509 "{`type`:`x509-certificate`,`id`:`x509-certificate--463d7b2a-8516-5a50-a3d7-6f801465d5de`," \
	"`issuer`:`C=ZA, ST=Western Cape, L=Cape Town, O=Thawte Consulting cc`," \
	"`validity_not_before`:`2016-03-12T12:00:00Z`,`validity_not_after`:`2016-08-21T12:00:00Z`," \
	"`subject`:`C=US, ST=Maryland, L=Pasadena, O=Brent Baccala, OU=FreeSoft`,`serial_number`:`36:f7:d4:32`," \
	"`subject_public_key_exponent`:65537}"

/* ---- meta objects ---- */

#define V_MARKING_STMT "{`type`:`marking-definition`,`spec_version`:`2.1`," \
	"`id`:`marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41db`,`created`:`2016-08-01T00:00:00.000Z`," \
	"`created_by_ref`:`" ID_IDENTITY "`,`definition_type`:`statement`," \
	"`definition`:{`statement`:`Copyright 2019, Example Corp`}}"
#define TLP(color, id) "{`type`:`marking-definition`,`spec_version`:`2.1`,`id`:`marking-definition--" id "`," \
	"`created`:`2017-01-20T00:00:00.000Z`,`definition_type`:`tlp`,`name`:`TLP:" color "`," \
	"`definition`:{`tlp`:`" color "`}}"
#define V_TLP_WHITE TLP("white", "613f2e26-407d-48c7-9eca-b8e91df99dc9")
#define V_TLP_GREEN TLP("green", "34098fce-860f-48ae-8e50-ebd3cc5e41da")
#define V_TLP_AMBER TLP("amber", "f88d31f6-486f-44da-b317-01333bde0b82")
#define V_TLP_RED TLP("red", "5e57c739-391a-4eb3-b6be-7d15ca92d5ed")
#define V_MARKING_EXT "{`type`:`marking-definition`,`spec_version`:`2.1`," \
	"`id`:`marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487`,`created`:`2022-10-01T00:00:00.000Z`," \
	"`name`:`TLP:CLEAR`,`extensions`:{`extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`:" \
	"{`extension_type`:`property-extension`,`tlp_2_0`:`clear`}}}"
#define V_LANG_CONTENT "{`type`:`language-content`,`id`:`language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d`," \
	SDO_TIMES ",`object_ref`:`" ID_CAMPAIGN "`,`object_modified`:`2017-02-08T21:31:22.007Z`," \
	"`contents`:{`de`:{`name`:`Bank Angriff 1`,`description`:`Weitere Informationen`}}}"
#define V_EXTDEF "{`type`:`extension-definition`,`id`:`" ID_EXTDEF "`," SDO_TIMES \
	",`created_by_ref`:`" ID_IDENTITY "`,`name`:`Extension My Favorite SDO and Sub-Comp`," \
	"`schema`:`https://www.example.com/schema-my-favorite-sdo-1/v1/`,`version`:`1.2.1`," \
	"`extension_types`:[`new-sdo`,`property-extension`]}"

/* ---- custom and extension-defined objects ---- */

#define V_X_MITRE "{`type`:`x-mitre-tactic`,`id`:`x-mitre-tactic--69da72d2-f550-41c5-ab9e-e8255707f28a`," \
	SDO_TIMES ",`created_by_ref`:`" ID_IDENTITY "`,`name`:`Evasion`,`x_mitre_shortname`:`evasion-ics`," \
	"`x_mitre_version`:`1.0`,`x_mitre_modified_by_ref`:`" ID_IDENTITY "`,`x_mitre_data_source_ref`:``," \
	"`object_marking_refs`:[`" ID_TLP_GREEN "`]}"
/* An Incident Core impact: an extension-defined type with a named
 * sub-extension per impact category. */
#define V_IMPACT "{`type`:`impact`,`spec_version`:`2.1`," \
	"`id`:`impact--4f2a6d0e-9c1b-4b7e-8d2f-1a3c5e7f9b0d`," SDO_TIMES "," \
	"`impact_category`:`availability`,`criticality`:90," \
	"`extensions`:{`availability`:{`availability_impact`:99}," \
	"`extension-definition--7cc33dd6-f6a1-489b-98ea-522d351d71b9`:" \
	"{`extension_type`:`new-sdo`}}}"
#define V_NEW_SDO "{`type`:`my-favorite-sdo`,`spec_version`:`2.1`," \
	"`id`:`my-favorite-sdo--ac97aae4-83f1-46ca-a351-7aeb76678189`,`created`:`2014-02-20T09:16:08.989Z`," \
	"`modified`:`2014-02-20T09:16:08.989Z`,`name`:`This is the name of my favorite`," \
	"`some_property_name1`:`value1`,`some_property_name2`:`value2`," \
	"`extensions`:{`" ID_EXTDEF "`:{`extension_type`:`new-sdo`}}}"
#define V_CUSTOM_SCO "{`type`:`x-example-sco`,`id`:`x-example-sco--1e61d36c-a16c-53b7-a80f-2a00161c96b1`," \
	"`value`:`x`,`defanged`:true}"

static const char *const valid_objects[] = {
	V_ATTACK_PATTERN, V_CAMPAIGN, V_COA, V_GROUPING, V_IDENTITY, V_INCIDENT,
	V_INDICATOR, V_INFRASTRUCTURE, V_INTRUSION_SET, V_LOCATION,
	V_LOCATION_LL, V_MALWARE, V_MALWARE_NONAME, V_MALWARE_ANALYSIS, V_NOTE,
	V_OBSERVED, V_OBSERVED_OLD, V_OPINION, V_REPORT, V_THREAT_ACTOR, V_TOOL,
	V_VULNERABILITY,
	V_RELATIONSHIP, V_SIGHTING,
	V_ARTIFACT, V_ARTIFACT_URL, V_AS, V_DIRECTORY, V_DOMAIN, V_EMAIL_ADDR,
	V_EMAIL_MSG, V_EMAIL_MULTI, V_FILE, V_IPV4, V_IPV4_CIDR, V_IPV6, V_MAC,
	V_MUTEX, V_NETTRAFFIC, V_PROCESS, V_SOFTWARE, V_URL, V_USER, V_REGKEY,
	V_X509,
	V_MARKING_STMT, V_TLP_WHITE, V_TLP_GREEN, V_TLP_AMBER, V_TLP_RED,
	V_MARKING_EXT, V_LANG_CONTENT, V_EXTDEF,
	V_X_MITRE, V_NEW_SDO, V_CUSTOM_SCO, V_IMPACT,
};

/*
 * An invalid object: base, with the properties of patch set over it and
 * the comma-separated properties of del removed, must fail with a
 * message containing expect.
 */
struct bad_case {
	const char *base;
	const char *patch;
	const char *del;
	const char *expect;
};

static const struct bad_case bad_cases[] = {
	/* type, id, spec_version */
	{ V_INDICATOR, NULL, "type", "type: required property missing" },
	{ V_INDICATOR, "{`type`:42}", NULL, "type: must be a string" },
	{ V_INDICATOR, "{`type`:`Indicator`}", NULL, "type: invalid type name" },
	{ V_INDICATOR, "{`type`:`ab`}", NULL, "type: invalid type name" },
	{ V_INDICATOR, "{`type`:`x--foo`}", NULL, "type: invalid type name" },
	{ V_INDICATOR, "{`type`:`bundle`}", NULL, "type: a bundle is not" },
	{ V_INDICATOR, NULL, "id", "id: required property missing" },
	{ V_INDICATOR, "{`id`:`indicator--1234`}", NULL, "id: not a STIX identifier" },
	{ V_INDICATOR, "{`id`:`" ID_MALWARE "`}", NULL, "id: type part does not match type" },
	/* 2.9: the UUID part is lower case; upper case is refused, not read
	 * as another id (an upper-case TLP id once counted as unmarked) */
	{ V_INDICATOR, "{`id`:`indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F`}", NULL,
	  "id: upper-case letters in the UUID" },
	{ V_INDICATOR, "{`object_marking_refs`:[`marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C1`]}",
	  NULL, "object_marking_refs[0]: upper-case letters in the UUID" },
	{ V_INDICATOR, "{`granular_markings`:[{`marking_ref`:`marking-definition--939A9414-2ddd-4d32-a0cd-375ea402b003`,"
	  "`selectors`:[`name`]}]}", NULL, "granular_markings[0].marking_ref: upper-case letters in the UUID" },
	{ V_INDICATOR, "{`created_by_ref`:`identity--311B2D2D-f010-4473-83ec-1edf84858f4c`}", NULL,
	  "created_by_ref: upper-case letters in the UUID" },
	{ V_INDICATOR, "{`x_acme_thing_ref`:`identity--311B2D2D-f010-4473-83ec-1edf84858f4c`}", NULL,
	  "x_acme_thing_ref: upper-case letters in the UUID" },
	{ V_INDICATOR, "{`x_trilex_refs`:[`identity--311b2d2d-f010-4473-83ec-1EDF84858F4C`]}", NULL,
	  "x_trilex_refs[0]: upper-case letters in the UUID" },
	{ V_INDICATOR, "{`spec_version`:`2.0`}", NULL, "spec_version: must be \"2.1\"" },
	{ V_INDICATOR, NULL, "spec_version", "spec_version: required property missing" },
	{ V_IPV4, "{`spec_version`:`2.0`}", NULL, "spec_version: must be \"2.1\"" },
	/* common properties */
	{ V_INDICATOR, NULL, "created", "created: required property missing" },
	{ V_INDICATOR, "{`created`:`2016-04-06 20:03:00`}", NULL, "created: not an RFC 3339 timestamp" },
	{ V_INDICATOR, "{`modified`:`2016-04-05T20:03:00.000Z`}", NULL, "modified: before created" },
	{ V_INDICATOR, "{`modified`:`2016-02-30T20:03:00.000Z`}", NULL, "modified: not an RFC 3339 timestamp" },
	{ V_INDICATOR, "{`confidence`:150}", NULL, "confidence: must be an integer from 0 to 100" },
	{ V_INDICATOR, "{`confidence`:50.5}", NULL, "confidence: must be an integer from 0 to 100" },
	{ V_INDICATOR, "{`lang`:42}", NULL, "lang: must be a string" },
	{ V_INDICATOR, "{`revoked`:`yes`}", NULL, "revoked: must be a boolean" },
	{ V_INDICATOR, "{`labels`:[]}", NULL, "labels: must be a non-empty list of strings" },
	{ V_INDICATOR, "{`labels`:[`ok`,3]}", NULL, "labels[1]: must be a string" },
	{ V_INDICATOR, "{`created_by_ref`:`" ID_MALWARE "`}", NULL, "created_by_ref: must reference identity" },
	{ V_INDICATOR, "{`created_by_ref`:`identity--nope`}", NULL, "created_by_ref: not a STIX identifier" },
	{ V_INDICATOR, "{`object_marking_refs`:[`" ID_IDENTITY "`]}", NULL,
	  "object_marking_refs[0]: must reference marking-definition" },
	{ V_INDICATOR, "{`object_marking_refs`:`" ID_TLP_GREEN "`}", NULL,
	  "object_marking_refs: must be a non-empty list of identifiers" },
	{ V_INDICATOR, "{`granular_markings`:[{`selectors`:[`name`],`marking_ref`:`" ID_TLP_GREEN "`,`lang`:`en`}]}",
	  NULL, "granular_markings[0]: exactly one of marking_ref or lang required" },
	{ V_INDICATOR, "{`granular_markings`:[{`selectors`:[`name`]}]}", NULL,
	  "granular_markings[0]: exactly one of marking_ref or lang required" },
	{ V_INDICATOR, "{`granular_markings`:[{`marking_ref`:`" ID_TLP_GREEN "`}]}", NULL,
	  "granular_markings[0].selectors: required property missing" },
	{ V_INDICATOR, "{`granular_markings`:[{`selectors`:[],`lang`:`en`}]}", NULL,
	  "granular_markings[0].selectors: must be a non-empty list of strings" },
	{ V_INDICATOR, "{`granular_markings`:[{`selectors`:[`name`],`marking_ref`:`" ID_MALWARE "`}]}", NULL,
	  "granular_markings[0].marking_ref: must reference marking-definition" },
	{ V_INDICATOR, "{`external_references`:[{`url`:`https://example.com`}]}", NULL,
	  "external_references[0].source_name: required property missing" },
	{ V_INDICATOR, "{`external_references`:[{`source_name`:`x`,`hashes`:{`SHA-256`:`abc`}}]}", NULL,
	  "external_references[0].hashes.SHA-256: must be 64 hex digits" },
	{ V_INDICATOR, "{`external_references`:[]}", NULL,
	  "external_references: must be a non-empty list of objects" },
	{ V_INDICATOR, "{`external_references`:[`x`]}", NULL, "external_references[0]: must be an object" },
	/* custom properties */
	{ V_INDICATOR, "{`x-bad-name`:1}", NULL, "x-bad-name: invalid property name" },
	{ V_INDICATOR, "{`ab`:1}", NULL, "ab: invalid property name" },
	{ V_INDICATOR, "{`x_acme name`:1}", NULL, "x_acme name: invalid property name" },
	{ V_INDICATOR, "{`severity`:`high`}", NULL, "severity: reserved property name" },
	{ V_INDICATOR, "{`x_acme_ref`:`nope`}", NULL, "x_acme_ref: not a STIX identifier" },
	{ V_INDICATOR, "{`x_acme_refs`:[`" ID_MALWARE "`,`bad`]}", NULL, "x_acme_refs[1]: not a STIX identifier" },
	/* indicator */
	{ V_INDICATOR, NULL, "pattern", "pattern: required property missing" },
	{ V_INDICATOR, NULL, "pattern_type", "pattern_type: required property missing" },
	{ V_INDICATOR, NULL, "valid_from", "valid_from: required property missing" },
	{ V_INDICATOR, "{`valid_from`:`yesterday`}", NULL, "valid_from: not an RFC 3339 timestamp" },
	{ V_INDICATOR, "{`valid_from`:`2016-01-01T00:00:00+01:00`}", NULL, "valid_from: not an RFC 3339 timestamp" },
	{ V_INDICATOR, "{`valid_until`:`2015-01-01T00:00:00Z`}", NULL, "valid_until: not after valid_from" },
	{ V_INDICATOR, "{`valid_until`:`2016-01-01T00:00:00.000Z`}", NULL, "valid_until: not after valid_from" },
	{ V_INDICATOR, "{`indicator_types`:`malicious-activity`}", NULL,
	  "indicator_types: must be a non-empty list of strings" },
	{ V_INDICATOR, "{`pattern_type`:[`stix`]}", NULL, "pattern_type: must be a string" },
	/* other SDOs */
	{ V_ATTACK_PATTERN, NULL, "name", "name: required property missing" },
	{ V_ATTACK_PATTERN, "{`kill_chain_phases`:[{`kill_chain_name`:`lmco`}]}", NULL,
	  "kill_chain_phases[0].phase_name: required property missing" },
	{ V_ATTACK_PATTERN, "{`kill_chain_phases`:`recon`}", NULL,
	  "kill_chain_phases: must be a non-empty list of objects" },
	{ V_CAMPAIGN, "{`last_seen`:`2015-01-01T00:00:00Z`}", NULL, "last_seen: before first_seen" },
	{ V_GROUPING, NULL, "context", "context: required property missing" },
	{ V_GROUPING, NULL, "object_refs", "object_refs: required property missing" },
	{ V_GROUPING, "{`object_refs`:[]}", NULL, "object_refs: must be a non-empty list of identifiers" },
	{ V_IDENTITY, "{`sectors`:`technology`}", NULL, "sectors: must be a non-empty list of strings" },
	{ V_LOCATION, NULL, "region,country", "region: required property missing" },
	{ V_LOCATION_LL, "{`latitude`:100}", NULL, "latitude: must be a number from -90 to 90" },
	{ V_LOCATION_LL, "{`longitude`:`east`}", NULL, "longitude: must be a number from -180 to 180" },
	{ V_LOCATION_LL, NULL, "longitude", "longitude: required with latitude" },
	{ V_MALWARE, NULL, "is_family", "is_family: required property missing" },
	{ V_MALWARE, NULL, "name", "name: required property missing" },
	{ V_MALWARE, "{`sample_refs`:[`" ID_IPV4 "`]}", NULL, "sample_refs[0]: must reference file, artifact" },
	{ V_MALWARE_ANALYSIS, NULL, "result", "result: required property missing" },
	{ V_MALWARE_ANALYSIS, NULL, "product", "product: required property missing" },
	{ V_NOTE, NULL, "content", "content: required property missing" },
	{ V_NOTE, NULL, "object_refs", "object_refs: required property missing" },
	{ V_OBSERVED, "{`number_observed`:0}", NULL, "number_observed: must be an integer from 1 to 999999999" },
	{ V_OBSERVED, "{`last_observed`:`2015-12-21T18:00:00Z`}", NULL, "last_observed: before first_observed" },
	{ V_OBSERVED, NULL, "object_refs", "object_refs: required property missing" },
	{ V_OBSERVED, NULL, "first_observed", "first_observed: required property missing" },
	{ V_OBSERVED_OLD, "{`object_refs`:[`" ID_IPV4 "`]}", NULL, "objects: not allowed with object_refs" },
	{ V_OPINION, "{`opinion`:`maybe`}", NULL, "opinion: must be one of: strongly-disagree" },
	{ V_OPINION, NULL, "object_refs", "object_refs: required property missing" },
	{ V_REPORT, NULL, "published", "published: required property missing" },
	{ V_THREAT_ACTOR, "{`name`:42}", NULL, "name: must be a string" },
	{ V_TOOL, NULL, "name", "name: required property missing" },
	{ V_VULNERABILITY, NULL, "name", "name: required property missing" },
	/* SROs */
	{ V_RELATIONSHIP, NULL, "source_ref", "source_ref: required property missing" },
	{ V_RELATIONSHIP, NULL, "relationship_type", "relationship_type: required property missing" },
	{ V_RELATIONSHIP, "{`target_ref`:`" ID_TLP_GREEN "`}", NULL, "target_ref: must reference an SDO or SCO" },
	{ V_RELATIONSHIP, "{`stop_time`:`2016-01-01T00:00:00Z`}", NULL, "stop_time: not after start_time" },
	{ V_SIGHTING, "{`count`:1000000000}", NULL, "count: must be an integer from 0 to 999999999" },
	{ V_SIGHTING, "{`count`:-1}", NULL, "count: must be an integer from 0 to 999999999" },
	{ V_SIGHTING, NULL, "sighting_of_ref", "sighting_of_ref: required property missing" },
	{ V_SIGHTING, "{`sighting_of_ref`:`" ID_REL "`}", NULL, "sighting_of_ref: must reference an SDO" },
	{ V_SIGHTING, "{`last_seen`:`2015-12-20T19:00:00Z`}", NULL, "last_seen: before first_seen" },
	{ V_SIGHTING, "{`where_sighted_refs`:[`" ID_MALWARE "`]}", NULL,
	  "where_sighted_refs[0]: must reference identity, location" },
	/* SCOs */
	{ V_ARTIFACT, NULL, "payload_bin", "payload_bin: required property missing" },
	{ V_ARTIFACT, "{`payload_bin`:`not base64!`}", NULL, "payload_bin: must be base64" },
	{ V_ARTIFACT, "{`url`:`https://example.com/x`}", "payload_bin", "hashes: required when url is present" },
	{ V_ARTIFACT, "{`url`:`https://example.com/x`}", NULL, "url: not allowed with payload_bin" },
	{ V_ARTIFACT, "{`encryption_algorithm`:`rot13`}", NULL, "encryption_algorithm: must be one of" },
	{ V_AS, "{`number`:`abc`}", NULL, "number: must be an integer from 0 to 4294967295" },
	{ V_DOMAIN, NULL, "value", "value: required property missing" },
	{ V_EMAIL_MSG, NULL, "is_multipart", "is_multipart: required property missing" },
	{ V_EMAIL_MSG, "{`body_multipart`:[{`body`:`x`}]}", NULL,
	  "body_multipart: not allowed when is_multipart is false" },
	{ V_EMAIL_MSG, "{`from_ref`:`" ID_IPV4 "`}", NULL, "from_ref: must reference email-addr" },
	{ V_FILE, NULL, "hashes,name", "hashes: required property missing" },
	{ V_FILE, "{`size`:-5}", NULL, "size: must be an integer of at least 0" },
	{ V_FILE, "{`magic_number_hex`:`4D5`}", NULL, "magic_number_hex: must be an even number of hex digits" },
	{ V_FILE, "{`hashes`:{`MD5`:`xyz`}}", NULL, "hashes.MD5: must be 32 hex digits" },
	{ V_FILE, "{`hashes`:{}}", NULL, "hashes: must be a non-empty dictionary" },
	{ V_FILE, "{`extensions`:{`ntfs-ext`:{}}}", NULL, "extensions.ntfs-ext: at least one property required" },
	{ V_FILE, "{`extensions`:{`http-request-ext`:{`request_method`:`get`,`request_value`:`/`}}}", NULL,
	  "extensions.http-request-ext: only defined for network-traffic" },
	{ V_FILE, "{`extensions`:{`windows-pebinary-ext`:{`imphash`:`x`}}}", NULL,
	  "extensions.windows-pebinary-ext.pe_type: required property missing" },
	{ V_FILE, "{`extensions`:{`foo`:{`a`:1}}}", NULL, "extensions.foo: unknown extension" },
	{ V_FILE, "{`extensions`:{`extension-definition--nope`:{}}}", NULL,
	  "not an extension-definition identifier" },
	{ V_NEW_SDO, "{`extensions`:{`" ID_EXTDEF "`:{`extension_type`:`new-thing`}}}", NULL,
	  "extension_type: must be one of" },
	{ V_IPV4, "{`value`:`300.1.1.1`}", NULL, "value: not an IPv4 address" },
	{ V_IPV4, "{`value`:`10.0.0.0/33`}", NULL, "value: not an IPv4 address" },
	{ V_IPV6, "{`value`:`2001:db8::zz`}", NULL, "value: not an IPv6 address" },
	{ V_MAC, "{`value`:`D2:FB:49:24:37:18`}", NULL, "value: not a lower-case" },
	{ V_IPV4, "{`defanged`:`no`}", NULL, "defanged: must be a boolean" },
	{ V_NETTRAFFIC, NULL, "src_ref,dst_ref", "src_ref: required property missing" },
	{ V_NETTRAFFIC, NULL, "protocols", "protocols: required property missing" },
	{ V_NETTRAFFIC, "{`dst_port`:70000}", NULL, "dst_port: must be an integer from 0 to 65535" },
	{ V_NETTRAFFIC, "{`is_active`:true}", NULL, "end: not allowed when is_active is true" },
	{ V_NETTRAFFIC, "{`extensions`:{`icmp-ext`:{`icmp_type_hex`:`08`}}}", NULL,
	  "extensions.icmp-ext.icmp_code_hex: required property missing" },
	{ V_NETTRAFFIC, "{`extensions`:{`socket-ext`:{`address_family`:`AF_FOO`}}}", NULL,
	  "extensions.socket-ext.address_family: must be one of" },
	{ V_PROCESS, NULL, "pid,command_line,image_ref,extensions", "process: at least one process property required" },
	{ V_REGKEY, "{`values`:[{`data_type`:`REG_FOO`}]}", NULL, "values[0].data_type: must be one of" },
	{ V_SOFTWARE, NULL, "name", "name: required property missing" },
	{ V_X509, "{`validity_not_after`:`2015-01-01T00:00:00Z`}", NULL,
	  "validity_not_after: before validity_not_before" },
	/* meta objects */
	{ V_TLP_RED, "{`id`:`marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ec`}", NULL,
	  "id: not the TLP:red marking definition" },
	{ V_TLP_RED, "{`definition`:{`tlp`:`purple`}}", NULL, "definition.tlp: must be one of" },
	{ V_MARKING_STMT, NULL, "definition", "definition: required property missing" },
	{ V_MARKING_STMT, "{`definition`:{`text`:`x`}}", NULL, "definition.statement: required property missing" },
	{ V_MARKING_STMT, NULL, "definition_type,definition", "definition_type: required property missing" },
	{ V_MARKING_STMT, NULL, "created", "created: required property missing" },
	{ V_LANG_CONTENT, NULL, "contents", "contents: required property missing" },
	{ V_LANG_CONTENT, NULL, "object_ref", "object_ref: required property missing" },
	{ V_EXTDEF, "{`extension_types`:[`new-thing`]}", NULL, "extension_types[0]: must be one of" },
	{ V_EXTDEF, NULL, "created_by_ref", "created_by_ref: required property missing" },
	{ V_EXTDEF, NULL, "schema", "schema: required property missing" },
	/* custom objects */
	{ V_X_MITRE, "{`created`:`last tuesday`}", NULL, "created: not an RFC 3339 timestamp" },
	{ V_X_MITRE, "{`modified`:`2015-01-01T00:00:00.000Z`}", NULL, "modified: before created" },
	{ V_X_MITRE, "{`x_mitre_modified_by_ref`:`nope`}", NULL, "x_mitre_modified_by_ref: not a STIX identifier" },
	{ V_X_MITRE, "{`x_mitre_contents!`:1}", NULL, "x_mitre_contents!: invalid property name" },
	{ V_X_MITRE, "{`spec_version`:`2.0`}", NULL, "spec_version: must be \"2.1\"" },
	{ V_X_MITRE, "{`confidence`:101}", NULL, "confidence: must be an integer from 0 to 100" },
	{ V_CUSTOM_SCO, "{`object_marking_refs`:[`nope`]}", NULL, "object_marking_refs[0]: not a STIX identifier" },
};

/* ---- helpers ---- */

/* Parse a literal written with ` for ". Returns a new reference. */
static json_t *json_bt_flags(const char *lit, size_t flags)
{
	char *s = strdup(lit);
	json_error_t jerr;
	json_t *v;

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '`')
			*p = '"';
	v = json_loads(s, flags, &jerr);
	if (v == NULL)
		print_error("bad test JSON (%s) at %d: %s\n", jerr.text,
			    jerr.position, s);
	free(s);
	assert_non_null(v);
	return v;
}

static json_t *json_bt(const char *lit)
{
	return json_bt_flags(lit, 0);
}

static json_t *build_case(const struct bad_case *c)
{
	json_t *obj = json_bt(c->base);

	if (c->patch) {
		json_t *patch = json_bt(c->patch);

		assert_int_equal(json_object_update(obj, patch), 0);
		json_decref(patch);
	}
	for (const char *k = c->del; k && *k;) {
		const char *comma = strchr(k, ',');
		size_t len = comma ? (size_t)(comma - k) : strlen(k);
		char name[64];

		assert_true(len < sizeof(name));
		memcpy(name, k, len);
		name[len] = '\0';
		assert_int_equal(json_object_del(obj, name), 0);
		k = comma ? comma + 1 : NULL;
	}
	return obj;
}

/* Validate every object of a bundle (or the one object of the file). */
/* Whether o holds an identifier whose UUID has upper-case hex digits
 * (one of the OASIS examples does, against 2.9). */
static int holds_upper_id(const json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	int found = 0;

	for (const char *p = text; p && (p = strstr(p, "--")) != NULL && !found; p += 2) {
		size_t n = strspn(p + 2, "0123456789abcdefABCDEF-");
		if (n == 36 && strcspn(p + 2, "ABCDEF") < 36)
			found = 1;
	}
	free(text);
	return found;
}

static void validate_file(const char *path, size_t *n_checked)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	json_t *objects, *o;
	size_t i, bad = 0;
	struct tx_error err;

	if (doc == NULL)
		fail_msg("%s: %s", path, jerr.text);
	objects = json_object_get(doc, "objects");
	if (json_is_array(objects)) {
		json_array_foreach(objects, i, o) {
			memset(&err, 0, sizeof(err));
			if (stix_validate(o, &err) != TX_OK &&
			    holds_upper_id(o) &&
			    strstr(err.msg, "upper-case letters in the UUID")) {
				print_message("%s: objects[%zu]: refused as it must"
					      " be: %s\n", path, i, err.msg);
			} else if (err.msg[0] != '\0') {
				print_error("%s: objects[%zu] %s: %s\n", path, i,
					    json_string_value(json_object_get(o, "id")),
					    err.msg);
				bad++;
			}
			(*n_checked)++;
		}
	} else {
		memset(&err, 0, sizeof(err));
		if (stix_validate(doc, &err) != TX_OK) {
			print_error("%s: %s\n", path, err.msg);
			bad++;
		}
		(*n_checked)++;
	}
	json_decref(doc);
	assert_int_equal(bad, 0);
}

/* ---- tests ---- */

static void test_kinds(void **state)
{
	(void)state;
	assert_int_equal(stix_type_kind("indicator"), STIX_KIND_SDO);
	assert_int_equal(stix_type_kind("vulnerability"), STIX_KIND_SDO);
	assert_int_equal(stix_type_kind("relationship"), STIX_KIND_SRO);
	assert_int_equal(stix_type_kind("sighting"), STIX_KIND_SRO);
	assert_int_equal(stix_type_kind("ipv4-addr"), STIX_KIND_SCO);
	assert_int_equal(stix_type_kind("x509-certificate"), STIX_KIND_SCO);
	assert_int_equal(stix_type_kind("marking-definition"), STIX_KIND_META);
	assert_int_equal(stix_type_kind("language-content"), STIX_KIND_META);
	assert_int_equal(stix_type_kind("extension-definition"), STIX_KIND_META);
	assert_int_equal(stix_type_kind("x-mitre-tactic"), STIX_KIND_UNKNOWN);
	assert_int_equal(stix_type_kind("bundle"), STIX_KIND_UNKNOWN);
	assert_int_equal(stix_type_kind(""), STIX_KIND_UNKNOWN);
	assert_int_equal(stix_type_kind(NULL), STIX_KIND_UNKNOWN);
}

static void test_ids(void **state)
{
	(void)state;
	assert_true(stix_id_valid(ID_INDICATOR, "indicator"));
	assert_true(stix_id_valid(ID_INDICATOR, NULL));
	assert_true(stix_id_valid("x-mitre-tactic--69da72d2-f550-41c5-ab9e-e8255707f28a", NULL));
	assert_false(stix_id_valid(ID_INDICATOR, "malware"));
	assert_false(stix_id_valid(ID_INDICATOR, "indicato"));
	assert_false(stix_id_valid("indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL));
	assert_false(stix_id_valid("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3", NULL));
	assert_false(stix_id_valid("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f0", NULL));
	assert_false(stix_id_valid("Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL));
	assert_false(stix_id_valid("ab--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL));
	assert_false(stix_id_valid("a---8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL));
	assert_false(stix_id_valid("--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL));
	assert_false(stix_id_valid("", NULL));
	assert_false(stix_id_valid(NULL, NULL));
	/* 2.9: lower case only */
	assert_false(stix_id_valid("indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F", NULL));
	assert_false(stix_id_valid("marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C1",
				   "marking-definition"));
	assert_false(stix_id_valid("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3F", NULL));
}

static void test_valid_objects(void **state)
{
	size_t n = sizeof(valid_objects) / sizeof(valid_objects[0]);
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		json_t *obj = json_bt(valid_objects[i]);
		struct tx_error err = { 0 };

		if (stix_validate(obj, &err) != TX_OK) {
			print_error("valid_objects[%zu] %s: %s\n", i,
				    json_string_value(json_object_get(obj, "id")),
				    err.msg);
			bad++;
		}
		json_decref(obj);
	}
	print_message("%zu valid objects checked\n", n);
	assert_int_equal(bad, 0);
}

/* Every SDO, SRO, SCO and meta type has a valid example above. */
static void test_every_type_covered(void **state)
{
	static const char *const all[] = {
		"attack-pattern", "campaign", "course-of-action", "grouping",
		"identity", "incident", "indicator", "infrastructure",
		"intrusion-set", "location", "malware", "malware-analysis",
		"note", "observed-data", "opinion", "report", "threat-actor",
		"tool", "vulnerability", "relationship", "sighting", "artifact",
		"autonomous-system", "directory", "domain-name", "email-addr",
		"email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr",
		"mutex", "network-traffic", "process", "software", "url",
		"user-account", "windows-registry-key", "x509-certificate",
		"marking-definition", "language-content", "extension-definition",
	};
	size_t n = sizeof(valid_objects) / sizeof(valid_objects[0]);

	(void)state;
	for (size_t t = 0; t < sizeof(all) / sizeof(all[0]); t++) {
		int found = 0;

		assert_int_not_equal(stix_type_kind(all[t]), STIX_KIND_UNKNOWN);
		for (size_t i = 0; i < n && !found; i++) {
			json_t *obj = json_bt(valid_objects[i]);

			found = strcmp(json_string_value(json_object_get(obj, "type")),
				       all[t]) == 0;
			json_decref(obj);
		}
		if (!found)
			fail_msg("no valid example of %s", all[t]);
	}
}

static void test_invalid_objects(void **state)
{
	size_t n = sizeof(bad_cases) / sizeof(bad_cases[0]);
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		json_t *obj = build_case(&bad_cases[i]);
		struct tx_error err = { 0 };
		tx_err rc = stix_validate(obj, &err);

		if (rc != TX_ERR_INVALID) {
			print_error("bad_cases[%zu]: accepted, expected \"%s\"\n",
				    i, bad_cases[i].expect);
			bad++;
		} else if (strstr(err.msg, bad_cases[i].expect) == NULL) {
			print_error("bad_cases[%zu]: got \"%s\", expected \"%s\"\n",
				    i, err.msg, bad_cases[i].expect);
			bad++;
		}
		json_decref(obj);
	}
	print_message("%zu invalid objects checked\n", n);
	assert_int_equal(bad, 0);
}

/* Any JSON value at all: no crash, a clear error, NULL err allowed. */
static void test_not_objects(void **state)
{
	static const char *const values[] = {
		"[]", "[1,2]", "`indicator`", "42", "1.5", "true", "null", "{}",
		"{`type`:null}", "{`type`:`indicator`}", "{`type`:`indicator`,`id`:7}",
		"{`type`:`x-foo`,`id`:`x-foo--69da72d2-f550-41c5-ab9e-e8255707f28a`,`extensions`:7}",
	};
	struct tx_error err;
	json_t *v;

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		v = json_bt_flags(values[i], JSON_DECODE_ANY);
		memset(&err, 0, sizeof(err));
		assert_int_equal(stix_validate(v, &err), TX_ERR_INVALID);
		assert_true(err.msg[0] != '\0');
		assert_int_equal(stix_validate(v, NULL), TX_ERR_INVALID);
		json_decref(v);
	}
	assert_int_equal(stix_validate(NULL, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "object: not a JSON object"));

	/* A string holding a NUL byte is not a valid timestamp. */
	v = json_bt(V_INDICATOR);
	json_object_set_new(v, "valid_from",
			    json_stringn("2016-01-01T00:00:00Z\0x", 23));
	assert_int_equal(stix_validate(v, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "valid_from: not an RFC 3339"));
	json_decref(v);
}

/* A valid object stays valid when checked twice; messages are bounded. */
static void test_long_names(void **state)
{
	char name[400];
	json_t *v = json_bt(V_INDICATOR);
	struct tx_error err = { 0 };

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	json_object_set_new(v, name, json_true()); /* 399 chars: too long */
	assert_int_equal(stix_validate(v, &err), TX_ERR_INVALID);
	assert_non_null(strstr(err.msg, "...: invalid property name"));
	json_object_del(v, name);
	name[250] = '\0';
	json_object_set_new(v, name, json_true()); /* 250 chars: fine */
	assert_int_equal(stix_validate(v, &err), TX_OK);
	json_decref(v);
}

static const char *shared_dir(void)
{
	const char *d = getenv("TRILEX_SHARED");

	return d && d[0] ? d : NULL;
}

static void test_attack_bundle(void **state)
{
	const char *dir = shared_dir();
	char path[PATH_MAX];
	size_t n = 0;

	(void)state;
	if (dir == NULL) {
		print_message("skipped: TRILEX_SHARED is not set, so the ATT&CK "
			      "for ICS bundle cannot be found\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/data/stix/ics-attack-18.1.json", dir);
	if (access(path, R_OK) != 0) {
		print_message("skipped: %s is absent\n", path);
		skip();
	}
	validate_file(path, &n);
	print_message("%zu ATT&CK for ICS objects valid\n", n);
	assert_true(n > 1000);
}

static void test_spec_examples(void **state)
{
	const char *dir = shared_dir();
	char pattern[PATH_MAX];
	glob_t g;
	size_t n = 0;

	(void)state;
	if (dir == NULL) {
		print_message("skipped: TRILEX_SHARED is not set, so the OASIS "
			      "example bundles cannot be found\n");
		skip();
	}
	snprintf(pattern, sizeof(pattern), "%s/data/stix/spec-examples/*.json",
		 dir);
	if (glob(pattern, 0, NULL, &g) != 0) {
		print_message("skipped: no files match %s\n", pattern);
		skip();
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		validate_file(g.gl_pathv[i], &n);
	print_message("%zu objects in %zu example files valid\n", n,
		      (size_t)g.gl_pathc);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_valid_objects),
		cmocka_unit_test(test_every_type_covered),
		cmocka_unit_test(test_invalid_objects),
		cmocka_unit_test(test_not_objects),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_attack_bundle),
		cmocka_unit_test(test_spec_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
