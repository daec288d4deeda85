"""--executor dask on a real LocalCluster of two worker processes, over a fleet
of 20 small git repos: byte-identical to the local executor, a worker killed
mid-run, SIGINT then --resume, and a cluster the CLI starts itself.

One cluster serves the module (started here, reached with --scheduler), so
the test can see and kill its workers; the CLI-owned LocalCluster is checked
once, with an interrupt, for leftover processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.fleet.fleetgen import make_fleet, slow_rule, snapshot, tm, tm_popen

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")


@pytest.fixture(scope="module")
def cluster():
    import logging

    cl = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cl)
    yield cl.scheduler_address, client
    client.close()
    cl.close()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """The pristine fleet and its migration by the local executor."""
    base = tmp_path_factory.mktemp("fleet")
    pristine = make_fleet(base / "pristine", 20, marker=True)
    local = _copy(pristine, base / "local")
    rules = slow_rule(base / "slow_rules.py", base / "unused-markers", delay=0.0)
    r = tm("upgrade", "--unsafe-fixes", "--rules-from", rules, "-j", "2", *local, cwd=base)
    assert r.returncode == 0, r.stderr
    return {"base": base, "pristine": pristine, "local": snapshot(local), "rc": r.returncode}


def _copy(roots: list, dest: Path) -> list:
    out = []
    for root in roots:
        shutil.copytree(root, dest / root.name, symlinks=True)
        out.append(dest / root.name)
    return out


def _wait_for(predicate, timeout=120.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_dask_results_are_byte_identical_to_local(fleet, cluster, tmp_path):
    address, _client = cluster
    roots = _copy(fleet["pristine"], tmp_path / "dask")
    rules = slow_rule(tmp_path / "slow_rules.py", tmp_path / "markers", delay=0.0)
    report = tmp_path / "dask.json"
    r = tm(
        "upgrade",
        "--unsafe-fixes",
        "--rules-from",
        rules,
        "--executor",
        "dask",
        "--report",
        report,
        *roots,
        cwd=tmp_path,
        env={"TORCHMIGRATE_SCHEDULER": address},  # the address from the environment
    )
    assert r.returncode == fleet["rc"], r.stderr
    assert snapshot(roots) == fleet["local"]
    doc = json.loads(report.read_text())
    assert doc["summary"]["changed"] == 20 * 2 + 4  # train.py, model.py, 4 notebooks
    assert doc["summary"]["failed"] == 0
    # every marker call ran on a worker of the cluster, none in the driver
    pids = set(_client.run(os.getpid).values())
    seen = {int(p.name.split("-")[0]) for p in (tmp_path / "markers").iterdir()}
    assert seen and seen <= pids


def test_a_killed_worker_loses_nothing(fleet, cluster, tmp_path):
    address, client = cluster
    roots = _copy(fleet["pristine"], tmp_path / "dask")
    markers = tmp_path / "markers"
    rules = slow_rule(tmp_path / "slow_rules.py", markers, delay=0.05)
    proc = tm_popen(
        "upgrade",
        "--unsafe-fixes",
        "--rules-from",
        rules,
        "--scheduler",
        address,
        *roots,
        cwd=tmp_path,
    )
    _wait_for(lambda: markers.exists() and len(list(markers.iterdir())) >= 6, what="progress")
    victim = next(iter(client.run(os.getpid).values()))
    os.kill(victim, signal.SIGKILL)
    Path(f"{markers}.fast").touch()
    out, errs = proc.communicate(timeout=300)
    assert proc.returncode == fleet["rc"], errs
    assert "worker process died" not in errs
    assert snapshot(roots) == fleet["local"]
    assert victim not in set(client.run(os.getpid).values())  # it did die (and was replaced)
    # every file was migrated on a worker
    assert len({p.name.split("-")[1] for p in markers.iterdir()}) == 60


def test_sigint_then_resume_redoes_no_finished_work(fleet, cluster, tmp_path):
    """The CLI's own LocalCluster (--executor dask): an interrupt shuts it down
    (no process left), writes nothing, and --resume (here on the module's
    cluster) finishes the job without migrating again the files finished
    before the interrupt."""
    roots = _copy(fleet["pristine"], tmp_path / "dask")
    markers = tmp_path / "markers"
    rules = slow_rule(tmp_path / "slow_rules.py", markers, delay=0.1)
    args = ["upgrade", "--unsafe-fixes", "--rules-from", rules, "--resume", *roots]
    proc = tm_popen(*args, "--executor", "dask", "-j", "2", cwd=tmp_path)
    _wait_for(lambda: markers.exists() and len(list(markers.iterdir())) >= 30, what="progress")
    children = psutil.Process(proc.pid).children(recursive=True)
    assert len(children) >= 2  # the cluster's workers (and their nannies)
    proc.send_signal(signal.SIGINT)
    _out, errs = proc.communicate(timeout=120)
    Path(f"{markers}.fast").touch()
    assert proc.returncode == 2, errs
    assert "interrupted" in errs and "Traceback" not in errs
    psutil.wait_procs(children, timeout=30)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    # nothing was written: the run stopped while files were being migrated
    assert snapshot(roots) == snapshot(fleet["pristine"])
    cached = [
        json.loads(p.read_text())["path"]
        for p in (tmp_path / ".torchmigrate-cache").rglob("*.json")
    ]
    finished_py = sum(1 for p in cached if p.endswith(".py"))
    assert finished_py >= 5  # at least one batch came back
    before = set(markers.iterdir())

    r = tm(*args, "--scheduler", cluster[0], cwd=tmp_path)
    assert r.returncode == fleet["rc"], r.stderr
    assert snapshot(roots) == fleet["local"]
    redone = {p.name.split("-")[1] for p in set(markers.iterdir()) - before}
    assert len(redone) == 60 - finished_py  # the finished files were not migrated again
    state = json.loads((tmp_path / ".torchmigrate-state.json").read_text())
    assert sorted(state["done"]) == sorted(str(r) for r in roots)
    assert not (tmp_path / ".torchmigrate-cache").exists()  # all done: cache removed


def test_a_file_that_kills_every_worker_is_one_failure(tmp_path):
    """KilledWorker (here after one death: allowed-failures 0) -> the batch is
    retried file by file -> the killer file alone fails; the rest is migrated."""
    from tests.fleet.test_executors import KILLER, _items

    _items(tmp_path, repos=1, files=8)
    victim = tmp_path / "r0" / "m5.py"
    victim.write_text(victim.read_text() + "\nkill_me()\n")
    rules = tmp_path / "killer.py"
    rules.write_text(KILLER)
    env = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
    args = ["upgrade", "--diff", "--rules-from", rules, tmp_path / "r0"]
    r = tm(*args, "--executor", "dask", "-j", "2", env=env)
    assert r.returncode == 1
    assert r.stderr.count("the worker process died while processing this file") == 1
    assert f"{victim}: the worker process died" in r.stderr
    ref = tm("upgrade", "--diff", "-j", "1", tmp_path / "r0")  # no killer rule
    from tests.fleet.test_executors import _without_file

    assert r.stdout == _without_file(ref.stdout, str(victim))
