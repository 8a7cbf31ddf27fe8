"""The AlphaTensor-style network, sized for a CPU or one GPU.

Torso: the residual S (a x b x c) is read as three grids, one per cyclic
projection: (a, b) cells carrying the c-fibre, (b, c) cells carrying the
a-fibre, (c, a) cells carrying the b-fibre. Each attentive-modes layer runs
self-attention over every pair of grids that share an axis (axial attention:
row l of one grid next to column l of the other). The move index and the
last few actions enter as an embedding added to every cell.

Heads: a value head of quantiles (trained by quantile regression; the
risk-seeking value is the mean of the top quantiles, as in the paper) and a
policy head that decodes the action token by token, cross-attending to the
torso's cells: teacher forcing in training, sampling at inference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F_


@dataclass(frozen=True)
class NetConfig:
    shape: tuple[int, int, int]
    length: int           # entries of one action (a + b + c)
    n_tokens: int
    vocab: int
    history: int = 2      # previous actions fed to the torso
    dim: int = 64
    heads: int = 4
    torso_layers: int = 2
    policy_layers: int = 2
    quantiles: int = 8
    risk_quantile: float = 0.75

    def to_dict(self) -> dict:
        d = asdict(self)
        d["shape"] = list(self.shape)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "NetConfig":
        d = dict(d)
        d["shape"] = tuple(int(x) for x in d["shape"])
        return cls(**d)


class _Block(nn.Module):
    """Pre-norm self-attention + MLP over a batch of sequences."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class _AttentiveModes(nn.Module):
    """One layer: attention across each pair of grids sharing an axis."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.blocks = nn.ModuleList([_Block(dim, heads) for _ in range(3)])

    @staticmethod
    def _pair(block, x, y):
        # x: (B, L, X, d) with axis L shared with y: (B, Y, L, d).
        B, L, X, d = x.shape
        Y = y.shape[1]
        seq = torch.cat([x, y.transpose(1, 2)], dim=2).reshape(B * L, X + Y, d)
        seq = block(seq).reshape(B, L, X + Y, d)
        return seq[:, :, :X], seq[:, :, X:].transpose(1, 2)

    def forward(self, g_ab, g_bc, g_ca):
        g_ab, g_ca = self._pair(self.blocks[0], g_ab, g_ca)      # share a
        g_bc, g_ab = self._pair(self.blocks[1], g_bc, g_ab)      # share b
        g_ca, g_bc = self._pair(self.blocks[2], g_ca, g_bc)      # share c
        return g_ab, g_bc, g_ca


class TensorNet(nn.Module):
    def __init__(self, config: NetConfig):
        super().__init__()
        self.config = config
        a, b, c = config.shape
        d = config.dim
        self.embed = nn.ModuleList([nn.Linear(c, d), nn.Linear(a, d), nn.Linear(b, d)])
        # Positions matter: the policy must know which row of the grid is which
        # entry of u, v or w, and attention alone is permutation-equivariant.
        self.pos = nn.ParameterList([nn.Parameter(0.02 * torch.randn(a * b, d)),
                                     nn.Parameter(0.02 * torch.randn(b * c, d)),
                                     nn.Parameter(0.02 * torch.randn(c * a, d))])
        self.context = nn.Linear(config.history * config.length + 1, d)
        self.layers = nn.ModuleList([_AttentiveModes(d, config.heads) for _ in range(config.torso_layers)])
        self.out_norm = nn.LayerNorm(d)
        self.value = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, config.quantiles))
        self.tok = nn.Embedding(config.vocab + 1, d)           # last id: start token
        self.tok_pos = nn.Parameter(0.02 * torch.randn(config.n_tokens, d))
        layer = nn.TransformerDecoderLayer(d, config.heads, 4 * d, dropout=0.0, batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoder(layer, config.policy_layers)
        self.logits = nn.Linear(d, config.vocab)
        mask = torch.triu(torch.full((config.n_tokens, config.n_tokens), float("-inf")), diagonal=1)
        self.register_buffer("causal", mask, persistent=False)

    # ------------------------------------------------------------- torso
    def torso(self, residual, depth, history):
        """residual (B, a, b, c), depth (B,) in [0, 1], history (B, h, length)
        -> cells (B, ab + bc + ca, d)."""
        a, b, c = self.config.shape
        B = residual.shape[0]
        s = residual.float()
        grids = [s, s.permute(0, 2, 3, 1), s.permute(0, 3, 1, 2)]          # (a,b|c) (b,c|a) (c,a|b)
        ctx = self.context(torch.cat([history.float().reshape(B, -1), depth.float().reshape(B, 1)], dim=1))
        dims = [(a, b), (b, c), (c, a)]
        g = []
        for emb, pos, grid, (x, y) in zip(self.embed, self.pos, grids, dims):
            cells = emb(grid.reshape(B, x * y, -1)) + pos + ctx[:, None]
            g.append(cells.reshape(B, x, y, -1))
        for layer in self.layers:
            g = list(layer(*g))
        return self.out_norm(torch.cat([x.reshape(B, -1, self.config.dim) for x in g], dim=1))

    def value_quantiles(self, cells):
        return self.value(cells.mean(dim=1))

    def risk_seeking_value(self, quantiles):
        q = self.config.quantiles
        top = max(1, q - int(q * self.config.risk_quantile))
        return quantiles.sort(dim=1).values[:, -top:].mean(dim=1)

    # ------------------------------------------------------------ policy
    def policy_logits(self, cells, tokens):
        """Teacher forcing: tokens (B, T) of the target action -> logits (B, T, vocab)."""
        B, T = tokens.shape
        start = torch.full((B, 1), self.config.vocab, dtype=torch.long, device=tokens.device)
        inp = torch.cat([start, tokens[:, :-1]], dim=1)
        x = self.tok(inp) + self.tok_pos[:T]
        x = self.decoder(x, cells, tgt_mask=self.causal[:T, :T])
        return self.logits(x)

    @torch.no_grad()
    def sample(self, cells, k: int, temperature: float = 1.0, generator=None):
        """k sampled token sequences per state: (B, k, T) token ids and
        their log-probabilities (B, k)."""
        B, n, d = cells.shape
        mem = cells[:, None].expand(B, k, n, d).reshape(B * k, n, d)
        T = self.config.n_tokens
        seq = torch.full((B * k, 1), self.config.vocab, dtype=torch.long, device=cells.device)
        logp = torch.zeros(B * k, device=cells.device)
        for t in range(T):
            x = self.tok(seq) + self.tok_pos[: t + 1]
            h = self.decoder(x, mem, tgt_mask=self.causal[: t + 1, : t + 1])
            logits = self.logits(h[:, -1]) / max(temperature, 1e-6)
            probs = F_.softmax(logits, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator)
            logp += torch.log(probs.gather(1, nxt).squeeze(1).clamp_min(1e-12))
            seq = torch.cat([seq, nxt], dim=1)
        return seq[:, 1:].reshape(B, k, T), logp.reshape(B, k)


def quantile_loss(quantiles, target):
    """Quantile-regression Huber loss (QR-DQN) of (B, q) against (B,) returns."""
    q = quantiles.shape[1]
    tau = (torch.arange(q, device=quantiles.device, dtype=quantiles.dtype) + 0.5) / q
    diff = target[:, None] - quantiles
    huber = F_.smooth_l1_loss(quantiles, target[:, None].expand_as(quantiles), reduction="none", beta=1.0)
    return ((tau - (diff < 0).float()).abs() * huber).mean()
