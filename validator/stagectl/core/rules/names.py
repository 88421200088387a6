"""model-name: the model's name is its file's stem, and one file per model."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from stagectl.core.model import model_stem
from stagectl.core.policy import Policy
from stagectl.core.rules import Change, Finding, History, Rule, finding


def check(change: Change, policy: Policy, history: History) -> Iterator[Finding]:
    head = change.head
    if head is None:
        return
    stem = model_stem(head.path)
    if head.name != stem:
        yield finding(
            head,
            ("name",),
            f"name '{head.name}' does not match the file name '{posixpath.basename(head.path)}': "
            f"rename the file to {head.name}{posixpath.splitext(head.path)[1]} or set 'name: {stem}'",
        )
    for twin in change.twins:
        if model_stem(twin) == stem:
            message = f"model '{stem}' is also declared in {twin}: keep one file per model"
        else:  # Fraud.yaml beside fraud.yaml
            message = (
                f"model '{stem}' and {twin} differ only in case, which the registry and some file systems "
                "ignore: they are one model, keep one file"
            )
        yield finding(head, ("name",), message)


RULE = Rule("model-name", check, standalone=True)
