"""Executors: where the unit of work runs.

The unit of work is a :class:`Batch`: a few files of ONE repo, each shipped
as its bytes plus its slice of the project model (``facts``, picklable), with
the run's :class:`RunSpec` (rule ids, ``--unsafe-fixes``, the text of the user
rule files, the torchmigrate version).  A worker needs nothing else -- no
shared file system, no configuration -- and returns one :class:`FileOutcome`
per file (new bytes + findings).  The driver reads the inputs and writes the
results, with all the guarantees of ``sources.py``; workers never touch a
repo.

Two executors run the same batches through the same driver loop
(:func:`run_items`):

* :class:`LocalExecutor` -- a process pool on this machine (the default;
  ``--jobs 1`` runs in-process);
* :class:`DaskExecutor` -- ``dask.distributed`` (``--executor dask``): a
  scheduler at ``--scheduler ADDR`` / ``$TORCHMIGRATE_SCHEDULER``, or a
  ``LocalCluster`` of ``--jobs`` single-threaded worker processes.  Needs
  ``pip install 'torchmigrate[cluster]'``; nothing here imports dask unless
  that executor is asked for.

Losing a worker loses no data (the inputs are the driver's bytes, the outputs
are written by the driver):

* Dask reschedules the tasks of a dead worker on the others by itself; a
  task that was running on ``allowed-failures`` + 1 dead workers (dask's
  setting ``distributed.scheduler.allowed-failures``, 3 by default) comes
  back as ``KilledWorker``.
* A process pool that loses a worker fails all its in-flight tasks (and is
  replaced).
* Either way a lost batch is retried file by file; a file lost again is
  retried alone (nothing else in flight, so an innocent file is never blamed),
  and a file that kills its worker even then is a failure of that file ("the
  worker process died while processing this file"), never of the run.

With ``--resume`` a :class:`ResultCache` keeps each finished file's outcome
in ``.torchmigrate-cache/``, keyed by everything the outcome depends on (the
bytes, the facts, the rules and their files, torchmigrate's own code), so an
interrupted run resumes without redoing finished work.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import signal
import socket
import sys
import tempfile
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional

from torchmigrate import __version__
from torchmigrate.report import FileOutcome

SCHEDULER_ENV = "TORCHMIGRATE_SCHEDULER"
EXECUTORS = ("local", "dask")
CLUSTER_EXTRA = "pip install 'torchmigrate[cluster]'"

# A batch holds at most this many files and (beyond its first file) this many
# bytes of input; see batch_size() for how many files a batch gets.
MAX_BATCH_FILES = 16
MAX_BATCH_BYTES = 512 * 1024
WORKER_DIED = (
    "the worker process died while processing this file (killed, out of memory or "
    "crashed); not modified"
)


class ExecutorError(Exception):
    """The executor cannot run the work (one line; the CLI exits 2)."""


class WorkerSetupError(Exception):
    """A worker cannot reproduce the driver's setup (version, rules)."""


# --------------------------------------------------------------------------
# The unit of work
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSpec:
    """What every file of a run is migrated with."""

    rule_ids: tuple
    unsafe_fixes: bool
    rule_files: tuple = ()  # ((driver's resolved path, text), ...): user rule files
    version: str = __version__


@dataclass(frozen=True)
class FileTask:
    path: str  # the driver's path (messages of the engine name ``display``)
    repo: str
    display: str
    data: bytes
    facts: object = None


@dataclass(frozen=True)
class ScanTask:
    """One file for the project model's scan: its bytes, or the text a
    run gave it (a migrated text, in a later round)."""

    path: str
    data: Optional[bytes]
    text: Optional[str] = None

    def scan(self):
        from torchmigrate.project import scan_bytes, scan_path

        if self.text is not None:
            return scan_path(self.path, self.text)
        return scan_bytes(self.path, self.data)


@dataclass(frozen=True)
class Batch:
    spec: RunSpec
    tasks: tuple  # FileTask, all of one repo (ScanTask for a scan)
    # "migrate": a FileOutcome per task; "scan": the project model's scan of
    # each task (a ModuleInfo, or None for a file that cannot be decoded)
    kind: str = "migrate"


def run_batch(batch: Batch) -> list:
    """The worker's side: one :class:`FileOutcome` (or, for a scan batch,
    one ``ModuleInfo``) per task, in order."""
    spec = batch.spec
    if batch.kind == "scan":
        _check_version(spec)
        return [t.scan() for t in batch.tasks]
    from torchmigrate.processing import process_bytes

    _ensure_setup(spec)
    return [
        process_bytes(t.path, t.data, t.repo, t.display, spec.rule_ids, spec.unsafe_fixes, t.facts)
        for t in batch.tasks
    ]


