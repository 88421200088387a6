"""The only module that imports mlflow: read a model's state into plain data, run one write.

Retries are stagectl's own, bounded, and aware of which writes are safe to repeat: MLflow's client
would retry a POST that reached the server (a second `create_model_version` is a second version),
and its default backoff on a 500 stalls for minutes. So its retries are switched off here.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import random
import re
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from stagectl.core.aliases import TAG_LOCK, TAG_NEXT_VERSION
from stagectl.display import printable
from stagectl.errors import FatalError, first_line
from stagectl.registry.state import ActualModel, ActualVersion, text_or_none
from stagectl.registry.writes import (
    Action,
    CreateModel,
    CreateVersion,
    DeleteAlias,
    SetAlias,
    SetStage,
    SetTag,
    UpdateDescription,
    assert_never,
)

T = TypeVar("T")

REQUEST_TIMEOUT = 15  # seconds per HTTP request (MLflow's default is 120)
ATTEMPTS = 3  # per call; 3 attempts x 15 s + backoff stays under the contract's 60 seconds
BACKOFF = (0.5, 1.5)  # seconds before the 2nd and 3rd attempt, +-25 % jitter
TRANSIENT_CODES = {"INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED", "DEADLINE_EXCEEDED"}
CONFLICTS = ("UNIQUE constraint failed", "duplicate key value violates unique constraint", "Duplicate entry")
PAGE = 1000  # MLflow's largest page of registered models
# Model versions per listing page: a page of 50,000 took a sqlite-backed server 23 s here (about 0.5 ms
# a version), past REQUEST_TIMEOUT; 5,000 take a few seconds, and 1,000 models x 5 versions still fit one.
VERSION_PAGE = 5_000


class RegistryError(Exception):
    """A call failed for good (after retries, or at once for a permanent error). One line, for the report."""


class AlreadyExists(RegistryError):
    """create-model found the model there already (another apply, or an attempt whose answer was lost)."""


class Conflict(RegistryError):
    """A write clashed with another writer's (a unique constraint): a lost race, to read and plan again."""


class Unreachable(RegistryError):
    """The registry did not answer at all (connection refused, timeout) after retries."""


@dataclass(frozen=True)
class Written:
    """What one write did beyond its action: a remark for the report (a duplicate removed, ...)."""

    note: str | None = None


ENVIRONMENT = ("MLFLOW_LOGGING_LEVEL", "MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")


