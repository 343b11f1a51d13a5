"""Fake-quantization modules for the QAT scale modes beyond torch's observers.

- PowerOfTwoFakeQuantize: observed ranges, each scale rounded up to a power of
  two (so every requantization multiplier is one too: a shift on the device).
- LSQFakeQuantize: Learned Step Size Quantization (Esser et al., 2019): the
  scale is a parameter trained with the network, its gradient scaled by
  1 / sqrt(N * Q_P); initialised from the observed range of the first batch.

In eval mode both call torch.fake_quantize_per_{tensor,channel}_affine with
their current scale, which torch's ONNX exporter writes as QuantizeLinear /
DequantizeLinear: the importer reads the result unchanged.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.ao import quantization as tq


class PowerOfTwoFakeQuantize(tq.FakeQuantize):
    """torch's FakeQuantize with every scale rounded up to a power of two."""

    def calculate_qparams(self) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        scale, zero_point = super().calculate_qparams()
        scale = torch.pow(2.0, torch.ceil(torch.log2(scale)))
        if self.qscheme in (torch.per_tensor_affine, torch.per_channel_affine):
            obs = self.activation_post_process
            lo = torch.minimum(obs.min_val, torch.zeros_like(obs.min_val))
            zero_point = torch.clamp(self.quant_min - torch.round(lo / scale), self.quant_min, self.quant_max)
            zero_point = zero_point.to(torch.int32).reshape(scale.shape)
        return scale, zero_point


class _RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad


def _grad_scale(x: torch.Tensor, g: float) -> torch.Tensor:
    """x in the forward pass; its gradient multiplied by g in the backward pass."""
    return (x - x * g).detach() + x * g


class LSQFakeQuantize(tq.FakeQuantizeBase):
    """Learned step size; per tensor (affine, activations) or per channel (symmetric, weights)."""

    def __init__(
        self,
        quant_min: int = -128,
        quant_max: int = 127,
        dtype: torch.dtype = torch.qint8,
        qscheme: torch.qscheme = torch.per_tensor_affine,
        ch_axis: int = 0,
        **_: object,
    ) -> None:
        super().__init__()
        self.quant_min, self.quant_max = quant_min, quant_max
        self.dtype, self.qscheme, self.ch_axis = dtype, qscheme, ch_axis
        self.scale = nn.Parameter(torch.tensor([1.0]))
        self.register_buffer("zero_point", torch.tensor([0], dtype=torch.int32))
        self.register_buffer("initialized", torch.tensor(0, dtype=torch.uint8))

    @property
    def per_channel(self) -> bool:
        return self.qscheme in (torch.per_channel_symmetric, torch.per_channel_affine)

    @torch.no_grad()
    def _initialize(self, x: torch.Tensor) -> None:
        if self.per_channel:
            dims = [d for d in range(x.dim()) if d != self.ch_axis]
            max_abs = x.abs().amax(dim=dims).clamp(min=1e-8)
            self.scale.data = max_abs / ((self.quant_max - self.quant_min) / 2)
            self.zero_point = torch.zeros_like(self.scale, dtype=torch.int32)
        else:
            lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
            scale = max((hi - lo) / (self.quant_max - self.quant_min), 1e-8)
            self.scale.data = torch.tensor([scale])
            zp = round(self.quant_min - lo / scale)
            self.zero_point = torch.tensor([min(max(zp, self.quant_min), self.quant_max)], dtype=torch.int32)
        self.initialized.fill_(1)  # type: ignore[operator]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not int(self.initialized):  # type: ignore[arg-type]
            self._initialize(x.detach())
        if not int(self.fake_quant_enabled[0]):
            return x
        if not self.training:
            # A fresh constant, so an ONNX export sees a plain scale initializer.
            scale = torch.tensor(self.scale.detach().abs().clamp(min=1e-8).tolist(), dtype=torch.float32)
            if self.per_channel:
                return torch.fake_quantize_per_channel_affine(
                    x, scale, self.zero_point, self.ch_axis, self.quant_min, self.quant_max
                )
            return torch.fake_quantize_per_tensor_affine(x, scale, self.zero_point, self.quant_min, self.quant_max)
        scale = self.scale.abs().clamp(min=1e-8)
        per_scale = x.numel() / scale.numel() if self.per_channel else x[0].numel()
        s = _grad_scale(scale, 1.0 / math.sqrt(per_scale * self.quant_max))
        zp = self.zero_point.to(x.dtype)
        if self.per_channel:
            shape = [1] * x.dim()
            shape[self.ch_axis] = -1
            s, zp = s.reshape(shape), zp.reshape(shape)
        q = torch.clamp(_RoundSTE.apply(x / s) + zp, self.quant_min, self.quant_max)
        return (q - zp) * s

    def calculate_qparams(self) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        return self.scale.detach().abs(), self.zero_point
