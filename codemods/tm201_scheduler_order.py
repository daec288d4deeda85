"""TM201 lr-scheduler-order: ``scheduler.step()`` at the top of the epoch loop.

Output style: the ``scheduler.step()`` statement (with its trailing comment
and the comment lines directly above it) moves to the end of the loop body;
nothing else in the loop changes.  ``scheduler.get_lr()`` becomes
``scheduler.get_last_lr()``.
"""

from __future__ import annotations

import re

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods._stmt import trailing_dedents
from codemods._tm2common import CALL_PATTERN, iter_calls, text
from codemods.analysis import assignments_of
from codemods.base import (
    MANUAL,
    SAFE,
    UNSAFE,
    Example,
    Rule,
    RuleFixer,
    dotted_name,
    indentation_of,
    nodes_of_type,
)

SCHED_MODULE = "torch.optim.lr_scheduler."


def scheduler_info(ctx, name: str, at) -> tuple[str, str]:
    """('known'|'plateau'|'resumed'|'maybe'|'', class name) for a receiver."""
    assigns = assignments_of(ctx, name, at)
    if assigns:
        classes = set()
        resumed = False
        project = False
        for op, rhs in assigns:
            if op != "=" or rhs.type != syms.power:
                return "", ""
            call = next(iter_calls(ctx, rhs), None)
            if call is None or call.index != len(rhs.children) - 1 or not call.qual:
                return "", ""
            if not call.qual.startswith(SCHED_MODULE):
                found = project_scheduler(ctx, call.callee, call.qual)
                if found is None:
                    return "", ""
                pkind, cls = found
                if pkind == "plateau":
                    cls = "ReduceLROnPlateau"
                else:
                    project = project or pkind == "project"
            else:
                cls = call.qual[len(SCHED_MODULE) :]
            classes.add(cls)
            if any(a.name == "last_epoch" for a in call.args) or any(a.star for a in call.args):
                resumed = True
        if classes == {"ReduceLROnPlateau"}:
            return "plateau", "ReduceLROnPlateau"
        if "ReduceLROnPlateau" in classes:
            return "", ""
        if project:
            return "project", "/".join(sorted(classes))
        return ("resumed" if resumed else "known"), "/".join(sorted(classes))
    last = name.rsplit(".", 1)[-1].lower()
    if "sched" in last and "lr_scheduler" in ctx.text:
        return "maybe", ""
    return "", ""


def project_scheduler(ctx, callee, qual) -> tuple[str, str] | None:
    """A project class wrapping a torch LR scheduler (project model):
    ('known' | 'project' | 'plateau', class name), or None.

    A subclass of a torch scheduler (``class Warmup(_LRScheduler)``) steps
    like one; so does a wrapper whose ``step()`` forwards to an attribute
    that ``__init__`` sets to a torch scheduler.  'project' marks classes
    with their own ``get_lr`` (or none): get_lr() calls are theirs."""
    facts = getattr(ctx, "project", None)
    if facts is None or not hasattr(facts, "class_of") or not callee:
        return None
    cf = facts.class_of(callee) or facts.class_of(qual or "")
    if cf is None:
        return None
    name = cf.qualname.rsplit(".", 1)[-1]
    if cf.torch_kind == "plateau":
        return "plateau", name
    own_get_lr = any(c == cf.qualname for c, _ in facts.classes_defining("get_lr"))
    if cf.torch_kind == "scheduler":
        return ("project" if own_get_lr else "known"), name
    attrs = cf.forwarded("step")
    kinds = {cf.attr_kind(a) for a in attrs}
    if kinds == {"scheduler"}:
        return "project", name
    return None


