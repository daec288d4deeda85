import torch
w = torch.ones(3, requires_grad=True)
raise RuntimeError("deliberate failure in the new script")
