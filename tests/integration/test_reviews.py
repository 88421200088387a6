"""Reviews that know what a change does: the plan comment (`check --format markdown`) and the approval
rule, judged from a stand-in for GitHub's API on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import Result
from helpers.github_fake import FakeGitHub, fake_github, membership, review
from helpers.gitrepo import Repo, init_repo
from helpers.marks import quick_first

TOKEN = "ghs_s3cretTokenThatMustNeverBePrinted"
FRAUD = "models/fraud.yaml"
POLICY = 'policy:\n  approvals:\n    production: {from: ["@acme/ml-leads", "@alice"], count: 1}\n'


def fraud(production: int, staging: int | None, archived: tuple[int, ...] = ()) -> str:
    entries = [(n, "archived") for n in archived] + [(production, "production")]
    if staging is not None:
        entries.append((staging, "staging"))
    lines = ["name: fraud", 'owners: ["@acme/risk-team"]', "versions:"]
    for number, stage in sorted(entries):
        lines += [f"  - version: {number}", f"    stage: {stage}", f"    source: s3://ml-artifacts/fraud/{number}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def promotion(tmp_path: Path) -> Repo:
    """main: fraud 3 in production, 4 in staging; branch `promote`: 4 to production, 3 archived."""
    repo = init_repo(tmp_path / "models-repo")
    repo.write(FRAUD, fraud(3, 4, archived=(1, 2)))
    repo.write("stagectl.yaml", POLICY)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "promote")
    promoted = repo.stagectl("promote", "fraud", "4")
    assert promoted.returncode == 0, promoted.stderr
    repo.commit("promote fraud 4")
    return repo


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        yield fake


def in_pull_request(
    repo: Repo, github: FakeGitHub, event: str = "pull_request", token: str | None = TOKEN
) -> dict[str, str]:
    """The environment of a workflow run for pull request #7, as the runner sets it."""
    payload = {
        "action": "submitted" if event == "pull_request_review" else "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"sha": repo.rev("main"), "ref": "main"},
            "head": {"sha": repo.rev("HEAD"), "ref": "promote"},
        },
    }
    path = repo.path.parent / f"event-{event}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": "acme/models",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": github.url,
    }
    if token:
        env["GITHUB_TOKEN"] = token
    return env


def check(repo: Repo, env: dict[str, str], *args: str) -> Result:
    result = repo.stagectl("check", "--format", "json", *args, env=env)
    assert TOKEN not in result.stdout + result.stderr
    return result


def approval_errors(result: Result) -> list[str]:
    return [e["message"] for e in result.json()["errors"] if e["rule"] == "approval"]


# -- the comment ------------------------------------------------------------------------------------


def test_the_comment_says_which_alias_moves_and_what_is_archived(promotion: Repo) -> None:
    env = {"GITHUB_REPOSITORY": "acme/models", "GITHUB_SERVER_URL": "https://github.com"}
    rendered = promotion.stagectl("check", "--base", "main", "--format", "markdown", env=env)
    assert rendered.returncode == 0, rendered.stderr
    comment = rendered.stdout
    assert "- `fraud`: production 3 → 4, version 3 archived, staging removed (was 4)\n" in comment
    assert "**Rules:** ✅ 1 model file checked, no errors" in comment
    base = promotion.rev("main")
    assert f"[`stagectl.yaml`](https://github.com/acme/models/blob/{base}/stagectl.yaml) at the base" in comment
    # Off GitHub the approval is named, and said not to be judged here.
    assert "needs 1 approval from `@acme/ml-leads` or `@alice`: not judged here" in comment


