"""A small SCIM client for what bench/run does outside wrk: counting users, creating groups,
walking cursor pages. Keep-alive over one connection; JSON in and out."""
from __future__ import annotations

import http.client
import json
import urllib.parse

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


class ScimError(RuntimeError):
    pass


class Client:
    def __init__(self, port: int, token: str, tenant: str = "demo"):
        self.port = port
        self.prefix = f"/scim/v2/{tenant}"
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/scim+json"
        try:
            return self._send(method, path, data, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closes keep-alive connections idle for a while (e.g. during a long wrk
            # run); the request never reached it, so send it again on a new connection.
            self.conn.close()
            return self._send(method, path, data, headers)

    def _send(self, method: str, path: str, data: bytes | None, headers: dict) -> tuple[int, dict | None]:
        self.conn.request(method, self.prefix + path, body=data, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        return response.status, json.loads(text) if text else None

    def expect(self, status: int, method: str, path: str, body: dict | None = None) -> dict | None:
        got, parsed = self.request(method, path, body)
        if got != status:
            raise ScimError(f"{method} {path}: expected {status}, got {got}: {parsed}")
        return parsed

    def count_users(self) -> int:
        listing = self.expect(200, "GET", "/Users?startIndex=1&count=1&attributes=id")
        return int(listing["totalResults"])

    def create_group(self, display_name: str) -> str:
        group = self.expect(201, "POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": display_name})
        return group["id"]

    def list_by_cursor(self, cursor: str, count: int, attributes: str = "id") -> dict:
        """One page of cursor pagination (RFC 9865); cursor "" asks for the first page."""
        query = urllib.parse.urlencode({"cursor": cursor, "count": count, "attributes": attributes})
        return self.expect(200, "GET", "/Users?" + query)
