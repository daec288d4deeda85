"""The fuzz campaign's mutators and invariants (used by ``tests/fuzz`` and by
``bench/fuzz.py``).

Seeds are real-style legacy code: the corpus (``corpus/legacy``) and every
rule's documented ``before`` examples.  A mutant is a seed after a few random
edits - a line deleted or duplicated, an indentation shift, two tokens
swapped, a name replaced, a legacy idiom inserted (with the surrounding
indentation), a line wrapped in a block - then encoded with a random
encoding (UTF-8, UTF-8 with BOM, Latin-1 with a coding cookie) and random
line endings (LF, CRLF, CR, or mixed line by line).

Invariants checked on each mutant, through the same per-file worker the CLI
uses (``processing.process_file``) and the same compare-and-swap write:

1. no internal error (every failure is a precise message);
2. the output compiles with CPython when the input did;
3. a file reported unchanged is byte-identical, and its text round-trips
   through the reader exactly (encoding, BOM, every line ending);
4. the second run over the written output changes nothing;
5. the output keeps the input's encoding and the ending of every line
   outside the changed region.
"""

from __future__ import annotations

import contextlib
import keyword
import random
import re
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parents[2]

IDIOMS = [
    "{x} = Variable({y})",
    "{x} = Variable({y}, volatile=True)",
    "{x} = Variable({y}, requires_grad=True)",
    "{x}, {y} = Variable({x}), Variable({y})",
    "total += {x}.data[0]",
    "{x}.data[0] = 0",
    "{x}.data[0] += 1",
    "del {x}.data[0]",
    "{x}.data = {y}",
    "{x} = {y}.data[0] + {y}.data[0]",
    "{x} += {y}.data[0] ** 2",
    "assert {x}.data[0] > 0",
    "{x} = [{y}.data[0] for {y} in {x}]",
    "{x} = lambda {y}: {y}.data[0]",
    "{x} = {y}.cuda(async=True)",
    "{x} = {y}.cuda(device=0, async=True)",
    "{x} = F.sigmoid({y})",
    "{x} = F.tanh({y})",
    "{x} = F.softmax({y})",
    "{x} = F.log_softmax({y})",
    "torch.nn.utils.clip_grad_norm({x}.parameters(), 5)",
    "{x} = nn.MSELoss(size_average=False)",
    "{x} = F.nll_loss({x}, {y}, size_average=False)",
    "{x}.backward(retain_variables=True)",
    "optimizer.zero_grad()",
    "{x}.zero_grad()",
    "{x} = torch.load({y})",
    "{x} = torch.gesv({y}, {x})[0]",
    "{x} = torch.range(0, 10)",
    "if isinstance({x}, Variable): {x} = {x}.data",
    "if type({x}) == Variable: pass",
    "{x} = {y}.data.cpu().numpy()",
    "{x}.data.add_(-0.1, {y}.grad.data)",
    "{x} = torch.FloatTensor({y})",
    "{x} = torch.LongTensor(3, 4).zero_()",
    "{x} = {y}.numpy()",
    "{x} = F.upsample({y}, scale_factor=2)",
    "nn.init.xavier_uniform({x}.weight)",
    "{x} = {y} / 2",
    "{x} = {y}.creator",
    "print {x}",
    "print '{x}', {y}",
    "print >>sys.stderr, {x}",
    "exec '{x} = 1'",
    "{x} = {y}.iteritems()",
    "{x} = xrange(10)",
    "{x} = unicode({y})",
    "raise ValueError, '{x}'",
    "{x} = 0777",
    "{x} = `{y}`",
    "{x} = f'{{{y}.data[0]}}'",
    "{x}: int = {y}.data[0]",
    "global {x}",
    "{x} = {y}.data[0]  # torchmigrate: ignore",
    "with torch.no_grad(): {x} = Variable({y}, volatile=True)",
    "@torch.no_grad()\ndef {x}(): return Variable({y}, volatile=True)",
    "def {x}(self): return self.{y}.data[0]",
    "class {x}(torch.autograd.Function):\n    def forward(self, {y}):\n        return {y}",
]
BLOCKS = ["if True:", "for _ in range(1):", "with torch.no_grad():", "try:", "while False:"]
_NAME = re.compile(r"\b[A-Za-z_]\w*\b")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def seeds() -> list:
    """(name, text) of every seed: the legacy corpus and the rules' examples."""
    out = []
    for p in sorted((ROOT / "corpus" / "legacy").glob("*.py")):
        out.append((p.name, p.read_text(encoding="utf-8")))
    from codemods import all_rules

    for rule in all_rules():
        for i, ex in enumerate(getattr(rule, "examples", ())):
            before = getattr(ex, "before", None)
            if before:
                out.append((f"{rule.id}-example-{i}", before))
    return out


