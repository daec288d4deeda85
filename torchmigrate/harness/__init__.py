"""Differential verification: run an old script under a legacy runtime and its migration
under plain torch, record every training step, and compare the two traces.

Modules:

- ``legacy_runtime``: patches that give pre-0.4 code its old meaning on modern torch.
- ``loader``: import hook that rewrites the little that cannot be emulated at runtime
  (``async=`` keywords, Python 2 syntax, Python 2 integer division, ``type(x.data)``).
- ``device``: ``--device cpu`` remapping of ``.cuda()`` and friends.
- ``portable/tm_recorder``: per-step capture of losses, gradients and parameters in a
  child process (portable: it also runs under a genuine old Python and torch).
- ``child``: the child process entry point.
- ``runner``: starts both children and collects their traces.
- ``compare`` / ``report``: diff two traces and render the verdict.
- ``commands``: typer-ready ``verify`` / ``run`` commands.
"""
