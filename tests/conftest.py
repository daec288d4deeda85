"""Suite-wide setup."""

from __future__ import annotations

import signal

# A run started in the background by a shell without job control (``cmd &``
# in a script, some CI runners) inherits SIGINT *ignored*: Python then
# installs no KeyboardInterrupt handler -- in pytest, and in every CLI
# process a test starts (an ignored signal stays ignored across exec).  The
# tests that press Ctrl-C would see nothing happen.  Restore Python's
# default handler; a handled signal reverts to the default in the children.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
