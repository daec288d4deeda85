# -*- coding: utf-8 -*-
"""The old side of ``verify --old-python``: run a script under a genuine old torch.

Portable code (see ``tm_trace``), started by the parent as
``OLD_PYTHON tm_oldchild.py --script S --trace DIR --ctl DIR [...] -- ARGS`` with only
this directory (and, with ``--synthetic-data``, the synthetic stand-ins) on the path.
It mirrors ``torchmigrate.harness.child``: same seeds and single-threaded deterministic
settings, the pre-0.4 bridge instead of the legacy runtime, the same recorder, the same
``result.json``.  The write guard needs audit hooks (Python 3.8+), so under these
interpreters writes outside the work copy are only *detected* by the parent.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import random
import sys
import traceback
import types


def parse(argv):
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    ap = argparse.ArgumentParser(prog="tm_oldchild")
    ap.add_argument("--script", required=True)
    ap.add_argument("--trace")
    ap.add_argument("--ctl")
    ap.add_argument("--root")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--synthetic-data", action="store_true")
    ap.add_argument("--synthetic-samples", type=int, default=None)
    ap.add_argument("--allow-write", action="append", default=[])
    ap.add_argument("--portable-rng", action="store_true")
    return ap.parse_args(argv), extra


def seed_everything(seed, device):
    import torch

    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:
        pass
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    fn = getattr(torch, "use_deterministic_algorithms", None)
    if fn is not None:
        try:
            fn(True, warn_only=True)
        except TypeError:  # 1.8-1.10: no warn_only
            pass
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def run_script(path, argv):
    path = os.path.abspath(path)
    with open(path, "rb") as fh:
        source = fh.read()
    code = compile(source, path, "exec", 0, True)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    sys.argv = [path] + list(argv)
    sys.path[0] = os.path.dirname(path)
    exec(code, module.__dict__)


def main(argv=None):
    opts, extra = parse(list(sys.argv[1:] if argv is None else argv))
    import warnings

    warnings.simplefilter("ignore")
    import tm_bridge
    import tm_trace
    import torch  # noqa: F401
    from tm_recorder import Recorder, StopRecording

    seed_everything(opts.seed, opts.device)
    if opts.portable_rng:
        import tm_rng

        tm_rng.install(opts.seed)
    tm_bridge.install(opts.device)
    if opts.synthetic_data:
        import tm_synthetic

        tm_synthetic.install(samples=opts.synthetic_samples)
    rec = None
    if not opts.no_record:
        rec = Recorder(opts.trace, window=opts.steps, max_steps=opts.max_steps, ctl_dir=opts.ctl)
        rec.install()
    error = None
    frames = []
    status = "finished"
    try:
        run_script(opts.script, extra)
    except StopRecording:
        status = "stopped"
    except SystemExit as exc:
        if exc.code not in (None, 0):
            status = "error"
            error = "SystemExit: %r" % (exc.code,)
    except BaseException:
        status = "error"
        error = traceback.format_exc()
        roots = [opts.root or os.path.dirname(os.path.abspath(opts.script))]
        frames = tm_trace.script_frames(sys.exc_info()[2], roots)
    try:
        sys.stdout.flush()
    except (IOError, OSError, ValueError):
        pass
    if rec is None:
        if error:
            sys.stderr.write(error)
            return 1
        return 0
    if status == "finished":
        rec.finish()
    elif status == "error":
        rec.abort()
    result = {
        "status": status,
        "error": error,
        "frames": frames,
        "legacy": False,
        "genuine": True,
        "blocked_writes": [],
    }
    result.update(rec.summary())
    result.update(tm_trace.versions())
    rec.close()
    tm_trace.write_result(opts.trace, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