@contextlib.contextmanager
def quiet_mlflow() -> Iterator[None]:
    """While a command talks to MLflow: its HTTP client bounded (no retries of its own, short
    timeouts), its warnings and log lines off, the registry URIs' secrets (`hide_secrets_of`) cut
    from messages. All undone afterwards, so a caller's process is left as it was; MLflow need not
    be imported. Nothing else changes process-wide state: the client's constructor does not.

    MLflow reads these variables at each request, so they hold for every call in the scope. Its
    FutureWarnings (stages are deprecated: stagectl says so itself, once), its dependencies'
    deprecations and its log lines (the Databricks SDK's warnings; a SQL error logged with its
    traceback, then raised) are noise: stagectl reports every failure in one line of its own.
    Older MLflow lets alembic configure logging afresh, so a level set on a logger would not hold:
    logging is disabled up to ERROR instead.
    """
    saved = {key: os.environ.get(key) for key in ENVIRONMENT}
    secrets = set(_HIDDEN)
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    timeout = os.environ.get("MLFLOW_HTTP_REQUEST_TIMEOUT", "")
    cap = min(int(timeout), REQUEST_TIMEOUT) if timeout.isdigit() and int(timeout) > 0 else REQUEST_TIMEOUT
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(cap)
    disabled = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        _HIDDEN.intersection_update(secrets)  # the run's URIs' secrets are hidden during the run only
        logging.disable(disabled)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Registry:
    """An MLflow registry at one URI. Thread-safe: one client shared by the apply's workers."""

    def __init__(self, uri: str, sleep: Callable[[float], None] = time.sleep) -> None:
        try:
            from mlflow import MlflowClient
        except ImportError as error:
            raise FatalError(not_importable(error)) from None

        self.uri = uri
        self._remote = uri.startswith(("http://", "https://"))
        try:
            with no_engine_retries(uri):
                self._client: Any = MlflowClient(tracking_uri=uri, registry_uri=uri)
                # Writes skip MlflowClient's prompt check, a GET before every alias, tag and stage write
                # (MLflow 3). A prompt reads as no model, so registering the name fails and apply refuses it.
                self._writer: Any = getattr(self._client, "_get_registry_client", lambda: self._client)()
        except ImportError as error:
            raise FatalError(missing_module(error, uri)) from None
        except Exception as error:
            raise FatalError(cannot_open(error, uri)) from None
        self._sleep = sleep
        self._lock = threading.Lock()
        self._gone: str | None = None  # why the registry stopped answering: from then on, no call is tried
        self.writes = 0

    # -- calling MLflow ------------------------------------------------------------------------------

    def _call(
        self,
        fn: Callable[..., T],
        *args: Any,
        write: bool = False,
        landed: Callable[[], T | None] | None = None,
        **kwargs: Any,
    ) -> T:
        """Call with bounded retries on transient errors; a permanent MLflow error is raised as is.

        `landed`, for a write that must not be repeated, is asked before each retry whether the
        previous attempt took effect after all (its answer lost); what it returns is the result.
        """
        if self._gone is not None:
            raise Unreachable(f"not tried: the registry stopped answering earlier in this run ({self._gone})")
        for attempt in range(ATTEMPTS):
            if write:
                with self._lock:
                    self.writes += 1
            try:
                result = fn(*args, **kwargs)
            except Exception as error:
                kind = classify(error, self._remote)
                if kind == "permanent":
                    raise
                if attempt + 1 < ATTEMPTS:
                    self._sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)] * random.uniform(0.75, 1.25))
                    found = landed() if landed else None
                    if found is not None:
                        return found
                    continue
                if kind == "unreachable":
                    # Given up on for the rest of the run: every model still to do fails at once,
                    # so a registry that hangs ends the apply in about one call's retries.
                    self._gone = error_line(error)
                    raise Unreachable(f"the registry did not answer ({self._gone})") from None
                if kind == "conflict":
                    raise Conflict(f"another writer got there at the same moment ({error_line(error)})") from None
                raise RegistryError(f"the registry kept failing ({error_line(error)})") from None
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def probe(self) -> None:
        """Fail fast (exit 2, well within a minute) when there is no registry to talk to."""
        try:
            self._call(self._client.search_registered_models, max_results=1)
        except Unreachable as error:
            raise FatalError(
                f"cannot reach the MLflow registry at {shown(self.uri)}: {error} "
                "(start the server, or point --registry / MLFLOW_TRACKING_URI at it)"
            ) from None
        except RegistryError as error:
            raise FatalError(
                f"the MLflow registry at {shown(self.uri)} is failing: {error} (try again when it is back)"
            ) from None
        except ImportError as error:
            raise FatalError(missing_module(error, self.uri)) from None
        except Exception as error:
            raise FatalError(
                f"the MLflow registry at {shown(self.uri)} refused to answer: {condensed(error)} ({advice(self.uri)})"
            ) from None

    # -- reading -------------------------------------------------------------------------------------

    def model_names(self) -> list[str]:
        return sorted(str(m.name) for m in self._pages(self._client.search_registered_models, PAGE))

    def read_all(self) -> dict[str, ActualModel]:
        """Every registered model, in a handful of requests whatever their number: a paged listing of
        the models (with their tags and aliases) and one of all their versions (with their tags).

        Checked against a real `mlflow server` (3.17): both listings fill in tags, and the models'
        listing their aliases (the versions' listing leaves the versions' aliases empty, which is
        why aliases are taken from the models). A server whose listing has no aliases at all is
        asked per model.
        """
        found: dict[str, Any] = {}
        for model in self._pages(self._client.search_registered_models, PAGE):
            found[str(model.name)] = model
        versions: dict[str, dict[int, ActualVersion]] = {name: {} for name in found}
        for entry in self._pages(self._client.search_model_versions, VERSION_PAGE):
            if str(entry.name) in versions:
                version = to_version(entry)
                versions[str(entry.name)][version.number] = version
        states = {}
        for name, model in found.items():
            if getattr(model, "aliases", None) is None:  # an MLflow that does not list them
                model = self._call(self._client.get_registered_model, name)
            states[name] = to_model(model, versions[name])
        return states

    def _pages(self, search: Callable[..., Any], size: int) -> list[Any]:
        items: list[Any] = []
        token = None
        while True:
            page = self._call(search, max_results=size, page_token=token)
            items += list(page)
            token = page.token
            if not token:
                return items

    def read(self, name: str) -> ActualModel | None:
        """The model's state, or None when it is not registered. Aliases come from the model itself:
        `search_model_versions` returns them empty."""
        try:
            model = self._call(self._client.get_registered_model, name)
        except Exception as error:
            if error_code(error) == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        versions: dict[int, ActualVersion] = {}
        token = None
        while True:
            page = self._call(self._client.search_model_versions, f"name='{name}'", max_results=PAGE, page_token=token)
            for found in page:
                version = to_version(found)
                versions[version.number] = version
            token = page.token
            if not token:
                break
        return to_model(model, versions)

    # -- writing -------------------------------------------------------------------------------------

    def write(self, action: Action) -> Written:
        """Run one planned write. Every write but create-version is safe to repeat."""
        client = self._writer
        name, number = action.model, str(action.version)
        match action:
            case CreateModel():
                return self._create_model(action)
            case CreateVersion():
                return self._create_version(action)
            case UpdateDescription(version=None):
                self._call(client.update_registered_model, name, description=action.description, write=True)
            case UpdateDescription():
                self._call(client.update_model_version, name, number, description=action.description, write=True)
            case SetTag(version=None):
                self._call(client.set_registered_model_tag, name, action.key, action.value, write=True)
            case SetTag():
                self._call(client.set_model_version_tag, name, number, action.key, action.value, write=True)
            case SetAlias():
                self._call(client.set_registered_model_alias, name, action.alias, number, write=True)
            case DeleteAlias():
                self._call(client.delete_registered_model_alias, name, action.alias, write=True)
            case SetStage():
                self._call(
                    client.transition_model_version_stage,
                    name,
                    number,
                    action.stage,
                    archive_existing_versions=False,
                    write=True,
                )
            case _:
                assert_never(action)
        return Written()

    def _create_model(self, action: CreateModel) -> Written:
        try:
            self._call(
                self._writer.create_registered_model,
                action.model,
                tags=dict(action.tags) or None,
                description=action.description,
                write=True,
            )
        except Exception as error:
            if error_code(error) == "RESOURCE_ALREADY_EXISTS":
                raise AlreadyExists(f"{action.model} was registered meanwhile") from None
            raise
        return Written()

    def claim(self, name: str, lease: str) -> None:
        """Write this apply's lease on a model (see lease.py: who may create its versions)."""
        self._call(self._writer.set_registered_model_tag, name, TAG_LOCK, lease, write=True)

    def release(self, name: str, lease: str, held: bool = False) -> None:
        """Remove the lease if it is still this apply's (`held`: known to be); best effort, it expires anyway."""
        try:
            if held or (self._call(self._client.get_registered_model, name).tags or {}).get(TAG_LOCK) == lease:
                self._call(self._writer.delete_registered_model_tag, name, TAG_LOCK, write=True)
        except Exception:
            return  # an unreleased lease expires on its own

    def _create_version(self, action: CreateVersion) -> Written:
        """Create a version at most once, under the number git gives it.

        Not retried blindly: after a failure whose answer was lost, the registry is read again and
        the version counts as created when it is there. MLflow may still pick another number (a
        concurrent apply got there first, or a deleted version holds the number): the version just
        made is then deleted again, the number MLflow will use next is recorded, and it is said so.
        """
        made = self._call(
            self._writer.create_model_version,
            action.model,
            action.source,
            run_id=action.run_id,
            tags=dict(action.tags) or None,
            description=action.description,
            await_creation_for=0,
            write=True,
            landed=lambda: self._landed(action),
        )
        return self._settle(action, made if isinstance(made, int) else int(made.version))

    def _landed(self, action: CreateVersion) -> int | None:
        """After a lost answer: the number of a version with this source and run id made since, if any."""
        try:
            state = self.read(action.model)
        except Exception:
            return None
        assert state is not None and action.version is not None
        for number, version in state.versions.items():
            if number >= action.version and version.source == action.source and version.run_id == action.run_id:
                return number
        return None

    def _settle(self, action: CreateVersion, got: int) -> Written:
        """MLflow gave the new version `got`; right when it is the number git says."""
        expected = action.version
        assert expected is not None
        if got == expected:
            return Written()
        name = action.model
        self._call(self._writer.delete_model_version, name, str(got), write=True)
        self._call(self._writer.set_registered_model_tag, name, TAG_NEXT_VERSION, str(got + 1), write=True)
        state = self.read(name)
        twin = state.versions.get(expected) if state else None
        if twin is not None and twin.source == action.source and twin.run_id == action.run_id:
            return Written(
                f"version {expected} was created at the same moment by another apply; "
                f"the duplicate version {got} this apply made was deleted again"
            )
        raise RegistryError(
            f"MLflow numbered the new version {got}, not {expected} as git says (a version {expected} was deleted "
            f"in the registry, or something else registered one meanwhile); version {got} was deleted again and "
            f"the next version of {name} will be {got + 1}: renumber it in git, or archive version {expected}"
        )


