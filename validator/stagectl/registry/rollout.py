"""Run plans against a registry: read each model once, plan it, write the differences.

Models are independent, so they go through a small thread pool; within a model the plan's order is
kept (demotions before promotions). A failure stops that model only; every model gets a result.

Every write is idempotent except creating a version, so an apply that must create versions first
takes a lease on the model (`lease`); another apply waits for it, then plans again from what the
registry holds by then.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from stagectl.core.aliases import AliasMapping
from stagectl.registry.client import AlreadyExists, Conflict, RegistryError, Written, error_line
from stagectl.registry.desired import DesiredModel
from stagectl.registry.lease import Acquired, Again, Lease, Registered, Wait, Write
from stagectl.registry.reconcile import ModelMessage, ModelPlan, plan_model
from stagectl.registry.state import ActualModel
from stagectl.registry.writes import Action, assert_never, reverts

T = TypeVar("T")
R = TypeVar("R")

WAIT_SECONDS = 120.0  # the longest an apply waits for another's lease on a model
POLL_SECONDS = 0.5
ROUNDS = 20  # re-plans per model besides waiting (after a lost lease, or a model registered meanwhile)


class Reader(Protocol):
    def read(self, name: str) -> ActualModel | None: ...


class Writer(Reader, Protocol):
    def write(self, action: Action) -> Written: ...

    def claim(self, name: str, lease: str) -> None: ...

    def release(self, name: str, lease: str, held: bool = False) -> None: ...


@dataclass(frozen=True)
class ModelResult:
    """One model: the plan made from the state read, what of it was done, and what went wrong."""

    model: str
    plan: ModelPlan
    done: tuple[Action, ...] = ()
    errors: tuple[ModelMessage, ...] = ()  # the plan's refusals, or the write that failed
    notes: tuple[ModelMessage, ...] = ()
    refusals: tuple[ModelMessage, ...] = ()  # changes the rules refused: the model stays where it was

    @property
    def status(self) -> str:
        if self.plan.errors or self.refusals:
            return "refused"
        if self.errors:
            return "failed"
        return "applied" if self.done else "unchanged"

    @property
    def reverted(self) -> tuple[tuple[Action, str], ...]:
        """The writes that undid drift (an alias or stage changed outside git), with what was found."""
        return tuple((a, was) for a in self.done if (was := reverts(a)))


def read_models(
    reader: Reader, names: Sequence[str], workers: int = 1, absent: Collection[str] = ()
) -> tuple[dict[str, ActualModel | None], dict[str, ModelMessage]]:
    """Each model's state (None: not registered), and for those that could not be read, why.

    `absent`: models a listing just found unregistered, so not read.
    """

    def one(name: str) -> ActualModel | ModelMessage | None:
        if name in absent:
            return None
        try:
            return reader.read(name)
        except Exception as error:
            return ModelMessage(name, None, f"cannot read it from the registry: {reason(error)}")

    found = _each(one, names, workers)
    states = {n: f for n, f in zip(names, found, strict=True) if not isinstance(f, ModelMessage)}
    failed = {n: f for n, f in zip(names, found, strict=True) if isinstance(f, ModelMessage)}
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


def _apply(
    writer: Writer,
    desired: DesiredModel,
    mapping: AliasMapping,
    first: ActualModel | None,
    read_already: bool,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> ModelResult:
    """One model: read -> plan -> acquire (when versions must be created) -> write, again until done.

    The rules judged the model before (session: what it may be brought to); each round plans from
    the state just read, so a lost race or another apply's lease ends in a fresh plan, not a clash.
    """
    run = _ModelRun(writer, desired, Lease(writer, desired.name, clock, sleep), clock() + WAIT_SECONDS)
    known = first if read_already else None  # the state, when it was just read (or made): not read again
    plan = ModelPlan(desired.name)
    try:
        for _ in range(ROUNDS + int(WAIT_SECONDS / POLL_SECONDS)):
            fresh = known is None and not read_already
            actual = run.read(plan) if fresh else known  # read
            known, read_already = None, False
            plan = plan_model(desired, actual, mapping)  # plan
            if plan.errors:
                return ModelResult(desired.name, plan, tuple(run.done), plan.errors, plan.notes)
            match run.acquire(actual, plan, fresh):  # acquire
                case Write():
                    if run.write(plan):  # write
                        return run.result(plan)
                case Wait():
                    run.wait(plan, clock, sleep)
                case Again():
                    pass
                case Registered(state, create):
                    run.done.append(create)
                    known = state
                case _:
                    assert_never(_)
        return run.failed(plan, None, "the registry kept changing under this apply: rerun it")
    except _ModelEnds as stop:
        return stop.result
    finally:
        run.lease.release()


class _ModelEnds(Exception):
    """This model's apply ends here, with this result (a failure: the others go on)."""

    def __init__(self, result: ModelResult) -> None:
        super().__init__(result.model)
        self.result = result


