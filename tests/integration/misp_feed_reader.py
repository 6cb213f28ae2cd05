#!/usr/bin/env python3
"""An independent MISP feed reader, written from the MISP core format
(draft-dulaunoy-misp-core-format) and the layout of MISP feeds, not from
trilex's code: tests use it to read back what trilex wrote.

  misp_feed_reader.py FOLDER|URL [--cacert PEM] [--user U --password P]
                      [--since TIMESTAMP]

A feed is manifest.json (event uuid -> Orgc, Tag, info, date, analysis,
threat_level_id, timestamp), {uuid}.json ({"Event": {...}}) and
hashes.csv (md5 of each attribute value, event uuid). The reader fetches
the manifest, then only the events whose timestamp is newer than --since
(what a MISP instance polling a feed does), checks every field it reads
and prints a JSON summary on stdout: {"events": {uuid: {...}},
"manifest": [uuids], "fetched": N, "errors": [...]}. Exit 1 on errors.
"""
import base64
import hashlib
import json
import re
import ssl
import sys
import urllib.request

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DIGITS = re.compile(r"^\d+$")
# The attribute types of the draft's section on types that a feed of
# indicators carries (a subset: what this reader knows to check).
TYPES = {
    "ip-src", "ip-dst", "domain", "hostname", "url", "uri", "md5", "sha1",
    "sha256", "sha512", "filename", "email-src", "email-dst", "email",
    "mac-address", "mutex", "regkey", "user-agent", "x509-fingerprint-sha1",
    "stix2-pattern", "filename|md5", "filename|sha1", "filename|sha256",
    "domain|ip", "ip-dst|port", "ip-src|port", "text", "comment", "link",
    # types the object templates (file, network-connection, email, x509)
    # give their relations
    "port", "ssdeep", "size-in-bytes", "mime-type", "email-subject",
    "email-message-id", "email-x-mailer", "email-reply-to",
}
COMPOSITE = {t for t in TYPES if "|" in t}