def to_model(model: Any, versions: dict[int, ActualVersion]) -> ActualModel:
    """An MLflow RegisteredModel and its versions as plain data (alias targets as ints)."""
    return ActualModel(
        name=str(model.name),
        description=text_or_none(model.description),
        tags=MappingProxyType({str(k): str(v) for k, v in (model.tags or {}).items()}),
        aliases=MappingProxyType({str(k): int(v) for k, v in (model.aliases or {}).items()}),
        versions=MappingProxyType(dict(sorted(versions.items()))),
    )


def to_version(found: Any) -> ActualVersion:
    """An MLflow ModelVersion as plain data: its number an int whether MLflow said '3' (HTTP) or 3."""
    return ActualVersion(
        number=int(found.version),
        source=str(found.source or ""),
        run_id=text_or_none(found.run_id),
        description=text_or_none(found.description),
        tags=MappingProxyType({str(k): str(v) for k, v in (found.tags or {}).items()}),
        mlflow_stage=str(found.current_stage or "None"),
        status=str(found.status or "READY"),
    )


def error_code(error: BaseException) -> str | None:
    code = getattr(error, "error_code", None)
    return str(code) if code else None


def classify(error: BaseException, remote: bool = True) -> str:
    """'unreachable' (no answer), 'transient' (worth another try), 'conflict' (a concurrent write to the
    same row: worth another try too) or 'permanent'.

    An embedded store has no network: only a locked sqlite file is worth another try there.
    """
    text = str(error)
    if "database is locked" in text:
        return "transient"
    if any(clash in text for clash in CONFLICTS):
        return "conflict"
    if not remote:
        return "permanent"
    if "(Caused by ResponseError(" in text:  # urllib3 gave up on an HTTP error status (a 503 from a proxy)
        return "transient"
    if "failed with exception" in text or isinstance(error, (ConnectionError, TimeoutError)):
        return "unreachable"
    if "failed with error code 5" in text or "failed with error code 429" in text:
        return "transient"
    code = error_code(error)
    if code in TRANSIENT_CODES:
        return "transient"
    if code is None and isinstance(error, OSError):
        return "unreachable"
    return "permanent"


