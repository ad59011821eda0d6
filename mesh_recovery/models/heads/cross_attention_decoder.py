"""A pre-norm transformer decoder whose query tokens cross-attend to a context (HMR 2.0's head body)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class _PreNorm(nn.Module):
    """``fn(LayerNorm(x))``; the residual is added by the caller."""

    def __init__(self, dim: int, fn: nn.Module) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.fn(self.norm(x), **kwargs)


def _heads_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int, dropout: float) -> torch.Tensor:
    """Multi-head softmax attention over ``(B, N, heads * d)`` inputs, scale ``d ** -0.5``."""
    b = q.shape[0]
    q, k, v = (t.reshape(b, t.shape[1], heads, -1).transpose(1, 2) for t in (q, k, v))
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout)
    return out.transpose(1, 2).reshape(b, out.shape[2], -1)


class _SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, dim_head: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.to_qkv = nn.Linear(dim, heads * dim_head * 3, bias=False)
        self.to_out = nn.Sequential(nn.Linear(heads * dim_head, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        return self.to_out(_heads_attention(q, k, v, self.heads, self.dropout if self.training else 0.0))


class _CrossAttention(nn.Module):
    def __init__(self, dim: int, context_dim: int, heads: int, dim_head: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.to_kv = nn.Linear(context_dim, heads * dim_head * 2, bias=False)
        self.to_q = nn.Linear(dim, heads * dim_head, bias=False)
        self.to_out = nn.Sequential(nn.Linear(heads * dim_head, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor, context: Optional[torch.Tensor] = None) -> torch.Tensor:
        k, v = self.to_kv(context).chunk(2, dim=-1)
        return self.to_out(_heads_attention(self.to_q(x), k, v, self.heads, self.dropout if self.training else 0.0))


class _FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim),
                                 nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _Layers(nn.Module):
    def __init__(self, dim: int, depth: int, heads: int, dim_head: int, mlp_dim: int, dropout: float,
                 context_dim: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.ModuleList([
            _PreNorm(dim, _SelfAttention(dim, heads, dim_head, dropout)),
            _PreNorm(dim, _CrossAttention(dim, context_dim, heads, dim_head, dropout)),
            _PreNorm(dim, _FeedForward(dim, mlp_dim, dropout)),
        ]) for _ in range(depth))

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        for self_attn, cross_attn, feed_forward in self.layers:
            x = self_attn(x) + x
            x = cross_attn(x, context=context) + x
            x = feed_forward(x) + x
        return x


class CrossAttentionDecoder(nn.Module):
    """Embed ``(B, N, token_dim)`` query tokens, add a learnt position, and run ``depth`` decoder layers.

    Each layer is pre-norm self-attention, cross-attention to the context and a
    GELU MLP, each with a residual connection; attention has ``heads`` heads of
    ``dim_head`` channels and no bias in its input projections. Parameter
    names follow HMR 2.0's ``TransformerDecoder`` (shubham-goel/4D-Humans,
    ``hmr2/models/components/pose_transformer.py``): ``to_token_embedding``,
    ``pos_embedding``, ``transformer.layers.{i}.{0,1,2}.{norm,fn}``, so its
    released weights map one to one.

    Args:
        num_tokens: Query tokens (1 in HMR 2.0).
        token_dim: Channels of each input token (1: HMR 2.0's zero token).
        dim: Width of the decoder (1024).
        depth: Layers (6).
        heads: Attention heads (8).
        dim_head: Channels per head (64).
        mlp_dim: Hidden width of the MLP (1024).
        context_dim: Channels of the context tokens (1280 for ViT-H).
        dropout: Dropout in attention and MLP (0).
    """

    def __init__(self, num_tokens: int = 1, token_dim: int = 1, dim: int = 1024, depth: int = 6, heads: int = 8,
                 dim_head: int = 64, mlp_dim: int = 1024, context_dim: int = 1280, dropout: float = 0.0) -> None:
        super().__init__()
        self.to_token_embedding = nn.Linear(token_dim, dim)
        self.pos_embedding = nn.Parameter(torch.randn(1, num_tokens, dim))
        self.transformer = _Layers(dim, depth, heads, dim_head, mlp_dim, dropout, context_dim)

    def forward(self, tokens: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Decode.

        Args:
            tokens: ``(B, N, token_dim)`` query tokens.
            context: ``(B, M, context_dim)`` tokens to attend to (e.g. ViT patches).

        Returns:
            ``(B, N, dim)`` decoded tokens.
        """
        x = self.to_token_embedding(tokens) + self.pos_embedding[:, :tokens.shape[1]]
        return self.transformer(x, context)