def _step_defs(ctx) -> set:
    """Names of functions/methods defined in this file that call ``.step(``."""
    cached = ctx.cache.get("tm201.stepdefs")
    if cached is not None:
        return cached
    out = set()
    ctx.cache["tm201.stepdefs"] = out  # (recursion guard while it is built)
    for node in nodes_of_type(ctx, (syms.funcdef,)):
        if node.type == syms.funcdef and ".step(" in str(node.children[-1]):
            for sub in node.children[-1].pre_order():
                if sub.type != syms.power:
                    continue
                if any(
                    call.method == "step" and not _is_scheduler(ctx, call.receiver_text, sub)
                    for call in iter_calls(ctx, sub)
                ):
                    out.add(node.children[1].value)
                    break
    return out


def _is_scheduler(ctx, name: str, at) -> bool:
    kind, _ = scheduler_info(ctx, name, at)
    return kind != "" or "sched" in name.rsplit(".", 1)[-1].lower()


def _trains(ctx, stmt, sched: str) -> bool:
    """Evidence that ``stmt`` runs optimizer steps (a scheduler's ``step()``
    is not training)."""
    defs = _step_defs(ctx)
    for node in stmt.pre_order():
        if node.type != syms.power:
            continue
        for call in iter_calls(ctx, node):
            if (
                call.method == "step"
                and call.receiver_text != sched
                and not _is_scheduler(ctx, call.receiver_text, stmt)
            ):
                return True
            if call.callee:
                last = call.callee.rsplit(".", 1)[-1]
                if last in defs or "train" in last.lower() or "fit" == last.lower():
                    return True
    return False


def _escapes(body) -> bool:
    """break/continue/return/yield at this loop's level (not in nested loops or defs)."""

    def walk(node, in_loop: bool) -> bool:
        for child in node.children:
            t = child.type
            if t in (syms.funcdef, syms.classdef, syms.lambdef):
                continue
            if t in (syms.return_stmt, syms.yield_expr, syms.yield_stmt):
                return True
            if t in (syms.break_stmt, syms.continue_stmt) and not in_loop:
                return True
            if isinstance(child, Leaf):
                # single-keyword statements collapse to a NAME leaf
                if child.type == token.NAME and child.value in ("return", "yield"):
                    return True
                if (
                    child.type == token.NAME
                    and child.value in ("break", "continue")
                    and not in_loop
                ):
                    return True
                continue
            if walk(child, in_loop or t in (syms.for_stmt, syms.while_stmt)):
                return True
        return False

    return walk(body, False)


def _body_statements(loop):
    body = loop.children[
        loop.children.index(next(c for c in loop.children if c.type == token.COLON)) + 1
    ]
    if body.type != syms.suite:
        return body, [body]
    return body, [
        c for c in body.children if c.type not in (token.NEWLINE, token.INDENT, token.DEDENT)
    ]


def _step_call(stmt):
    """``X.step()`` (no arguments) as the only content of a simple_stmt."""
    if stmt.type != syms.simple_stmt or len(stmt.children) != 2:
        return None
    expr = stmt.children[0]
    if expr.type != syms.power or len(expr.children) < 3:
        return None
    call, dot = expr.children[-1], expr.children[-2]
    if not (
        call.type == syms.trailer
        and call.children[0].type == token.LPAR
        and len(call.children) == 2
    ):
        return None
    if not (
        dot.type == syms.trailer
        and dot.children[0].type == token.DOT
        and dot.children[1].value == "step"
    ):
        return None
    recv = expr.children[:-2]
    name = recv[0].value if len(recv) == 1 and recv[0].type == token.NAME else None
    if name is None and len(recv) > 1:
        tmp = Node(syms.power, [c.clone() for c in recv])
        name = dotted_name(tmp)
    return (expr, name) if name else None


def _last_line(stmt) -> int:
    first = next(stmt.leaves())
    body = str(stmt)[len(stmt.prefix) :].rstrip("\n")
    return first.lineno + body.count("\n")


# Pre-1.1 evidence: idioms removed or deprecated before PyTorch 1.1 (when the
# constructor started to take the first scheduler step).
_PRE_1_1 = re.compile(
    r"\bVariable\(|volatile\s*=|\.data\s*\[\s*0\s*\]|retain_variables|\basync\s*=|"
    r"size_average\s*=|\bF\.(?:sigmoid|tanh|upsample)\(|\.creator\b|"
    r"init\.(?:xavier|kaiming)_(?:uniform|normal)\(|init\.(?:normal|uniform|constant)\("
)
_PRE_1_1_CLASSES = {"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"}


