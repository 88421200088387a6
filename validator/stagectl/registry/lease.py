"""One apply's lease on one model: so that it alone creates that model's versions.

MLflow numbers a new version itself and never reuses a number, so two applies creating the same
version at once would burn numbers for good. Every other write is idempotent. So an apply with
versions to create first takes a lease: a `stagectl.lock` tag, "<token> <expiry>". A new model is
registered with the lease already in its tags (registration is atomic); on an existing one the tag
is written, and the lease holds if it is still there a moment later (the next read). It is renewed
while writing and let go at the end; a crashed apply's lease expires on its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol

from stagectl.core.aliases import TAG_LOCK
from stagectl.registry.reconcile import ModelPlan
from stagectl.registry.state import ActualModel
from stagectl.registry.writes import CreateModel, CreateVersion

LEASE_SECONDS = 20  # a crashed apply's lease blocks others this long at most; renewed while writing
SETTLE_SECONDS = 1.0  # a written lease holds if it is still there after this


class LeaseWriter(Protocol):
    def write(self, action: CreateModel) -> object: ...

    def claim(self, name: str, lease: str) -> None: ...

    def release(self, name: str, lease: str, held: bool = False) -> None: ...


@dataclass(frozen=True)
class Write:
    """Go ahead: the plan needs no lease, or this apply holds it."""


@dataclass(frozen=True)
class Wait:
    """Another apply holds the lease: wait, then read and plan again."""


@dataclass(frozen=True)
class Again:
    """Read and plan again (the lease was just written, or lost, or was judged on a stale read)."""


@dataclass(frozen=True)
class Registered:
    """The model was registered with the lease in its tags: plan again from the state this left."""

    state: ActualModel
    write: CreateModel


Acquired = Write | Wait | Again | Registered


@dataclass
class Lease:
    """This apply's claim on one model (see the module doc). Mutable: held, renewed, let go."""

    writer: LeaseWriter
    name: str
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    value: str | None = None  # "<token> <expiry>" while held
    renewed: float = 0.0
    confirmed: bool = False  # seen in place after it was written

    def acquire(self, actual: ActualModel | None, plan: ModelPlan, fresh: bool) -> Acquired:
        """Whether the plan, made from `actual`, may be written now; takes the lease when it must.

        `fresh`: `actual` was read just now (a lease is taken on what the registry holds now, not
        on a listing made earlier). The registry's errors (a lost race included) are raised.
        """
        creates = any(isinstance(a, CreateVersion) for a in plan.actions)
        held = self.value is not None
        if held and not self._still_ours(actual) and creates:
            self.value = None  # another apply overwrote it within the settle time: it is theirs now
            return Again()
        if not held and self._other_holder(actual):
            return Wait()
        if held or not creates:
            self._clear_expired(actual)
            return Write()
        if actual is None:
            first = plan.actions[0]
            assert isinstance(first, CreateModel), "a model not registered yet is planned with create-model first"
            return Registered(self._register(first), first)
        if not fresh:
            return Again()
        self._claim()
        return Again()

    def renew_if_due(self) -> None:
        if self.value is not None and self.clock() - self.renewed > LEASE_SECONDS / 2:
            self.value, self.renewed = self._candidate(), self.clock()
            self.writer.claim(self.name, self.value)

    def release(self) -> None:
        if self.value is not None:
            # Nobody takes an unexpired lease, so a confirmed one still ours is removed without a read.
            held = self.confirmed and self.clock() < self.renewed + LEASE_SECONDS - 2
            self.writer.release(self.name, self.value, held=held)
            self.value = None

    def _other_holder(self, actual: ActualModel | None) -> bool:
        """Whether another apply holds an unexpired lease on the model (or crashed holding it)."""
        found = holder(actual, self.clock())
        return found is not None and found != self.token

    def _still_ours(self, actual: ActualModel | None) -> bool:
        if holder(actual, self.clock()) != self.token:
            return False
        self.confirmed = True
        return True

    def _register(self, create: CreateModel) -> ActualModel:
        """Register the model with the lease already in its tags; the state this leaves."""
        candidate = self._candidate()
        tags = MappingProxyType({**create.tags, TAG_LOCK: candidate})
        self.writer.write(replace(create, tags=tags))
        self.value, self.renewed = candidate, self.clock()
        return ActualModel(self.name, create.description, tags)

    def _claim(self) -> None:
        """Write the lease on an existing model; whether it holds is seen on the next read."""
        candidate = self._candidate()
        self.writer.claim(self.name, candidate)
        self.sleep(SETTLE_SECONDS)
        self.value, self.renewed = candidate, self.clock()

    def _clear_expired(self, actual: ActualModel | None) -> None:
        """Remove an expired lease a crashed apply left behind."""
        if self.value is None and actual is not None and TAG_LOCK in actual.tags:
            self.writer.release(self.name, actual.tags[TAG_LOCK])

    def _candidate(self) -> str:
        return f"{self.token} {self.clock() + LEASE_SECONDS:.0f}"


def holder(actual: ActualModel | None, now: float) -> str | None:
    """The token of the apply holding the model's lease, None when nobody does (or it expired)."""
    value = actual.tags.get(TAG_LOCK, "") if actual else ""
    token, _, expiry = value.partition(" ")
    if not token or not expiry.isdigit() or int(expiry) < now:
        return None
    return token
