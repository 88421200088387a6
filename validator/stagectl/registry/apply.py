"""Run plans against a registry: read each model once, plan it, write the differences.

Models are independent, so they go through a small thread pool; within a model the plan's order is
kept (demotions before promotions). A failure stops that model only; every model gets a result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar

from stagectl.registry.client import Outcome, RegistryError, first_line
from stagectl.registry.desired import DesiredModel
from stagectl.registry.mapping import Mapping
from stagectl.registry.plan import Action, ModelPlan, Problem, plan_model
from stagectl.registry.state import ActualModel

T = TypeVar("T")


class Reader(Protocol):
    def read(self, name: str) -> ActualModel | None: ...


class Writer(Reader, Protocol):
    def write(self, action: Action) -> Outcome: ...


@dataclass(frozen=True)
class ModelResult:
    """One model: the plan made from the state read, what of it was done, and what went wrong."""

    model: str
    plan: ModelPlan
    done: tuple[Action, ...] = ()
    errors: tuple[Problem, ...] = ()  # the plan's refusals, or the write that failed
    notes: tuple[Problem, ...] = ()

    @property
    def status(self) -> str:
        if self.plan.errors:
            return "refused"
        if self.errors:
            return "failed"
        return "applied" if self.done else "unchanged"

    @property
    def reverted(self) -> tuple[Action, ...]:
        return tuple(a for a in self.done if a.reverts)


def plan_models(
    reader: Reader, models: Sequence[DesiredModel], mapping: Mapping, workers: int = 1
) -> list[ModelResult]:
    """Read and plan every model; write nothing."""

    def one(desired: DesiredModel) -> ModelResult:
        try:
            plan = plan_model(desired, reader.read(desired.name), mapping)
        except Exception as error:
            return _unreadable(desired, error)
        return ModelResult(desired.name, plan, errors=plan.errors, notes=plan.notes)

    return _each(one, models, workers)


def apply_models(
    writer: Writer, models: Sequence[DesiredModel], mapping: Mapping, workers: int = 1
) -> list[ModelResult]:
    """Read, plan and apply every model; the plan is made from the state read just before writing."""

    def one(desired: DesiredModel) -> ModelResult:
        try:
            plan = plan_model(desired, writer.read(desired.name), mapping)
        except Exception as error:
            return _unreadable(desired, error)
        if plan.errors:
            return ModelResult(desired.name, plan, errors=plan.errors, notes=plan.notes)
        done: list[Action] = []
        notes = list(plan.notes)
        for action in plan.actions:
            try:
                outcome = writer.write(action)
            except Exception as error:
                problem = Problem(desired.name, action.version, f"{action.action} failed: {_reason(error)}")
                return ModelResult(desired.name, plan, tuple(done), (problem,), tuple(notes))
            done.append(action)
            if outcome.note:
                notes.append(Problem(desired.name, action.version, outcome.note))
        return ModelResult(desired.name, plan, tuple(done), (), tuple(notes))

    return _each(one, models, workers)


def _unreadable(desired: DesiredModel, error: Exception) -> ModelResult:
    problem = Problem(desired.name, None, f"cannot read it from the registry: {_reason(error)}")
    return ModelResult(desired.name, ModelPlan(desired.name), errors=(problem,))


def _reason(error: Exception) -> str:
    return str(error) if isinstance(error, RegistryError) else first_line(error)


def _each(
    one: Callable[[DesiredModel], ModelResult], models: Sequence[DesiredModel], workers: int
) -> list[ModelResult]:
    if workers <= 1 or len(models) <= 1:
        return [one(m) for m in models]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stagectl") as pool:
        return list(pool.map(one, models))
