"""Configuration: ``[tool.torchmigrate]`` in the nearest ``pyproject.toml``.

Flags on the command line win over the file.  Every value is checked here,
with a one-line error naming the file and the key, so the rest of the program
only sees well-formed settings (:class:`Config`).

Keys (ruff's spelling where ruff has the same idea)::

    [tool.torchmigrate]
    select = ["TM0", "TM1"]          # ids, prefixes or rule names; a string works too
    ignore = "TM201, variable-wrap"
    exclude = ["third_party/*"]      # replaced by --exclude on the command line
    extend-exclude = ["gen/*"]       # added to exclude (and to --exclude)
    force-exclude = true             # also skip excluded files named on the command line
    per-file-ignores = { "tests/*" = ["TM2"], "legacy/*.py" = "TM3" }
    unsafe-fixes = false
    py2 = true
    jobs = 2
    output-format = "concise"
    rules-from = ["tools/our_rules.py"]   # user rules (paths relative to this file)

    [tool.torchmigrate.verify]           # upgrade --verify DIR (torchmigrate/heal.py)
    entry-points = [{script = "train.py", args = ["--epochs", "1"]}]

Paths and globs in the file are relative to the directory that holds it.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11: the `tomli` dependency (same API)
    import tomli as tomllib


class ConfigError(ValueError):
    """A configuration file that cannot be used: one line naming file and key."""


KEYS = {
    "select": "selectors",
    "ignore": "selectors",
    "exclude": "globs",
    "extend-exclude": "globs",
    "force-exclude": "bool",
    "per-file-ignores": "table",
    "unsafe-fixes": "bool",
    "py2": "bool",
    "jobs": "int",
    "output-format": "str",
    "rules-from": "paths",
    "verify": "verify",  # [tool.torchmigrate.verify]: entry points, read by heal.py
}


@dataclass
class Config:
    path: Optional[Path] = None  # the pyproject.toml it came from
    select: list = field(default_factory=list)
    ignore: list = field(default_factory=list)
    exclude: list = field(default_factory=list)
    extend_exclude: list = field(default_factory=list)
    force_exclude: Optional[bool] = None
    per_file_ignores: dict = field(default_factory=dict)  # glob -> [selectors]
    unsafe_fixes: Optional[bool] = None
    py2: Optional[bool] = None
    jobs: Optional[int] = None
    output_format: Optional[str] = None
    rules_from: list = field(default_factory=list)  # absolute paths
    verify: dict = field(default_factory=dict)  # checked by heal.entry_points

    @property
    def root(self) -> Path:
        """The directory the file's paths and globs are relative to."""
        return self.path.parent if self.path is not None else Path.cwd()


def split_selectors(value) -> list:
    """``"TM0, TM103"``, ``["TM0", "TM103,TM2"]`` -> ``["TM0", "TM103", "TM2"]``."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    out: list = []
    for item in value:
        out += [x.strip() for x in str(item).split(",") if x.strip()]
    return out


def find_pyproject(start: Path) -> Optional[Path]:
    """The nearest ``pyproject.toml`` at or above ``start`` that is readable."""
    start = Path(start).resolve()
    if not start.is_dir():
        start = start.parent
    for d in [start, *start.parents]:
        cand = d / "pyproject.toml"
        if cand.is_file():
            return cand
    return None


def _check(path: Path, key: str, kind: str, value):
    where = f"{path}: [tool.torchmigrate] {key}"
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{where} must be a non-negative integer, not {value!r}")
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, not {value!r}")
        return value
    if kind in ("selectors", "globs", "paths"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a string or a list of strings, not {value!r}")
        if kind == "selectors":
            return split_selectors(value)
        if kind == "paths":
            return [str((path.parent / v).resolve()) for v in value]
        return list(value)
    if kind == "verify":
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table (entry-points = [...]), not {value!r}")
        return value
    if kind == "table":
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table of glob = [rule ids], not {value!r}")
        out = {}
        for glob, ids in value.items():
            if isinstance(ids, str):
                ids = [ids]
            if not isinstance(ids, list) or not all(isinstance(v, str) for v in ids):
                raise ConfigError(
                    f"{where}: {glob!r} must map to a rule id or a list of ids, not {ids!r}"
                )
            out[glob] = split_selectors(ids)
        return out
    raise AssertionError(kind)  # pragma: no cover


def load_config(start: Path) -> Config:
    """Read ``[tool.torchmigrate]`` of the nearest ``pyproject.toml``.

    Raises :class:`ConfigError` for invalid TOML, unknown keys or wrong types.
    """
    path = find_pyproject(start)
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    section = data.get("tool", {}).get("torchmigrate", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.torchmigrate] must be a table")
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown [tool.torchmigrate] keys: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(KEYS))})"
        )
    cfg = Config(path=path)
    for key, value in section.items():
        setattr(cfg, key.replace("-", "_"), _check(path, key, KEYS[key], value))
    return cfg


# --------------------------------------------------------------------------
# Globs
# --------------------------------------------------------------------------
def _rel(path: Path, base: Path) -> Optional[str]:
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(base)).as_posix()
    except ValueError:
        return None


def glob_matches(path: Path, pattern: str, bases: list) -> bool:
    """True when ``pattern`` (the ``--exclude`` glob syntax: fnmatch, ``*``
    crosses ``/``) matches ``path`` relative to one of ``bases``, one of its
    parent directories, or its file name."""
    pattern = pattern.rstrip("/")
    if not pattern:
        return False
    name = Path(path).name
    if fnmatch.fnmatch(name, pattern):
        return True
    for base in bases:
        rel = _rel(path, base)
        if rel is None:
            continue
        if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern + "/*"):
            return True
        parts = rel.split("/")
        for i in range(1, len(parts)):  # a directory on the way
            if fnmatch.fnmatch(parts[i - 1], pattern) or fnmatch.fnmatch(
                "/".join(parts[:i]), pattern
            ):
                return True
    return False


def force_excluded(path: Path, patterns: list, cfg: Config) -> bool:
    """--force-exclude: is a file named on the command line excluded?  Globs are
    tried relative to the configuration's directory and to the working directory."""
    bases = [cfg.root, Path.cwd()]
    return any(glob_matches(path, p, bases) for p in patterns)


def per_file_ignores(path: Path, cfg: Config) -> list:
    """The selectors ``per-file-ignores`` adds to ``ignore`` for ``path``."""
    out: list = []
    for glob, ids in cfg.per_file_ignores.items():
        if glob_matches(path, glob, [cfg.root]):
            out += ids
    return out