def _pre_1_1(ctx) -> bool:
    """The file shows idioms of PyTorch < 1.1 (judged on the original text:
    kept on the tree, which passes share)."""
    tree = ctx.tree
    hit = getattr(tree, "_tm201_pre11", None)
    if hit is None:
        hit = bool(_PRE_1_1.search(ctx.text))
        tree._tm201_pre11 = hit
    return hit


def _sched_step(ctx, stmt):
    """(expr, scheduler, kind, class) for a ``sched.step()`` statement of a
    torch (or scheduler-named) lr scheduler, else None."""
    found = _step_call(stmt)
    if found is None:
        return None
    expr, sched = found
    kind, cls = scheduler_info(ctx, sched, stmt)
    if kind in ("", "plateau"):
        return None
    return expr, sched, kind, cls


class SchedulerOrderFixer(RuleFixer):
    PATTERN = "for_stmt< any* > | while_stmt< any* > | funcdef< any* >"
    TRIGGERS = frozenset({"step"})

    def visit(self, node, results) -> None:
        suite, stmts = _body_statements(node)
        if suite.type != syms.suite:
            return
        ctx = self.ctx
        pos = 0
        while pos < len(stmts):
            first = _sched_step(ctx, stmts[pos])
            if first is None:
                pos += 1
                continue
            # consecutive scheduler steps are one group
            group = [(pos, first)]
            end = pos + 1
            while end < len(stmts):
                nxt = _sched_step(ctx, stmts[end])
                if nxt is None:
                    break
                group.append((end, nxt))
                end += 1
            names = [g[1][1] for g in group]
            later = stmts[end:]
            earlier = stmts[:pos]
            if any(_trains(ctx, s, n) for s in later for n in names[:1]):
                self._report(node, stmts, pos, end, group)
            elif any(_trains(ctx, s, names[0]) for s in earlier) and not any(
                getattr(stmts[i], "_tm201_moved", False) for i, _g in group
            ):
                self._lag(node, group)
            pos = end

    def _lag(self, loop, group) -> None:
        """An end-of-epoch step (already the modern order) in pre-1.1 code."""
        ctx = self.ctx
        if not _pre_1_1(ctx):
            return
        for _i, (expr, sched, kind, cls) in group:
            if kind != "known" or not set(cls.split("/")) <= _PRE_1_1_CLASSES:
                continue
            where = "epoch" if loop.type != syms.funcdef else f"call of `{loop.children[1].value}`"
            self.report(
                expr,
                f"`{sched}.step()` already follows the training ({cls}), the order PyTorch 1.1+ "
                "expects. This file is pre-1.1 code, though, and before 1.1 the same placement "
                "lagged one step: the constructor did not advance the schedule, so the first two "
                f"{where}s both trained with the initial LR and {where} k with the LR of k-1. "
                "Today every one after the first trains one schedule step earlier than it did "
                "then (the schedule as documented). Keep it to get the documented schedule; to "
                "reproduce the pre-1.1 run exactly, skip this step() once, after the first "
                f"{where}",
                MANUAL,
                suggestion=f"skip the first `{sched}.step()`",
            )

    def _report(self, loop, stmts, pos, end, group) -> None:
        last_end = _last_line(stmts[-1])
        scheds = [g[1][1] for g in group]
        classes = [g[1][3] for g in group]
        kinds = {g[1][2] for g in group}
        expr = group[0][1][0]
        what = ", ".join(f"`{s}` ({c})" if c else f"`{s}`" for s, c in zip(scheds, classes))
        calls = "; ".join(f"{s}.step()" for s in scheds)
        plural = "s" if len(group) > 1 else ""
        base = (
            f"{what}.step(){plural} run before this "
            + ("epoch's" if loop.type != syms.funcdef else "call's")
            + " optimizer steps. Since PyTorch 1.1 the "
            "constructor already applies epoch 0's learning rate and step() advances to the "
            "next epoch, so calling it first skips the initial LR (every epoch trains one "
            "schedule step ahead; 2.13 warns `Detected call of lr_scheduler.step() before "
            "optimizer.step()`). To keep the pre-1.1 per-epoch learning rates, call "
            f"`{calls}` at the end, after the training"
        )
        reasons = []
        if "maybe" in kinds:
            reasons.append(
                "a receiver is not bound to a torch.optim.lr_scheduler constructor in this file"
            )
        if "resumed" in kinds:
            reasons.append("a scheduler is constructed with last_epoch/*args (resumed schedule)")
        body = loop.children[-1] if loop.children[-1].type == syms.suite else loop
        tail_return = None
        if loop.type == syms.funcdef:
            last = stmts[-1]
            if _is_return(last) and not _escapes_stmts(stmts[:-1]):
                tail_return = last
                if any(_reads_lr(last, s) for s in scheds):
                    reasons.append("the function's return value reads the LR/scheduler")
            elif _escapes(body):
                reasons.append(
                    "the function can return before its end, so a step moved there could be skipped"
                )
        elif _escapes(body):
            reasons.append(
                "the loop body has break/continue/return, so a step moved to the end could be skipped"
            )
        for earlier in stmts[:pos]:
            if any(_reads_lr(earlier, s) for s in scheds):
                reasons.append(
                    "statements before the step read the LR/scheduler; after the move they see this epoch's LR"
                )
                break
        if any(len(stmts[i].children) != 2 for i, _g in group):
            reasons.append("the call shares its line with other statements")
        if (
            tail_return is None
            and body.children[-1].type != token.DEDENT
            and any(d.prefix for d in trailing_dedents(stmts[-1]))
        ):
            reasons.append("the body's last block has no end the step can be placed before")
        where = f"after line {last_end}" if tail_return is None else "before the final return"
        if reasons:
            self.report(
                expr,
                base
                + f": move {'these statements' if plural else 'this statement'} to the end of the "
                + ("loop body" if loop.type != syms.funcdef else "function")
                + f" ({where}) by hand ("
                + "; ".join(reasons)
                + ").",
                MANUAL,
                suggestion=f"move `{calls}` {where}",
            )
            return
        moving = [stmts[i] for i, _g in group]

        def fix(moving=moving, tail_return=tail_return):
            suite = moving[0].parent
            if any(m.parent is not suite for m in moving):
                return False
            kids = suite.children
            idx = kids.index(moving[0])
            first_in_suite = idx > 0 and kids[idx - 1].type == token.INDENT
            indent = indentation_of(moving[0])
            news = []
            for k, stmt in enumerate(moving):
                new = stmt.clone()
                new._tm201_moved = True
                if k == 0 and not first_in_suite:
                    lines = stmt.prefix.split("\n")
                    comments = [ln for ln in lines[:-1] if ln.strip().startswith("#")]
                    new.prefix = (
                        "".join(c + "\n" for c in comments) + indent if comments else indent
                    )
                elif k == 0:
                    new.prefix = indent
                else:
                    new.prefix = stmt.prefix if "\n" in stmt.prefix else indent
                news.append(new)
            nxt = moving[-1].next_sibling
            for stmt in moving:
                stmt.remove()
            if first_in_suite and nxt is not None and nxt.type != token.DEDENT:
                nxt.prefix = re.sub(r"^[ \t]*", "", nxt.prefix, count=1)
            if tail_return is not None and tail_return.parent is suite:
                at = suite.children.index(tail_return)
                dedents = trailing_dedents(suite.children[at - 1]) if at > 0 else []
                if "\n" not in tail_return.prefix and dedents:
                    # after a nested block the DEDENTs (one per closed block)
                    # hold the lines above the return and its indentation
                    # (a parsed block), or the return's prefix holds the
                    # indentation (a block another fix of the pass built):
                    # together they are the text before the return and
                    # stay with it
                    full = "".join(d.prefix for d in dedents) + tail_return.prefix
                    cut = full.rfind("\n") + 1
                    for d in dedents:
                        d.prefix = ""
                    dedents[0].prefix = full[cut:]
                    news[0].prefix = ""
                    tail_return.prefix = full
                else:
                    news[0].prefix = indent
                for k, new in enumerate(news):
                    suite.insert_child(at + k, new)
                return None
            at = len(suite.children)
            close = suite.children[-1] if suite.children[-1].type == token.DEDENT else None
            if close is not None:
                at -= 1
            # When the body ends with a nested block, the DEDENTs that close
            # it hold the text after the whole body: the lines and the
            # indentation of the statement that follows the loop.  That text
            # goes after the moved steps, on the DEDENT that closes this body
            # (left where it was, it would indent the steps one block too
            # deep and the next statement one block too shallow).
            dedents = trailing_dedents(suite.children[at - 1]) if at > 0 else []
            held = "".join(d.prefix for d in dedents)
            if held:
                for d in dedents:
                    d.prefix = ""
                close.prefix = held + close.prefix
            for k, new in enumerate(news):
                suite.insert_child(at + k, new)
            return None

        self.report(
            expr,
            base
            + f": moved `{calls}` to the end of the "
            + ("loop body" if loop.type != syms.funcdef else "function")
            + f" ({where}). Per-epoch LRs then equal pre-1.1's; review loops that read the LR "
            "before training.",
            UNSAFE,
            fix=fix,
            suggestion=f"move `{calls}` {where}",
        )


