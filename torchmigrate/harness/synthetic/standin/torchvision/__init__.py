# -*- coding: utf-8 -*-
"""A stand-in ``torchvision`` for ``--synthetic-data`` runs without a real torchvision.

Written in plain torch (portable: Python 2.7/3.x, torch 1.0+).  What it provides is listed
in ``tm_synthetic``'s docstring; ``torchvision.models`` is not provided.
"""

from __future__ import absolute_import

from . import datasets, transforms, utils  # noqa: F401

__version__ = "0.0.0+torchmigrate.standin"
TORCHMIGRATE_STANDIN = True
