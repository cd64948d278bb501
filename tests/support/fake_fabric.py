"""A fake Fabric REST API at requests' transport: everything fabric-cicd does above the wire is real.

`FakeFabric.send` replaces `requests.adapters.HTTPAdapter.send`, so fabric-cicd builds each request,
JSON-encodes each body and reads each answer as it does against `api.powerbi.com`. The fake answers the
calls `publish_all_items` makes for semantic models and reports (the routes of learn.microsoft.com/rest/api/
fabric/core/items) and records every request; any other call is answered 404 and recorded as unexpected.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from azure.core.credentials import AccessToken
from requests.structures import CaseInsensitiveDict

TOKEN = "fake-fabric-token-4f0c"  # what the fake credential hands out; must never appear in a body


class FakeCredential:
    """A TokenCredential: records the scopes asked for, returns one token."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)


@dataclass
class Sent:
    method: str
    path: str  # without the host, with the query
    host: str
    headers: dict[str, str]
    body: Any

    def parts(self) -> dict[str, str]:
        """An item definition's parts, decoded: {path: text}."""
        definition = self.body.get("definition", {})
        return {p["path"]: base64.b64decode(p["payload"]).decode("utf-8") for p in definition.get("parts", [])}


@dataclass
class FakeFabric:
    workspace_id: str
    items: list[dict] = field(default_factory=list)  # already in the workspace: {id, type, displayName}
    capacity: str | None = "cap-0001"
    refuse: int | None = None  # answer every item call with this status (403: no permission)
    sent: list[Sent] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        body = json.loads(request.body) if request.body else None
        self.sent.append(Sent(request.method, path, url.netloc, dict(request.headers), body))
        status, answer = self._route(request.method, url.path, body)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json; charset=utf-8"})
        response._content = json.dumps(answer).encode()
        response.url, response.request = request.url, request
        return response

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        workspace = f"/v1/workspaces/{self.workspace_id}"
        if method == "GET" and path == workspace:
            return 200, {"id": self.workspace_id, "displayName": "Customer Insights", "capacityId": self.capacity}
        if self.refuse and path.startswith(workspace):
            return self.refuse, {"errorCode": "InsufficientPrivileges", "message": "The caller is not a member"}
        if method == "GET" and path == f"{workspace}/folders":
            return 200, {"value": []}
        if method == "GET" and path == f"{workspace}/items":
            return 200, {
                "value": [{**item, "description": "", "workspaceId": self.workspace_id} for item in self.items]
            }
        if method == "POST" and path == f"{workspace}/items":
            item = {"id": str(uuid.uuid4()), "type": body["type"], "displayName": body["displayName"]}
            self.items.append(item)
            return 201, {**item, "workspaceId": self.workspace_id}
        match = re.fullmatch(rf"{workspace}/items/([0-9a-f-]+)/updateDefinition", path)
        if method == "POST" and match and any(item["id"] == match.group(1) for item in self.items):
            return 200, {}
        self.unexpected.append(f"{method} {path}")
        return 404, {"errorCode": "NotFound", "message": f"{method} {path}"}

    def calls(self) -> list[tuple[str, str]]:
        return [(sent.method, sent.path.replace(self.workspace_id, "{ws}")) for sent in self.sent]

    def created(self, item_type: str) -> Sent:
        (sent,) = [
            s for s in self.sent if s.method == "POST" and s.path.endswith("/items") and s.body["type"] == item_type
        ]
        return sent
