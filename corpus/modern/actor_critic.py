# Advantage actor-critic with a shared body, on a 1-D "reach the origin" task.
import argparse
from collections import namedtuple
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


parser = argparse.ArgumentParser(description='PyTorch actor-critic example (toy env)')
parser.add_argument('--gamma', type=float, default=0.9, metavar='G',
                    help='discount factor (default: 0.9)')
parser.add_argument('--seed', type=int, default=7, metavar='N',
                    help='random seed (default: 7)')
parser.add_argument('--episodes', type=int, default=30, metavar='N')
parser.add_argument('--log-interval', type=int, default=5, metavar='N',
                    help='interval between training status logs (default: 5)')
args = parser.parse_args()


class ReachOrigin(object):
    """state = (position, time left); actions: 0 = left, 1 = stay, 2 = right"""
    def __init__(self, max_steps=15):
        self.max_steps = max_steps
        self.rng = np.random.RandomState(args.seed)

    def reset(self):
        self.x = self.rng.uniform(-1, 1)
        self.t = 0
        return self._obs()

    def _obs(self):
        return np.array([self.x, 1.0 - float(self.t) / self.max_steps], dtype=np.float32)

    def step(self, action):
        self.x = float(np.clip(self.x + 0.1 * (action - 1) + self.rng.normal(0, 0.01), -1, 1))
        self.t += 1
        done = abs(self.x) < 0.05 or self.t >= self.max_steps
        reward = 1.0 if abs(self.x) < 0.05 else -abs(self.x)
        return self._obs(), reward, done


env = ReachOrigin()
torch.manual_seed(args.seed)


SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(2, 64)
        self.action_head = nn.Linear(64, 3)
        self.value_head = nn.Linear(64, 1)

        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        action_scores = self.action_head(x)
        state_values = self.value_head(x)
        return F.softmax(action_scores, dim=0 if action_scores.dim() in (0, 1, 3) else 1), state_values


model = Policy()
optimizer = optim.Adam(model.parameters(), lr=3e-2)
eps = np.finfo(np.float32).eps.item()


def select_action(state):
    state = torch.from_numpy(state).float()
    probs, state_value = model(state.unsqueeze(0))
    m = Categorical(probs)
    action = m.sample()
    model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
    return action.item()


def finish_episode():
    R = 0
    saved_actions = model.saved_actions
    policy_losses = []
    value_losses = []
    rewards = []
    for r in model.rewards[::-1]:
        R = r + args.gamma * R
        rewards.insert(0, R)
    rewards = torch.tensor(rewards, dtype=torch.get_default_dtype())
    rewards = (rewards - rewards.mean()) / (rewards.std() + eps)
    for (log_prob, value), r in zip(saved_actions, rewards):
        reward = r - value.detach()[0, 0]
        policy_losses.append(-log_prob * reward)
        value_losses.append(F.smooth_l1_loss(value, torch.tensor([r], dtype=torch.get_default_dtype())))
    optimizer.zero_grad(set_to_none=False)
    policy_loss = torch.cat(policy_losses).sum()
    value_loss = torch.stack(value_losses).sum()
    # the two heads share the body, so keep the graph alive for the second pass
    value_loss.backward(retain_graph=True)
    policy_loss.backward()
    optimizer.step()
    del model.rewards[:]
    del model.saved_actions[:]
    return policy_loss.item(), value_loss.item()


def main():
    running_reward = 0
    for i_episode in range(1, args.episodes + 1):
        state = env.reset()
        ep_reward = 0
        for t in range(100):  # Don't infinite loop while learning
            action = select_action(state)
            state, reward, done = env.step(action)
            model.rewards.append(reward)
            ep_reward += reward
            if done:
                break

        running_reward = running_reward * 0.9 + ep_reward * 0.1
        p_loss, v_loss = finish_episode()
        if i_episode % args.log_interval == 0:
            print('Episode {}\tLast length: {:5d}\tRunning reward: {:.3f}\t'
                  'policy loss {:.4f}\tvalue loss {:.4f}'.format(
                      i_episode, t, running_reward, p_loss, v_loss))


if __name__ == '__main__':
    main()