@dataclass
class _ModelRun:
    """What one model's apply has done so far: its writes, its notes, its lease. Each step raises
    `_ModelEnds` when the model cannot go on."""

    writer: Writer
    desired: DesiredModel
    lease: Lease
    deadline: float
    done: list[Action] = field(default_factory=list)
    notes: list[ModelMessage] = field(default_factory=list)
    clashes: int = 0
    waited: bool = False

    def read(self, plan: ModelPlan) -> ActualModel | None:
        try:
            return self.writer.read(self.desired.name)
        except Exception as error:
            raise _ModelEnds(self.failed(plan, None, _cannot_read(error))) from None

    def acquire(self, actual: ActualModel | None, plan: ModelPlan, fresh: bool) -> Acquired:
        try:
            return self.lease.acquire(actual, plan, fresh)
        except AlreadyExists:
            self.clash(plan)
        except Conflict:
            pass  # another apply wrote its lease at the same moment: read again, plan again
        except Exception as error:
            raise _ModelEnds(self.failed(plan, None, f"cannot take the lease: {reason(error)}")) from None
        return Again()

    def clash(self, plan: ModelPlan) -> None:
        """create-model found the name taken: registered meanwhile (plan again), or more than twice,
        registered yet not readable as a model (MLflow hides prompts)."""
        self.clashes += 1
        if self.clashes > 2:
            raise _ModelEnds(self.failed(plan, None, _UNREADABLE.format(name=self.desired.name)))

    def wait(self, plan: ModelPlan, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        """Another apply holds the lease: wait for it, up to the deadline."""
        name = self.desired.name
        if clock() > self.deadline:
            raise _ModelEnds(
                self.failed(plan, None, f"another apply holds the lease on {name} and has not let go: rerun later")
            )
        if not self.waited:
            self.notes.append(ModelMessage(name, None, "waited for another apply's lease on it"))
            self.waited = True
        sleep(POLL_SECONDS)

    def write(self, plan: ModelPlan) -> bool:
        """Write the plan in order; False when a lost race means planning again from what is there."""
        for action in plan.actions:
            try:
                self.lease.renew_if_due()
                outcome = self.writer.write(action)
            except AlreadyExists:
                self.clash(plan)
                return False
            except Conflict:
                return False  # another apply wrote the same thing at the same moment
            except Exception as error:
                raise _ModelEnds(self.failed(plan, action, f"{action.kind} failed: {reason(error)}")) from None
            self.done.append(action)
            if outcome.note:
                self.notes.append(ModelMessage(self.desired.name, action.version, outcome.note))
        return True

    def result(self, plan: ModelPlan) -> ModelResult:
        return ModelResult(self.desired.name, plan, tuple(self.done), (), (*plan.notes, *self.notes))

    def failed(self, plan: ModelPlan, action: Action | None, message: str) -> ModelResult:
        return _failed(self.desired, plan, self.done, action, message, self.notes)


_UNREADABLE = (
    "a registered model named {name} exists but cannot be read as a model (an MLflow prompt has that name?): "
    "rename the model file, or the prompt"
)


def _cannot_read(error: Exception) -> str:
    return f"cannot read it from the registry: {reason(error)}"


def _failed(
    desired: DesiredModel,
    plan: ModelPlan,
    done: Sequence[Action],
    action: Action | None,
    message: str,
    notes: Sequence[ModelMessage] = (),
) -> ModelResult:
    problem = ModelMessage(desired.name, action.version if action else None, message)
    return ModelResult(desired.name, plan, tuple(done), (problem,), (*plan.notes, *notes))


def reason(error: Exception) -> str:
    return str(error) if isinstance(error, RegistryError) else error_line(error)


def _each(one: Callable[[T], R], models: Sequence[T], workers: int) -> list[R]:
    if workers <= 1 or len(models) <= 1:
        return [one(m) for m in models]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stagectl") as pool:
        return list(pool.map(one, models))
