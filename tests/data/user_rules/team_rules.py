"""Rules for our lab's own legacy helpers (an example of torchmigrate user rules).

`utils.to_np(x)` was `x.data.cpu().numpy()`; `to_var(x)` wrapped tensors in
`Variable` and moved them to the GPU.  Written only against the documented API:
Bowler's `Query` and `torchmigrate.user_rules`.
"""

from bowler import Query

from torchmigrate.user_rules import Example, expr, user_rule


def to_np_call(node, capture, filename):
    """`to_np(x)` -> `x.detach().cpu().numpy()` (one plain argument only)."""
    args = capture.get("function_arguments") or []
    if len(args) != 1 or str(args[0]).lstrip().startswith("*"):
        return None  # several arguments or *args: leave it for a person
    arg = str(args[0]).strip()
    if not arg.replace("_", "").replace(".", "").isalnum():
        arg = f"({arg})"
    rest = "".join(str(t) for t in capture.get("remainder") or [])
    return expr(f"{arg}.detach().cpu().numpy(){rest}", node.prefix)


RULES = [
    user_rule(
        id="X001",
        name="to-np-helper",
        summary="Replace our `to_np(x)` helper by `x.detach().cpu().numpy()`",
        short="`to_np(x)` is our legacy helper: `x.detach().cpu().numpy()`",
        why="`to_np` read `.data`, which hides the value from autograd; the modern "
        "spelling says what it does.",
        query=Query().select_function("to_np").is_call().modify(to_np_call),
        safety="safe",
        examples=[
            Example("y = to_np(loss)\n", "y = loss.detach().cpu().numpy()\n"),
            Example("y = to_np(a + b)[0]\n", "y = (a + b).detach().cpu().numpy()[0]\n"),
            Example("def to_np(x):\n    return x\n", None),
        ],
    ),
    user_rule(
        id="X002",
        name="to-var-helper",
        summary="Our `to_var` helper is now `to_device` (it no longer wraps in Variable)",
        query=Query().select_function("to_var").rename("to_device"),
        safety="unsafe",
        message="`to_var` was renamed `to_device` in utils.py; the helper no longer wraps "
        "its argument in a Variable",
        examples=[
            Example(
                "from utils import to_var\nx = to_var(images)\n",
                "from utils import to_device\nx = to_device(images)\n",
            )
        ],
    ),
]