# --------------------------------------------------------------------------
# mutations
# --------------------------------------------------------------------------
def _names(lines: list) -> list:
    names = {
        m.group(0)
        for line in lines
        for m in _NAME.finditer(line)
        if not keyword.iskeyword(m.group(0)) and not m.group(0)[0].isupper()
    }
    return sorted(names) or ["x", "loss", "output"]


def _indent_of(lines: list, i: int) -> str:
    for line in lines[i:] + lines[:i][::-1]:
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""


def _delete(rnd, lines):
    if len(lines) > 1:
        del lines[rnd.randrange(len(lines))]
    return lines


def _duplicate(rnd, lines):
    i = rnd.randrange(len(lines))
    lines.insert(i, lines[i])
    return lines


def _shift(rnd, lines):
    i = rnd.randrange(len(lines))
    j = min(len(lines), i + rnd.randint(1, 4))
    unit = rnd.choice(["    ", "\t", "  ", "        "])
    for k in range(i, j):
        if not lines[k].strip():
            continue
        if rnd.random() < 0.5:
            lines[k] = unit + lines[k]
        elif lines[k].startswith(unit):
            lines[k] = lines[k][len(unit) :]
    return lines


def _swap_tokens(rnd, lines):
    i = rnd.randrange(len(lines))
    toks = list(_TOKEN.finditer(lines[i]))
    if len(toks) >= 2:
        k = rnd.randrange(len(toks) - 1)
        a, b = toks[k], toks[k + 1]
        line = lines[i]
        lines[i] = line[: a.start()] + b.group(0) + line[a.end() : b.start()] + a.group(0)
        lines[i] += line[b.end() :]
    return lines


def _rename(rnd, lines):
    names = _names(lines)
    i = rnd.randrange(len(lines))
    found = list(_NAME.finditer(lines[i]))
    if found:
        m = rnd.choice(found)
        lines[i] = lines[i][: m.start()] + rnd.choice(names) + lines[i][m.end() :]
    return lines


def _insert_idiom(rnd, lines):
    names = _names(lines)
    i = rnd.randrange(len(lines) + 1)
    ind = _indent_of(lines, min(i, len(lines) - 1)) if lines else ""
    snippet = rnd.choice(IDIOMS).format(x=rnd.choice(names), y=rnd.choice(names))
    new = [ind + s for s in snippet.split("\n")]
    lines[i:i] = new
    return lines


def _wrap(rnd, lines):
    i = rnd.randrange(len(lines))
    if not lines[i].strip():
        return lines
    ind = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    head = rnd.choice(BLOCKS)
    body = [ind + head, ind + "    " + lines[i].lstrip()]
    if head == "try:":
        body += [ind + "except Exception:", ind + "    pass"]
    lines[i : i + 1] = body
    return lines


def _reflow(rnd, lines):
    """Break a line inside its brackets (before a ``.``, an operator, or
    after a comma), as long calls are wrapped in real code: the break is
    legal only through the brackets' implicit line joining, so a rule that
    takes the expression out of them must keep it one expression."""
    i = rnd.randrange(len(lines))
    line = lines[i]
    if "'" in line or '"' in line or "#" in line:
        return lines
    depth = 0
    spots = []
    for k, ch in enumerate(line):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth > 0 and ch in ".+*-" and k and line[k - 1] not in "0123456789.eE":
            spots.append(k)
        elif depth > 0 and ch == ",":
            spots.append(k + 1)
    if not spots:
        return lines
    k = rnd.choice(spots)
    ind = line[: len(line) - len(line.lstrip())]
    lines[i : i + 1] = [line[:k].rstrip(), ind + " " * rnd.randint(1, 12) + line[k:].lstrip()]
    return lines


def _trailing_comma(rnd, lines):
    """Put a trailing comma in a call's arguments (``f(a, b,)``), as code
    formatted one argument per line has."""
    i = rnd.randrange(len(lines))
    line = lines[i]
    if "'" in line or '"' in line or "#" in line:
        return lines
    spots = [
        k
        for k, ch in enumerate(line)
        if ch == ")" and k and line[k - 1] not in "(,*" and line[:k].count("(") > 0
    ]
    if spots:
        k = rnd.choice(spots)
        lines[i] = line[:k] + "," + line[k:]
    return lines


