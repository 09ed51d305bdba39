#!/usr/bin/env python3
"""A local stand-in for the Zendesk Support API, for mayadiag's desk integration tests.

Follows Zendesk's documented behaviour for the endpoints mayadiag uses:
  POST /oauth/tokens                      client-credentials grant (JSON body), bearer tokens
  POST /api/v2/uploads.json?filename=&token=   raw body; returns upload.token + attachment(s)
  POST /api/v2/tickets.json               create; honours Idempotency-Key (same key+body -> same
                                          ticket, x-idempotency-lookup: hit; other body -> 400
                                          IdempotentRequestError)
  GET  /api/v2/tickets.json?external_id=  lookup
  GET  /api/v2/tickets/{id}.json, PUT /api/v2/tickets/{id}.json (comment with uploads)
  GET  /api/v2/tickets/{id}/comments.json
  GET  /attachments/{id}/{name}           the stored bytes (content_url; no auth, like Zendesk)

Every request is recorded in <state-dir>/requests.json (method, path, lowercased headers, body sha256,
status, time)
with its raw body in <state-dir>/bodies/; tickets, uploads and attachments in <state-dir>/desk.json.

Faults come from a JSON file re-read on every request (so a test can change them between runs):
  {"faults": [{"id": "f1", "method": "POST", "path": "/api/v2/uploads.json", "skip": 0, "times": 1,
               "action": "status", "status": 429, "headers": {"Retry-After": "1"}, "body": "..."}]}
  action "status"      answer with status/headers/body instead of handling the request
  action "reset"       read part of the body, then reset the connection
  action "drop_after"  handle the request, then close the connection without answering
  action "status_after" handle the request, then answer with status/body instead (an ambiguous 5xx:
                       the desk acted, the client cannot know)
  --ignore-idempotency-key plays a desk (or proxy) that drops the Idempotency-Key header.
  "times": -1 means forever. Token expiry: --token-valid-uses N makes every access token fail
  (401) on the first use after N successful uses.

The first line on stdout is the base URL, e.g. http://127.0.0.1:40123
Python 3 standard library only.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

LOCK = threading.Lock()


class Desk:
    def __init__(self, args):
        self.args = args
        self.state_dir = args.state_dir
        os.makedirs(os.path.join(self.state_dir, "bodies"), exist_ok=True)
        os.makedirs(os.path.join(self.state_dir, "attachments"), exist_ok=True)
        self.base_url = ""
        self.log = []
        self.fault_counts = {}
        self.tokens = {}  # access token -> {"uses": n, "expires": t}
        self.uploads = {}  # upload token -> {"created": t, "attachments": [ids], "used": bool}
        self.attachments = {}  # id -> {...}
        self.tickets = {}  # id -> ticket
        self.idempotency = {}  # key -> {"body_sha256", "status", "body"}
        self.next_ticket = 1000
        self.next_attachment = 500
        self.next_comment = 9000

    # ---- persistence -------------------------------------------------------------------------
    def write_json(self, name, value):
        path = os.path.join(self.state_dir, name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(value, f, indent=1, sort_keys=True)
        os.replace(tmp, path)

    def persist(self):
        self.write_json("requests.json", self.log)
        self.write_json(
            "desk.json",
            {
                "tickets": [self.tickets[k] for k in sorted(self.tickets)],
                "uploads": self.uploads,
                "attachments": {str(k): v for k, v in self.attachments.items()},
                "tokens_issued": len(self.tokens),
            },
        )

    # ---- faults ------------------------------------------------------------------------------
    def load_faults(self):
        if not self.args.faults or not os.path.exists(self.args.faults):
            return []
        try:
            with open(self.args.faults) as f:
                return json.load(f).get("faults", [])
        except (OSError, ValueError):
            return []

    def matching_fault(self, method, path):
        """Count the request against every fault it matches; return the first one that is active."""
        chosen = (None, None)
        for index, fault in enumerate(self.load_faults()):
            if fault.get("method", method).upper() != method:
                continue
            wanted = fault.get("path")
            prefix = fault.get("path_prefix")
            if wanted is not None and wanted != path:
                continue
            if prefix is not None and not path.startswith(prefix):
                continue
            fid = fault.get("id", str(index))
            seen = self.fault_counts.get(fid, 0)
            self.fault_counts[fid] = seen + 1
            skip = int(fault.get("skip", 0))
            times = int(fault.get("times", 1))
            if chosen[0] is None and seen >= skip and (times < 0 or seen < skip + times):
                chosen = (fid, fault)
        return chosen

    # ---- auth --------------------------------------------------------------------------------
    def authenticate(self, header):
        if header.startswith("Bearer "):
            token = self.tokens.get(header[len("Bearer "):])
            if token is None or time.time() >= token["expires"]:
                return False
            limit = self.args.token_valid_uses
            if limit is not None and token["uses"] >= limit:
                return False
            token["uses"] += 1
            return True
        if header.startswith("Basic ") and self.args.email and self.args.api_token:
            try:
                decoded = base64.b64decode(header[len("Basic "):]).decode()
            except ValueError:
                return False
            return decoded == f"{self.args.email}/token:{self.args.api_token}"
        return False

    def mint(self, body):
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return 400, {"error": "invalid_request", "error_description": "body is not JSON"}
        if request.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if request.get("client_id") != self.args.client_id or request.get("client_secret") != self.args.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        token = "zd-" + secrets.token_hex(16)
        self.tokens[token] = {"uses": 0, "expires": time.time() + self.args.token_expires_in}
        return 200, {"access_token": token, "token_type": "bearer", "scope": request.get("scope", ""),
                     "expires_in": self.args.token_expires_in}

    # ---- API ---------------------------------------------------------------------------------
    def attachment_json(self, aid):
        a = self.attachments[aid]
        return {"id": aid, "file_name": a["file_name"], "content_url": a["content_url"], "content_type": a["content_type"],
                "size": a["size"], "url": f"{self.base_url}/api/v2/attachments/{aid}.json", "thumbnails": []}

    def upload(self, query, headers, body):
        names = query.get("filename", [])
        if not names or not names[0]:
            return 400, {"error": "InvalidParameter", "description": "filename is required"}, {}
        name = names[0]
        token = query.get("token", [None])[0]
        if token is not None:
            existing = self.uploads.get(token)
            if existing is None or time.time() - existing["created"] > self.args.upload_token_ttl:
                return 404, {"error": "RecordNotFound", "description": "Not found"}, {}
        else:
            token = secrets.token_hex(8)
            self.uploads[token] = {"created": time.time(), "attachments": [], "used": False}
        aid = self.next_attachment
        self.next_attachment += 1
        stored = os.path.join(self.state_dir, "attachments", f"{aid}-{name}")
        with open(stored, "wb") as f:
            f.write(body)
        self.attachments[aid] = {
            "file_name": name, "size": len(body), "sha256": hashlib.sha256(body).hexdigest(), "path": stored,
            "content_type": headers.get("Content-Type", ""), "upload_token": token,
            "content_url": f"{self.base_url}/attachments/{aid}/{quote(name)}",
        }
        self.uploads[token]["attachments"].append(aid)
        upload = {"token": token, "expires_at": "in 60 minutes", "attachment": self.attachment_json(aid),
                  "attachments": [self.attachment_json(a) for a in self.uploads[token]["attachments"]]}
        return 201, {"upload": upload}, {}

    def resolve_uploads(self, tokens):
        ids = []
        for token in tokens or []:
            upload = self.uploads.get(token)
            if upload is None or time.time() - upload["created"] > self.args.upload_token_ttl:
                return None, {"error": "RecordInvalid", "description": "Record validation errors",
                              "details": {"uploads": [{"description": f"upload token {token} is unknown or expired",
                                                       "error": "InvalidValue"}]}}
            upload["used"] = True
            ids.extend(upload["attachments"])
        return ids, None

    def new_comment(self, comment, attachment_ids):
        self.next_comment += 1
        return {"id": self.next_comment, "body": comment.get("body", ""), "plain_body": comment.get("body", ""),
                "public": comment.get("public", True), "attachments": [self.attachment_json(a) for a in attachment_ids]}

    def create_ticket(self, headers, body):
        key = None if self.args.ignore_idempotency_key else headers.get("Idempotency-Key")
        body_sha = hashlib.sha256(body).hexdigest()
        if key:
            seen = self.idempotency.get(key)
            if seen is not None:
                if seen["body_sha256"] != body_sha:
                    return 400, {"error": "IdempotentRequestError",
                                 "description": "Request parameters don't match the given idempotency key"}, {}
                return seen["status"], seen["body"], {"x-idempotency-lookup": "hit"}
        try:
            ticket = json.loads(body)["ticket"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "InvalidJSON", "description": "body must be {\"ticket\": {...}}"}, {}
        comment = ticket.get("comment") or {}
        details = {}
        if not comment.get("body"):
            details["comment"] = [{"description": "Comment: cannot be blank", "error": "BlankValue"}]
        if ticket.get("priority") not in (None, "urgent", "high", "normal", "low"):
            details["priority"] = [{"description": "Priority: is invalid", "error": "InvalidValue"}]
        if ticket.get("type") not in (None, "problem", "incident", "question", "task"):
            details["type"] = [{"description": "Type: is invalid", "error": "InvalidValue"}]
        if details:
            return 422, {"error": "RecordInvalid", "description": "Record validation errors", "details": details}, {}
        ids, problem = self.resolve_uploads(comment.get("uploads"))
        if problem:
            return 422, problem, {}
        tid = self.next_ticket
        self.next_ticket += 1
        record = {
            "id": tid, "url": f"{self.base_url}/api/v2/tickets/{tid}.json", "subject": ticket.get("subject"),
            "description": comment.get("body"), "priority": ticket.get("priority"), "type": ticket.get("type"),
            "status": "new", "tags": ticket.get("tags", []), "external_id": ticket.get("external_id"),
            "custom_fields": ticket.get("custom_fields", []), "requester": ticket.get("requester"),
            "idempotency_key": key, "comments": [self.new_comment(comment, ids)],
        }
        self.tickets[tid] = record
        response = {"ticket": self.public_ticket(record), "audit": {"events": []}}
        if key:
            self.idempotency[key] = {"body_sha256": body_sha, "status": 201, "body": response}
        return 201, response, {"x-idempotency-lookup": "miss", "Location": record["url"]}

    @staticmethod
    def public_ticket(record):
        return {k: v for k, v in record.items() if k not in ("comments", "idempotency_key")}

    def update_ticket(self, tid, body):
        record = self.tickets.get(tid)
        if record is None:
            return 404, {"error": "RecordNotFound", "description": "Not found"}, {}
        try:
            ticket = json.loads(body)["ticket"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "InvalidJSON"}, {}
        comment = ticket.get("comment")
        if comment:
            ids, problem = self.resolve_uploads(comment.get("uploads"))
            if problem:
                return 422, problem, {}
            record["comments"].append(self.new_comment(comment, ids))
        return 200, {"ticket": self.public_ticket(record), "audit": {"events": []}}, {}

    def handle_api(self, method, path, query, headers, body):
        """Returns (status, json_body, extra_headers)."""
        if path == "/oauth/tokens" and method == "POST":
            status, payload = self.mint(body)
            return status, payload, {}
        if path.startswith("/attachments/") and method == "GET":
            return None, None, {}
        if not path.startswith("/api/v2/"):
            return 404, {"error": "InvalidEndpoint"}, {}
        if not self.authenticate(headers.get("Authorization", "")):
            return 401, {"error": "Couldn't authenticate you"}, {}
        route = re.sub(r"\.json$", "", path[len("/api/v2"):])
        if route == "/uploads" and method == "POST":
            return self.upload(query, headers, body)
        if route == "/tickets" and method == "POST":
            return self.create_ticket(headers, body)
        if route == "/tickets" and method == "GET":
            wanted = query.get("external_id", [None])[0]
            found = [self.public_ticket(t) for t in self.tickets.values() if wanted is None or t["external_id"] == wanted]
            return 200, {"tickets": found, "count": len(found), "next_page": None}, {}
        match = re.fullmatch(r"/tickets/(\d+)(/comments)?", route)
        if match:
            tid = int(match.group(1))
            if match.group(2) and method == "GET":
                record = self.tickets.get(tid)
                if record is None:
                    return 404, {"error": "RecordNotFound", "description": "Not found"}, {}
                return 200, {"comments": record["comments"], "next_page": None, "count": len(record["comments"])}, {}
            if method == "GET":
                record = self.tickets.get(tid)
                if record is None:
                    return 404, {"error": "RecordNotFound", "description": "Not found"}, {}
                return 200, {"ticket": self.public_ticket(record)}, {}
            if method == "PUT":
                return self.update_ticket(tid, body)
        return 404, {"error": "InvalidEndpoint", "description": f"no route {method} {path}"}, {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    desk = None

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def reset_connection(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def record(self, entry):
        self.desk.log.append(entry)
        self.desk.persist()

    def dispatch(self, method):
        desk = self.desk
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query)
        length = int(self.headers.get("Content-Length") or 0)
        with LOCK:
            n = len(desk.log) + 1
            entry = {"n": n, "time": time.time(), "method": method, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                     "body_len": length}
            fid, fault = desk.matching_fault(method, path)
            if fault is not None:
                entry["fault"] = fid
            if fault is not None and fault.get("action") == "reset":
                partial = self.rfile.read(min(length, int(fault.get("read_bytes", 512))))
                entry["status"] = "reset"
                entry["body_len_read"] = len(partial)
                self.record(entry)
                self.reset_connection()
                return
            body = self.rfile.read(length) if length else b""
            entry["body_sha256"] = hashlib.sha256(body).hexdigest()
            body_file = os.path.join(desk.state_dir, "bodies", f"{n:05d}.bin")
            with open(body_file, "wb") as f:
                f.write(body)
            entry["body_file"] = body_file
            if fault is not None and fault.get("action", "status") == "status":
                status = int(fault.get("status", 500))
                payload = fault.get("body", {"error": "InjectedFault"})
                raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                ctype = "text/plain" if isinstance(payload, str) else "application/json"
                entry["status"] = status
                self.record(entry)
                self.respond(status, raw, ctype, fault.get("headers", {}))
                return
            if path.startswith("/attachments/") and method == "GET":
                match = re.fullmatch(r"/attachments/(\d+)/.*", path)
                attachment = desk.attachments.get(int(match.group(1))) if match else None
                entry["status"] = 200 if attachment else 404
                self.record(entry)
                if attachment is None:
                    self.respond(404, b"not found", "text/plain", {})
                else:
                    with open(attachment["path"], "rb") as f:
                        self.respond(200, f.read(), attachment["content_type"] or "application/octet-stream", {})
                return
            status, payload, extra = desk.handle_api(method, path, query, self.headers, body)
            entry["status"] = status
            if fault is not None and fault.get("action") == "status_after":
                status = int(fault.get("status", 500))
                entry["status"] = f"{status}-after-{entry['status']}"
                self.record(entry)
                payload = fault.get("body", {"error": "InjectedFault"})
                self.respond(status, json.dumps(payload).encode(), "application/json", fault.get("headers", {}))
                return
            if fault is not None and fault.get("action") == "drop_after":
                entry["status"] = f"dropped-after-{status}"
                self.record(entry)
                self.reset_connection()
                return
            self.record(entry)
            self.respond(status, json.dumps(payload).encode(), "application/json", extra)

    def respond(self, status, raw, ctype, headers):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--faults", help="JSON fault file, re-read on every request")
    parser.add_argument("--client-id", default="mayadiag-test")
    parser.add_argument("--client-secret", default="")
    parser.add_argument("--email")
    parser.add_argument("--api-token")
    parser.add_argument("--token-expires-in", type=float, default=7200)
    parser.add_argument("--token-valid-uses", type=int)
    parser.add_argument("--upload-token-ttl", type=float, default=3600)
    parser.add_argument("--ignore-idempotency-key", action="store_true")
    args = parser.parse_args()
    # Secrets may also come from env, so they need not show in the test's process list.
    args.client_secret = os.environ.get("STANDIN_CLIENT_SECRET", args.client_secret)
    args.api_token = os.environ.get("STANDIN_API_TOKEN", args.api_token)
    desk = Desk(args)
    Handler.desk = desk
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    desk.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    with LOCK:
        desk.persist()
    print(desk.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
