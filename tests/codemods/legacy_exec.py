"""Run a legacy snippet under the emulated pre-0.4 runtime and its migration
under plain torch 2.13, each in its own process, and return what each left
in ``RESULT`` (JSON-serialisable: numbers, strings, nested lists)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import codemods
from torchmigrate.engine import migrate

_DRIVER = """
import json, sys, warnings
warnings.simplefilter("ignore")
if sys.argv[1] == "legacy":
    from torchmigrate.harness import legacy_runtime
    legacy_runtime.install()
src = sys.stdin.read()
ns = {"__name__": "__main__"}
exec(compile(src, "<snippet>", "exec"), ns)
print("RESULT=" + json.dumps(ns["RESULT"]))
"""


def run(src: str, legacy: bool) -> object:
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", _DRIVER, "legacy" if legacy else "modern"],
        input=src,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    if out.returncode != 0:
        raise AssertionError(
            f"{'legacy' if legacy else 'modern'} run failed:\n{out.stderr[-3000:]}"
        )
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT=")][-1]
    return json.loads(line[len("RESULT=") :])


def migrated(src: str, *rule_ids: str, unsafe: bool = True) -> str:
    rules = [codemods.get_rule(r) for r in rule_ids] if rule_ids else codemods.all_rules()
    result = migrate(textwrap.dedent(src), rules, unsafe_fixes=unsafe)
    assert not result.errors, result.errors
    return result.new


def pair(src: str, *rule_ids: str) -> tuple:
    """(legacy result, migrated result, migrated text)."""
    src = textwrap.dedent(src)
    new = migrated(src, *rule_ids)
    return run(src, legacy=True), run(new, legacy=False), new


def close(a, b, tol=1e-6) -> None:
    import numpy as np

    np.testing.assert_allclose(
        np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=tol, atol=tol
    )
