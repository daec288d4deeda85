"""A generator of real-code-shaped trees for the benchmarks.

The synthetic trees of ``bench_upgrade.py`` are either all legacy or mostly
torch-free; real 2017-2019 research repos are neither.  Measured on 19 real
repos (issue 12): most files import torch, about a quarter carry legacy
idioms (sprinkled into otherwise modern code, not wall-to-wall), a few are
Python 2, a few are long (model zoos, big training scripts), and the rest is
utilities, configs and plotting scripts that never mention torch.

``make_real_tree(root, lines, seed)`` writes such a tree of several small
"repos" (``repo_XX/models/...``, ``train.py``, ``utils.py``...) and returns a
dict with the files of each kind, so benches can report per-kind ratios.
The text is deterministic for a seed.
"""

from __future__ import annotations

import random
from pathlib import Path

# --------------------------------------------------------------------------
# Modern torch code (0.4+ idioms; nothing to migrate, a few manual findings)
# --------------------------------------------------------------------------
MODERN = [
    '''
class ConvBlock{i}(nn.Module):
    """Conv -> BN -> ReLU, optionally with a residual connection."""

    def __init__(self, in_ch, out_ch, stride=1, residual=True):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.residual = residual and in_ch == out_ch and stride == 1

    def forward(self, x):
        out = F.relu(self.bn(self.conv(x)), inplace=True)
        if self.residual:
            out = out + x
        return out
''',
    """
class Encoder{i}(nn.Module):
    def __init__(self, vocab_size, embed_dim=256, hidden=512, layers=2, dropout=0.2):
        super(Encoder{i}, self).__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.LSTM(embed_dim, hidden, num_layers=layers, dropout=dropout,
                           batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * hidden, hidden)

    def forward(self, tokens, lengths):
        emb = self.embed(tokens)
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths, batch_first=True)
        out, (h, c) = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        h = torch.cat([h[-2], h[-1]], dim=1)
        return self.proj(out), torch.tanh(self.proj(h))
""",
    """
def train_epoch{i}(model, loader, optimizer, criterion, device, log_every=50):
    model.train()
    running = 0.0
    for step, (inputs, targets) in enumerate(loader):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        logits = model(inputs)
        loss = criterion(logits, targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()
        running += loss.item()
        if step % log_every == 0:
            logger.info("step %d loss %.4f", step, running / (step + 1))
    return running / max(1, len(loader))
""",
    """
@torch.no_grad()
def evaluate{i}(model, loader, device):
    model.eval()
    correct, total = 0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        pred = model(inputs).argmax(dim=1)
        correct += (pred == targets).sum().item()
        total += targets.size(0)
    return correct / max(1, total)
""",
    """
class ImageFolderDataset{i}(torch.utils.data.Dataset):
    def __init__(self, root, split="train", transform=None):
        self.root = os.path.join(root, split)
        self.items = sorted(
            (os.path.join(d, f), label)
            for label, d in enumerate(sorted(os.listdir(self.root)))
            for f in os.listdir(os.path.join(self.root, d))
        )
        self.transform = transform

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        path, label = self.items[idx]
        img = np.load(path).astype(np.float32)
        if self.transform is not None:
            img = self.transform(img)
        return torch.from_numpy(img), torch.tensor(label, dtype=torch.long)
""",
    """
def save_checkpoint{i}(state, is_best, directory, filename="checkpoint.pth.tar"):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, filename)
    torch.save(state, path)
    if is_best:
        shutil.copyfile(path, os.path.join(directory, "model_best.pth.tar"))


def load_checkpoint{i}(model, optimizer, path, device="cpu"):
    state = torch.load(path, map_location=device)
    model.load_state_dict(state["model"])
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    return state.get("epoch", 0), state.get("best_acc", 0.0)
""",
    """
class Attention{i}(nn.Module):
    def __init__(self, dim, heads=8, dropout=0.1):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.out = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask=None):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        attn = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        if mask is not None:
            attn = attn.masked_fill(~mask, float("-inf"))
        attn = self.drop(torch.softmax(attn, dim=-1))
        out = torch.matmul(attn, v).transpose(1, 2).reshape(b, n, d)
        return self.out(out)
""",
    """
def build_optimizer{i}(model, cfg):
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if name.endswith(".bias") or "norm" in name else decay).append(param)
    groups = [
        {{"params": decay, "weight_decay": cfg.weight_decay}},
        {{"params": no_decay, "weight_decay": 0.0}},
    ]
    optimizer = optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.999))
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    return optimizer, scheduler
""",
    """
def sample_latent{i}(batch_size, dim, device, truncation=None):
    z = torch.randn(batch_size, dim, device=device)
    if truncation is not None:
        z = torch.clamp(z, -truncation, truncation)
    return z


def gradient_penalty{i}(critic, real, fake, device):
    alpha = torch.rand(real.size(0), 1, 1, 1, device=device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(mixed)
    grads = torch.autograd.grad(scores.sum(), mixed, create_graph=True)[0]
    return ((grads.view(grads.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
""",
]