def _is_return(stmt) -> bool:
    return (
        stmt.type == syms.simple_stmt
        and len(stmt.children) == 2
        and (
            stmt.children[0].type == syms.return_stmt
            or (stmt.children[0].type == token.NAME and stmt.children[0].value == "return")
        )
    )


def _escapes_stmts(stmts) -> bool:
    return any(_escapes(Node(syms.suite, [s.clone()])) for s in stmts)


def _reads_lr(stmt, sched: str) -> bool:
    return bool(
        re.search(r"\b" + re.escape(sched.split(".")[-1]) + r"\b|param_groups|\blr\b", str(stmt))
    )


class StepEpochFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset({"step"})

    def visit(self, node, results) -> None:
        for call in iter_calls(self.ctx, node):
            if call.method != "step" or not call.args or not call.callee:
                continue
            sched = call.callee.rsplit(".", 1)[0]
            kind, _ = scheduler_info(self.ctx, sched, node)
            if kind in ("", "maybe"):
                continue
            if kind == "plateau":
                if len([a for a in call.args if a.name != "metrics"]) < 2 and not any(
                    a.name == "epoch" for a in call.args
                ):
                    continue
            self.report(
                node,
                f"`{call.callee}({', '.join(text(a.node) for a in call.args)})`: the epoch argument of "
                "lr_scheduler.step() is deprecated (2.13 warns and uses the closed-form LR if the "
                "scheduler has one). Call `step()` once per epoch after the optimizer steps "
                "instead, or build the schedule with LambdaLR; no mechanical rewrite keeps "
                "the same LRs.",
                MANUAL,
            )


