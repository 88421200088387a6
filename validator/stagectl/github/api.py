"""GitHub's REST API, the little `check` reads of it: a pull request's reviews, and team membership.

The API's address comes from GITHUB_API_URL (GitHub Enterprise Server, or a test server), the token
from STAGECTL_GITHUB_TOKEN or GITHUB_TOKEN. The token goes into the Authorization header of requests
to that address only (a `next` page elsewhere is refused), and into no message, ever.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stagectl.display import short
from stagectl.errors import FatalError
from stagectl.github.approvals import Review

DEFAULT_API = "https://api.github.com"
TIMEOUT = 20.0
MAX_PAGES = 100  # 10,000 reviews: a pull request with more is not one a rule should wait for
_NEXT = re.compile(r'<([^<>]+)>\s*;\s*rel="next"')
TEAM_TOKEN_HINT = (
    "the workflow's GITHUB_TOKEN cannot read team membership: give the check a token that can "
    "(a GitHub App installation token with the organization permission Members: read, or a token with "
    "read:org) in STAGECTL_GITHUB_TOKEN, or name users instead of teams in policy.approvals"
)


def token_from(env: Mapping[str, str]) -> str | None:
    return env.get("STAGECTL_GITHUB_TOKEN") or env.get("GITHUB_TOKEN") or None


@dataclass
class GitHub:
    api: str
    token: str = field(repr=False)
    _teams: dict[tuple[str, str, str], bool] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str], token: str) -> GitHub:
        api = (env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", api):
            raise FatalError(f"GITHUB_API_URL {short(api)!r} is not an http(s) address")
        return cls(api, token)

    def reviews(self, repository: str, number: int) -> list[Review]:
        """Every review of pull request `number`, oldest first, all pages."""
        found = []
        for item in self._pages(f"/repos/{repository}/pulls/{number}/reviews?per_page=100", "the reviews"):
            user = item.get("user") if isinstance(item, dict) else None
            login = user.get("login") if isinstance(user, dict) else None
            if isinstance(login, str) and isinstance(item.get("state"), str):
                commit = item.get("commit_id")
                found.append(Review(login, item["state"], commit if isinstance(commit, str) else None))
        return found

    def in_team(self, org: str, team: str, login: str) -> bool:
        """Whether `login` is an active member of @org/team (asked once per pair)."""
        key = (org.lower(), team.lower(), login.lower())
        if key not in self._teams:
            self._see_team(org, team)
            path = "/orgs/{}/teams/{}/memberships/{}".format(*(urllib.parse.quote(p, safe="") for p in key))
            status, body = self._get(self.api + path, f"the membership of @{org}/{team}", missing_ok=True)
            self._teams[key] = status == 200 and isinstance(body, dict) and body.get("state") == "active"
        return self._teams[key]

    def _see_team(self, org: str, team: str) -> None:
        """A team the token cannot see answers every membership with 404: say so, never read it as "not a member"."""
        key = (org.lower(), team.lower(), "")
        if key not in self._teams:
            path = "/orgs/{}/teams/{}".format(*(urllib.parse.quote(p, safe="") for p in key[:2]))
            status, _ = self._get(self.api + path, f"the team @{org}/{team}", missing_ok=True)
            if status == 404:
                raise FatalError(f"cannot see the team @{org}/{team} (HTTP 404): {TEAM_TOKEN_HINT}")
            self._teams[key] = True

    def _pages(self, path: str, what: str) -> Iterator[Any]:
        url: str | None = self.api + path
        for _ in range(MAX_PAGES):
            if url is None:
                return
            _, body, link = self._fetch(url, what)
            if not isinstance(body, list):
                raise FatalError(f"GitHub's API answered {what} with something other than a list")
            yield from body
            url = _next_page(link, self.api)
        raise FatalError(f"GitHub's API has more than {MAX_PAGES} pages of {what}")

    def _get(self, url: str, what: str, missing_ok: bool = False) -> tuple[int, Any]:
        status, body, _ = self._fetch(url, what, missing_ok)
        return status, body

    def _fetch(self, url: str, what: str, missing_ok: bool = False) -> tuple[int, Any, str]:
        request = urllib.request.Request(
            url,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "stagectl",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                status, raw, link = response.status, response.read(), response.headers.get("Link") or ""
        except urllib.error.HTTPError as error:
            if error.code == 404 and missing_ok:
                return 404, None, ""
            raise FatalError(self._refusal(error.code, what)) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise FatalError(
                f"cannot reach GitHub's API at {short(self.api)} for {what}: {short(str(reason))}"
            ) from None
        try:
            return status, json.loads(raw), link
        except ValueError:
            raise FatalError(f"GitHub's API answered {what} with something other than JSON") from None

    def _refusal(self, code: int, what: str) -> str:
        if code == 401:
            return f"GitHub's API refused the token (HTTP 401) reading {what}: the token is invalid or expired"
        if code in (403, 404) and what.startswith(("the membership", "the team")):
            return f"cannot read {what} (HTTP {code}): {TEAM_TOKEN_HINT}"
        if code in (403, 404):
            return (
                f"cannot read {what} (HTTP {code}): the job needs `permissions: pull-requests: read` "
                "and GITHUB_TOKEN in the step's env"
            )
        return f"GitHub's API failed reading {what} (HTTP {code})"


def _next_page(link: str, api: str) -> str | None:
    """The `rel="next"` URL of a Link header, if it is on the API's own host (the token goes nowhere else)."""
    match = _NEXT.search(link)
    if not match:
        return None
    url = match.group(1)
    if not url.startswith(api + "/"):
        raise FatalError(
            "GitHub's API sent a next page on another host: refused (the token goes to GITHUB_API_URL only)"
        )
    return url
