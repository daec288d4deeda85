"""TM014: the reported programs really raise on torch 2.13; the DCGAN order
that recomputes the discriminator's output does not (and is not reported)."""

from __future__ import annotations

import pytest

from codemods import get_rule
from torchmigrate.engine import migrate

RULE = get_rule("TM014")

GAN = """
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)
netG = nn.Linear(2, 3)
netD = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
optD = optim.SGD(netD.parameters(), lr=0.1)
optG = optim.SGD(netG.parameters(), lr=0.1)
crit = nn.MSELoss()
real, noise = torch.randn(5, 3), torch.randn(5, 2)
ones, zeros = torch.ones(5, 1), torch.zeros(5, 1)


def step():
    fake = netG(noise)
    out_fake = netD(fake)
    errD = crit(netD(real), ones) + crit(out_fake, zeros)
    errD.backward(retain_graph=True)
    optD.step()
    errG = crit(out_fake, ones)
    errG.backward()
    optG.step()


def dcgan_step():
    fake = netG(noise)
    errD = crit(netD(real), ones) + crit(netD(fake.detach()), zeros)
    errD.backward()
    optD.step()
    errG = crit(netD(fake), ones)
    errG.backward()
    optG.step()
"""


def test_reported_exactly_where_torch_raises():
    torch = pytest.importorskip("torch")
    res = migrate(GAN, [RULE])
    assert [(f.rule, f.safety) for f in res.findings] == [("TM014", "manual")]
    f = res.findings[0]
    assert "errG.backward()" in f.message and "optD.step()" in f.message
    assert "`netD(...)` on line 18" in f.message
    ns: dict = {}
    exec(compile(GAN, "<gan>", "exec"), ns)
    ns["dcgan_step"]()  # fine on 2.13
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ns["step"]()
    del torch