class GetLrFixer(RuleFixer):
    PATTERN = CALL_PATTERN
    TRIGGERS = frozenset({"get_lr"})

    def visit(self, node, results) -> None:
        for call in iter_calls(self.ctx, node):
            if call.method != "get_lr" or call.args or not call.callee:
                continue
            sched = call.callee.rsplit(".", 1)[0]
            if sched == "self":
                continue
            kind, _ = scheduler_info(self.ctx, sched, node)
            if kind in ("", "plateau", "project"):
                continue
            safety = SAFE if kind in ("known", "resumed") else UNSAFE
            leaf = node.children[call.index - 1].children[1]

            def fix(leaf=leaf):
                if leaf.value != "get_lr":
                    return False
                leaf.value = "get_last_lr"

            note = (
                ""
                if safety == SAFE
                else f" (`{sched}` is not bound to a torch.optim.lr_scheduler constructor here: check it is one)"
            )
            self.report(
                leaf,
                f"`{call.callee}()` outside step() returns the NEXT step's value in 1.4+ "
                "(chainable form, e.g. StepLR gives lr*gamma at a step boundary) and warns; "
                "`get_last_lr()` returns the LR in use, which is what pre-1.1 get_lr() "
                "returned after a step()" + note,
                safety,
                fix=fix,
                suggestion=f"{sched}.get_last_lr()",
            )


