"""Fleet inputs and outputs through the real CLI: --from-file with git sources
at a commit (cloned from local paths and file:// URLs), --branch (one commit
per repo, working trees untouched) and --patches (git apply / git am)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.fleet.fleetgen import git, make_repo, snapshot, tm


def _migrated_in_place(repo: Path, dest: Path) -> dict:
    """What `upgrade` in place makes of a copy of ``repo``: {rel: bytes}."""
    shutil.copytree(repo, dest)
    r = tm("upgrade", "--unsafe-fixes", dest)
    assert r.returncode == 0, r.stderr
    return {k.split("/", 1)[1]: v for k, v in snapshot([dest]).items()}


def _tree(repo: Path, rev: str) -> dict:
    names = git(repo, "ls-tree", "-r", "--name-only", rev).split()
    return {
        n: subprocess.run(
            ["git", "show", f"{rev}:{n}"], cwd=repo, capture_output=True, check=True
        ).stdout
        for n in names
    }


def test_branch_holds_one_commit_per_repo_and_no_working_tree_changes(tmp_path):
    repos = [make_repo(tmp_path / f"r{i}", i, crlf=i == 1) for i in range(3)]
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.py").write_text("import os\n")
    git(clean, "init", "-q", "-b", "main")
    git(clean, "add", "-A")
    git(clean, "commit", "-qm", "clean")
    before = snapshot(repos + [clean])
    heads = {r: git(r, "rev-parse", "HEAD").strip() for r in repos}
    r = tm("upgrade", "--unsafe-fixes", "--branch", "torchmigrate/upgrade", *repos, clean)
    assert r.returncode == 0, r.stderr
    assert snapshot(repos + [clean]) == before  # nothing written in any working tree
    for repo in repos:
        assert git(repo, "status", "--porcelain") == ""
        assert git(repo, "rev-parse", "HEAD").strip() == heads[repo]  # still on main
        log = git(repo, "log", "--format=%H %P", "main..torchmigrate/upgrade").splitlines()
        assert len(log) == 1 and log[0].split()[1] == heads[repo]  # one commit on HEAD
        msg = git(repo, "log", "-1", "--format=%B", "torchmigrate/upgrade")
        assert "TM001 variable-wrap" in msg and "TM002 volatile" in msg
        assert "Rules applied" in msg and "Command: torchmigrate upgrade" in msg
        want = _migrated_in_place(repo, tmp_path / "want" / repo.name)
        assert _tree(repo, "torchmigrate/upgrade") == want  # CRLF file included
    assert "torchmigrate/upgrade" not in git(clean, "branch", "--list")  # nothing to commit
    assert "3 repo(s) have a branch torchmigrate/upgrade" in r.stderr

    # again: the branch exists, each repo says so, nothing is touched
    r = tm("upgrade", "--branch", "torchmigrate/upgrade", *repos)
    assert r.returncode == 1
    assert r.stderr.count("branch torchmigrate/upgrade exists already") == 3
    assert all(len(git(p, "branch", "--list").split()) == 3 for p in repos)  # * main + branch


def test_patches_apply_cleanly_on_the_original_repos(tmp_path):
    repos = [make_repo(tmp_path / "src" / f"r{i}", i, crlf=i == 1) for i in range(3)]
    # a plain directory (no git), with CRLF and no final newline
    plain = tmp_path / "src" / "plain"
    plain.mkdir()
    (plain / "t.py").write_bytes(b"import torch\r\nx = torch.nn.functional.sigmoid(y)")
    patches = tmp_path / "patches"
    r = tm("upgrade", "--unsafe-fixes", "--patches", patches, *repos, plain)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in patches.iterdir()) == [
        "plain.patch",
        "r0.patch",
        "r1.patch",
        "r2.patch",
    ]
    for repo in repos + [plain]:
        want = _migrated_in_place(repo, tmp_path / "want" / repo.name)
        # git am strips CRs from mail lines unless told not to (a CRLF file here)
        for how in (["apply"], ["am", "-q", "--keep-cr"]) if repo != plain else (["apply"],):
            target = tmp_path / "apply" / how[0] / repo.name
            shutil.copytree(repo, target)
            patch = patches / f"{repo.name}.patch"
            subprocess.run(["git", "apply", "--check", patch], cwd=target, check=True)
            cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *how, patch]
            subprocess.run(cmd, cwd=target, check=True, capture_output=True)
            got = {k.split("/", 1)[1]: v for k, v in snapshot([target]).items()}
            assert got == want, (repo, how)
    assert b"\r\n" in (tmp_path / "want" / "plain" / "t.py").read_bytes()


def test_from_file_clones_git_sources_at_their_commit(tmp_path):
    old = make_repo(tmp_path / "src" / "old", 0)
    first = git(old, "rev-parse", "HEAD").strip()
    (old / "later.py").write_text("from torch.autograd import Variable\nv = Variable(x)\n")
    git(old, "add", "-A")
    git(old, "commit", "-qm", "later")
    url = make_repo(tmp_path / "src" / "url", 1)
    local = make_repo(tmp_path / "src" / "local", 2)
    before = snapshot([old, url])
    listing = tmp_path / "repos.txt"
    listing.write_text(
        "# the lab's repos\n"
        f"{old} {first[:10]}\n"
        f"file://{url}\n"
        "\n"
        f"{local}\n"
        f"{tmp_path / 'src' / 'missing'} v1.0\n"
    )
    summary = tmp_path / "summary.md"
    r = tm(
        "upgrade",
        "--from-file",
        listing,
        "--branch",
        "tm",
        "--summary",
        summary,
        "--resume",
        cwd=tmp_path,
    )
    assert r.returncode == 1  # the missing one
    assert f"repos.txt:6: {tmp_path / 'src' / 'missing'} @ v1.0: cannot clone" in r.stderr
    assert snapshot([old, url]) == before  # sources are only read
    work = tmp_path / ".torchmigrate-work"
    clones = sorted(work.iterdir())
    assert [c.name.split("-")[0] for c in clones] == ["old", "url"]
    old_clone = next(c for c in clones if c.name.startswith("old"))
    assert git(old_clone, "rev-parse", "HEAD").strip() == first
    assert not (old_clone / "later.py").exists()  # the listed commit, not the tip
    for clone in clones:
        assert len(git(clone, "log", "--format=%H", "HEAD..tm").split()) == 1
    assert len(git(local, "log", "--format=%H", "main..tm").split()) == 1  # in place: a branch
    state = json.loads((tmp_path / ".torchmigrate-state.json").read_text())
    assert sorted(state["done"]) == sorted(
        [str(c.relative_to(tmp_path)) for c in clones] + [str(local)]
    )
    # a second run reuses the clones and skips what is done
    r = tm("upgrade", "--from-file", listing, "--branch", "tm", "--resume", cwd=tmp_path)
    assert r.returncode == 1
    assert sorted(work.iterdir()) == clones


def test_fleet_usage_errors(tmp_path):
    repo = make_repo(tmp_path / "r", 0)
    r = tm("upgrade", "--branch", "x", "--diff", repo)
    assert r.returncode == 2 and "cannot be combined" in r.stderr
    r = tm("upgrade", "--branch", "bad..name", repo)
    assert r.returncode == 2 and "not a valid branch name" in r.stderr
    listing = tmp_path / "l.txt"
    listing.write_text(f"{repo} one two\n")
    r = tm("upgrade", "--from-file", listing)
    assert r.returncode == 2 and "l.txt:1: expected `SOURCE [COMMIT]`" in r.stderr
    listing.write_bytes(b"\xff\xfe\x00")
    r = tm("upgrade", "--from-file", listing)
    assert r.returncode == 2 and "not a text file" in r.stderr
    # a dirty repo is refused before any work, as for in-place upgrades
    (repo / "train.py").write_text((repo / "train.py").read_text() + "# edit\n")
    r = tm("upgrade", "--patches", tmp_path / "p", repo)
    assert r.returncode == 2 and "uncommitted changes" in r.stderr
    assert not (tmp_path / "p").exists()
