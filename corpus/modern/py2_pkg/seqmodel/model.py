import torch.nn as nn
from . import layers
from .layers import Encoder


class Classifier(nn.Module):
    """GRU encoder + linear head; counts sequences that sum past a threshold."""

    def __init__(self, vocab, hidden, classes):
        super(Classifier, self).__init__()
        self.encoder = Encoder(vocab, hidden)
        self.head = nn.Linear(hidden, classes)

    def forward(self, tokens):
        return self.head(self.encoder(tokens))


def describe(model):
    n = sum(p.numel() for p in model.parameters())
    print("model: %d parameters, encoder %s" % (n, layers.Encoder.__name__))
