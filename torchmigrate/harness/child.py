"""Child process: run one script (old or new side) with the recorder and write its trace.

Usage (internal)::

    python -m torchmigrate.harness.child --script S --trace OUT.pt [--legacy]
        [--steps N] [--seed K] [--device cpu|cuda] [--no-record] -- ARGS...

``--legacy`` installs the legacy runtime and the source loader.  ``--no-record`` only
runs the script (``torchmigrate run``).  The trace file is written even when the script
crashes (with the traceback in ``error``); the exit status is 0 whenever a trace was
written.
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


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    ap = argparse.ArgumentParser(prog="torchmigrate.harness.child")
    ap.add_argument("--script", required=True)
    ap.add_argument("--trace")
    ap.add_argument("--legacy", action="store_true")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--no-record", action="store_true")
    opts = ap.parse_args(argv)

    import torch

    from . import device as device_mod
    from . import legacy_runtime, loader
    from .recorder import Recorder, StopRecording

    _seed_everything(opts.seed, opts.device, deterministic=not opts.no_record)
    if opts.device == "cpu":
        device_mod.install_cpu()
    if opts.legacy:
        legacy_runtime.install()
        loader.install(os.path.dirname(os.path.abspath(opts.script)))
    rec = None
    if not opts.no_record:
        rec = Recorder(opts.steps)
        rec.install()

    error = None
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
    except BaseException:
        status = "error"
        error = traceback.format_exc()
    if rec is not None and status == "finished":
        rec.finish()
    sys.stdout.flush()
    if rec is None:
        if error:
            sys.stderr.write(error)
            return 1
        return 0
    trace = rec.trace()
    trace.update({"status": status, "error": error, "legacy": opts.legacy})
    torch.save(trace, opts.trace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
