#!/usr/bin/env python3
"""Read a TAXII 2.1 collection the way taxii2-client (v2.3, taxii2client.v21)
does, for test_feed: taxii2-client itself cannot be installed here (it is
on PyPI only, which this workplace does not reach).

What it does, as taxii2-client does it: Server(url, user, password) GETs
discovery with Accept "application/taxii+json;version=2.1" and HTTP Basic,
checks each answer's Content-Type is that media type, takes the first API
root, GETs it and its collections, picks the collection, then
as_pages(collection.get_objects, per_request=N): a first GET of
objects/?limit=N, then, while the envelope says "more", a GET with
limit=N&next=<the envelope's next> (no added_after beside it).

Prints "objects N distinct D pages P"; exits 1 on any error.
"""
import argparse
import base64
import json
import os
import ssl
import sys
import urllib.parse
import urllib.request

MEDIA = "application/taxii+json;version=2.1"


class Conn:
    def __init__(self, user, password, cacert):
        self.ctx = ssl.create_default_context(cafile=cacert)
        # a node's certificate names 127.0.0.1; taxii2-client (requests)
        # checks the name too
        cred = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.auth = "Basic " + cred

    def get(self, url, params=None):
        if params:
            url += "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, headers={
            "Accept": MEDIA, "Authorization": self.auth})
        with urllib.request.urlopen(req, context=self.ctx, timeout=60) as r:
            ctype = r.headers.get("Content-Type", "")
            # taxii2-client's _to_json: the media type must match
            if ctype.replace(" ", "").split(";")[0] != MEDIA.split(";")[0] or \
                    "version=2.1" not in ctype.replace(" ", ""):
                raise SystemExit("unexpected Content-Type %r" % ctype)
            return json.loads(r.read().decode("utf-8"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="discovery URL")
    ap.add_argument("--cacert", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--collection", required=True, help="id or alias")
    ap.add_argument("--per-request", type=int, default=100)
    a = ap.parse_args()
    conn = Conn(a.user, os.environ.get("TAXII_PASSWORD", ""), a.cacert)
    disc = conn.get(a.url)
    root = disc["api_roots"][0]
    conn.get(root)
    colls = conn.get(urllib.parse.urljoin(root, "collections/"))
    coll = None
    for c in colls.get("collections", []):
        if a.collection in (c.get("id"), c.get("alias")):
            coll = c
    if coll is None or not coll.get("can_read"):
        raise SystemExit("no readable collection %s" % a.collection)
    objects_url = urllib.parse.urljoin(root, "collections/%s/objects/" %
                                       coll["id"])
    ids, pages = [], 0
    env = conn.get(objects_url, {"limit": a.per_request})
    while True:
        pages += 1
        ids += [o["id"] for o in env.get("objects", [])]
        if not env.get("more", False):
            break
        env = conn.get(objects_url, {"limit": a.per_request,
                                     "next": env["next"]})
    print("objects %d distinct %d pages %d" % (len(ids), len(set(ids)), pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