def error_line(error: BaseException) -> str:
    """MLflow's messages run to several lines and embed URLs; the report wants one short line, with
    urllib3's give-up read for its cause and no secret of the registry's URI in it."""
    text = str(error)
    cause = re.search(r"\(Caused by (\w+)\((.*)\)\)\s*$", text, re.DOTALL)
    if cause:
        kind, detail = cause.groups()
        status = re.search(r"too many (\d{3}) error responses", detail)
        if status:
            return f"HTTP {status.group(1)} on every attempt"
        found = re.search(r"(\[Errno [^\]]+\] [^\"')]+)", detail)
        return hidden(found.group(1)) if found else kind
    line = first_line(hidden(text), default=type(error).__name__)
    return line if len(line) <= 300 else line[:299] + "…"


DATABASES = ("sqlite", "postgresql", "mysql", "mssql")  # MLflow's SQLAlchemy stores, by URI scheme
SUPPORTED = "http(s)://HOST, sqlite:///FILE, databricks, or a database URI such as postgresql://"
PACKAGES = {  # module -> what pip installs it from, where the names differ
    "psycopg2": "psycopg2-binary",
    "psycopg": "'psycopg[binary]'",
    "MySQLdb": "mysqlclient",
    "pymysql": "PyMySQL",
}


def scheme(uri: str) -> str:
    """The URI's scheme without a driver (`postgresql+psycopg2://` is postgresql; `databricks` is itself)."""
    return uri.partition(":")[0].partition("+")[0].lower()


def is_database(uri: str) -> bool:
    """A URI MLflow opens with SQLAlchemy."""
    return scheme(uri) in DATABASES


@contextlib.contextmanager
def no_engine_retries(uri: str) -> Iterator[None]:
    """MLflow's retries off while it opens a database: whatever the error (a directory, a server
    that is down), it retries 10 times (15 before MLflow 3) with exponential backoff, which is
    minutes of stalling and a log line per attempt. stagectl says what went wrong at once. Put back
    afterwards."""
    utils: Any = None
    if is_database(uri):
        try:
            utils = importlib.import_module("mlflow.store.db.utils")
        except ImportError:
            pass  # no SQLAlchemy (mlflow-skinny): opening the store fails, and says which module is missing
    saved = getattr(utils, "MAX_RETRY_COUNT", None)
    if saved is not None:
        utils.MAX_RETRY_COUNT = 1
    try:
        yield
    finally:
        if saved is not None:
            utils.MAX_RETRY_COUNT = saved


