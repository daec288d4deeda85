# -*- coding: utf-8 -*-
raise ImportError(
    "torchvision.models is not provided by torchmigrate's synthetic torchvision stand-in "
    "(no real torchvision is installed); verify scripts that build torchvision models "
    "with a torchvision that imports beside this torch"
)