def test_the_comment_links_each_error_to_its_line_at_the_head(promotion: Repo) -> None:
    promotion.write(FRAUD, fraud(4, None, archived=(1, 2)).replace("version: 4", "version: 9"))
    head = promotion.commit("renumber: version 3 and 4 gone, 9 straight to production")
    env = {"GITHUB_REPOSITORY": "acme/models"}
    rendered = promotion.stagectl("check", "--base", "main", "--format", "markdown", env=env)
    assert rendered.returncode == 1
    text = promotion.stagectl("check", "--base", "main", env=env)
    for file, line, _, rule in text.located():
        link = f"(https://github.com/acme/models/blob/{head}/{file}#L{line}) | `{rule}` |"
        assert link in rendered.stdout, (link, rendered.stdout)
    assert "**Rules:** ❌" in rendered.stdout and "| where | rule | message |" in rendered.stdout


def test_text_from_files_cannot_inject_html_markdown_or_mentions(repo: Repo) -> None:
    repo.write(FRAUD, fraud(1, None))
    repo.commit("base")
    hostile = '"<img src=x onerror=alert(1)> | **@everyone** [x](https://evil) `\\u001b[31m": 1\n'
    repo.write(FRAUD, fraud(1, None) + hostile)
    repo.commit("hostile")
    rendered = repo.stagectl("check", "--base", "HEAD~1", "--format", "markdown")
    assert rendered.returncode == 1
    out = rendered.stdout
    assert "<img" not in out and "&#60;img" in out
    assert "@everyone" not in out and "&#64;everyone" in out
    assert "](https://evil)" not in out and "\x1b" not in out
    [row] = [line for line in out.splitlines() if line.startswith("| [") or line.startswith("| models")]
    assert row.count(" | ") == 2  # the pipe stayed inside its cell


def test_the_comment_stays_under_githubs_limit_and_counts_what_it_leaves_out(repo: Repo) -> None:
    repo.write(FRAUD, fraud(1, None))
    repo.commit("base")
    duplicates = "".join(f"  - version: 1\n    stage: none\n    source: s3://x/{n}\n" for n in range(3000))
    repo.write(FRAUD, fraud(1, None) + duplicates)
    repo.commit("3000 duplicates")
    everything = repo.stagectl("check", "--base", "HEAD~1", "--format", "json").json()["errors"]
    assert len(everything) >= 3000
    rendered = repo.stagectl("check", "--base", "HEAD~1", "--format", "markdown")
    assert rendered.returncode == 1
    assert len(rendered.stdout) < 65_536 - 4_000
    shown = sum(1 for line in rendered.stdout.splitlines() if line.startswith("| models/"))
    assert f"… and {len(everything) - shown} errors more, not shown" in rendered.stdout


# -- approvals --------------------------------------------------------------------------------------


def test_no_approval_keeps_the_check_red_and_names_who_must_approve(promotion: Repo, github: FakeGitHub) -> None:
    github.reviews("acme/models", 7, [])
    result = check(promotion, in_pull_request(promotion, github))
    assert result.returncode == 1
    assert approval_errors(result) == [
        "moving fraud version 4 to production needs 1 approval from @acme/ml-leads or @alice (has 0)"
    ]
    [error] = result.json()["errors"]
    assert (error["file"], error["model"], error["version"]) == (FRAUD, "fraud", 4)
    assert error["line"] == promotion.path.joinpath(FRAUD).read_text().splitlines().index("    stage: production") + 1
    assert github.seen and all(auth == f"Bearer {TOKEN}" for _, auth in github.seen)