_ACTIVE_RULE_FILES: Optional[tuple] = None


def _ensure_setup(spec: RunSpec) -> None:
    """Make this worker process use the driver's user rule files (written to a
    local temporary directory when the worker cannot see the driver's file)
    and check that it knows every rule of the run."""
    global _ACTIVE_RULE_FILES
    _check_version(spec)
    if spec.rule_files != _ACTIVE_RULE_FILES:
        _use_rule_files(spec.rule_files)
        _ACTIVE_RULE_FILES = spec.rule_files
    from codemods import all_rules

    known = {r.id for r in all_rules()}
    missing = [i for i in spec.rule_ids if i not in known]
    if missing:
        raise WorkerSetupError(
            f"worker on {socket.gethostname()} does not know the rule(s) {', '.join(missing)}: "
            "install the same rule plugins (entry points torchmigrate.rules) on every worker"
        )


def _check_version(spec: RunSpec) -> None:
    if spec.version != __version__:
        raise WorkerSetupError(
            f"worker on {socket.gethostname()} runs torchmigrate {__version__}, the driver "
            f"{spec.version}: install the same version on every worker"
        )


def _use_rule_files(rule_files: tuple) -> None:
    from codemods import all_rules
    from torchmigrate import processing, user_rules

    paths = [p if _holds(p, text) else _materialize(p, text) for p, text in rule_files]
    value = os.pathsep.join(paths)
    if value:
        os.environ[user_rules.ENV] = value
    else:
        os.environ.pop(user_rules.ENV, None)
    # called when the files or their texts changed: a rule file edited in
    # place between two runs on a long-lived worker must not be served from
    # the caches
    all_rules.cache_clear()
    processing._rules.cache_clear()