# --------------------------------------------------------------------------
# Legacy idioms (0.1-0.3, 1.x deprecations), sprinkled into modern files
# --------------------------------------------------------------------------
LEGACY = [
    """
def train_legacy{i}(model, loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(loader):
        data, target = Variable(data.cuda()), Variable(target.cuda())
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % 10 == 0:
            print('Train Epoch: {{}} [{{}}/{{}}]\\tLoss: {{:.6f}}'.format(
                epoch, batch_idx * len(data), len(loader.dataset), loss.data[0]))
""",
    """
def test_legacy{i}(model, loader):
    model.eval()
    test_loss = 0
    correct = 0
    for data, target in loader:
        data, target = Variable(data, volatile=True), Variable(target)
        output = model(data)
        test_loss += F.nll_loss(output, target, size_average=False).data[0]
        pred = output.data.max(1, keepdim=True)[1]
        correct += pred.eq(target.data.view_as(pred)).cpu().sum()
    test_loss /= len(loader.dataset)
    return test_loss, correct
""",
    """
class LegacyNet{i}(nn.Module):
    def __init__(self):
        super(LegacyNet{i}, self).__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.fc = nn.Linear(320, 10)
        nn.init.xavier_uniform(self.conv1.weight)
        nn.init.constant(self.conv1.bias, 0.1)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = x.view(-1, 320)
        x = F.sigmoid(self.fc(x))
        return F.log_softmax(x)
""",
    """
def repackage_hidden{i}(h):
    if type(h) == Variable:
        return Variable(h.data)
    else:
        return tuple(repackage_hidden{i}(v) for v in h)


def lm_step{i}(model, criterion, data, targets, hidden, clip):
    hidden = repackage_hidden{i}(hidden)
    model.zero_grad()
    output, hidden = model(data, hidden)
    loss = criterion(output.view(-1, output.size(2)), targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm(model.parameters(), clip)
    for p in model.parameters():
        p.data.add_(-lr, p.grad.data)
    return loss.data[0], hidden
""",
    """
def make_noise{i}(batch_size, nz, cuda=False):
    noise = torch.FloatTensor(batch_size, nz, 1, 1)
    if cuda:
        noise = noise.cuda(async=True)
    noise.resize_(batch_size, nz, 1, 1).normal_(0, 1)
    return Variable(noise)


def upsample_features{i}(x, size):
    return F.upsample(x, size=size, mode='bilinear')
""",
    """
def decode_step{i}(decoder, inp, hidden, context):
    emb = decoder.embedding(inp)
    out, hidden = decoder.rnn(emb, hidden)
    scores = torch.bmm(out, context.transpose(1, 2))
    attn = F.softmax(scores.squeeze(1))
    positions = torch.range(0, context.size(1) - 1).long()
    weighted = (attn.unsqueeze(2) * context).sum(1)
    return F.tanh(decoder.out(torch.cat([out.squeeze(1), weighted], 1))), hidden
""",
    """
def update_policy{i}(policy, optimizer, rewards, log_probs, gamma=0.99):
    R = 0
    returns = []
    for r in rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.Tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + 1e-6)
    loss = []
    for log_prob, R in zip(log_probs, returns):
        loss.append(-log_prob * R)
    optimizer.zero_grad()
    loss = torch.cat(loss).sum()
    loss.backward(retain_variables=True)
    optimizer.step()
    scheduler.step()
    return loss.data[0]
""",
]

HEADER_LEGACY = (
    "import torch\n"
    "import torch.nn as nn\n"
    "import torch.nn.functional as F\n"
    "import torch.optim as optim\n"
    "from torch.autograd import Variable\n"
)

# --------------------------------------------------------------------------
# Python 2 files
# --------------------------------------------------------------------------
PY2 = [
    """
def load_vocab{i}(path):
    vocab = {{}}
    for line in open(path):
        word, idx = line.strip().split('\\t')
        vocab[word] = int(idx)
    print "loaded %d words from %s" % (len(vocab), path)
    return vocab


def batches{i}(pairs, size):
    for k in xrange(0, len(pairs), size):
        yield pairs[k:k + size]
""",
    """
def report{i}(stats):
    for key, value in stats.iteritems():
        print key, value
    if stats.has_key('loss'):
        print >>sys.stderr, "loss", stats['loss']
    try:
        best = max(stats.values())
    except ValueError, e:
        best = None
    return best
""",
]