def not_importable(error: ImportError) -> str:
    """mlflow itself is missing, or one of the modules it needs to be imported at all."""
    module = error.name or "mlflow"
    if module.partition(".")[0] == "mlflow":
        return "MLflow is not installed: install stagectl with its extra, pip install 'stagectl[mlflow]'"
    return (
        f"MLflow is installed but cannot be imported: the Python module {module} is missing "
        "(reinstall it: pip install 'stagectl[mlflow]')"
    )


def missing_module(error: ImportError, uri: str) -> str:
    """MLflow is there, but not the module this kind of registry needs (a database driver, say)."""
    module = (error.name or "").partition(".")[0]
    if module in ("", "mlflow"):  # a name missing inside MLflow, not a module missing from the environment
        return cannot_open(error, uri)
    package = PACKAGES.get(module, module)
    return (
        f"the registry URI {shown(uri)} needs the Python module {module}, which is not installed: pip install {package}"
    )


def cannot_open(error: Exception, uri: str) -> str:
    """MLflow could not make a store for the URI: its reason, in one line."""
    return f"cannot open the MLflow registry at {shown(uri)}: {condensed(error)}{hint(uri)}"


def hint(uri: str) -> str:
    """For a URI of a kind stagectl does not work with: which kinds it does."""
    if scheme(uri) in ("http", "https", "databricks", *DATABASES):  # not uc: MLflow tracks nothing there
        return ""
    return f" (stagectl works with {SUPPORTED})"


def advice(uri: str) -> str:
    """What to check when a registry answers with an error: for a server, the credentials."""
    if scheme(uri) == "databricks":
        return "check the URI and the credentials: DATABRICKS_HOST and DATABRICKS_TOKEN, or ~/.databrickscfg"
    if is_database(uri):
        return "check the URI, and that the database is an MLflow tracking database"
    return "check the URI and the credentials: MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD"


def shown(uri: str) -> str:
    """The URI for a message: password redacted, control characters escaped."""
    return printable(redact(uri))


def condensed(error: BaseException, limit: int = 160) -> str:
    """One line, cut to its first sentence when long: MLflow's store errors run to a paragraph."""
    line = error_line(error)
    if len(line) > limit:
        sentence = re.match(r"(.+?)\.\s+(?=[A-Z(])", line)
        line = sentence.group(1) if sentence else line
    return printable(line)


def redact(uri: str) -> str:
    """The URI with no secret in it: a password (http://user:***@host), every query value but a few
    harmless ones (?token=***), and any fragment. What is hidden is also hidden from MLflow's errors."""
    parts = _split(uri)
    if parts is None:  # not a URL at all (`http://[::1`): keep what cannot be a secret
        scheme, sep, rest = uri.partition("://")
        host = rest.rpartition("@")[2] if sep else rest
        shown, hidden = re.split("[?#]", host)[0], "?***" if re.search("[?#]", host) else ""
        return f"{scheme}{sep}{'***@' if '@' in rest else ''}{shown}{hidden}"
    netloc, query, fragment = parts.netloc, parts.query, parts.fragment
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rpartition('@')[2]}"
    if query:
        query = "&".join(_redact_field(field) for field in re.split("[&;]", query))
    fragment = "***" if fragment else ""
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return uri
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _split(uri: str) -> urllib.parse.SplitResult | None:
    try:
        parts = urllib.parse.urlsplit(uri)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return None
    return parts


def _redact_field(field: str) -> str:
    key, equals, _ = field.partition("=")
    if equals and key.lower() in HARMLESS:
        return field
    return f"{key}=***" if equals else "***"


HARMLESS = frozenset({"mode", "cache", "sslmode", "charset", "timeout", "connect_timeout", "driver"})
_HIDDEN: set[str] = set()  # the secrets of the registry URIs this process opened: never in a message


def hide_secrets_of(uri: str) -> None:
    """Whatever redact() hides in `uri` is also cut from every message error_line() makes of an error,
    until the `quiet_mlflow` scope it is called in ends."""
    parts = _split(uri)
    if parts is None:
        return
    found = [parts.password or "", parts.fragment]
    for field in re.split("[&;]", parts.query):
        key, equals, value = field.partition("=")
        if key.lower() not in HARMLESS or not equals:
            found.append(value if equals else key)
    for secret in found:
        if len(secret) >= 3:  # a shorter value would blank out unrelated text
            _HIDDEN.update({secret, urllib.parse.unquote(secret), urllib.parse.quote(secret, safe="")})


def hidden(text: str) -> str:
    for secret in sorted(_HIDDEN, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