@pytest.mark.parametrize(
    ("reviews", "passes"),
    quick_first(
        ([("alice", "APPROVED", "head")], True),
        ([("Alice", "APPROVED", "head")], True),  # logins ignore case
        ([("alice", "APPROVED", "head"), ("alice", "COMMENTED", "head")], True),  # a comment changes no verdict
        ([("alice", "APPROVED", "old")], False),  # stale: an older commit was approved
        ([("alice", "DISMISSED", "head")], False),
        ([("alice", "APPROVED", "head"), ("alice", "CHANGES_REQUESTED", "head")], False),  # the latest counts
        ([("alice", "CHANGES_REQUESTED", "head"), ("alice", "APPROVED", "head")], True),
        ([("mallory", "APPROVED", "head")], False),  # not one of those named
        ([("alice", "COMMENTED", "head")], False),
    ),
    ids=[
        "approved",
        "case",
        "then-commented",
        "stale",
        "dismissed",
        "then-changes",
        "then-approved",
        "other",
        "comment",
    ],
)
def test_the_latest_review_of_each_named_user_counts(
    promotion: Repo, github: FakeGitHub, reviews: list[tuple[str, str, str]], passes: bool
) -> None:
    shas = {"head": promotion.rev("HEAD"), "old": promotion.rev("main")}
    github.reviews(
        "acme/models", 7, [review(login, state, shas[at], i + 1) for i, (login, state, at) in enumerate(reviews)]
    )
    github.answer("/orgs/acme/teams/ml-leads", {"slug": "ml-leads"})  # mallory is in no team
    result = check(promotion, in_pull_request(promotion, github))
    assert (result.returncode, approval_errors(result) == []) == (0 if passes else 1, passes), result.stdout
    if reviews == [("alice", "APPROVED", "old")]:
        assert "@alice must approve again" in approval_errors(result)[0]


def test_reviews_are_read_across_pages(promotion: Repo, github: FakeGitHub) -> None:
    head = promotion.rev("HEAD")
    first = [review(f"user{n}", "COMMENTED", head, n) for n in range(1, 4)]
    github.reviews("acme/models", 7, first, [review("alice", "APPROVED", head, 10)])
    result = check(promotion, in_pull_request(promotion, github, event="pull_request_review"))
    assert result.returncode == 0, result.stdout + result.stderr
    paths = [path for path, _ in github.seen]
    assert paths == [
        "/repos/acme/models/pulls/7/reviews?per_page=100",
        "/repos/acme/models/pulls/7/reviews?per_page=100&page=2",
    ]


def test_a_team_members_approval_counts_and_a_non_members_does_not(promotion: Repo, github: FakeGitHub) -> None:
    head = promotion.rev("HEAD")
    github.answer("/orgs/acme/teams/ml-leads", {"slug": "ml-leads", "name": "ML leads"})
    github.answer("/orgs/acme/teams/ml-leads/memberships/bob", membership())
    github.answer("/orgs/acme/teams/ml-leads/memberships/pat", membership(state="pending"))
    github.reviews("acme/models", 7, [review("carol", "APPROVED", head, 1), review("pat", "APPROVED", head, 2)])
    env = in_pull_request(promotion, github)
    refused = check(promotion, env)  # carol: 404, not a member; pat: invited, not yet a member
    assert refused.returncode == 1 and "(has 0)" in approval_errors(refused)[0]
    github.reviews("acme/models", 7, [review("carol", "APPROVED", head, 1), review("bob", "APPROVED", head, 2)])
    assert check(promotion, env).returncode == 0
    rendered = promotion.stagectl("check", "--format", "markdown", env=env)  # with a token, the comment says who
    assert "- ✅ moving fraud version 4 to production: approved by `@bob`\n" in rendered.stdout


def test_a_team_the_token_cannot_see_is_an_error_not_a_pass(promotion: Repo, github: FakeGitHub) -> None:
    """The workflow's GITHUB_TOKEN cannot read an organization's teams: GitHub answers 404."""
    github.reviews("acme/models", 7, [review("bob", "APPROVED", promotion.rev("HEAD"))])
    result = check(promotion, in_pull_request(promotion, github))
    assert result.returncode == 2 and result.stdout == ""
    assert "cannot see the team @acme/ml-leads (HTTP 404)" in result.stderr
    assert "GitHub App installation token" in result.stderr and "read:org" in result.stderr


def test_a_bad_token_is_refused_and_never_printed(promotion: Repo, github: FakeGitHub) -> None:
    github.token = "the-right-one"
    result = check(promotion, in_pull_request(promotion, github))
    assert result.returncode == 2
    assert "refused the token (HTTP 401)" in result.stderr
    markdown = promotion.stagectl("check", "--format", "markdown", env=in_pull_request(promotion, github))
    assert markdown.returncode == 2 and TOKEN not in markdown.stdout + markdown.stderr


