"""Test helpers: undefined names of a program (pyflakes), project-wide.

A name counts as undefined when pyflakes reports it undefined, or when it
can only come from star imports and the project model says none of them
provides it."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from pyflakes import checker, messages

from torchmigrate.notebooks import Protector, read_notebook
from torchmigrate.project import ProjectModel


def python_of(path: Path, text: str) -> str:
    """The Python program of a file: a notebook's code cells in order."""
    if path.suffix != ".ipynb":
        return text
    nb = read_notebook(text)
    prot = Protector(text)
    parts = [prot.protect(c.text) or "" for c in nb.code_cells]
    return "\n".join(p if p.endswith("\n") else p + "\n" for p in parts)


def compiles(code: str) -> bool:
    try:
        compile(code, "<program>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError):
        return False


def undefined_names(files: dict) -> dict:
    """{path: set of undefined names} for a project given as {path: text};
    None for a file Python 3 cannot parse."""
    model = ProjectModel.build(sorted(files), texts=files)
    out: dict = {}
    for path, text in files.items():
        code = python_of(Path(path), text)
        try:
            tree = ast.parse(code)
        except SyntaxError:
            out[path] = None
            continue
        found = set()
        facts = model.facts_for(path)
        for m in checker.Checker(tree, filename=path).messages:
            if isinstance(m, messages.UndefinedName):
                found.add(m.message_args[0])
            elif isinstance(m, messages.ImportStarUsage):
                name = m.message_args[0]
                if facts is None or not (name in facts.provided_names or facts.opaque_star):
                    found.add(name)
        out[path] = found
    return out


def read_tree(root: Path) -> dict:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".ipynb") and p.is_file():
            out[os.fspath(p)] = p.read_text(encoding="utf-8")
    return out
