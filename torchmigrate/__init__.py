from __future__ import annotations

__version__ = "0.1.0"

# fissix writes a grammar cache under $HOME on first use; make sure a read-only
# or missing home does not break the import (see torchmigrate/_fissix_cache.py).
from torchmigrate._fissix_cache import prepare as _prepare_fissix  # noqa: E402

_prepare_fissix()
