"""Run plans against a registry: read each model once, plan it, write the differences.

Models are independent, so they go through a small thread pool; within a model the plan's order is
kept (demotions before promotions). A failure stops that model only; every model gets a result.

Every write is idempotent except creating a version: MLflow numbers it and never reuses a number,
so two applies creating the same version at once would burn numbers for good. An apply that must
create versions first takes a lease on the model (a `stagectl.lock` tag: token and expiry): a new
model is registered with the lease already in its tags (registration is atomic); an existing one
gets the tag written, and the lease holds if it is still there a moment later. Another apply waits
for the lease, then plans again from what the registry holds by then.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol, TypeVar

from stagectl.core.aliases import TAG_LOCK, AliasMapping
from stagectl.registry.client import AlreadyExists, Conflict, Outcome, RegistryError, first_line
from stagectl.registry.desired import DesiredModel
from stagectl.registry.plan import Action, ModelPlan, Problem, plan_model
from stagectl.registry.state import ActualModel

T = TypeVar("T")
R = TypeVar("R")

LEASE_SECONDS = 20  # a crashed apply's lease blocks others this long at most; renewed while writing
SETTLE_SECONDS = 1.0  # a written lease holds if it is still there after this
WAIT_SECONDS = 120.0  # the longest an apply waits for another's lease on a model
POLL_SECONDS = 0.5
ROUNDS = 20  # re-plans per model besides waiting (after a lost lease, or a model registered meanwhile)


class Reader(Protocol):
    def read(self, name: str) -> ActualModel | None: ...


class Writer(Reader, Protocol):
    def write(self, action: Action) -> Outcome: ...

    def claim(self, name: str, lease: str) -> None: ...

    def release(self, name: str, lease: str, held: bool = False) -> None: ...


@dataclass(frozen=True)
class ModelResult:
    """One model: the plan made from the state read, what of it was done, and what went wrong."""

    model: str
    plan: ModelPlan
    done: tuple[Action, ...] = ()
    errors: tuple[Problem, ...] = ()  # the plan's refusals, or the write that failed
    notes: tuple[Problem, ...] = ()
    refusals: tuple[Problem, ...] = ()  # changes the rules refused: the model stays where it was

    @property
    def status(self) -> str:
        if self.plan.errors or self.refusals:
            return "refused"
        if self.errors:
            return "failed"
        return "applied" if self.done else "unchanged"

    @property
    def reverted(self) -> tuple[Action, ...]:
        return tuple(a for a in self.done if a.reverts)


def read_models(
    reader: Reader, names: Sequence[str], workers: int = 1, absent: Collection[str] = ()
) -> tuple[dict[str, ActualModel | None], dict[str, Problem]]:
    """Each model's state (None: not registered), and for those that could not be read, why.

    `absent`: models a listing just found unregistered, so not read.
    """

    def one(name: str) -> ActualModel | Problem | None:
        if name in absent:
            return None
        try:
            return reader.read(name)
        except Exception as error:
            return Problem(name, None, f"cannot read it from the registry: {reason(error)}")

    found = _each(one, names, workers)
    states = {n: f for n, f in zip(names, found, strict=True) if not isinstance(f, Problem)}
    failed = {n: f for n, f in zip(names, found, strict=True) if isinstance(f, Problem)}
    return states, failed


def plan_models(
    reader: Reader,
    models: Sequence[DesiredModel],
    mapping: AliasMapping,
    workers: int = 1,
    known: Mapping[str, ActualModel | None] | None = None,
) -> list[ModelResult]:
    """Read and plan every model; write nothing. `known`: states just read (None: not registered), not read again."""
    known = known or {}

    def one(desired: DesiredModel) -> ModelResult:
        try:
            actual = known[desired.name] if desired.name in known else reader.read(desired.name)
            plan = plan_model(desired, actual, mapping)
        except Exception as error:
            return _failed(
                desired, ModelPlan(desired.name), (), None, f"cannot read it from the registry: {reason(error)}"
            )
        return ModelResult(desired.name, plan, errors=plan.errors, notes=plan.notes)

    return _each(one, models, workers)


def apply_models(
    writer: Writer,
    models: Sequence[DesiredModel],
    mapping: AliasMapping,
    workers: int = 1,
    known: Mapping[str, ActualModel | None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ModelResult]:
    """Read, plan and apply every model; each plan is made from the state read just before writing.

    `known`: states just read (None: not registered), so not read again first (if one changed
    since, a write fails or the lease says so, and the model is read and planned again).
    """
    known = known or {}
    return _each(
        lambda desired: _apply(writer, desired, mapping, known.get(desired.name), desired.name in known, clock, sleep),
        models,
        workers,
    )


@dataclass
class Lease:
    """This apply's claim on one model, so that it alone creates versions there (see the module doc).

    Taken by registering a new model with the lease in its tags (atomic), or by writing the tag on
    an existing one and finding it still there after the settle time; renewed while writing; let go
    at the end. A lease another apply overwrote within the settle time is dropped: back off.
    """

    writer: Writer
    name: str
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    value: str | None = None  # "<token> <expiry>" while held
    renewed: float = 0.0
    confirmed: bool = False  # seen in place after it was written

    @property
    def held(self) -> bool:
        return self.value is not None

    def other_holder(self, actual: ActualModel | None) -> bool:
        """Whether another apply holds an unexpired lease on the model (or crashed holding it)."""
        holder = _holder(actual, self.clock())
        return holder is not None and holder != self.token

    def check(self, actual: ActualModel | None) -> bool:
        """Whether the lease is still in place on this state."""
        if self.value is None or _holder(actual, self.clock()) != self.token:
            return False
        self.confirmed = True
        return True

    def drop(self) -> None:
        """Another apply overwrote it within the settle time: it is theirs now."""
        self.value = None

    def register(self, create: Action) -> ActualModel:
        """Register the model with the lease already in its tags; the state this leaves."""
        candidate = self._candidate()
        tags = MappingProxyType({**create.tags, TAG_LOCK: candidate})
        self.writer.write(replace(create, tags=tags))
        self.value, self.renewed = candidate, self.clock()
        return ActualModel(self.name, create.description, tags)

    def claim(self) -> None:
        """Write the lease on an existing model; whether it holds is seen on the next read."""
        candidate = self._candidate()
        self.writer.claim(self.name, candidate)
        self.sleep(SETTLE_SECONDS)
        self.value, self.renewed = candidate, self.clock()

    def renew_if_due(self) -> None:
        if self.value is not None and self.clock() - self.renewed > LEASE_SECONDS / 2:
            self.value, self.renewed = self._candidate(), self.clock()
            self.writer.claim(self.name, self.value)

    def clear_expired(self, actual: ActualModel | None) -> None:
        """Remove an expired lease a crashed apply left behind."""
        if self.value is None and actual is not None and TAG_LOCK in actual.tags:
            self.writer.release(self.name, actual.tags[TAG_LOCK])

    def release(self) -> None:
        if self.value is not None:
            # Nobody takes an unexpired lease, so a confirmed one still ours is removed without a read.
            held = self.confirmed and self.clock() < self.renewed + LEASE_SECONDS - 2
            self.writer.release(self.name, self.value, held=held)
            self.value = None

    def _candidate(self) -> str:
        return f"{self.token} {self.clock() + LEASE_SECONDS:.0f}"


def _apply(
    writer: Writer,
    desired: DesiredModel,
    mapping: AliasMapping,
    first: ActualModel | None,
    read_already: bool,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> ModelResult:
    """One model: read -> plan -> acquire (when versions must be created) -> write, again until done."""
    name = desired.name
    lease = Lease(writer, name, clock, sleep)
    done: list[Action] = []
    notes: list[Problem] = []
    plan = ModelPlan(name)
    deadline = clock() + WAIT_SECONDS
    waited = False
    clashes = 0  # create-model found the name taken
    known: ActualModel | None = first  # the state, when it was just read (or made) and need not be read again
    try:
        for _ in range(ROUNDS + int(WAIT_SECONDS / POLL_SECONDS)):
            try:  # read
                fresh = not (known is not None or read_already)  # read in this round, not earlier
                actual = writer.read(name) if fresh else known
                known, read_already = None, False
            except Exception as error:
                return _failed(desired, plan, done, None, f"cannot read it from the registry: {reason(error)}", notes)
            plan = plan_model(desired, actual, mapping)  # plan (what the rules allow was judged before)
            if plan.errors:
                return ModelResult(name, plan, tuple(done), plan.errors, plan.notes)
            creates = any(a.action == "create-version" for a in plan.actions)
            if lease.held and not lease.check(actual) and creates:
                lease.drop()
                continue  # back off, plan again
            if not lease.held and lease.other_holder(actual):  # acquire: wait for another apply's lease
                if clock() > deadline:
                    message = f"another apply holds the lease on {name} and has not let go: rerun later"
                    return _failed(desired, plan, done, None, message, notes)
                if not waited:
                    notes.append(Problem(name, None, "waited for another apply's lease on it"))
                    waited = True
                sleep(POLL_SECONDS)
                continue
            if not lease.held and creates:
                if actual is not None and not fresh:
                    continue  # the lease is taken on what the registry holds now, not on a listing made earlier
                try:
                    if actual is None:
                        known = lease.register(plan.actions[0])
                        done.append(plan.actions[0])
                    else:
                        lease.claim()
                except AlreadyExists:
                    clashes += 1
                    if clashes > 2:  # registered, yet not readable as a model: MLflow hides prompts
                        return _failed(desired, plan, done, None, _UNREADABLE.format(name=name), notes)
                    continue
                except Conflict:
                    continue  # another apply wrote its lease at the same moment: read again, plan again
                except Exception as error:
                    return _failed(desired, plan, done, None, f"cannot take the lease: {reason(error)}", notes)
                continue
            lease.clear_expired(actual)
            for action in plan.actions:  # write
                try:
                    lease.renew_if_due()
                    outcome = writer.write(action)
                except AlreadyExists:
                    clashes += 1
                    if clashes > 2:
                        return _failed(desired, plan, done, None, _UNREADABLE.format(name=name), notes)
                    break  # registered meanwhile: plan again from what is there
                except Conflict:
                    break  # another apply wrote the same thing at the same moment: plan again from what is there
                except Exception as error:
                    return _failed(desired, plan, done, action, f"{action.action} failed: {reason(error)}", notes)
                done.append(action)
                if outcome.note:
                    notes.append(Problem(name, action.version, outcome.note))
            else:
                return ModelResult(name, plan, tuple(done), (), tuple([*plan.notes, *notes]))
        return _failed(desired, plan, done, None, "the registry kept changing under this apply: rerun it", notes)
    finally:
        lease.release()


_UNREADABLE = (
    "a registered model named {name} exists but cannot be read as a model (an MLflow prompt has that name?): "
    "rename the model file, or the prompt"
)


def _holder(actual: ActualModel | None, now: float) -> str | None:
    """The token of the apply holding the model's lease, None when nobody does (or it expired)."""
    value = actual.tags.get(TAG_LOCK, "") if actual else ""
    token, _, expiry = value.partition(" ")
    if not token or not expiry.isdigit() or int(expiry) < now:
        return None
    return token


def _failed(
    desired: DesiredModel,
    plan: ModelPlan,
    done: Sequence[Action],
    action: Action | None,
    message: str,
    notes: Sequence[Problem] = (),
) -> ModelResult:
    problem = Problem(desired.name, action.version if action else None, message)
    return ModelResult(desired.name, plan, tuple(done), (problem,), (*plan.notes, *notes))


def reason(error: Exception) -> str:
    return str(error) if isinstance(error, RegistryError) else first_line(error)


def _each(one: Callable[[T], R], models: Sequence[T], workers: int) -> list[R]:
    if workers <= 1 or len(models) <= 1:
        return [one(m) for m in models]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stagectl") as pool:
        return list(pool.map(one, models))
