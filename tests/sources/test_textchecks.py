"""textchecks: what fissix cannot see (TabError, Python 3.12 f-strings)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torchmigrate.textchecks import fields_closed, fstring_312_line, tab_error_line

_indent = st.sampled_from(["", " ", "  ", "    ", "        ", "\t", "\t\t", "  \t", "\t  ", " \t "])


@st.composite
def _programs(draw):
    """Nested blocks whose indentation mixes tabs and spaces at random."""
    lines = ["def f(x):"]
    for _ in range(draw(st.integers(1, 8))):
        ind = draw(_indent) or " "
        kind = draw(st.sampled_from(["stmt", "if", "comment", "blank", "string"]))
        if kind == "stmt":
            lines.append(f"{ind}x = x + 1")
        elif kind == "if":
            lines.append(f"{ind}if x:")
            lines.append(f"{ind}{draw(_indent) or ' '}x = 2")
        elif kind == "comment":
            lines.append(f"{ind}# a comment")
        elif kind == "blank":
            lines.append(ind)
        else:
            lines.append(f'{ind}y = """')
            lines.append(f"{draw(_indent)}text inside a string")
            lines.append('"""')
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None)
@given(_programs())
def test_tab_error_line_agrees_with_cpython(text):
    try:
        compile(text, "<t>", "exec", dont_inherit=True)
        expected = None
    except TabError as exc:
        expected = exc.lineno
    except SyntaxError:  # IndentationError and friends: not our question
        return
    assert tab_error_line(text) == expected


def test_tab_error_examples():
    # Python 2 read the tab as 8 columns: the same block; Python 3 refuses it
    assert tab_error_line("if x:\n        a = 1\n\tb = 2\n") == 3
    assert tab_error_line("if x:\n\ta = 1\n\tb = 2\n") is None
    assert tab_error_line('s = """\n\tx\n        y\n"""\n') is None  # inside a string
    assert tab_error_line("x = 1\n") is None


@pytest.mark.parametrize(
    "body,closed",
    [
        ("plain", True),
        ("{x}", True),
        ("{{not a field}}", True),
        ("{x!r:>{width}}", True),
        ("{d['k']}", True),
        ("{x:'^10}", True),  # a quote as fill character
        ("{ {'a': 1}['a'] }", True),
        ("{x:%H:%M}", True),
        ("{name + ", False),  # where fissix ends f"{name + " + x + "}"
        ("{d[", False),
        ("{x:{", False),
        ("}", False),
    ],
)
def test_fields_closed(body, closed):
    assert fields_closed(body) is closed


def test_fstring_312_line():
    assert fstring_312_line('x = 1\ns = f"{a + " + Variable(x) + "}"\n') == 2
    assert fstring_312_line("s = f'{d[\"k\"]}'\n") is None  # valid before 3.12
    assert fstring_312_line('s = "f{not an fstring"\n') is None
    assert fstring_312_line('s = rf"{x}\\d"\nt = F"{y:{w}}"\n') is None
