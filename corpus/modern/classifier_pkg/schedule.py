'''A simple wrapper class for learning rate scheduling (warm-up then constant).'''


class ScheduledOptim(object):
    def __init__(self, optimizer, n_warmup_steps, init_lr):
        self._optimizer = optimizer
        self.n_warmup_steps = n_warmup_steps
        self.n_current_steps = 0
        self.init_lr = init_lr

    def step(self):
        "Step with the inner optimizer"
        self._update_learning_rate()
        self._optimizer.step()

    def zero_grad(self):
        "Zero out the gradients by the inner optimizer"
        self._optimizer.zero_grad(set_to_none=False)

    def _update_learning_rate(self):
        self.n_current_steps += 1
        scale = min(1.0, self.n_current_steps / float(self.n_warmup_steps))
        for param_group in self._optimizer.param_groups:
            param_group['lr'] = self.init_lr * scale
