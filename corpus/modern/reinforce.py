# REINFORCE on a tiny corridor world (no gym needed).
import argparse
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


parser = argparse.ArgumentParser(description='PyTorch REINFORCE example (corridor world)')
parser.add_argument('--gamma', type=float, default=0.95, metavar='G',
                    help='discount factor (default: 0.95)')
parser.add_argument('--seed', type=int, default=543, metavar='N',
                    help='random seed (default: 543)')
parser.add_argument('--episodes', type=int, default=40, metavar='N',
                    help='number of training episodes')
parser.add_argument('--log-interval', type=int, default=5, metavar='N',
                    help='interval between training status logs (default: 5)')
args = parser.parse_args()


class Corridor(object):
    """Walk left/right on a line of cells; reaching the right end pays 1."""
    def __init__(self, n=6, max_steps=12):
        self.n = n
        self.max_steps = max_steps

    def seed(self, s):
        self.rng = np.random.RandomState(s)

    def reset(self):
        self.pos = self.rng.randint(0, self.n - 2)
        self.t = 0
        return self._obs()

    def _obs(self):
        o = np.zeros(self.n, dtype=np.float32)
        o[self.pos] = 1.0
        return o

    def step(self, action):
        self.pos = max(0, min(self.n - 1, self.pos + (1 if action == 1 else -1)))
        self.t += 1
        at_goal = self.pos == self.n - 1
        reward = 1.0 if at_goal else -0.05
        return self._obs(), reward, at_goal or self.t >= self.max_steps


env = Corridor()
env.seed(args.seed)
torch.manual_seed(args.seed)


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(6, 32)
        self.affine2 = nn.Linear(32, 2)

        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=0 if action_scores.dim() in (0, 1, 3) else 1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    rewards = []
    for r in policy.rewards[::-1]:
        R = r + args.gamma * R
        rewards.insert(0, R)
    rewards = torch.tensor(rewards, dtype=torch.get_default_dtype())
    rewards = (rewards - rewards.mean()) / (rewards.std() + eps)
    for log_prob, reward in zip(policy.saved_log_probs, rewards):
        policy_loss.append(-log_prob * reward)
    optimizer.zero_grad(set_to_none=False)
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


@torch.no_grad()
def evaluate_greedy(n_episodes):
    total = 0.
    for _ in range(n_episodes):
        state = env.reset()
        for t in range(env.max_steps):
            probs = policy(torch.from_numpy(state).float().unsqueeze(0))
            action = probs.detach().max(1)[1][0]
            state, reward, done = env.step(action)
            total += reward
            if done:
                break
    return total / n_episodes


def main():
    running_length = 10
    for i_episode in range(1, args.episodes + 1):
        state = env.reset()
        for t in range(100):  # Don't infinite loop while learning
            action = select_action(state)
            state, reward, done = env.step(action)
            policy.rewards.append(reward)
            if done:
                break

        running_length = running_length * 0.9 + t * 0.1
        loss = finish_episode()
        if i_episode % args.log_interval == 0:
            print('Episode {}\tLast length: {:5d}\tAverage length: {:.2f}\tLoss: {:.4f}'.format(
                i_episode, t, running_length, loss))
    print('Greedy policy: average return {:.3f}'.format(evaluate_greedy(10)))


if __name__ == '__main__':
    main()
