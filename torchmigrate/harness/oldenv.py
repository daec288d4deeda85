"""Genuine old-PyTorch environments for ``verify --old-python`` (``torchmigrate oldenv``).

An *old environment* is a directory under the cache (``~/.cache/torchmigrate/oldenv`` or
``$TORCHMIGRATE_CACHE/oldenv``) named ``py<X.Y>-torch<V>`` that holds:

- ``site-packages/``: ``torch==V`` and a matching ``numpy`` installed with
  ``<python> -m pip install --target`` from the wheels in ``../wheels/`` (downloaded once
  from the package index with ``pip download`` and reused by every later environment);
- ``bin/python``: a two-line shell wrapper that puts ``site-packages`` on ``PYTHONPATH``
  and runs the real interpreter -- this is the path to give ``verify --old-python``;
- ``ready``: written last, so a half-built environment is never taken for a finished one.

Nothing is installed into the interpreter itself (pyenv installs stay clean), and no
test downloads anything: tests that need an environment look for a finished one with
:func:`find_existing` and skip when there is none.

Availability (checked with ``pip index versions torch`` under each interpreter): CPython
2.7 gets torch 1.0-1.4, CPython 3.6 torch 1.0-1.10, CPython 3.7 torch 1.0-1.13.  The
PyPI wheels of those versions are CUDA builds (500-900 MB each; 1.13 pulls the
``nvidia-*`` packages too); they run on the CPU.  No wheel on the index predates 1.0, so
0.1-0.3 (pre-0.4) behaviour can only be checked against the legacy runtime's emulation.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

# numpy versions that still have wheels for the interpreter (and that the 1.x torch
# builds, compiled against older numpy 1.x, load fine with).
_NUMPY_FOR_PYTHON = {"2.7": "1.16.6", "3.6": "1.19.5", "3.7": "1.21.6", "3.8": "1.24.4"}


def cache_root() -> Path:
    base = os.environ.get("TORCHMIGRATE_CACHE")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "torchmigrate" if xdg else Path.home() / ".cache" / "torchmigrate"


def find_python(spec: str) -> Path:
    """An interpreter from ``spec``: a path, or a version like ``3.7``/``2.7.18``
    (looked up in pyenv's versions, then as ``pythonX.Y`` on ``PATH``)."""
    p = Path(spec).expanduser()
    if os.sep in spec or p.exists():
        if not (p.is_file() and os.access(p, os.X_OK)):
            raise ValueError(f"{spec}: not an executable interpreter")
        return p
    if not re.fullmatch(r"\d+\.\d+(\.\d+)?", spec):
        raise ValueError(f"{spec!r}: give a Python version (e.g. 3.7) or an interpreter path")
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    for root in filter(None, roots):
        hits = sorted(glob.glob(os.path.join(root, "versions", spec + "*", "bin", "python")))
        for h in reversed(hits):
            if os.access(h, os.X_OK):
                return Path(h)
    short = ".".join(spec.split(".")[:2])
    found = shutil.which("python" + short)
    if found:
        return Path(found)
    raise ValueError(f"no Python {spec} found (pyenv versions or python{short} on PATH)")


def python_version(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_clean_env(),
    )
    if out.returncode != 0:
        raise ValueError(f"{python}: does not run: {out.stderr.strip()[-200:]}")
    return out.stdout.strip()


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # no site pip configuration: a site-wide constraint such as ``torch<=2.x`` makes the
    # old pips (legacy resolver) install the newest torch instead of the pinned one
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def env_dir(pyver: str, torch_version: str, cache: Path | None = None) -> Path:
    return (cache or cache_root()) / "oldenv" / f"py{pyver}-torch{torch_version}"


def interpreter(env: Path) -> Path:
    return env / "bin" / "python"


def is_ready(env: Path) -> bool:
    return (env / "ready").is_file() and interpreter(env).is_file()


def find_existing(cache: Path | None = None) -> list[Path]:
    """Finished environments under the cache, newest torch first within each Python."""
    root = (cache or cache_root()) / "oldenv"
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if is_ready(p)), key=lambda p: p.name)


def create(
    python_spec: str,
    torch_version: str,
    *,
    cache: Path | None = None,
    numpy_version: str | None = None,
    log=print,
) -> Path:
    """Build (or reuse) the environment; return the ``bin/python`` wrapper."""
    if not re.fullmatch(r"[0-9]+(\.[0-9]+){1,2}(\.post[0-9]+)?", torch_version):
        raise ValueError(f"--torch {torch_version!r}: give an exact version such as 1.4.0")
    python = find_python(python_spec)
    pyver = python_version(python)
    env = env_dir(pyver, torch_version, cache)
    if is_ready(env):
        log(f"reusing {env}")
        return interpreter(env)
    numpy_version = numpy_version or _NUMPY_FOR_PYTHON.get(pyver)
    reqs = [f"torch=={torch_version}"] + ([f"numpy=={numpy_version}"] if numpy_version else [])
    if pyver.startswith("2."):
        # torch's Python 2 wheels import ``builtins`` (from future) and ``typing``
        reqs += ["future", "typing"]
    wheels = env.parent.parent / "wheels" / f"py{pyver}"
    wheels.mkdir(parents=True, exist_ok=True)
    site = env / "site-packages"
    if env.exists():
        shutil.rmtree(env)
    site.mkdir(parents=True)
    pip = [str(python), "-m", "pip"]
    steps = [
        pip + ["download", "--dest", str(wheels), *reqs],
        pip
        + [
            "install",
            "--no-index",
            "--find-links",
            str(wheels),
            "--target",
            str(site),
            "--no-warn-script-location",
            *reqs,
        ],
    ]
    for cmd in steps:
        log("$ " + " ".join(shlex.quote(c) for c in cmd))
        rc = subprocess.call(cmd, env=_clean_env())
        if rc != 0:
            raise RuntimeError(f"command failed with status {rc}: {' '.join(cmd[:4])} ...")
    wrapper = interpreter(env)
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    wrapper.write_text(
        "#!/bin/sh\n"
        f"# torchmigrate oldenv: CPython {pyver} ({python}) with torch {torch_version}\n"
        f'PYTHONPATH={shlex.quote(str(site))}"${{PYTHONPATH:+:$PYTHONPATH}}"; export PYTHONPATH\n'
        f'exec {shlex.quote(str(python))} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    check = subprocess.run(
        [str(wrapper), "-c", "import torch, numpy; print(torch.__version__)"],
        capture_output=True,
        text=True,
        timeout=300,
        env=_clean_env(),
    )
    if check.returncode != 0 or not check.stdout.strip().startswith(torch_version):
        raise RuntimeError(
            "the new environment does not import torch "
            f"(got {check.stdout.strip()!r}): {check.stderr[-400:]}"
        )
    (env / "ready").write_text(f"{pyver} {torch_version}\n", encoding="utf-8")
    log(f"ready: {wrapper}  (torch {check.stdout.strip()})")
    return wrapper


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - thin wrapper
    import argparse

    ap = argparse.ArgumentParser(prog="torchmigrate oldenv")
    ap.add_argument("--python", required=True)
    ap.add_argument("--torch", required=True)
    ap.add_argument("--cache", type=Path)
    opts = ap.parse_args(argv)
    try:
        path = create(opts.python, opts.torch, cache=opts.cache)
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
