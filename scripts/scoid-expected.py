#!/usr/bin/python3
"""Expected STIX 2.1 SCO ids, computed by python-stix2 (the OASIS reference).

Run by hand, not in CI (python-stix2 is not a dependency of trilex):

  PYTHONPATH=/work/ref/cti-pattern-validator:/work/ref/cti-python-stix2 \
      /usr/bin/python3 scripts/scoid-expected.py > tests/data/scoid/expected.json

Writes two kinds of cases, each with its source:
  "objects": one SCO and the id python-stix2 gives it (stix_sco_id is
             checked against them in tests/unit/test_sensor.c,
             test_sco_ids_reference);
  "eve":     one Suricata EVE line, the SCOs trilex's EVE reader makes of
             it (the mapping of src/sensor/eve.c, written out here in
             Python), and the ids python-stix2 gives them, by type in the
             order the reader writes them (test_sco_ids_eve).
"""
import json
import sys

import stix2
from stix2.v21 import (URL, DomainName, EmailAddress, EmailMessage, File,
                       IPv4Address, IPv6Address, NetworkTraffic,
                       X509Certificate)

SOURCE = "scripts/scoid-expected.py, python-stix2 " + stix2.__version__

OBJECTS = [
    ("ipv4", IPv4Address, {"value": "1.2.3.4"}),
    ("ipv4-cidr", IPv4Address, {"value": "198.51.100.0/24"}),
    ("ipv6", IPv6Address, {"value": "2001:db8::1"}),
    ("domain", DomainName, {"value": "c2.evil.example"}),
    ("domain-non-ascii", DomainName, {"value": "b\u00fccher.\u4f8b\u3048.example"}),
    ("url", URL, {"value": "http://evil.example/a?b=c&d=\"e\""}),
    ("url-escapes", URL, {"value": "http://x.example/p\\q\t\u00e9\u0001/\U0001f600"}),
    ("email-addr", EmailAddress, {"value": "bob@example.com"}),
    ("email-addr-non-ascii", EmailAddress, {"value": "j\u00f6rg@m\u00fcller.example"}),
    ("file-name", File, {"name": "r\u00e9sum\u00e9 \"v2\".pdf"}),
    ("file-md5-wins", File, {"name": "a.exe", "size": 10,
                             "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e",
                                        "SHA-1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                                        "SHA-256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}),
    ("file-sha256", File, {"hashes": {"SHA-256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}),
    ("x509", X509Certificate, {"serial_number": "0a:1b:2c",
                               "hashes": {"SHA-1": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}}),
    ("x509-subject-only", X509Certificate, {"subject": "CN=\u00e9xample"}),
    ("x509-serial-only", X509Certificate, {"serial_number": "01", "issuer": "CN=CA"}),
]


def obj_json(o):
    return {k: v for k, v in json.loads(o.serialize()).items() if k != "id"}


def eve_objects(ev):
    """The SCOs src/sensor/eve.c makes of one EVE event, in its order."""
    out = []
    ips = {}
    for key in ("src_ip", "dest_ip"):
        if key in ev:
            cls = IPv6Address if ":" in ev[key] else IPv4Address
            ips[key] = cls(value=ev[key])
    http = ev.get("http", {})
    tls = ev.get("tls", {})
    nt_props = {}
    if ips:  # has_nt: an address makes the network-traffic
        for key in ("src_ip", "dest_ip"):
            if key in ips:
                out.append(ips[key])
        if "src_ip" in ips:
            nt_props["src_ref"] = ips["src_ip"].id
        if "dest_ip" in ips:
            nt_props["dst_ref"] = ips["dest_ip"].id
        if "src_port" in ev:
            nt_props["src_port"] = ev["src_port"]
        if "dest_port" in ev:
            nt_props["dst_port"] = ev["dest_port"]
        if "proto" in ev:
            nt_props["protocols"] = [ev["proto"].lower()]
        ext = {}
        if "http_method" in http:
            ext["request_method"] = http["http_method"]
        if "url" in http:
            ext["request_value"] = http["url"]
        hdr = {}
        if "hostname" in http:
            hdr["Host"] = http["hostname"]
        if "http_user_agent" in http:
            hdr["User-Agent"] = http["http_user_agent"]
        if hdr:
            ext["request_header"] = hdr
        if ext:
            nt_props["extensions"] = {"http-request-ext": ext}
        out.append(NetworkTraffic(**nt_props))
    domains = []
    dns = ev.get("dns", {})
    for d in [dns.get("rrname")] + [q.get("rrname") for q in dns.get("queries", [])] + \
            [http.get("hostname"), tls.get("sni")]:
        if d and d not in domains:
            domains.append(d)
    for d in domains:
        out.append(DomainName(value=d))
    if "hostname" in http and "url" in http:
        u = http["url"]
        out.append(URL(value="http://" + http["hostname"] + ("" if u.startswith("/") else "/") + u))
    fi = ev.get("fileinfo", {})
    if any(k in fi for k in ("filename", "md5", "sha1", "sha256")):
        props = {}
        if "filename" in fi:
            props["name"] = fi["filename"]
        if "size" in fi:
            props["size"] = fi["size"]
        hashes = {}
        for k, n in (("md5", "MD5"), ("sha1", "SHA-1"), ("sha256", "SHA-256")):
            if k in fi:
                hashes[n] = fi[k]
        if hashes:
            props["hashes"] = hashes
        out.append(File(**props))
    if any(k in tls for k in ("subject", "issuerdn", "serial", "fingerprint")):
        props = {}
        if "subject" in tls:
            props["subject"] = tls["subject"]
        if "issuerdn" in tls:
            props["issuer"] = tls["issuerdn"]
        if "serial" in tls:
            props["serial_number"] = tls["serial"]
        if "fingerprint" in tls:
            props["hashes"] = {"SHA-1": tls["fingerprint"].replace(":", "").lower()}
        out.append(X509Certificate(**props))
    mail = dict(ev.get("smtp", {}))
    email = ev.get("email", {})
    frm = mail.get("mail_from") or email.get("from")
    to = list(mail.get("rcpt_to", [])) + list(email.get("to", []))
    subject = email.get("subject")
    if frm or to or subject:
        props = {"is_multipart": False}
        if subject:
            props["subject"] = subject
        if frm:
            a = EmailAddress(value=frm)
            out.append(a)
            props["from_ref"] = a.id
        to_ids = []
        for t in to:
            a = EmailAddress(value=t)
            out.append(a)
            to_ids.append(a.id)
        if to_ids:
            props["to_refs"] = to_ids
        out.append(EmailMessage(**props))
    return out


TS = "2025-03-01T10:00:00.000000+0000"
EVE = [
    ("alert-flow", {"timestamp": TS, "event_type": "alert", "src_ip": "10.0.0.5",
                    "src_port": 51515, "dest_ip": "198.51.100.77", "dest_port": 443,
                    "proto": "TCP"}),
    ("ipv6-udp", {"timestamp": TS, "event_type": "flow", "src_ip": "2001:db8::5",
                  "dest_ip": "2001:db8::53", "dest_port": 53, "proto": "UDP"}),
    ("dns", {"timestamp": TS, "event_type": "dns", "src_ip": "10.0.0.5",
             "dest_ip": "10.0.0.53", "proto": "UDP",
             "dns": {"rrname": "c2.evil.example", "queries": [{"rrname": "b\u00fccher.example"}]}}),
    ("http", {"timestamp": TS, "event_type": "http", "src_ip": "10.0.0.5", "src_port": 40000,
              "dest_ip": "203.0.113.9", "dest_port": 80, "proto": "TCP",
              "http": {"hostname": "evil.example", "url": "/gate.php?id=\"1\"&x=\u00e9",
                       "http_method": "POST", "http_user_agent": "Mozilla/5.0 (\\\"x\\\")"}}),
    ("tls", {"timestamp": TS, "event_type": "tls", "src_ip": "10.0.0.5",
             "dest_ip": "203.0.113.10", "dest_port": 443, "proto": "TCP",
             "tls": {"sni": "login.example", "subject": "CN=login.example, O=\u00c9xample \"Ltd\"",
                     "issuerdn": "CN=Fake CA", "serial": "00:DE:AD:BE:EF",
                     "fingerprint": "DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09"}}),
    ("fileinfo", {"timestamp": TS, "event_type": "fileinfo", "src_ip": "203.0.113.9",
                  "dest_ip": "10.0.0.5", "proto": "TCP",
                  "fileinfo": {"filename": "/tmp/r\u00e9sum\u00e9\t\"v2\".exe", "size": 4096,
                               "md5": "d41d8cd98f00b204e9800998ecf8427e",
                               "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                               "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}),
    ("fileinfo-sha256-only", {"timestamp": TS, "event_type": "fileinfo",
                              "fileinfo": {"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}),
    ("smtp", {"timestamp": TS, "event_type": "smtp", "src_ip": "192.0.2.25",
              "dest_ip": "10.0.0.25", "dest_port": 25, "proto": "TCP",
              "smtp": {"mail_from": "attacker@evil.example", "rcpt_to": ["bob@example.com", "j\u00f6rg@example.com"]},
              "email": {"subject": "Rechnung \u00fcber \u20ac 500 \U0001f4b0 \\ \"dringend\""}}),
]


def main():
    out = {
        "about": "Expected STIX 2.1 SCO ids (section 2.9) computed by python-stix2; "
                 "generated by scripts/scoid-expected.py (run by hand; do not edit). "
                 "Checked by tests/unit/test_sensor.c (test_sco_ids_reference, test_sco_ids_eve).",
        "generator": SOURCE,
        "objects": [],
        "eve": [],
    }
    for name, cls, props in OBJECTS:
        o = cls(**props)
        # no ID-contributing property present: python-stix2 (and the spec)
        # give a random UUIDv4; only its version can be expected
        random = o.id.split("--")[1][14] == "4"
        out["objects"].append({"name": name, "object": obj_json(o),
                               "id": None if random else o.id, "random": random,
                               "source": SOURCE + ": " + cls.__name__ + ", case " + name,
                               "checked_by": "tests/unit/test_sensor.c test_sco_ids_reference"})
    for name, ev in EVE:
        ids = {}
        for o in eve_objects(ev):
            ids.setdefault(o.type, []).append(o.id)
        out["eve"].append({"name": name, "line": json.dumps(ev, ensure_ascii=False), "ids": ids,
                           "source": SOURCE + ": eve case " + name,
                           "checked_by": "tests/unit/test_sensor.c test_sco_ids_eve"})
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