RULE = Rule(
    id="TM201",
    name="lr-scheduler-order",
    short="lr scheduler stepped before the optimizer / `get_lr()` (changed in 1.1 and 1.4)",
    summary="Call `scheduler.step()` after the epoch's optimizer steps, and use `get_last_lr()`",
    why=(
        "PyTorch 1.1.0 changed learning-rate schedulers: the constructor applies the "
        "epoch-0 LR and `step()` moves to the next epoch, so `scheduler.step()` belongs after "
        "`optimizer.step()`. Pre-1.1 code called it at the top of the epoch loop; on 2.13 that "
        "order silently skips the first LR (StepLR(gamma=0.1), lr=1: pre-1.1 trained epochs "
        "with [1, 0.1, 0.01, ...], the unchanged code trains with [0.1, 0.01, ...]) and warns "
        "`Detected call of lr_scheduler.step() before optimizer.step()`. `step(epoch)` is "
        "deprecated, and `get_lr()` called outside step() warns and returns the chainable "
        "(next-step) value."
    ),
    safety=UNSAFE,
    doc="""
## What it does
Finds `sched.step()` statements in a loop body -- or a function body, such as
a `train(epoch)` that starts with `scheduler.step()` -- that run before the
training (a later statement calls `opt.step()`, a function of this file that
steps an optimizer, or something named `train*`/`fit`; a scheduler's own
`step()` is never "training"), where `sched` is bound to a
`torch.optim.lr_scheduler.*` constructor -- or to a project class that
subclasses a torch scheduler or wraps one (its `step()` forwards to an
attribute `__init__` sets to a torch scheduler), found by the project model
-- and moves the statement to the end of the body (in a function: before a final `return`).  Consecutive scheduler
steps (`schedG.step(); schedD.step()`) are one group and move together, in
their order; steps that already follow the training are never moved.  Also
rewrites `sched.get_lr()` to `sched.get_last_lr()` and reports
`sched.step(epoch)`.

In a file that shows pre-1.1 idioms (`Variable(`, `volatile=`, `.data[0]`,
`size_average=`, ...), a step of a pre-1.1 scheduler (StepLR, MultiStepLR,
ExponentialLR, CosineAnnealingLR, LambdaLR) that already follows the training
is reported (manual): before 1.1 that placement lagged one step (the first
two epochs both trained with the initial LR), today it does not.  The message
says how to reproduce the old run exactly (skip the first `step()`).

The per-epoch LRs are checked against the legacy runtime of the harness, which
gives schedulers their pre-1.1 semantics (`tests/codemods/test_tm2_numeric.py`):
a group moved from the top of the loop, a step moved from the top of a train
function, and the lag of an end-of-epoch step.

## Why is this bad
Pre-1.1, `sched = StepLR(opt, 1, 0.1)` left `last_epoch=-1` and the first
`step()` of the epoch loop set the epoch-0 LR (the base LR).  Since 1.1 the
constructor already performs that first step, so the unchanged loop trains
epoch `k` with the LR of epoch `k+1`.  Moving `step()` to the end of the loop
body restores exactly the pre-1.1 LR of every epoch (checked with real torch
for StepLR, MultiStepLR, ExponentialLR, LambdaLR and CosineAnnealingLR against
the pre-1.1 closed forms written out by hand).  What is NOT preserved:
statements before the training that read the LR now see this epoch's LR
instead of the previous one, and a scheduler that never gets stepped at all
(loop never runs) keeps the base LR in both versions.

## Fix safety
* The move is `unsafe` (REVIEW): the loop structure is simple (statement
  directly in the loop body, no `break`/`continue`/`return` at the loop's
  level, nothing before it reads the LR) and the scheduler is a known
  `lr_scheduler` constructor.
* `manual` (with the exact line to move it after) when the receiver is only
  *named* like a scheduler, the scheduler resumes (`last_epoch=`), the body can
  skip the end of an iteration, or earlier statements read the LR.
* `ReduceLROnPlateau` is never moved (it has always been stepped with a metric
  after validation).
* `sched.step(epoch)` is `manual`: the epoch argument is deprecated and the
  replacement depends on what the epoch value was meant to do.
* `sched.get_lr()` -> `sched.get_last_lr()` is `safe` for a known scheduler:
  `get_last_lr()` is the LR in use, which is what `get_lr()` returned after a
  step() before 1.1.  (2.13's `get_lr()` outside step() returns the *next*
  value for chainable schedulers; calls before any step() returned
  `base/gamma` pre-1.1, which no code relied on.)  `self.get_lr()` (a
  scheduler subclass) is left alone.  An unknown receiver named `*sched*` is
  `unsafe`.

## Differences from TorchFix
TorchFix has no rule for the scheduler order.
""",
    examples=(
        Example(
            before=(
                "import torch\n"
                "from torch.optim import lr_scheduler\n"
                "opt = torch.optim.SGD(params, lr=0.1)\n"
                "scheduler = lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)\n"
                "for epoch in range(100):\n"
                "    scheduler.step()  # decay\n"
                "    train(epoch)\n"
                "    validate()\n"
            ),
            after=(
                "import torch\n"
                "from torch.optim import lr_scheduler\n"
                "opt = torch.optim.SGD(params, lr=0.1)\n"
                "scheduler = lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)\n"
                "for epoch in range(100):\n"
                "    train(epoch)\n"
                "    validate()\n"
                "    scheduler.step()  # decay\n"
            ),
            unsafe_fixes=True,
            title="step() moved after the epoch's training",
        ),
        Example(
            before=(
                "from torch.optim.lr_scheduler import StepLR\n"
                "sched = StepLR(opt, 10)\n"
                "for epoch in range(100):\n"
                "    sched.step()\n"
                "    train(epoch)\n"
            ),
            findings=("unsafe",),
            title="without --unsafe-fixes the move is only reported",
        ),
        Example(
            before=(
                "from torch.optim.lr_scheduler import StepLR\n"
                "sched = StepLR(opt, 10)\n"
                "for epoch in range(100):\n"
                "    sched.step()\n"
                "    if epoch > 50:\n"
                "        break\n"
                "    train(epoch)\n"
            ),
            unsafe_fixes=True,
            findings=("manual",),
            title="break in the loop: report the exact move only",
        ),
        Example(
            before=(
                "from torch.optim.lr_scheduler import StepLR\n"
                "sched = StepLR(opt, 10)\n"
                "for epoch in range(100):\n"
                "    train(epoch)\n"
                "    sched.step()\n"
                "    print(sched.get_lr())\n"
            ),
            after=(
                "from torch.optim.lr_scheduler import StepLR\n"
                "sched = StepLR(opt, 10)\n"
                "for epoch in range(100):\n"
                "    train(epoch)\n"
                "    sched.step()\n"
                "    print(sched.get_last_lr())\n"
            ),
            title="get_lr() -> get_last_lr(); order already modern",
        ),
        Example(
            before=(
                "from torch.optim import lr_scheduler\n"
                "schedG = lr_scheduler.StepLR(optG, 10)\n"
                "schedD = lr_scheduler.StepLR(optD, 10)\n"
                "for epoch in range(100):\n"
                "    schedG.step()\n"
                "    schedD.step()\n"
                "    for real in loader:\n"
                "        train_step(real)\n"
            ),
            after=(
                "from torch.optim import lr_scheduler\n"
                "schedG = lr_scheduler.StepLR(optG, 10)\n"
                "schedD = lr_scheduler.StepLR(optD, 10)\n"
                "for epoch in range(100):\n"
                "    for real in loader:\n"
                "        train_step(real)\n"
                "    schedG.step()\n"
                "    schedD.step()\n"
            ),
            unsafe_fixes=True,
            title="consecutive steps are one group",
        ),
        Example(
            before=(
                "from torch.optim import lr_scheduler\n"
                "scheduler = lr_scheduler.StepLR(optimizer, 10)\n"
                "def train(epoch):\n"
                "    scheduler.step()\n"
                "    for x, y in loader:\n"
                "        optimizer.step()\n"
                "    return epoch\n"
            ),
            after=(
                "from torch.optim import lr_scheduler\n"
                "scheduler = lr_scheduler.StepLR(optimizer, 10)\n"
                "def train(epoch):\n"
                "    for x, y in loader:\n"
                "        optimizer.step()\n"
                "    scheduler.step()\n"
                "    return epoch\n"
            ),
            unsafe_fixes=True,
            title="a train function that starts with the step",
        ),
        Example(
            before=(
                "from torch.autograd import Variable\n"
                "from torch.optim import lr_scheduler\n"
                "schedG = lr_scheduler.StepLR(optG, 10)\n"
                "schedD = lr_scheduler.StepLR(optD, 10)\n"
                "for epoch in range(100):\n"
                "    for real in loader:\n"
                "        train_step(Variable(real))\n"
                "    schedG.step()\n"
                "    schedD.step()\n"
            ),
            unsafe_fixes=True,
            findings=("manual", "manual"),
            title="already after the training: never moved; the pre-1.1 lag is reported",
        ),
        Example(
            before=(
                "from torch.optim.lr_scheduler import ReduceLROnPlateau\n"
                "sched = ReduceLROnPlateau(opt)\n"
                "for epoch in range(100):\n"
                "    train(epoch)\n"
                "    sched.step(val_loss)\n"
            ),
            title="ReduceLROnPlateau with a metric: nothing to do",
        ),
        Example(
            before=(
                "from torch.optim import lr_scheduler\n"
                "sched = lr_scheduler.ExponentialLR(opt, 0.9)\n"
                "for epoch in range(10):\n"
                "    sched.step(epoch)\n"
                "    train(epoch)\n"
            ),
            findings=("manual",),
            title="step(epoch) is reported",
        ),
        Example(
            before=(
                "class Warmup(object):\n"
                "    def step(self):\n"
                "        pass\n"
                "warm = Warmup()\n"
                "for epoch in range(10):\n"
                "    warm.step()\n"
                "    train(epoch)\n"
            ),
            title="not a torch scheduler: untouched",
        ),
        Example(
            project=(
                (
                    "schedulers.py",
                    "from torch.optim.lr_scheduler import _LRScheduler\n"
                    "class WarmupLR(_LRScheduler):\n"
                    "    def get_lr(self):\n"
                    "        return [b * min(1.0, self.last_epoch / 5.0) for b in self.base_lrs]\n",
                ),
            ),
            path="train.py",
            before=(
                "from schedulers import WarmupLR\n"
                "sched = WarmupLR(opt)\n"
                "for epoch in range(10):\n"
                "    sched.step()\n"
                "    train(epoch)\n"
                "    print(sched.get_lr())\n"
            ),
            after=(
                "from schedulers import WarmupLR\n"
                "sched = WarmupLR(opt)\n"
                "for epoch in range(10):\n"
                "    train(epoch)\n"
                "    print(sched.get_lr())\n"
                "    sched.step()\n"
            ),
            unsafe_fixes=True,
            title="a project subclass of a torch scheduler (project model); its own get_lr is left alone",
        ),
    ),
    fixers=(SchedulerOrderFixer, StepEpochFixer, GetLrFixer),
    tokens=(".step(", "get_lr("),
)
