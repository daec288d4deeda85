"""Against a genuine old torch (``verify --old-python``).

These tests need an environment made by ``torchmigrate oldenv`` (wheels of several
hundred MB, downloaded once into ``~/.cache/torchmigrate``); they are skipped cleanly
when none exists -- no test downloads anything.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.harness.helpers import ROOT, flat, tm, verify

pytest.importorskip("torch")

from torchmigrate.harness import oldenv  # noqa: E402

ENVS = oldenv.find_existing()
CORPUS = ROOT / "corpus"
OVERLAP = ROOT / "tests" / "data" / "harness" / "genuine" / "overlap.py"

# Corpus programs of the 1.x -> 2.x families that verify whole-run against the genuine
# torch (the others use 0.1-0.3 idioms that no wheel on the index has, or behaviour a
# later 1.x changed, e.g. the scheduler order on 1.1+ -- see the closing note).
# Kept to five (plus py2_train on Python 2.7) so the suite stays lean; the closing note
# of issue 11 lists every program's result for each version.
EXPECTED = {
    "1.0.1": ["lr_scheduler", "linalg_script"],  # pre-1.1 scheduler order, torch.gels
    "1.4.0": ["mnist_cnn", "fft_stft", "legacy_function"],  # softmax dim, old fft, Function
}


def _env_params():
    out = []
    for env in ENVS:
        m = re.match(r"py(\d+\.\d+)-torch(.+)$", env.name)
        if m:
            out.append(pytest.param(env, m.group(1), m.group(2), id=env.name))
    return out or [pytest.param(None, None, None, id="no-oldenv")]


def _parse(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            out[k] = [float(x) for x in v.split()]
    return out


@pytest.mark.parametrize("env,pyver,torchver", _env_params())
def test_emulation_matches_genuine_where_they_overlap(env, pyver, torchver):
    if env is None:
        pytest.skip("no genuine old-torch environment (make one with `torchmigrate oldenv`)")
    genuine = subprocess.run(
        [str(oldenv.interpreter(env)), str(OVERLAP)], capture_output=True, text=True, timeout=300
    )
    assert genuine.returncode == 0, genuine.stderr
    emulated = tm("run", "--legacy", OVERLAP)
    assert emulated.returncode == 0, emulated.stderr
    g, e = _parse(genuine.stdout), _parse(emulated.stdout)
    assert len(g) >= 20
    changed_since = {"steplr_start_of_epoch": "1.1"}  # the genuine torch has the new rule
    compared = 0
    for key, gv in g.items():
        if key in changed_since and tuple(map(int, torchver.split(".")[:2])) >= (1, 1):
            assert e[key] != gv  # 1.1 moved the scheduler: the emulation keeps 0.3's order
            continue
        assert key in e, key
        assert len(e[key]) == len(gv), key
        for a, b in zip(e[key], gv):
            assert abs(a - b) <= 1e-5 + 1e-5 * abs(b), (key, e[key], gv)
        compared += 1
    assert compared >= 18


def _programs():
    out = []
    for env, pyver, torchver in (p.values for p in _env_params()):
        for name in EXPECTED.get(torchver or "", []):
            if pyver and pyver.startswith("3."):
                out.append(pytest.param(env, name, id=f"{env.name}-{name}"))
    return out or [pytest.param(None, None, id="no-oldenv")]


@pytest.mark.parametrize("env,name", _programs())
def test_corpus_program_verifies_against_genuine_torch(env, name):
    if env is None:
        pytest.skip("no genuine old-torch environment (make one with `torchmigrate oldenv`)")
    out = verify(
        CORPUS / "legacy" / f"{name}.py",
        CORPUS / "modern" / f"{name}.py",
        "--old-python",
        oldenv.interpreter(env),
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "both ran to the end" in flat(out)


def test_python2_program_against_genuine_python2_torch():
    envs = [e for e in ENVS if e.name.startswith("py2.")]
    if not envs:
        pytest.skip("no Python 2.7 old-torch environment")
    out = verify(
        CORPUS / "legacy" / "py2_train.py",
        CORPUS / "modern" / "py2_train.py",
        "--old-python",
        oldenv.interpreter(envs[0]),
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
