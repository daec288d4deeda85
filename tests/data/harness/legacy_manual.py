# 0.3-style: manual SGD through .data, an old-style autograd Function with constructor
# arguments, retain_variables, loss.data[0].
import torch
from torch.autograd import Variable, Function


class ScaledSquare(Function):
    def __init__(self, k):
        super(ScaledSquare, self).__init__()
        self.k = k

    def forward(self, x):
        self.save_for_backward(x)
        return x * x * self.k

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output * 2 * x * self.k


x = Variable(torch.randn(8, 3))
y = Variable(torch.randn(8, 1))
w = Variable(torch.randn(3, 1), requires_grad=True)
lr = 0.05
for it in range(5):
    pred = ScaledSquare(0.5)(x.mm(w))
    loss = (pred - y).pow(2).mean()
    loss.backward(retain_variables=True)
    w.data -= lr * w.grad.data
    w.grad.data.zero_()
    print('it', it, loss.data[0])