HEADER_PY2 = "import sys\nimport os\nimport torch\nfrom torch.autograd import Variable\n"

# --------------------------------------------------------------------------
# Files that never mention torch (utils, configs, plots, setup)
# --------------------------------------------------------------------------
PLAIN = [
    '''
class AverageMeter{i}(object):
    """Computes and stores the average and current value."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.val = 0
        self.avg = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count
''',
    """
def parse_config{i}(path):
    with open(path) as fh:
        cfg = json.load(fh)
    for key in ("lr", "epochs", "batch_size"):
        if key not in cfg:
            raise KeyError("missing config key: %s" % key)
    cfg.setdefault("seed", 1234)
    return argparse.Namespace(**cfg)
""",
    """
def plot_curves{i}(history, out_path):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, values in sorted(history.items()):
        ax = axes[0] if "loss" in name else axes[1]
        ax.plot(np.arange(len(values)), values, label=name)
    for ax in axes:
        ax.legend()
        ax.grid(alpha=0.3)
    fig.savefig(out_path, dpi=150)
    plt.close(fig)
""",
    """
def setup_logger{i}(name, log_dir, level=logging.INFO):
    os.makedirs(log_dir, exist_ok=True)
    logger = logging.getLogger(name)
    logger.setLevel(level)
    handler = logging.FileHandler(os.path.join(log_dir, name + ".log"))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger
""",
]

HEADER_MODERN = (
    "import os\nimport shutil\nimport logging\n\nimport numpy as np\nimport torch\n"
    "import torch.nn as nn\nimport torch.nn.functional as F\nimport torch.optim as optim\n\n"
    "logger = logging.getLogger(__name__)\n"
)
HEADER_PLAIN = (
    "import os\nimport json\nimport argparse\nimport logging\n\nimport numpy as np\n"
    "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
)

KINDS = ("modern", "legacy", "py2", "plain")
# shares of files by kind (long files are drawn among modern/legacy)
SHARES = {"modern": 0.55, "legacy": 0.25, "py2": 0.05, "plain": 0.15}
LONG_SHARE = 0.05
NAMES = {
    "modern": ["models/resnet", "models/encoder", "train", "evaluate", "data", "trainer"],
    "legacy": ["models/legacy_net", "main", "train_old", "lm", "gan"],
    "py2": ["prepro", "vocab"],
    "plain": ["utils", "config", "plot", "logger"],
}


def _blocks(rng: random.Random, pool: list, count: int, start: int) -> str:
    return "".join(rng.choice(pool).format(i=start + k) for k in range(count))


def make_file(rng: random.Random, kind: str, long: bool = False) -> str:
    count = rng.randint(60, 130) if long else rng.randint(2, 9)
    if kind == "modern":
        return HEADER_MODERN + _blocks(rng, MODERN, count, 0)
    if kind == "legacy":
        # legacy idioms sprinkled into modern code: 1-3 legacy blocks per file
        # (about one in four blocks in long files)
        n_legacy = max(1, count // 4) if long else rng.randint(1, min(3, count))
        parts = [("m", k) for k in range(count - n_legacy)] + [("l", k) for k in range(n_legacy)]
        rng.shuffle(parts)
        body = "".join(
            (rng.choice(LEGACY) if tag == "l" else rng.choice(MODERN)).format(
                i=k + 1000 * (tag == "l")
            )
            for tag, k in parts
        )
        return (
            HEADER_LEGACY
            + "import os\nimport shutil\nimport logging\nimport numpy as np\n"
            + ("logger = logging.getLogger(__name__)\n" + body)
        )
    if kind == "py2":
        return HEADER_PY2 + _blocks(rng, PY2 + PLAIN, count, 0)
    return HEADER_PLAIN + _blocks(rng, PLAIN, count, 0)


def make_real_tree(root: Path, lines: int, seed: int = 0) -> dict:
    """Write a real-code-shaped tree of about ``lines`` lines under ``root``;
    returns ``{kind: [paths]}`` (kinds: modern, legacy, py2, plain)."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    out: dict = {k: [] for k in KINDS}
    total = 0
    n = 0
    while total < lines:
        r = rng.random()
        acc = 0.0
        kind = KINDS[-1]
        for k in KINDS:
            acc += SHARES[k]
            if r < acc:
                kind = k
                break
        long = kind in ("modern", "legacy") and rng.random() < LONG_SHARE
        text = make_file(rng, kind, long)
        repo = root / f"repo_{n // 25:02d}"
        name = rng.choice(NAMES[kind])
        path = repo / f"{name}_{n:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        out[kind].append(path)
        total += text.count("\n")
        n += 1
    return out


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    tree = make_real_tree(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 50000)
    for k, v in tree.items():
        print(k, len(v), sum(p.read_text().count("\n") for p in v))
