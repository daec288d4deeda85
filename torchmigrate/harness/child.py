"""Child process: run one script (old or new side) with the recorder and write its trace.

Usage (internal; started through the supervisor in ``contain``)::

    python -m torchmigrate.harness.child --script S [--trace DIR --ctl DIR] [--legacy]
        [--steps N] [--max-steps M] [--seed K] [--device cpu|cuda] [--no-record]
        [--synthetic-data] [--synthetic-samples N] [--allow-write DIR]... -- ARGS...

``--legacy`` installs the legacy runtime and the source loader.  ``--no-record`` only
runs the script (``torchmigrate run``).  With ``--trace`` the child writes the trace
directory described in ``portable/tm_trace.py``; ``result.json`` is written even when
the script crashes (with the traceback and the script's frames in it).
``--allow-write`` turns on the write guard (``guard``) with those directories allowed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import traceback
import types


def _seed_everything(seed: int, device: str, deterministic: bool = True) -> None:
    import torch

    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover
        pass
    torch.manual_seed(seed)
    if not deterministic:
        return
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if device == "cuda":
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def run_script(path: str, argv: list[str], legacy: bool) -> None:
    """Run ``path`` as ``__main__`` with ``sys.argv = [path, *argv]``."""
    from . import loader

    path = os.path.abspath(path)
    with open(path, "rb") as fh:
        data = fh.read()
    text = loader.decode_source(data)
    if legacy:
        text = loader.rewrite_source(text, path)
    code = compile(text, path, "exec", dont_inherit=True)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    sys.argv = [path, *argv]
    sys.path[0] = os.path.dirname(path)
    exec(code, module.__dict__)


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    ap = argparse.ArgumentParser(prog="torchmigrate.harness.child")
    ap.add_argument("--script", required=True)
    ap.add_argument("--trace")
    ap.add_argument("--ctl")
    ap.add_argument("--root", help="the copied tree (frames inside it are the script's)")
    ap.add_argument("--legacy", action="store_true")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--synthetic-data", action="store_true")
    ap.add_argument("--synthetic-samples", type=int, default=None)
    ap.add_argument("--allow-write", action="append", default=[])
    ap.add_argument("--portable-rng", action="store_true")
    return ap.parse_args(argv), extra


def main(argv: list[str] | None = None) -> int:
    opts, extra = parse(list(sys.argv[1:] if argv is None else argv))

    import torch

    # the recorder and trace writer capture the torch functions they use before any patch
    from .portable import tm_trace
    from .portable.tm_recorder import Recorder, StopRecording

    if opts.allow_write:
        from . import guard

        guard.install(opts.allow_write + [d for d in (opts.trace, opts.ctl) if d])

    from . import device as device_mod
    from . import legacy_runtime, loader

    _seed_everything(opts.seed, opts.device, deterministic=not opts.no_record)
    if opts.portable_rng:
        from .portable import tm_rng

        tm_rng.install(opts.seed)
    if opts.device == "cpu":
        device_mod.install_cpu()
    if opts.synthetic_data:
        import tm_synthetic  # on the path with --synthetic-data (``synthetic/``)

        tm_synthetic.install(samples=opts.synthetic_samples)
    if opts.legacy:
        legacy_runtime.install()
        loader.install(opts.root or os.path.dirname(os.path.abspath(opts.script)))
    rec = None
    if not opts.no_record:
        rec = Recorder(opts.trace, window=opts.steps, max_steps=opts.max_steps, ctl_dir=opts.ctl)
        rec.install()

    error = None
    frames: list = []
    status = "finished"
    try:
        run_script(opts.script, extra, opts.legacy)
    except StopRecording:
        status = "stopped"
    except SystemExit as exc:
        code = exc.code
        if code not in (None, 0):
            status = "error"
            error = f"SystemExit: {code!r}"
    except BaseException as exc:
        status = "error"
        error = traceback.format_exc()
        roots = [opts.root or os.path.dirname(os.path.abspath(opts.script))]
        frames = tm_trace.script_frames(exc.__traceback__, roots)
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    if rec is not None:
        try:
            if status == "finished":
                rec.finish()
            elif status == "error":
                rec.abort()
        except StopRecording:  # pragma: no cover - finish() never raises it
            pass
    if rec is None:
        if error:
            sys.stderr.write(error if error.endswith("\n") else error + "\n")
            return 1
        return 0
    result = {
        "status": status,
        "error": error,
        "frames": frames,
        "legacy": opts.legacy,
        "blocked_writes": _blocked(opts),
    }
    result.update(rec.summary())
    result.update(tm_trace.versions())
    rec.close()
    tm_trace.write_result(opts.trace, result)
    del torch
    return 0


def _blocked(opts) -> list:
    if not opts.allow_write:
        return []
    from . import guard

    return [list(b) for b in guard.blocked()]


if __name__ == "__main__":
    sys.exit(main())