MUTATIONS: list = [
    _delete,
    _duplicate,
    _shift,
    _swap_tokens,
    _rename,
    _insert_idiom,
    _wrap,
    _reflow,
    _trailing_comma,
]


def mutate(rnd: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rnd.randint(1, 4)):
        lines = rnd.choice(MUTATIONS)(rnd, lines) or [""]
    return "\n".join(lines)


def encode(rnd: random.Random, text: str) -> bytes:
    """Random encoding and line endings for an LF ``text``."""
    style = rnd.choice(["\n", "\n", "\r\n", "\r", "mixed"])
    parts = text.split("\n")
    if style == "mixed":
        out = "".join(p + rnd.choice(["\n", "\r\n"]) for p in parts[:-1]) + parts[-1]
    else:
        out = style.join(parts)
    if rnd.random() < 0.15 and out.endswith(("\n", "\r")):
        out = out.rstrip("\r\n")
    kind = rnd.choice(["utf-8", "utf-8", "utf-8-sig", "latin-1"])
    if kind == "latin-1":
        try:
            return ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + out).encode("latin-1")
        except UnicodeEncodeError:
            kind = "utf-8"
    return out.encode(kind)


# --------------------------------------------------------------------------
# invariants
# --------------------------------------------------------------------------
def _compiles(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(text, "<fuzz>", "exec", dont_inherit=True)
            return True
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return False


def _undefined_as_written(text: str) -> Optional[set]:
    """The (scope, name) reads nothing binds in ``text``, from a fresh parse
    of the text (not the tree the engine edited: a fix whose printed
    indentation nests statements elsewhere is only seen this way), or None
    when it does not parse."""
    from codemods.base import parse_source
    from torchmigrate import names

    try:
        tree = parse_source(text if text.endswith("\n") else text + "\n")[0]
    except Exception:  # noqa: BLE001 - any parse failure
        return None
    return names.analyse(tree).undefined_keys()


@dataclass
class Verdict:
    status: str = ""
    violations: list = field(default_factory=list)


class CaseTimeout(BaseException):
    """A mutant took longer than the time limit (a hang is a violation too).
    A BaseException, so that no ``except Exception`` on the way swallows it."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum, _frame):
        raise CaseTimeout()

    old = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def check(
    raw: bytes, path: Path, rule_ids: tuple, unsafe: bool, time_limit: float = 60.0
) -> Verdict:
    """Run the invariants on the bytes ``raw`` (written to ``path``); a case
    that takes more than ``time_limit`` seconds of CPU time (not wall time:
    the machine may be shared) is a violation."""
    try:
        with _time_limit(time_limit):
            return _check(raw, path, rule_ids, unsafe)
    except CaseTimeout:
        return Verdict(
            "timeout", [f"took more than {time_limit:g} s of CPU time (a hang or a blow-up)"]
        )


def _check(raw: bytes, path: Path, rule_ids: tuple, unsafe: bool) -> Verdict:
    from torchmigrate.processing import process_file
    from torchmigrate.sources import SourceError, decode, read_source, write_atomic

    v = Verdict()
    path.write_bytes(raw)
    display = path.name
    out = process_file(str(path), "fuzz", display, rule_ids, unsafe)
    v.status = out.status
    for e in out.errors:
        if "internal error" in e:
            v.violations.append(f"internal error: {e}")
        if not e.startswith(display):
            v.violations.append(f"failure message does not name the file: {e}")
    try:
        old_text = decode(path, raw)[0]
    except SourceError:
        old_text = None
    if out.status != "changed":
        if path.read_bytes() != raw:
            v.violations.append("a file that was not changed is not byte-identical")
        if old_text is not None and out.status == "unchanged":
            src = read_source(path)
            if src.render(src.text) != raw:
                v.violations.append("the reader does not round-trip the file's bytes")
        return v
    try:
        new_text, new_enc = decode(path, out.new_bytes)[:2]
    except SourceError as exc:
        v.violations.append(f"the output cannot be read back: {exc}")
        return v
    old_enc = decode(path, raw)[1]
    if new_text != out.new:
        v.violations.append("the written bytes do not decode to the migrated text")
    if new_enc != old_enc:
        v.violations.append(f"the output's encoding {new_enc} differs from the input's {old_enc}")
    if old_text is not None and _compiles(old_text) and not _compiles(new_text):
        v.violations.append("the input compiled but the output does not")
    if old_text is not None:
        before, after = _undefined_as_written(old_text), _undefined_as_written(new_text)
        if before is not None and after is not None and after - before:
            v.violations.append(
                f"the output as written reads names nothing binds: {sorted(after - before)[:3]}"
            )
    bad = _endings_changed(raw.decode(old_enc), out.new_bytes.decode(new_enc))
    if bad:
        v.violations.append(f"line {bad}: an unchanged line lost its own line ending")
    write_atomic(path, out.new_bytes, expected=out.fingerprint)
    again = process_file(str(path), "fuzz", display, rule_ids, unsafe)
    if again.status == "changed":
        v.violations.append("the second run changed the output again")
    elif again.status == "failed":
        v.violations.append(f"the second run failed on the output: {again.errors[:1]}")
    return v


_EOL = re.compile(r"(\r\n|\r|\n)")


def _endings_changed(old: str, new: str) -> Optional[int]:
    """The first line of the common prefix or suffix (unchanged lines) whose
    line ending differs between ``old`` and ``new``, or None."""
    a, b = _EOL.split(old), _EOL.split(new)
    a_lines, a_ends = a[0::2], a[1::2] + [""]
    b_lines, b_ends = b[0::2], b[1::2] + [""]
    n = min(len(a_lines), len(b_lines))
    k = 0
    while k < n and a_lines[k] == b_lines[k]:
        if a_ends[k] != b_ends[k] and k < n - 1:
            return k + 1
        k += 1
    t = 1
    while t <= n - k and a_lines[-t] == b_lines[-t]:
        if a_ends[-t] != b_ends[-t]:
            return len(a_lines) - t + 1
        t += 1
    return None


# --------------------------------------------------------------------------
@dataclass
class Campaign:
    tried: int = 0
    survived: int = 0
    changed: int = 0
    failed_cleanly: int = 0
    violations: list = field(default_factory=list)  # (seed name, case seed, messages, raw)


def _parses(text: str) -> bool:
    from codemods.base import parse_source

    try:
        parse_source(text if text.endswith("\n") else text + "\n")
        return True
    except Exception:  # noqa: BLE001 - any parse failure
        return False


def one_case(rnd: random.Random, seed_list: list, workdir: Path, rule_ids: tuple) -> tuple:
    name, text = rnd.choice(seed_list)
    # Most mutants should still parse (to exercise the rules and the output
    # invariants); about one in four is kept broken (to exercise the errors).
    for _ in range(4):
        mutant = mutate(rnd, text)
        if rnd.random() < 0.25 or _parses(mutant):
            break
    raw = encode(rnd, mutant)
    unsafe = rnd.random() < 0.5
    verdict = check(raw, workdir / "mutant.py", rule_ids, unsafe)
    return name, raw, unsafe, verdict


def campaign(
    seconds: float,
    seed: int,
    workdir: Path,
    progress: Optional[Callable[[Campaign], None]] = None,
    max_cases: Optional[int] = None,
) -> Campaign:
    from codemods import all_rules

    rule_ids = tuple(r.id for r in all_rules())
    seed_list = seeds()
    result = Campaign()
    master = random.Random(seed)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (max_cases is None or result.tried < max_cases):
        case_seed = master.randrange(2**32)
        name, raw, unsafe, verdict = one_case(
            random.Random(case_seed), seed_list, workdir, rule_ids
        )
        result.tried += 1
        if verdict.violations:
            result.violations.append((name, case_seed, verdict.violations, raw, unsafe))
        else:
            result.survived += 1
        if verdict.status == "changed":
            result.changed += 1
        elif verdict.status == "failed":
            result.failed_cleanly += 1
        if progress:
            progress(result)
    return result


def minimize(raw: bytes, still_fails: Callable[[bytes], bool]) -> bytes:
    """Delete lines (then chunks of a line's tokens are left alone) while the
    failure persists: a small input to report."""
    lines = raw.splitlines(keepends=True)
    chunk = max(1, len(lines) // 2)
    while chunk >= 1:
        i = 0
        changed = False
        while i < len(lines):
            trial = lines[:i] + lines[i + chunk :]
            if trial and still_fails(b"".join(trial)):
                lines = trial
                changed = True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return b"".join(lines)
