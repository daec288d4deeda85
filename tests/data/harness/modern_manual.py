# The migration of legacy_manual.py.
import torch


class ScaledSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * x * k

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 2 * x * ctx.k, None


x = torch.randn(8, 3)
y = torch.randn(8, 1)
w = torch.randn(3, 1).requires_grad_()
lr = 0.05
for it in range(5):
    pred = ScaledSquare.apply(x.mm(w), 0.5)
    loss = (pred - y).pow(2).mean()
    loss.backward(retain_graph=True)
    with torch.no_grad():
        w -= lr * w.grad
    w.grad.zero_()
    print("it", it, loss.item())
