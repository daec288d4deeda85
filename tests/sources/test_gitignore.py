"""Discovery's ignore rules against real git on random trees: every
``.gitignore``, ``.git/info/exclude`` and the global excludes file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchmigrate import sources
from torchmigrate.sources import SKIP_DIRS, discover

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

DIRS = ["a", "b", "src", "lib", "data", "x1", "tests", "deep"]
FILES = ["a.py", "b.py", "c.py", "keep.py", "x_test.py", "nb.ipynb", "notes.txt", "d.py"]
PATTERNS = [
    "*.txt",
    "a/",
    "/b",
    "**/c.py",
    "src/*.py",
    "!keep.py",
    "lib/**",
    "*_test.py",
    "!a/b.py",
    "d?ta/",
    "[ab].py",
    "a/**/c.py",
    "/*.ipynb",
    "!/src/",
    "deep/*/",
    "tests",
    "*.py",
    "!*/",
    "!d.py",
    "x1/a.py",
    "\\!x.py",
    "# comment",
    "",
    "b/*",
    "!b/keep.py",
    "**/deep/**/a.py",
    "*.ipynb",
    "!nb.ipynb",
    "lib/**/",
    "**/",
    "*/",
    "/*",
    "lib/**/*.py",
    "a.py   ",
    "data/**",
    "!data/**/",
    "src/**/b.py",
    "!**/keep.py",
    "x?/",
]


def _git(cwd, *args, env=None):
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, check=True, env=env
    ).stdout.decode()


def _build(rnd, root: Path) -> None:
    root.mkdir()
    dirs = [root]
    for _ in range(rnd.randint(2, 9)):
        parent = rnd.choice(dirs)
        if len(parent.relative_to(root).parts) >= 3:
            continue
        d = parent / rnd.choice(DIRS)
        d.mkdir(exist_ok=True)
        dirs.append(d)
    for d in dirs:
        for name in rnd.sample(FILES, rnd.randint(1, 5)):
            (d / name).write_text("x = 1\n")
    for d in rnd.sample(dirs, rnd.randint(1, min(4, len(dirs)))):
        lines = [rnd.choice(PATTERNS) for _ in range(rnd.randint(1, 5))]
        (d / ".gitignore").write_text("\n".join(lines) + "\n")


def _ours(root: Path) -> set:
    files, errors = discover([root])
    assert errors == []
    return {f.relative_to(root).as_posix() for f in files}


def _git_answer(cwd: Path, env) -> set:
    out = _git(cwd, "ls-files", "-z", "-co", "--exclude-standard", env=env)
    keep = set()
    for rel in out.split("\0"):
        if not rel or not rel.endswith(sources.SUFFIXES):
            continue
        parts = rel.split("/")
        if any(p.startswith(".") for p in parts):
            continue
        if any(p in SKIP_DIRS or p.endswith(".egg-info") for p in parts[:-1]):
            continue
        keep.add(rel)
    return keep


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rnd=st.randoms(use_true_random=False))
def test_discovery_matches_git_on_random_trees(tmp_path_factory, monkeypatch, rnd):
    base = tmp_path_factory.mktemp("gi")
    root = base / "repo"
    _build(rnd, root)
    # git's other two sources: info/exclude and the global excludes file
    global_ignore = base / "global_ignore"
    global_ignore.write_text("\n".join(rnd.sample(PATTERNS, 2)) + "\n")
    gconfig = base / "gitconfig"
    gconfig.write_text(f"[core]\n\texcludesFile = {global_ignore}\n")
    env = dict(os.environ, GIT_CONFIG_GLOBAL=str(gconfig), GIT_CONFIG_NOSYSTEM="1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    sources._global_excludes_file.cache_clear()
    _git(root, "init", "-q", env=env)
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text(rnd.choice(PATTERNS) + "\n")

    expected = _git_answer(root, env)
    assert _ours(root) == expected

    # a subdirectory that git does not ignore: the enclosing repo's rules apply
    for sub in sorted(p for p in root.rglob("*") if p.is_dir() and ".git" not in p.parts):
        rel = sub.relative_to(root).as_posix()
        ignored = (
            subprocess.run(["git", "check-ignore", "-q", rel + "/"], cwd=root, env=env).returncode
            == 0
        )
        if ignored or any(
            subprocess.run(
                ["git", "check-ignore", "-q", a.as_posix() + "/"], cwd=root, env=env
            ).returncode
            == 0
            for a in Path(rel).parents
            if a.as_posix() != "."
        ):
            continue
        want = {r[len(rel) + 1 :] for r in expected if r.startswith(rel + "/")}
        assert _ours(sub) == want, rel
        break

    # outside git: only the .gitignore files count (as git would read them)
    (root / ".git" / "info" / "exclude").write_text("")
    empty = base / "empty_config"
    empty.write_text("")
    env2 = dict(env, GIT_CONFIG_GLOBAL=str(empty))
    expected_plain = _git_answer(root, env2)
    shutil.rmtree(root / ".git")
    sources._global_excludes_file.cache_clear()
    assert _ours(root) == expected_plain
    sources._global_excludes_file.cache_clear()


def test_info_exclude_and_global_excludes_are_honoured(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("a.py", "b.py", "c.py"):
        (root / name).write_text("x = 1\n")
    _git(root, "init", "-q")
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("a.py\n")
    gi = tmp_path / "global_ignore"
    gi.write_text("b.py\n")
    cfg = tmp_path / "gitconfig"
    cfg.write_text(f"[core]\n\texcludesFile = {gi}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    sources._global_excludes_file.cache_clear()
    try:
        assert _ours(root) == {"c.py"}
    finally:
        sources._global_excludes_file.cache_clear()


def test_nested_repository_uses_its_own_rules(tmp_path):
    outer = tmp_path / "outer"
    inner = outer / "inner"
    inner.mkdir(parents=True)
    _git(outer, "init", "-q")
    _git(inner, "init", "-q")
    (outer / ".gitignore").write_text("skip.py\n")
    (inner / ".gitignore").write_text("other.py\n")
    for d in (outer, inner):
        (d / "skip.py").write_text("x = 1\n")
        (d / "other.py").write_text("x = 1\n")
    assert _ours(outer) == {"other.py", "inner/skip.py"}
