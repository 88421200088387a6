"""One-line notes for the traps a check or an edit cannot see for the user: which policy judged it,
and what to run instead when there was nothing to judge. Pure: the facts in, the words out."""

from __future__ import annotations

from stagectl.core.policy import POLICY_FILE


def uncommitted_policy(what: str) -> str:
    """`what` ("this edit", "the working tree") is judged under HEAD's policy, not the edited file."""
    return (
        f"{POLICY_FILE} has uncommitted changes; {what} is judged under the committed policy (HEAD) — "
        "commit it to put it in force"
    )


def policy_edit(base: str | None, staged: bool) -> str:
    """A change that edits the policy is still judged by the policy it changes: the base's."""
    if staged:
        return (
            f"this commit edits {POLICY_FILE}; it is judged under HEAD's policy ({_short(base)}) — "
            "policy changes take effect once committed"
        )
    return (
        f"this change edits {POLICY_FILE}; it was judged under the base's policy ({_short(base)}) — "
        "policy changes take effect after they merge"
    )


def judge_the_branch(default_branch: str) -> str:
    """A clean working tree on a branch: the branch's own commits are what wants judging."""
    return (
        "nothing changed in the working tree; to judge this branch as a pull request: "
        f"stagectl check --base {default_branch}"
    )


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "no commits yet: the defaults"
