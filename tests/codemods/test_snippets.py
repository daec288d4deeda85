"""The text helpers rules build their replacements with."""

from __future__ import annotations

import pytest
from fissix.pgen2.parse import ParseError
from fissix.pygram import python_symbols as syms

from codemods.base import (
    add_kwarg,
    breaks_line,
    call_args,
    parse_expr,
    parse_source,
    remove_arg,
)


def _arg(src: str):
    """The first argument of the first call in ``src``."""
    tree = parse_source(src)[0]
    trailer = next(n for n in tree.pre_order() if n.type == syms.trailer and str(n).startswith("("))
    inner = trailer.children[1]
    return inner.children[0] if inner.type == syms.arglist else inner


@pytest.mark.parametrize(
    "src, expected",
    [
        ("f(a\n  .b())\n", True),
        ("f(a +\n  b)\n", True),
        ("f(a  # why\n  .b)\n", True),
        ("f(a \\\n  .b())\n", False),  # a backslash continuation is one line anywhere
        ("f(g(a,\n  b))\n", False),  # the break is inside the argument's own brackets
        ("f([a,\n  b])\n", False),
        ('f("""a\nb""")\n', False),  # a line break inside a string
        ("f(\n  a.b)\n", False),  # the argument's own prefix is not part of it
        ("f(a.b)\n", False),
    ],
)
def test_breaks_line(src, expected):
    assert breaks_line(_arg(src)) is expected


def test_parse_expr_parenthesises_a_line_break_only_brackets_made_legal():
    node = parse_expr("t.new()\n    .zero_()")
    assert str(node) == "(t.new()\n    .zero_())"
    compile(f"x = {node}\n", "<test>", "exec")
    # text that parses as it is comes back as it is
    assert str(parse_expr("g(a,\n  b)")) == "g(a,\n  b)"
    with pytest.raises(ParseError):  # an incomplete expression still fails
        parse_expr("f(a,\n  b) +")


def _call_trailer(src: str):
    tree = parse_source(src)[0]
    return tree, next(
        n for n in tree.pre_order() if n.type == syms.trailer and str(n).startswith("(")
    )


@pytest.mark.parametrize(
    "src, expected",
    [
        ("f()\n", "f(k=v)\n"),
        ("f(a)\n", "f(a, k=v)\n"),
        ("f(a, b)\n", "f(a, b, k=v)\n"),
        ("f(a,)\n", "f(a, k=v,)\n"),
        ("f(a, b,)\n", "f(a, b, k=v,)\n"),
        # one argument per line (flair 0.4 writes constructors so): the new one too
        ("f(\n    a,\n    b,\n)\n", "f(\n    a,\n    b,\n    k=v,\n)\n"),
    ],
)
def test_add_kwarg(src, expected):
    tree, trailer = _call_trailer(src)
    add_kwarg(trailer, "k", "v")
    assert str(tree) == expected
    compile(str(tree), "<test>", "exec")


@pytest.mark.parametrize(
    "src, name, expected",
    [
        ("f(k=1)\n", "k", "f()\n"),
        ("f(k=1,)\n", "k", "f()\n"),  # the only argument and its trailing comma
        ("f(a, k=1)\n", "k", "f(a)\n"),
        ("f(k=1, a)\n", "k", "f(a)\n"),
        ("f(a, k=1,)\n", "k", "f(a,)\n"),
        ("f(k=1, a,)\n", "k", "f(a,)\n"),
        ("f(\n    a,\n    k=1,\n)\n", "k", "f(\n    a,\n)\n"),
    ],
)
def test_remove_arg(src, name, expected):
    """No emptied argument list is left behind (a later pass indexes every
    node of the tree)."""
    tree, trailer = _call_trailer(src)
    (arg,) = [a for a in call_args(trailer) if a.name == name]
    remove_arg(arg)
    assert str(tree) == expected
    compile(str(tree), "<test>", "exec")
    assert all(n.children for n in tree.pre_order() if n.type >= 256)
