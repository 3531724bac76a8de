#!/usr/bin/env python3
"""A minimal scimd webhook receiver: verifies each delivery's signature, then handles the event.

    SCIMD_WEBHOOK_SECRET=whsec_... python3 webhook_receiver.py 8000
    scimd webhook add acme http://127.0.0.1:8000/scimd

Standard library only. The end-to-end tests import verify() from this file, so it stays correct.
"""
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE_SECONDS = 300  # refuse replays of old deliveries


def verify(secret: str, signature_header: str, body: bytes, now: float | None = None) -> bool:
    """True when `signature_header` ("t=...,v1=...[,v1=...]") signs `body` with `secret` recently."""
    parts = [p.split("=", 1) for p in signature_header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return False
    if abs((now if now is not None else time.time()) - int(timestamps[0])) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    # Two v1 signatures come while the sender rotates its secret: either may match.
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verify(os.environ["SCIMD_WEBHOOK_SECRET"], self.headers.get("Scimd-Signature", ""), body):
            self.send_response(401)
            self.end_headers()
            return
        event = json.loads(body)
        # Deliveries are at least once: use event["id"] to skip one you have handled already.
        print(event["type"], event["resource"]["id"], flush=True)
        self.send_response(204)  # any 2xx marks the delivery done; anything else is retried
        self.end_headers()


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8000), Receiver).serve_forever()