class Reader:
    def __init__(self, base, cacert=None, user=None, password=None):
        self.base = base.rstrip("/") + "/"
        self.errors = []
        self.fetched = 0
        self.ctx = None
        self.auth = None
        if self.base.startswith("https://"):
            self.ctx = ssl.create_default_context(cafile=cacert)
            self.ctx.check_hostname = False
            if user is not None:
                tok = base64.b64encode(f"{user}:{password}".encode()).decode()
                self.auth = f"Basic {tok}"

    def get(self, name):
        if self.ctx is None:
            with open(self.base + name, "rb") as f:
                return f.read()
        req = urllib.request.Request(self.base + name)
        if self.auth:
            req.add_header("Authorization", self.auth)
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            return r.read()

    def err(self, msg):
        self.errors.append(msg)

    def check_tags(self, where, tags):
        if not isinstance(tags, list):
            self.err(f"{where}: Tag is not a list")
            return []
        names = []
        for t in tags:
            if not isinstance(t, dict) or not isinstance(t.get("name"), str):
                self.err(f"{where}: a Tag without a name")
                continue
            names.append(t["name"])
        return names

    def check_org(self, where, org):
        if not isinstance(org, dict) or not isinstance(org.get("name"), str) \
                or not UUID.match(str(org.get("uuid", ""))):
            self.err(f"{where}: Orgc needs a name and a uuid")
            return None
        return {"name": org["name"], "uuid": org["uuid"]}

    def read(self, since=None):
        out = {"events": {}, "manifest": [], "errors": self.errors}
        try:
            manifest = json.loads(self.get("manifest.json"))
        except Exception as e:  # noqa: BLE001 - any failure is a finding
            self.err(f"manifest.json: {e}")
            return out
        if not isinstance(manifest, dict):
            self.err("manifest.json: not an object")
            return out
        md5s = set()
        for uuid, m in manifest.items():
            out["manifest"].append(uuid)
            where = f"manifest.json {uuid}"
            if not UUID.match(uuid):
                self.err(f"{where}: key is not a uuid")
                continue
            for k in ("Orgc", "Tag", "info", "date", "analysis",
                      "threat_level_id", "timestamp"):
                if k not in m:
                    self.err(f"{where}: no {k}")
            if not DATE.match(str(m.get("date", ""))):
                self.err(f"{where}: date is not YYYY-MM-DD")
            if str(m.get("analysis")) not in ("0", "1", "2"):
                self.err(f"{where}: analysis not 0, 1 or 2")
            if str(m.get("threat_level_id")) not in ("1", "2", "3", "4"):
                self.err(f"{where}: threat_level_id not 1-4")
            try:
                ts = int(m.get("timestamp"))
            except (TypeError, ValueError):
                self.err(f"{where}: timestamp is not a number")
                continue
            self.check_org(where, m.get("Orgc"))
            mtags = self.check_tags(where, m.get("Tag"))
            if since is not None and ts <= since:
                continue  # unchanged since the last poll: not fetched
            try:
                doc = json.loads(self.get(f"{uuid}.json"))
                self.fetched += 1
            except Exception as e:  # noqa: BLE001
                self.err(f"{uuid}.json: {e}")
                continue
            ev = doc.get("Event") if isinstance(doc, dict) else None
            if not isinstance(ev, dict):
                self.err(f"{uuid}.json: no Event object")
                continue
            if ev.get("uuid") != uuid:
                self.err(f"{uuid}.json: Event.uuid is {ev.get('uuid')}")
            if ev.get("info") != m.get("info"):
                self.err(f"{uuid}.json: info differs from the manifest")
            if str(ev.get("timestamp")) != str(ts):
                self.err(f"{uuid}.json: timestamp differs from the manifest")
            etags = self.check_tags(f"{uuid}.json", ev.get("Tag", []))
            if sorted(etags) != sorted(mtags):
                self.err(f"{uuid}.json: Tag differs from the manifest")
            attrs = []
            objects = []
            # an Object (draft section "Object"): name, uuid, template,
            # timestamp and its Attribute list, each with object_relation
            flat = [(f"{uuid}.json Attribute[{i}]", a, None)
                    for i, a in enumerate(ev.get("Attribute", []))]
            if not isinstance(ev.get("Object", []), list):
                self.err(f"{uuid}.json: Object is not a list")
            for k, o in enumerate(ev.get("Object", []) if
                                  isinstance(ev.get("Object", []), list) else []):
                ow = f"{uuid}.json Object[{k}]"
                if not isinstance(o, dict):
                    self.err(f"{ow}: not an object")
                    continue
                for f in ("name", "meta-category", "template_uuid",
                          "template_version"):
                    if not isinstance(o.get(f), str) or o.get(f) == "":
                        self.err(f"{ow}: no {f}")
                if not UUID.match(str(o.get("uuid", ""))) or \
                        not UUID.match(str(o.get("template_uuid", ""))):
                    self.err(f"{ow}: uuid or template_uuid")
                if not DIGITS.match(str(o.get("timestamp", ""))):
                    self.err(f"{ow}: timestamp")
                entry = {"name": o.get("name"), "uuid": o.get("uuid"),
                         "attributes": []}
                objects.append(entry)
                for i, a in enumerate(o.get("Attribute", [])):
                    flat.append((f"{ow} Attribute[{i}]", a, entry))
            for aw, a, entry in flat:
                t, v = a.get("type"), a.get("value")
                if entry is not None and (
                        not isinstance(a.get("object_relation"), str) or
                        a.get("object_relation") == ""):
                    self.err(f"{aw}: no object_relation")
                if t not in TYPES:
                    self.err(f"{aw}: unknown type {t}")
                if not isinstance(v, str) or v == "":
                    self.err(f"{aw}: no value")
                    continue
                if not UUID.match(str(a.get("uuid", ""))):
                    self.err(f"{aw}: uuid")
                if not isinstance(a.get("to_ids"), bool):
                    self.err(f"{aw}: to_ids is not a boolean")
                if not isinstance(a.get("category"), str):
                    self.err(f"{aw}: no category")
                if not DIGITS.match(str(a.get("timestamp", ""))):
                    self.err(f"{aw}: timestamp")
                if t in COMPOSITE and v.count("|") != 1:
                    self.err(f"{aw}: composite value without one '|'")
                parts = v.split("|") if t in COMPOSITE else [v]
                for p in parts:
                    md5s.add((hashlib.md5(p.encode()).hexdigest(), uuid))
                got = {"uuid": a.get("uuid"), "type": t, "value": v,
                       "to_ids": a.get("to_ids"),
                       "tags": self.check_tags(aw, a.get("Tag", []))}
                if entry is None:
                    attrs.append(got)
                else:
                    got["relation"] = a.get("object_relation")
                    entry["attributes"].append(got)
            out["events"][uuid] = {
                "objects": objects,
                "info": ev.get("info"), "timestamp": ts, "tags": etags,
                "orgc": self.check_org(f"{uuid}.json", ev.get("Orgc")),
                "attributes": attrs}
        try:
            lines = self.get("hashes.csv").decode().splitlines()
            rows = set()
            for ln in lines:
                h, _, u = ln.partition(",")
                if not re.match(r"^[0-9a-f]{32}$", h) or not UUID.match(u):
                    self.err(f"hashes.csv: bad line {ln!r}")
                rows.add((h, u))
            # every attribute fetched has its lines (events not fetched
            # keep theirs, which this poll cannot check)
            missing = md5s - rows
            if missing:
                self.err(f"hashes.csv: {len(missing)} attribute hashes missing")
            out["hashes"] = len(rows)
        except Exception as e:  # noqa: BLE001
            self.err(f"hashes.csv: {e}")
        return out


def main(argv):
    args = {"--cacert": None, "--user": None, "--password": None, "--since": None}
    pos = []
    i = 1
    while i < len(argv):
        if argv[i] in args and i + 1 < len(argv):
            args[argv[i]] = argv[i + 1]
            i += 2
        else:
            pos.append(argv[i])
            i += 1
    if len(pos) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    r = Reader(pos[0], args["--cacert"], args["--user"], args["--password"])
    since = int(args["--since"]) if args["--since"] is not None else None
    out = r.read(since)
    out["fetched"] = r.fetched
    json.dump(out, sys.stdout, ensure_ascii=False)
    print()
    return 1 if r.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
