"""The environment every benchmark runs git and stagectl in: deterministic, free of CI variables."""

from __future__ import annotations

import os

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}


def git_env() -> dict[str, str]:
    """This environment without CI/stagectl/git variables, with a fixed git identity and no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STAGECTL_", "GIT_", "PYTHON"))}
    env.pop("NO_COLOR", None)
    env.update(GIT_IDENTITY)
    return env
