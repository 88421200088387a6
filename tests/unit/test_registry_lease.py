"""The lease on its own: what `Lease.acquire` answers for each state the registry can be in.

The races themselves run against real servers in test_registry_server.py; here a recording
writer and a hand-moved clock show each answer, and which write it made.
"""

from __future__ import annotations

from types import MappingProxyType

from stagectl.core.aliases import TAG_LOCK
from stagectl.registry.lease import LEASE_SECONDS, Again, Lease, Registered, Wait, Write, holder
from stagectl.registry.reconcile import ModelPlan
from stagectl.registry.state import ActualModel
from stagectl.registry.writes import CreateModel, CreateVersion, SetTag


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def write(self, action: CreateModel) -> object:
        self.calls.append(("write", action.kind, action.tags[TAG_LOCK]))
        return None

    def claim(self, name: str, lease: str) -> None:
        self.calls.append(("claim", name, lease))

    def release(self, name: str, lease: str, held: bool = False) -> None:
        self.calls.append(("release", name, lease, str(held)))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def lease() -> tuple[Lease, Recorder, Clock]:
    writer, clock = Recorder(), Clock()
    return Lease(writer, "fraud", clock, clock.sleep, token="mine"), writer, clock


def model(lock: str | None = None) -> ActualModel:
    return ActualModel("fraud", tags=MappingProxyType({TAG_LOCK: lock} if lock else {}))


CREATES = ModelPlan("fraud", (CreateVersion("fraud", 2, "source s3://b/2", source="s3://b/2"),))
TAGS_ONLY = ModelPlan("fraud", (SetTag("fraud", None, "team=risk", key="team", value="risk"),))


def test_a_plan_that_creates_no_version_needs_no_lease() -> None:
    taken, writer, _ = lease()
    assert taken.acquire(model(), TAGS_ONLY, fresh=False) == Write()
    assert writer.calls == []


def test_versions_to_create_take_the_lease_then_write_once_it_is_seen_in_place() -> None:
    taken, writer, clock = lease()
    assert taken.acquire(model(), CREATES, fresh=True) == Again()  # written, to be seen on the next read
    assert writer.calls == [("claim", "fraud", "mine 1020")]
    assert clock.now == 1001.0  # the settle time
    assert taken.acquire(model("mine 1020"), CREATES, fresh=True) == Write()
    taken.release()
    assert writer.calls[-1] == ("release", "fraud", "mine 1020", "True")  # confirmed: no read before


def test_a_lease_taken_on_a_stale_listing_is_taken_again_on_a_fresh_read() -> None:
    taken, writer, _ = lease()
    assert taken.acquire(model(), CREATES, fresh=False) == Again()
    assert writer.calls == []


def test_another_applys_lease_is_waited_for_and_an_expired_one_cleared() -> None:
    taken, writer, clock = lease()
    assert taken.acquire(model("theirs 1010"), CREATES, fresh=True) == Wait()
    clock.now = 1011.0
    assert taken.acquire(model("theirs 1010"), TAGS_ONLY, fresh=True) == Write()
    assert writer.calls == [("release", "fraud", "theirs 1010", "False")]


def test_a_lease_overwritten_within_the_settle_time_is_dropped() -> None:
    taken, _, _ = lease()
    taken.acquire(model(), CREATES, fresh=True)
    assert taken.acquire(model("theirs 1021"), CREATES, fresh=True) == Again()
    assert taken.acquire(model("theirs 1021"), CREATES, fresh=True) == Wait()  # theirs now


def test_a_new_model_is_registered_with_the_lease_in_its_tags() -> None:
    taken, writer, _ = lease()
    create = CreateModel("fraud", None, "new registered model")
    answer = taken.acquire(None, ModelPlan("fraud", (create, *CREATES.actions)), fresh=False)
    assert isinstance(answer, Registered) and answer.write == create
    assert answer.state.tags[TAG_LOCK] == f"mine {1000 + LEASE_SECONDS}"
    assert writer.calls == [("write", "create-model", "mine 1020")]


def test_a_lease_is_held_until_it_expires() -> None:
    assert holder(model("abc 1000"), now=999.0) == "abc"
    assert holder(model("abc 1000"), now=1001.0) is None  # expired: a crashed apply blocks nobody for long
    assert holder(model("garbage"), now=0.0) is None and holder(model("abc soon"), now=0.0) is None
    assert holder(None, now=0.0) is None
