#!/usr/bin/env python3
"""A small TAXII 2.1 server over TLS on 127.0.0.1 for test_feed.

It serves one collection of made-up indicators the way some outside
servers do, to check trilex's feed client against them:

  --mode no-next    distinct date_added; a page holds at most --cap
                    objects; "more" comes WITHOUT "next" (the client must
                    go on from X-TAXII-Date-Added-Last)
  --mode same-date  every object has one date_added; pages of at most
                    --cap objects, "more" without "next"
  --mode next       as no-next, but with "next" tokens
  --mode garbage    200 with an HTML page (a login portal's answer)

added_after is exclusive, as TAXII 2.1 says. A request with both
added_after and next is refused (400), and every request is logged, one
JSON line each, to --log. --require "Header: value" answers 401 to any
request without that header (e.g. "X-API-Key: k"). An empty page is "{}"
without the X-TAXII-Date-Added-* headers. Writes --ready when listening.
"""
import argparse
import datetime
import json
import ssl
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MEDIA = "application/taxii+json;version=2.1"
COLL = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
BASE = datetime.datetime(2025, 3, 1, tzinfo=datetime.timezone.utc)


def ts(us):
    t = BASE + datetime.timedelta(microseconds=us)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % t.microsecond


def parse_ts(s):
    s = s.rstrip("Z")
    frac = "0"
    if "." in s:
        s, frac = s.split(".", 1)
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    us = int((frac + "000000")[:6])
    return int((t - BASE).total_seconds()) * 1000000 + us


def make_objects(n, same_date):
    objs = []
    for i in range(n):
        added = 5000000 if same_date else 1000000 + i * 1000
        objs.append((added, {
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--00000000-0000-4000-9000-%012d" % i,
            "created": "2025-01-01T00:00:00.000Z",
            "modified": "2025-01-01T00:00:00.000Z",
            "name": "feed test %d" % i, "pattern_type": "stix",
            "pattern": "[ipv4-addr:value = '10.9.%d.%d']" % (i >> 8 & 255, i & 255),
            "valid_from": "2025-01-01T00:00:00Z"}))
    return objs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--mode", choices=["no-next", "same-date", "next",
                                       "garbage"],
                    required=True)
    ap.add_argument("--objects", type=int, default=250)
    ap.add_argument("--bad", type=int, default=0,
                    help="the first N objects lack a pattern (refused)")
    ap.add_argument("--cap", type=int, default=100)
    ap.add_argument("--require", default="")
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready", required=True)
    args = ap.parse_args()
    objs = make_objects(args.objects, args.mode == "same-date")
    for k in range(min(args.bad, len(objs))):
        del objs[k][1]["pattern"]
    log = open(args.log, "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, code, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", MEDIA)
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            hdrs = {k.lower(): v for k, v in self.headers.items()}
            log.write(json.dumps({"path": u.path, "query": q,
                                  "headers": hdrs}) + "\n")
            if args.require:
                name, value = args.require.split(":", 1)
                if hdrs.get(name.strip().lower()) != value.strip():
                    return self.reply(401, {"title": "Unauthorized"})
            if args.mode == "garbage":
                data = b"<html><body>please log in</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if u.path != "/api/collections/%s/objects/" % COLL:
                return self.reply(404, {"title": "Not Found"})
            if "added_after" in q and "next" in q:
                return self.reply(400, {"title": "Bad Request",
                                        "description": "added_after and next"
                                        " together"})
            limit = min(int(q.get("limit", "100")), args.cap)
            rest = objs
            if "next" in q:
                rest = objs[int(q["next"]):]
            elif "added_after" in q:
                after = parse_ts(q["added_after"])
                rest = [o for o in objs if o[0] > after]
            page = rest[:limit]
            if not page:
                return self.reply(200, {})
            start = objs.index(page[0])
            body = {"objects": [o[1] for o in page],
                    "more": len(rest) > limit}
            if body["more"] and args.mode == "next":
                body["next"] = str(start + len(page))
            self.reply(200, body, [
                ("X-TAXII-Date-Added-First", ts(page[0][0])),
                ("X-TAXII-Date-Added-Last", ts(page[-1][0]))])

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    open(args.ready, "w").write("ready\n")
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
