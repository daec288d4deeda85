import torch.nn as nn
import torch.nn.functional as F
from utils import *


class MLP(nn.Module):
    def __init__(self, dim, hidden, classes):
        super(MLP, self).__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, classes)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        x = self.drop(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)