def _holds(path: str, text: str) -> bool:
    try:
        return Path(path).read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def _materialize(path: str, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    d = Path(tempfile.gettempdir()) / f"torchmigrate-rules-{os.getuid()}" / digest
    target = d / Path(path).name
    if not _holds(str(target), text):
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=str(d), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    return str(target)


def make_spec(rule_ids: tuple, unsafe_fixes: bool) -> RunSpec:
    """The run's spec, with the texts of the configured user rule files."""
    from torchmigrate import user_rules

    files = []
    for p in filter(None, os.environ.get(user_rules.ENV, "").split(os.pathsep)):
        try:
            files.append((p, Path(p).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise ExecutorError(f"{p}: cannot read the rule file: {exc}") from None
    return RunSpec(tuple(rule_ids), bool(unsafe_fixes), tuple(files))


def batch_size(n_files: int, workers: int, remaining: Optional[int] = None) -> int:
    """Files per batch: enough batches for every worker to get several, at
    most :data:`MAX_BATCH_FILES`.  With ``remaining`` (the files not yet
    given to a batch) the batches shrink toward the end of the run (guided
    scheduling): a batch takes at most a ``1 / (2 * workers)`` share of what
    is left, so the last batches are small and the workers finish together
    instead of one waiting on another's last full batch."""
    size = max(1, min(MAX_BATCH_FILES, n_files // max(1, 4 * workers)))
    return size if remaining is None else _guided(size, remaining, workers)


def _guided(size: int, remaining: int, workers: int) -> int:
    """``size``, or less toward the end: at most a ``1 / (2 * workers)``
    share (rounded up) of the ``remaining`` files, at least one."""
    return max(1, min(size, -(-remaining // (2 * max(1, workers)))))


# --------------------------------------------------------------------------
# The driver loop (the same for every executor)
# --------------------------------------------------------------------------
LOST = object()  # what an executor reports for a batch whose worker died
# Retry levels: 0 a batch, 1 one file, ALONE one file with nothing else in
# flight (a worker that dies then was killed by that file, and no other).
ALONE = 2


def run_items(
    executor,
    items: list,
    rule_ids: tuple,
    unsafe_fixes: bool,
    on_done: Optional[Callable[[FileOutcome], None]] = None,
    facts: Optional[dict] = None,
    files_per_batch: Optional[int] = None,
) -> list:
    """Run ``items`` = [(path, repo, display)] on ``executor``; outcomes in
    the order of ``items``.  Inputs are read when their batch is submitted
    (at most ``executor.window`` batches in flight), so memory stays flat
    for any number of files.  ``files_per_batch`` overrides
    :func:`batch_size` (benchmarks)."""
    from torchmigrate.processing import failed_outcome, read_input
    from torchmigrate.sources import SourceError

    facts = {} if facts is None else facts  # (maybe a FactsOnDemand: not emptied)
    spec = make_spec(rule_ids, unsafe_fixes)
    cache = getattr(executor, "cache", None)
    results: list = [None] * len(items)

    fingerprints: dict = {}

    def finish(i: int, outcome: FileOutcome) -> None:
        fp = fingerprints.pop(i, None)
        if fp is not None:  # what the driver read: checked again before writing
            outcome.fingerprint = fp
        results[i] = outcome
        if on_done:
            on_done(outcome)

    n_items = len(items)

    def size_from(i: int) -> int:
        return files_per_batch or batch_size(n_items, executor.workers, n_items - i)

    def plan():
        group: list = []
        nbytes = 0
        size = size_from(0)
        for i, (path, repo, display) in enumerate(items):
            try:
                data, fingerprints[i] = read_input(Path(path))
            except SourceError as exc:
                finish(i, failed_outcome(display, repo, exc.message, exc.line))
                continue
            task = FileTask(str(path), repo, display, data, facts.get(str(path)))
            key = cache.key(spec, task) if cache is not None else None
            hit = cache.get(key) if key is not None else None
            if hit is not None:
                finish(i, hit)
                continue
            if group and (
                group[0][1].repo != repo or len(group) >= size or nbytes > MAX_BATCH_BYTES
            ):
                yield group
                group, nbytes = [], 0
            if not group:
                size = size_from(i)
            group.append((i, task, key))
            nbytes += len(data)
        if group:
            yield group

    pending = plan()
    retry: deque = deque()  # (entries, level)
    in_flight: dict = {}  # handle -> (entries, level)
    while True:
        while len(in_flight) < executor.window:
            if any(lvl >= ALONE for _e, lvl in in_flight.values()):
                break  # a suspect runs alone
            if retry:
                entries, level = retry[0]
                if level >= ALONE and in_flight:
                    break  # ... once the others are done
                retry.popleft()
            else:
                entries = next(pending, None)
                level = 0
                if entries is None:
                    break
            batch = Batch(spec, tuple(t for _i, t, _k in entries))
            in_flight[executor.submit(batch)] = (entries, level)
        if not in_flight:
            break
        for handle, got in executor.wait(list(in_flight)):
            entries, level = in_flight.pop(handle)
            if got is LOST:
                if len(entries) > 1:
                    retry.extend(([e], 1) for e in entries)
                elif level + 1 <= executor.max_level:
                    retry.append((entries, level + 1))
                else:
                    i, task, _key = entries[0]
                    finish(i, failed_outcome(task.display, task.repo, WORKER_DIED))
                continue
            for (i, _task, key), outcome in zip(entries, got):
                if key is not None and outcome.status != "failed":
                    cache.put(key, outcome)
                finish(i, outcome)
    return results


def scan_items(executor, todo: list) -> dict:
    """The project model's scan of ``todo`` = [(path, text or None)] on
    ``executor``'s workers: {path: ModuleInfo, or None for a file that
    cannot be read or decoded}.  A file without a text is read here (the
    workers get its bytes, as for migration); at most ``executor.window``
    batches are in flight.  A batch whose worker died is scanned here, as a
    run without workers would have scanned it."""
    from torchmigrate.sources import SourceError, read_bytes

    spec = RunSpec((), False)
    out: dict = {}
    workers = max(1, executor.workers)
    first = max(1, min(4 * MAX_BATCH_FILES, len(todo) // (2 * workers)))

    def plan():
        group: list = []
        nbytes = 0
        size = first
        for k, (path, text) in enumerate(todo):
            data = None
            if text is None:
                try:
                    data = read_bytes(Path(path))[0]
                except SourceError:
                    out[path] = None
                    continue
            if group and (len(group) >= size or nbytes > MAX_BATCH_BYTES):
                yield group
                group, nbytes = [], 0
            if not group:  # shrinking toward the end, as in run_items
                size = _guided(first, len(todo) - k, workers)
            group.append(ScanTask(path, data, text))
            nbytes += len(data) if data is not None else len(text)
        if group:
            yield group

    pending = plan()
    in_flight: dict = {}
    while True:
        while len(in_flight) < executor.window:
            tasks = next(pending, None)
            if tasks is None:
                break
            in_flight[executor.submit(Batch(spec, tuple(tasks), "scan"))] = tasks
        if not in_flight:
            break
        for handle, got in executor.wait(list(in_flight)):
            tasks = in_flight.pop(handle)
            if got is LOST:
                got = [t.scan() for t in tasks]
            for t, info in zip(tasks, got):
                out[t.path] = info
    return out


# --------------------------------------------------------------------------
# Executors
# --------------------------------------------------------------------------
def _init_worker() -> None:
    # Ctrl-C is the driver's to handle: it stops submitting and shuts down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from torchmigrate.gcpolicy import freeze_inherited_heap

    freeze_inherited_heap()


def _done(value) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


class LocalExecutor:
    """A process pool of ``jobs`` workers on this machine (in-process for 1)."""

    name = "local"
    max_level = ALONE

    def __init__(self, jobs: int, cache: Optional[ResultCache] = None):
        self.jobs = max(1, int(jobs))
        self.workers = self.jobs
        self.window = 4 * self.jobs
        self.cache = cache
        self._pool: Optional[ProcessPoolExecutor] = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel=exc_type is not None)

    def _new_pool(self, n: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=n, initializer=_init_worker)

    def submit(self, batch: Batch) -> Future:
        if self.jobs <= 1:
            try:
                return _done(run_batch(batch))
            except WorkerSetupError as exc:
                raise ExecutorError(str(exc)) from None
        if self._pool is None:
            self._pool = self._new_pool(self.jobs)
        try:
            return self._pool.submit(run_batch, batch)
        except BrokenProcessPool:
            self._discard_pool()
            self._pool = self._new_pool(self.jobs)
            return self._pool.submit(run_batch, batch)

    def wait(self, handles: list) -> list:
        done, _ = futures_wait(handles, return_when=FIRST_COMPLETED)
        out = []
        for f in done:
            try:
                out.append((f, f.result()))
            except WorkerSetupError as exc:
                raise ExecutorError(str(exc)) from None
            except BrokenProcessPool:
                # every task in flight in this pool is lost; later submissions
                # go to a fresh pool
                self._discard_pool()
                out.append((f, LOST))
        return out

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None


class DaskExecutor:
    """``dask.distributed``: a scheduler at ``address``, or a LocalCluster of
    ``jobs`` single-threaded worker processes."""

    name = "dask"
    # dask itself runs a dead worker's tasks again elsewhere (up to its
    # allowed-failures); what comes back as KilledWorker is retried as above
    max_level = ALONE

    def __init__(
        self,
        address: Optional[str],
        jobs: int,
        cache: Optional[ResultCache] = None,
    ):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ExecutorError(
                f"--executor dask needs dask.distributed ({exc}); install it with: {CLUSTER_EXTRA}"
            ) from None
        import logging

        # the run's own messages say what matters (a lost file, a worker that
        # cannot run torchmigrate); dask's logs of the same events -- workers
        # restarting, tasks failed by dead workers -- would drown them
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        self.cache = cache
        self.address = address
        self._cluster = None
        try:
            if address:
                self._client = Client(address, timeout="30s")
            else:
                self._cluster = LocalCluster(
                    n_workers=max(1, int(jobs)),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = f"the dask scheduler at {address}" if address else "a dask LocalCluster"
            raise ExecutorError(f"cannot connect to {where}: {exc}") from None
        n = len(self._client.scheduler_info().get("workers", {}))
        if n == 0 and address:
            try:
                self._client.wait_for_workers(1, timeout=60)
            except (OSError, TimeoutError):
                self.close()
                raise ExecutorError(f"the dask scheduler at {address} has no workers") from None
            n = len(self._client.scheduler_info().get("workers", {}))
        self.workers = max(1, n)
        self.window = 4 * self.workers

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    @property
    def client(self):
        return self._client

    def submit(self, batch: Batch):
        return self._client.submit(run_batch, batch, pure=False, key=f"tm-{uuid.uuid4().hex}")

    def wait(self, handles: list) -> list:
        from distributed import wait
        from distributed.scheduler import KilledWorker

        done, _ = wait(handles, return_when="FIRST_COMPLETED")
        out = []
        for f in done:
            if f.status == "finished":
                out.append((f, f.result()))
                continue
            if f.status == "error":
                exc = f.exception()
                if isinstance(exc, KilledWorker):
                    out.append((f, LOST))
                    continue
                if isinstance(exc, WorkerSetupError):
                    raise ExecutorError(str(exc))
                raise ExecutorError(
                    f"a dask worker could not run torchmigrate: {type(exc).__name__}: {exc} "
                    "(is the same torchmigrate installed on every worker?)"
                )
            out.append((f, LOST))  # cancelled / lost
        return out

    def close(self) -> None:
        client, cluster = getattr(self, "_client", None), self._cluster
        self._client = self._cluster = None
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing must not hide the run's outcome
                pass
        if cluster is not None:
            try:
                cluster.close()
            except Exception:  # noqa: BLE001
                pass


def make_executor(kind: str, jobs: int, scheduler: Optional[str], cache=None):
    """The executor a run asked for (``--executor``, ``--scheduler``)."""
    if kind not in EXECUTORS:
        raise ExecutorError(f"unknown executor {kind!r}; choose from {', '.join(EXECUTORS)}")
    if kind == "dask":
        return DaskExecutor(scheduler or os.environ.get(SCHEDULER_ENV) or None, jobs, cache)
    return LocalExecutor(jobs, cache)


# --------------------------------------------------------------------------
# Results of finished files, kept for --resume
# --------------------------------------------------------------------------
CACHE_DIR = ".torchmigrate-cache"


class ResultCache:
    """Outcomes of finished files, keyed by everything they depend on.

    The key is a sha256 of: torchmigrate's own code (the source of its
    packages), the Python version, the run's spec (rules, --unsafe-fixes,
    user rule texts), the file's path, repo and bytes, and its project facts
    (canonically serialised).  Entries are JSON (never unpickled), written
    atomically; an unreadable entry is a miss.  Failed files are not kept:
    a resumed run tries them again."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.salt = _code_digest()
        self._spec_keys: dict = {}

    def key(self, spec: RunSpec, task: FileTask) -> str:
        sk = self._spec_keys.get(spec)
        if sk is None:
            sk = self._spec_keys[spec] = _digest_json(_canonical(spec))
        h = hashlib.sha256()
        for part in (self.salt, sk, task.path, task.repo, task.display):
            h.update(part.encode("utf-8", "surrogateescape") + b"\0")
        h.update(hashlib.sha256(task.data).digest())
        h.update(_digest_json(_canonical(task.facts)).encode())
        return h.hexdigest()

    def _file(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Optional[FileOutcome]:
        try:
            doc = json.loads(self._file(key).read_text(encoding="utf-8"))
            return _outcome_from_json(doc)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put(self, key: str, outcome: FileOutcome) -> None:
        path = self._file(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=".", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(_outcome_to_json(outcome), fh)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def clear(self) -> None:
        import shutil

        shutil.rmtree(self.directory, ignore_errors=True)


_OUTCOME_FIELDS = [f.name for f in dataclasses.fields(FileOutcome)]


def _outcome_to_json(o: FileOutcome) -> dict:
    doc = {}
    for name in _OUTCOME_FIELDS:
        value = getattr(o, name)
        if name == "fingerprint":
            continue  # the driver's, set when it reads the file
        if isinstance(value, bytes):
            value = {"b64": base64.b64encode(value).decode("ascii")}
        doc[name] = value
    return doc


def _outcome_from_json(doc: dict) -> FileOutcome:
    kw = {}
    for name, value in doc.items():
        if name not in _OUTCOME_FIELDS:
            raise KeyError(name)  # written by another version: a miss
        if isinstance(value, dict) and set(value) == {"b64"}:
            value = base64.b64decode(value["b64"])
        kw[name] = value
    return FileOutcome(**kw)


def _canonical(obj):
    """A JSON-able form of ``obj`` that does not depend on set order or hash
    seeds (dataclasses, sets, dicts, tuples of plain values)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            "__dc__": type(obj).__qualname__,
            **{f.name: _canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)},
        }
    if isinstance(obj, (set, frozenset)):
        return {"__set__": sorted((_canonical(x) for x in obj), key=_sort_key)}
    if isinstance(obj, dict):
        return {
            "__dict__": sorted(
                ([_canonical(k), _canonical(v)] for k, v in obj.items()), key=_sort_key
            )
        }
    if isinstance(obj, (list, tuple)):
        return [_canonical(x) for x in obj]
    if isinstance(obj, bytes):
        return {"__bytes__": hashlib.sha256(obj).hexdigest()}
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return {"__repr__": repr(obj)}


def _sort_key(x) -> str:
    return json.dumps(x, sort_keys=True)


def _digest_json(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """A digest of torchmigrate's own code: a cache entry made by other code
    (an upgrade, a local edit) is never used."""
    import codemods
    import torchmigrate

    h = hashlib.sha256(f"{__version__} {sys.version_info[:2]}".encode())
    for pkg in (torchmigrate, codemods):
        base = Path(pkg.__file__).parent
        for p in sorted(base.rglob("*.py")):
            if "harness" in p.relative_to(base).parts:
                continue
            h.update(str(p.relative_to(base)).encode() + b"\0")
            h.update(p.read_bytes())
    return h.hexdigest()
