"""A stand-in for GitHub's REST API on 127.0.0.1: canned answers shaped like the real ones, and a log
of every request (path and Authorization header) for the tests to read."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeGitHub:
    url: str = ""
    routes: dict[str, tuple[int, Any, dict[str, str]]] = field(default_factory=dict)
    seen: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Authorization)
    token: str | None = None  # when set, any other bearer token gets 401

    def answer(self, path: str, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.routes[path] = (status, body, headers or {})

    def reviews(self, repository: str, number: int, *pages: list[dict[str, Any]]) -> None:
        """The pull request's reviews over one or more pages, linked as GitHub links them."""
        base = f"/repos/{repository}/pulls/{number}/reviews?per_page=100"
        for index, page in enumerate(pages):
            path = base if index == 0 else f"{base}&page={index + 1}"
            links = []
            if index + 1 < len(pages):
                links.append(f'<{self.url}{base}&page={index + 2}>; rel="next"')
                links.append(f'<{self.url}{base}&page={len(pages)}>; rel="last"')
            self.answer(path, page, headers={"Link": ", ".join(links)} if links else {})


def review(login: str, state: str, commit_id: str, review_id: int = 1) -> dict[str, Any]:
    """One review as GET /repos/{owner}/{repo}/pulls/{n}/reviews returns it (the fields that matter, and some)."""
    return {
        "id": review_id,
        "node_id": f"PRR_{review_id}",
        "user": {"login": login, "id": 1000 + review_id, "type": "User"},
        "body": "",
        "state": state,
        "html_url": f"https://github.com/acme/models/pull/7#pullrequestreview-{review_id}",
        "author_association": "MEMBER",
        "submitted_at": f"2026-11-30T06:{review_id:02d}:00Z",
        "commit_id": commit_id,
    }


def membership(state: str = "active") -> dict[str, Any]:
    """GET /orgs/{org}/teams/{team_slug}/memberships/{username} for a member."""
    return {"url": "https://api.github.com/teams/1/memberships/x", "role": "member", "state": state}


NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            authorization = self.headers.get("Authorization")
            fake.seen.append((self.path, authorization))
            if fake.token is not None and authorization != f"Bearer {fake.token}":
                status, body, headers = 401, BAD_CREDENTIALS, {}
            else:
                status, body, headers = fake.routes.get(self.path, (404, NOT_FOUND, {}))
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