def test_in_a_pull_request_without_a_token_the_check_cannot_run(promotion: Repo, github: FakeGitHub) -> None:
    result = check(promotion, in_pull_request(promotion, github, token=None))
    assert result.returncode == 2 and "set GITHUB_TOKEN" in result.stderr and not github.seen
    # The comment is not the gate: it says the required check judges the approvals.
    rendered = promotion.stagectl("check", "--format", "markdown", env=in_pull_request(promotion, github, token=None))
    assert rendered.returncode == 0
    assert 'not judged here, the required check "stagectl check" judges it' in rendered.stdout


def test_outside_github_the_rule_says_it_was_not_judged(promotion: Repo) -> None:
    for args in (("--base", "main"), ("--base", "main", "--format", "json", "-q")):
        result = promotion.stagectl("check", *args)
        assert result.returncode == 0
        assert "stagectl: note: moving fraud version 4 to production needs 1 approval" in result.stderr
        assert "not judged here, with no pull request" in result.stderr


def test_only_moves_into_the_guarded_stage_need_approval(promotion: Repo, github: FakeGitHub) -> None:
    promotion.git("checkout", "-q", "main")
    promotion.git("checkout", "-q", "-b", "register-5")
    promotion.write(FRAUD, fraud(3, 5, archived=(1, 2, 4)))  # 4 archived, 5 registered in staging: no production move
    promotion.commit("register 5")
    github.reviews("acme/models", 7, [])
    result = check(promotion, in_pull_request(promotion, github))
    assert (result.returncode, result.json()["errors"]) == (0, [])
    assert not github.seen  # nothing to approve: the API is not asked


@pytest.mark.parametrize(
    "approvals",
    quick_first(
        "{production: {from: [alice]}}",  # the @ form, as CODEOWNERS writes it
        "{production: {from: []}}",
        "{production: {from: ['@alice'], count: 0}}",
        "{production: {count: 1}}",
        "{prod: {from: ['@alice']}}",
        "{production: {from: ['@acme/ml leads']}}",
    ),
)
def test_a_malformed_approvals_policy_is_a_policy_error(repo: Repo, approvals: str) -> None:
    repo.write(FRAUD, fraud(1, None))
    repo.commit("base")
    repo.write("stagectl.yaml", f"policy:\n  approvals: {approvals}\n")
    result = repo.stagectl("check", "--format", "json")
    assert result.returncode == 1
    assert [(e["rule"], e["file"]) for e in result.json()["errors"]] == [("policy", "stagectl.yaml")]


def test_the_comment_names_the_aliases_the_registry_mapping_gives(repo: Repo) -> None:
    repo.write("stagectl.yaml", "registry:\n  aliases: {production: champion, staging: challenger}\n")
    repo.write(FRAUD, fraud(3, 4, archived=(1, 2)))
    repo.write("models/old.yaml", "name: old\nversions:\n  - {version: 1, stage: archived, source: s3://o/1}\n")
    repo.commit("base")
    repo.write("models/churn.yaml", "name: churn\nversions:\n  - {version: 1, stage: staging, source: s3://c/1}\n")
    (repo.path / "models/old.yaml").unlink()
    repo.write(FRAUD, fraud(3, 5, archived=(1, 2, 4)))
    repo.commit("churn is new, old is gone, fraud 4 archived and 5 registered in staging")
    rendered = repo.stagectl("check", "--base", "HEAD~1", "--format", "markdown")
    assert rendered.returncode == 0
    moves = [line for line in rendered.stdout.splitlines() if line.startswith("- `")]
    assert moves == [
        "- `churn`: new model, challenger set to 1, version 1 registered (staging)",
        "- `fraud`: challenger 4 → 5, version 4 archived, version 5 registered (staging)",
        "- `old`: model file deleted",
    ]
