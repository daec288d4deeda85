"""Fleet inputs and outputs: repos listed in a file (local paths or git
sources at a commit, cloned into a work directory), and the results as one
migration commit per repo on a branch (``--branch``) or one patch per repo
(``--patches DIR``).

``--from-file`` format, one repo per line (``#`` starts a comment line)::

    path/to/repo                          # migrated where it is
    path/to/git/repo  v1.2                # a local git repo at a commit: cloned
    file:///srv/git/dcgan.git             # a git URL: cloned (default branch)
    https://example.org/lab/vae.git 3f2a9c1   # a git URL at a commit

A line that names an existing path as a whole is that path (so paths with
spaces work); otherwise its last whitespace-separated word is the commit (any
revision git understands: a sha, a tag, a branch).  Clones go to
``--work-dir`` (default ``.torchmigrate-work``), one directory per source and
commit, and are reused by a later run (``--resume``).

The branch and the patches never touch a working tree: the commit is built
with git's plumbing (blobs of the migrated bytes, a tree from ``HEAD``'s with
the changed files replaced, ``commit-tree``), so a repo's checkout stays as it
was and the branch can be pushed as it is.  A patch is ``git format-patch`` of
that commit (``git am`` or ``git apply`` take it); for a directory that is not
a git repository, a plain unified diff of the bytes that ``git apply`` takes.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import subprocess
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from torchmigrate import __version__

WORK_DIR = ".torchmigrate-work"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP = re.compile(r"^[\w.-]+@[\w.-]+:")
IDENTITY = {
    "GIT_AUTHOR_NAME": "torchmigrate",
    "GIT_AUTHOR_EMAIL": "torchmigrate@localhost",
    "GIT_COMMITTER_NAME": "torchmigrate",
    "GIT_COMMITTER_EMAIL": "torchmigrate@localhost",
}


class FleetError(Exception):
    """A problem with the listing itself (one line; exit 2)."""


@dataclass
class RepoSource:
    """One line of the listing."""

    source: str  # as written: a path or a git URL
    rev: Optional[str]
    line: int
    listing: str

    @property
    def remote(self) -> bool:
        return bool(_URL.match(self.source) or _SCP.match(self.source))

    @property
    def needs_clone(self) -> bool:
        return self.remote or self.rev is not None

    @property
    def label(self) -> str:
        return self.source + (f" @ {self.rev}" if self.rev else "")

    def where(self) -> str:
        return f"{self.listing}:{self.line}"


@dataclass
class Prepared:
    """The listing resolved: the roots to migrate and what failed."""

    paths: list = field(default_factory=list)  # Path per usable repo
    labels: dict = field(default_factory=dict)  # str(path) -> label (source [@ rev])
    errors: list = field(default_factory=list)  # (label, one-line message)


def read_listing(path: Path) -> list:
    """The repos of a ``--from-file`` listing."""
    from torchmigrate.sources import SourceError, read_bytes

    try:
        data = read_bytes(Path(path))[0]  # never blocks on a FIFO
    except SourceError as exc:
        raise FleetError(f"{path}: {exc.message}") from None
    if b"\0" in data:
        raise FleetError(f"{path}: not a text file of repos (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")  # a BOM (Windows editors) is fine
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FleetError(f"{path}:{line}: not a UTF-8 text file of repos") from None
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        source, rev = line, None
        parts = line.split()
        if len(parts) > 1 and not Path(line).exists():
            if len(parts) > 2 and not Path(" ".join(parts[:-1])).exists():
                raise FleetError(
                    f"{path}:{n}: expected `SOURCE [COMMIT]`, got {len(parts)} words: {line!r}"
                )
            source, rev = " ".join(parts[:-1]), parts[-1]
        out.append(RepoSource(source, rev, n, str(path)))
    return out


def _git(args: list, cwd=None, input: Optional[bytes] = None, env=None, check=True):
    proc = subprocess.run(
        ["git", *args],
        cwd=str(cwd) if cwd is not None else None,
        input=input,
        capture_output=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})},
        timeout=600,
    )
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise subprocess.CalledProcessError(
            proc.returncode, ["git", *args], proc.stdout, (msg[-1] if msg else "failed")
        )
    return proc


def _git_error(exc: Exception) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        return str(exc.stderr)
    return str(exc)


def _clone_dir(work_dir: Path, src: RepoSource) -> Path:
    base = re.sub(r"\.git$", "", src.source.rstrip("/").replace(":", "/").split("/")[-1])
    base = re.sub(r"[^\w.-]", "_", base) or "repo"
    digest = hashlib.sha1(f"{src.source}\0{src.rev or ''}".encode()).hexdigest()[:8]
    return work_dir / f"{base}-{digest}"


def _clone(src: RepoSource, dest: Path) -> Path:
    """Clone ``src`` into ``dest`` at its commit (reusing a clone a previous
    run made there)."""
    source = src.source
    if not src.remote:
        source = str(Path(source).resolve())
        if not Path(source).exists():
            raise FleetError("no such file or directory")
    if (dest / ".git").exists():
        origin = _git(["config", "--get", "remote.origin.url"], cwd=dest, check=False)
        if origin.stdout.decode().strip() != source:
            raise FleetError(f"{dest} holds a clone of another repo; remove it or use --work-dir")
        if src.rev is not None:
            want = _git(
                ["rev-parse", "--verify", "-q", f"{src.rev}^{{commit}}"], cwd=dest, check=False
            )
            head = _git(["rev-parse", "HEAD"], cwd=dest, check=False)
            if want.returncode != 0 or want.stdout.strip() != head.stdout.strip():
                _checkout(dest, src.rev)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=str(dest.parent)))
    try:
        _git(["clone", "--quiet", source, str(tmp)])
        if src.rev is not None:
            _checkout(tmp, src.rev)
        os.replace(tmp, dest)
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _checkout(repo: Path, rev: str) -> None:
    ok = _git(["checkout", "--quiet", "--detach", rev, "--"], cwd=repo, check=False)
    if ok.returncode == 0:
        return
    try:  # a commit that no branch of the clone holds
        _git(["fetch", "--quiet", "origin", rev], cwd=repo)
        _git(["checkout", "--quiet", "--detach", "FETCH_HEAD", "--"], cwd=repo)
    except subprocess.CalledProcessError:
        raise FleetError(f"no commit {rev!r} in the repository") from None


def prepare(sources: list, work_dir: Path, jobs: int = 4) -> Prepared:
    """Resolve the listing: local paths as they are, git sources cloned (in
    parallel) into ``work_dir``.  A source that cannot be cloned is an error
    of that repo; the others go on."""
    out = Prepared()
    clones = [s for s in sources if s.needs_clone]
    done: dict = {}
    if clones:
        work_dir = Path(work_dir)

        def one(src: RepoSource):
            try:
                return _clone(src, _clone_dir(work_dir, src)), None
            except (FleetError, subprocess.CalledProcessError, OSError) as exc:
                return None, _git_error(exc)

        with ThreadPoolExecutor(max_workers=max(1, min(8, jobs, len(clones)))) as pool:
            for src, got in zip(clones, pool.map(one, clones)):
                done[id(src)] = got
    for src in sources:
        if not src.needs_clone:
            p = Path(src.source)
            out.paths.append(p)
            out.labels[str(p)] = src.source
            continue
        path, error = done[id(src)]
        if path is None:
            out.errors.append((src.label, f"{src.where()}: {src.label}: cannot clone: {error}"))
            continue
        out.paths.append(path)
        out.labels[str(path)] = src.label
    return out


# --------------------------------------------------------------------------
# Outputs: a branch per repo, a patch per repo
# --------------------------------------------------------------------------
@dataclass
class Published:
    repo: str
    label: str
    files: int = 0
    commit: Optional[str] = None
    branch: Optional[str] = None
    patch: Optional[str] = None
    error: Optional[str] = None


def git_toplevel(path: Path) -> Optional[Path]:
    d = path if path.is_dir() else path.parent
    try:
        proc = _git(["rev-parse", "--show-toplevel"], cwd=d, check=False)
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode().strip()).resolve()


def preflight(paths: list, branch: Optional[str], patches: bool) -> dict:
    """Per repo, why it cannot get a branch (not a git work tree, no commit
    yet, the branch exists already): {str(path): message}."""
    problems: dict = {}
    if branch is not None:
        check = _git(["check-ref-format", "--branch", branch], check=False)
        if check.returncode != 0:
            raise FleetError(f"--branch {branch!r} is not a valid branch name")
    for p in paths:
        p = Path(p)
        if not p.exists():
            continue  # reported as a missing path
        top = git_toplevel(p)
        if top is None:
            if branch is not None:
                problems[str(p)] = (
                    f"{p}: not in a git work tree, so no branch can be made "
                    "(use --patches DIR or --out DIR for this repo)"
                )
            continue
        head = _git(["rev-parse", "--verify", "-q", "HEAD"], cwd=top, check=False)
        if head.returncode != 0:
            problems[str(p)] = f"{p}: the git repository has no commit yet; nothing to branch from"
            continue
        if branch is not None:
            ref = _git(
                ["rev-parse", "--verify", "-q", f"refs/heads/{branch}"], cwd=top, check=False
            )
            if ref.returncode == 0:
                problems[str(p)] = (
                    f"{top}: branch {branch} exists already; delete it "
                    f"(git -C {top} branch -D {branch}) or choose another --branch"
                )
    return problems


def commit_message(outs: list, rules, command: str) -> str:
    """The migration commit's message: the rules applied and what is left."""
    names = {r.id: r.name for r in rules}
    fixes = Counter(f["rule"] for o in outs for f in o.fixes)
    left = Counter(f["safety"] for o in outs for f in o.findings)
    changed = sum(1 for o in outs if o.status == "changed")
    lines = [
        "Migrate to modern PyTorch (torchmigrate)",
        "",
        f"torchmigrate {__version__} rewrote {changed} file(s) with "
        f"{sum(fixes.values())} fix(es). Rules applied:",
        "",
    ]
    labels = {k: f"{k} {names.get(k, '')}".rstrip() for k in fixes}
    width = max((len(v) for v in labels.values()), default=0)
    for rule, n in sorted(fixes.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {labels[rule].ljust(width)}  {n}")
    lines.append("")
    if sum(left.values()):
        lines.append(
            f"Left for review: {left['unsafe']} unsafe and {left['manual']} manual finding(s) "
            "(`torchmigrate check .` lists them)."
        )
    else:
        lines.append("Nothing left for review.")
    if command:
        lines += ["", f"Command: {command}"]
    return "\n".join(lines) + "\n"


def _identity_env(top: Path) -> dict:
    """git's configured identity, or torchmigrate's where none is set."""
    env = {}
    for var, keys in (
        ("GIT_COMMITTER_IDENT", ("GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")),
        ("GIT_AUTHOR_IDENT", ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL")),
    ):
        if _git(["var", var], cwd=top, check=False).returncode != 0:
            env.update({k: IDENTITY[k] for k in keys})
    return env


def make_commit(top: Path, changed: list, message: str) -> Optional[str]:
    """A commit on top of HEAD with ``changed`` = [(path, new bytes)]
    replaced, made without touching the index or the working tree; None when
    the tree would not change."""
    base = _git(["rev-parse", "HEAD"], cwd=top).stdout.decode().strip()
    fd, index = tempfile.mkstemp(prefix="torchmigrate-index-")
    os.close(fd)
    os.unlink(index)  # git wants to create it itself
    env = {"GIT_INDEX_FILE": index}
    try:
        _git(["read-tree", "HEAD"], cwd=top, env=env)
        for path, data in changed:
            rel = Path(path).resolve().relative_to(top).as_posix()
            # --path: the repo's clean filters (eol conversion) apply, as for `git add`
            blob = _git(["hash-object", "-w", f"--path={rel}", "--stdin"], cwd=top, input=data)
            blob_id = blob.stdout.decode().strip()
            entry = _git(["ls-files", "-s", "--", rel], cwd=top, env=env).stdout.decode()
            if entry:
                mode = entry.split()[0]
            else:
                mode = "100755" if os.access(path, os.X_OK) else "100644"
            _git(
                ["update-index", "--add", "--cacheinfo", f"{mode},{blob_id},{rel}"],
                cwd=top,
                env=env,
            )
        tree = _git(["write-tree"], cwd=top, env=env).stdout.decode().strip()
    finally:
        try:
            os.unlink(index)
        except OSError:
            pass
    if tree == _git(["rev-parse", "HEAD^{tree}"], cwd=top).stdout.decode().strip():
        return None
    commit = _git(
        ["commit-tree", tree, "-p", base, "-F", "-"],
        cwd=top,
        input=message.encode("utf-8"),
        env=_identity_env(top),
    )
    return commit.stdout.decode().strip()


def format_patch(top: Path, commit: str) -> bytes:
    """``git format-patch`` of one commit, with plain ``a/``/``b/`` prefixes
    whatever the user's configuration says."""
    return _git(
        [
            "-c",
            "diff.noprefix=false",
            "-c",
            "diff.mnemonicPrefix=false",
            "-c",
            "core.quotePath=false",
            "format-patch",
            "-1",
            "--stdout",
            "--no-color",
            "--binary",
            "--no-signature",
            commit,
        ],
        cwd=top,
    ).stdout


def _lines(data: bytes) -> list:
    """Lines as git splits them (on LF only), each with its ending."""
    parts = data.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def bytes_patch(root: Path, changed: list) -> bytes:
    """A unified diff of ``changed`` = [(path, old bytes, new bytes)] relative
    to ``root``, byte-exact (CRLF and encodings kept), that ``git apply``
    takes in ``root``."""
    out = []
    for path, old, new in sorted(changed):
        rel = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        a, b = _lines(old), _lines(new)
        body = list(
            difflib.diff_bytes(difflib.unified_diff, a, b, f"a/{rel}".encode(), f"b/{rel}".encode())
        )
        if not body:
            continue
        out.append(f"diff --git a/{rel} b/{rel}\n".encode())
        for line in body:
            out.append(line)
            if not line.endswith(b"\n"):
                out.append(b"\n\\ No newline at end of file\n")
    return b"".join(out)


def patch_name(label: str, taken: set) -> str:
    """A file name for a repo's patch, unique among ``taken``."""
    src = label.split(" @ ")[0].rstrip("/")
    base = re.sub(r"\.git$", "", src.replace(":", "/").split("/")[-1]) or "repo"
    rev = label.split(" @ ")[1] if " @ " in label else ""
    if rev:
        base += f"-{rev[:12]}"
    base = re.sub(r"[^\w.-]", "_", base)
    name, n = f"{base}.patch", 2
    while name in taken:
        name, n = f"{base}-{n}.patch", n + 1
    taken.add(name)
    return name


def publish(
    roots: list,
    outcomes: list,
    rules,
    labels: dict,
    branch: Optional[str],
    patches_dir: Optional[Path],
    command: str = "",
    on_repo=None,
) -> list:
    """One commit per repo with changes (on ``branch``) and/or one patch per
    repo in ``patches_dir``.  A repo with a failed file gets neither (its
    migration is incomplete); its problem is reported.  ``on_repo`` is called
    with each repo's :class:`Published` as soon as it is done."""
    by_repo: dict = {}
    for o in outcomes:
        by_repo.setdefault(o.repo, []).append(o)
    taken: set = set()
    results = []
    if patches_dir is not None:
        patches_dir.mkdir(parents=True, exist_ok=True)
    for root in roots:
        repo = str(root)
        outs = by_repo.get(repo, [])
        label = labels.get(repo, repo)
        pub = Published(repo, label)
        results.append(pub)
        changed = [o for o in outs if o.status == "changed" and o.new_bytes is not None]
        pub.files = len(changed)
        if any(o.status == "failed" for o in outs):
            pub.error = f"{label}: not published (no commit, no patch): a file of this repo could not be migrated"
        elif changed:
            try:
                _publish_one(
                    Path(root), pub, outs, changed, rules, branch, patches_dir, taken, command
                )
            except (subprocess.CalledProcessError, OSError, ValueError) as exc:
                pub.error = f"{root}: cannot publish: {_git_error(exc)}"
        if on_repo is not None:
            on_repo(pub)
    return results


def _publish_one(root, pub, outs, changed, rules, branch, patches_dir, taken, command) -> None:
    top = git_toplevel(root)
    if top is None:
        if patches_dir is None:
            raise ValueError("not in a git work tree")
        base = root if root.is_dir() else root.parent
        triples = [(o.path, Path(o.path).read_bytes(), o.new_bytes) for o in changed]
        data = bytes_patch(base, triples)
    else:
        commit = make_commit(
            top, [(o.path, o.new_bytes) for o in changed], commit_message(outs, rules, command)
        )
        if commit is None:
            return
        pub.commit = commit
        if branch is not None:
            # "" as the old value: refuse if the branch appeared meanwhile
            _git(["update-ref", f"refs/heads/{branch}", commit, ""], cwd=top)
            pub.branch = branch
        data = format_patch(top, commit) if patches_dir is not None else None
    if patches_dir is not None and data:
        from torchmigrate.sources import write_atomic

        target = patches_dir / patch_name(pub.label, taken)
        write_atomic(target, data)
        pub.patch = str(target)
