"""QAT for convolutional networks: Conv1d/Conv2d (depthwise too), pooling,
residual Add, BatchNorm folded before QAT. Shares TrainConfig, the qconfig and
the fit loop with train.py; `m0nn.train.prepare_qat` calls `prepare_qat` here
for any model that is not a plain MLP.

What each module becomes in the exported QDQ graph (opset 13), the same forms
onnxruntime's `quantize_static` writes:

- Conv1d/Conv2d/Linear (+ ReLU): QuantizeLinear/DequantizeLinear on the weight,
  int8 symmetric per output channel (axis 0), a float bias, Relu, then the
  output's own QuantizeLinear/DequantizeLinear;
- BatchNorm1d/2d: folded into the Conv/Linear before it, before QAT, from its
  running statistics: w' = w g / sqrt(v + eps), b' = (b - m) g / sqrt(v + eps) + beta;
- MaxPool, AvgPool, Flatten and a ReLU of its own: the output re-quantized
  with the input's scale and zero point (max, ReLU and Flatten keep values on
  the input's grid; the average is rounded to it, as on the device);
- AdaptiveAvgPool to size 1: GlobalAveragePool with its own observed output scale;
- Residual (or any FloatFunctional.add): Add of two dequantized tensors, with
  its own output fake quantization.

A pool needs to know its input's quantization: every activation fake-quant
module tags its output tensor with itself (a forward hook), and the pool
re-quantizes with the tagged module's current scale and zero point.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import cast

import torch
import torch.ao.nn.intrinsic as nni
import torch.ao.nn.intrinsic.qat as nniqat
import torch.ao.nn.qat as nnqat
from torch import nn
from torch.ao import quantization as tq
from torch.ao.nn.intrinsic.modules.fused import _FusedModule
from torch.ao.nn.quantized import FloatFunctional
from torch.ao.quantization.quantization_mappings import get_default_qat_module_mappings

from m0nn.errors import ModelError

CONV = (nn.Conv1d, nn.Conv2d)
BATCHNORM = (nn.BatchNorm1d, nn.BatchNorm2d)
SHARED_QUANT = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d, nn.ReLU, nn.Flatten)
GLOBAL_POOL = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)
SUPPORTED_MODULES: tuple[type[nn.Module], ...] = (
    *CONV,
    nn.Linear,
    *BATCHNORM,
    *SHARED_QUANT,
    *GLOBAL_POOL,
    nn.Identity,
    tq.QuantStub,
    tq.DeQuantStub,
    FloatFunctional,
)
_TAG = "_m0nn_fake_quant"


class Residual(nn.Module):
    """shortcut(x) + body(x), the add fake-quantized on its own (FloatFunctional).
    The shortcut is the identity unless given (e.g. a 1x1 conv to change width)."""

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut if shortcut is not None else nn.Identity()
        self.add = FloatFunctional()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.add.add(self.shortcut(x), self.body(x))


class QNet(nn.Module):
    """QuantStub -> layers (an nn.Sequential named `body`) -> DeQuantStub."""

    def __init__(self, *layers: nn.Module) -> None:
        super().__init__()
        self.quant = tq.QuantStub()
        self.body = nn.Sequential(*layers)
        self.dequant = tq.DeQuantStub()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dequant(self.body(self.quant(x)))


def _unsupported(name: str, module: nn.Module, why: str) -> ModelError:
    return ModelError(f"module '{name}' ({type(module).__name__}) is not supported: {why}")


def _check_attributes(name: str, m: nn.Module) -> None:
    if isinstance(m, CONV):
        if m.padding_mode != "zeros":
            raise _unsupported(name, m, f"padding_mode {m.padding_mode!r} (only 'zeros')")
        if m.groups not in (1, m.in_channels):
            raise _unsupported(name, m, f"groups={m.groups}: use 1 or in_channels (depthwise)")
    if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)) and (m.ceil_mode or m.return_indices):
        raise _unsupported(name, m, "ceil_mode and return_indices must be False")
    if isinstance(m, (nn.AvgPool1d, nn.AvgPool2d)):
        if m.ceil_mode:
            raise _unsupported(name, m, "ceil_mode must be False")
        if getattr(m, "divisor_override", None) is not None:
            raise _unsupported(name, m, "divisor_override must be None")
    if isinstance(m, GLOBAL_POOL):
        size = m.output_size if isinstance(m.output_size, tuple) else (m.output_size,)
        if any(s != 1 for s in size):
            raise _unsupported(name, m, f"output size {m.output_size} (only 1: global average pooling)")
    if isinstance(m, nn.Flatten) and (m.start_dim, m.end_dim) != (1, -1):
        raise _unsupported(name, m, f"start_dim={m.start_dim}, end_dim={m.end_dim} (only 1, -1: keep the batch axis)")
    if isinstance(m, BATCHNORM) and not m.track_running_stats:
        raise _unsupported(name, m, "track_running_stats=False leaves nothing to fold into the layer before it")


def check_supported(model: nn.Module) -> None:
    """Raise ModelError naming the first module m0nn cannot quantize or export.
    Containers (modules with children and no parameters of their own) may be
    any class; their forward must use only the modules below and
    FloatFunctional.add."""
    kinds = ", ".join(c.__name__ for c in SUPPORTED_MODULES)
    for name, m in model.named_modules():
        if isinstance(m, SUPPORTED_MODULES):
            _check_attributes(name, m)
            continue
        children = list(m.children())
        own = list(m.named_parameters(recurse=False)) + list(m.named_buffers(recurse=False))
        if not children or own:
            raise ModelError(f"module '{name}' ({type(m).__name__}) is not supported; supported: {kinds}")


def _parent(model: nn.Module, name: str) -> tuple[nn.Module, str]:
    parent, _, leaf = name.rpartition(".")
    return (model.get_submodule(parent) if parent else model), leaf


def fuse_groups(model: nn.Module) -> list[list[str]]:
    """Conv/Linear, then an optional BatchNorm, then an optional ReLU: found in
    every nn.Sequential, plus the groups of the model's own `fuse_groups()`
    (for layers called one after another in a custom forward)."""
    groups: list[list[str]] = []
    own = getattr(model, "fuse_groups", None)
    if callable(own):
        groups += [list(g) for g in own()]
    for prefix, seq in model.named_modules():
        if not isinstance(seq, nn.Sequential) or isinstance(seq, _FusedModule):
            continue
        kids = list(seq.named_children())
        i = 0
        while i < len(kids):
            if not isinstance(kids[i][1], (*CONV, nn.Linear)):
                i += 1
                continue
            group, j = [kids[i][0]], i + 1
            if j < len(kids) and isinstance(kids[j][1], BATCHNORM):
                group, j = [*group, kids[j][0]], j + 1
            if j < len(kids) and isinstance(kids[j][1], nn.ReLU):
                group, j = [*group, kids[j][0]], j + 1
            if len(group) > 1:
                groups.append([f"{prefix}.{n}" if prefix else n for n in group])
            i = j
    return groups


@torch.no_grad()
def fold_batchnorm_into(layer: nn.Module, bn: nn.Module) -> None:
    """w' = w g / sqrt(v + eps), b' = (b - m) g / sqrt(v + eps) + beta, in float64."""
    assert isinstance(layer, (*CONV, nn.Linear)) and isinstance(bn, BATCHNORM)
    assert bn.running_mean is not None and bn.running_var is not None
    out = layer.weight.shape[0]
    if bn.num_features != out:
        raise ModelError(f"BatchNorm of {bn.num_features} features after a layer of {out} outputs")
    mean, var = bn.running_mean.double(), bn.running_var.double()
    gamma = bn.weight.double() if bn.weight is not None else torch.ones_like(mean)
    beta = bn.bias.double() if bn.bias is not None else torch.zeros_like(mean)
    k = gamma / torch.sqrt(var + bn.eps)
    w = layer.weight.double() * k.reshape(-1, *([1] * (layer.weight.dim() - 1)))
    b = layer.bias.double() if layer.bias is not None else torch.zeros_like(mean)
    layer.weight.copy_(w.to(layer.weight.dtype))
    new_bias = ((b - mean) * k + beta).to(layer.weight.dtype)
    if layer.bias is None:
        layer.bias = nn.Parameter(new_bias)
    else:
        layer.bias.copy_(new_bias)


def fold_and_fuse(model: nn.Module) -> nn.Module:
    """A copy in eval mode with every BatchNorm folded into the layer before it
    (replaced by Identity) and every Conv/Linear + ReLU fused into one module."""
    model = copy.deepcopy(model).eval()
    pairs: list[list[str]] = []
    for group in fuse_groups(model):
        mods = [model.get_submodule(n) for n in group]
        if not isinstance(mods[0], (*CONV, nn.Linear)) or len(mods) > 3:
            raise ModelError(f"fuse group {group}: expected a Conv/Linear, an optional BatchNorm and an optional ReLU")
        rest = list(zip(group[1:], mods[1:], strict=True))
        if rest and isinstance(rest[0][1], BATCHNORM):
            bn_name, bn = rest.pop(0)
            _check_attributes(bn_name, bn)
            try:
                fold_batchnorm_into(mods[0], bn)
            except ModelError as exc:
                raise ModelError(f"module '{bn_name}': {exc}") from None
            parent, leaf = _parent(model, bn_name)
            setattr(parent, leaf, nn.Identity())
        if rest and isinstance(rest[0][1], nn.ReLU):
            pairs.append([group[0], rest.pop(0)[0]])
        if rest:
            raise ModelError(f"fuse group {group}: '{rest[0][0]}' ({type(rest[0][1]).__name__}) cannot be fused")
    for name, m in model.named_modules():
        if isinstance(m, BATCHNORM):
            raise ModelError(
                f"module '{name}' ({type(m).__name__}) does not follow a Conv/Linear in an nn.Sequential (nor in "
                "the model's fuse_groups()): m0nn folds a BatchNorm only into the layer right before it"
            )
    if pairs:
        model = tq.fuse_modules(model, pairs)
    return model


def _tag_output(module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
    setattr(output, _TAG, module)


def _current_qparams(fq: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """The scale and zero point `fq` quantizes with now, as fresh constants (an
    ONNX export then sees plain initializers)."""
    scale = cast(torch.Tensor, fq.scale).detach()
    zero_point = cast(torch.Tensor, fq.zero_point).detach()
    if isinstance(fq.scale, nn.Parameter):  # learned (LSQ): the magnitude, as LSQFakeQuantize uses it
        scale = scale.abs().clamp(min=1e-8)
    return (
        torch.tensor(scale.reshape(-1).tolist(), dtype=torch.float32),
        torch.tensor(zero_point.reshape(-1).tolist(), dtype=torch.int32),
    )


class SharedQuant(nn.Module):
    """A max pool, average pool, Flatten or ReLU whose output is quantized with
    its input's parameters (as onnxruntime's quantizer and TFLite's int8 kernels do)."""

    def __init__(self, op: nn.Module, name: str) -> None:
        super().__init__()
        self.op = op
        self.label = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        source = getattr(x, _TAG, None)
        if source is None:
            raise ModelError(
                f"module '{self.label}' ({type(self.op).__name__}) needs a quantized input: place it after a "
                "QuantStub, a Conv/Linear, a FloatFunctional add or a pool (not after '+' or a functional call)"
            )
        scale, zero_point = _current_qparams(source)
        y = torch.fake_quantize_per_tensor_affine(self.op(x), scale, zero_point, source.quant_min, source.quant_max)
        setattr(y, _TAG, source)
        return y


class GlobalAvgPool(nn.Module):
    """AdaptiveAvgPool to size 1 with its own output fake quantization."""

    def __init__(self, op: nn.Module, fake_quant: nn.Module) -> None:
        super().__init__()
        self.op = op
        self.fake_quant = fake_quant

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fake_quant(self.op(x))


def _wrap_pools(model: nn.Module, qconfig: tq.QConfig) -> None:
    for name, m in list(model.named_modules()):
        if not name:
            continue
        parent, leaf = _parent(model, name)
        if isinstance(parent, (_FusedModule, SharedQuant, GlobalAvgPool)):
            continue
        if isinstance(m, SHARED_QUANT):
            setattr(parent, leaf, SharedQuant(m, name))
        elif isinstance(m, GLOBAL_POOL):
            setattr(parent, leaf, GlobalAvgPool(m, qconfig.activation()))


QAT_MAPPING = {
    **get_default_qat_module_mappings(),
    nn.Conv1d: nnqat.Conv1d,
    nni.ConvReLU1d: nniqat.ConvReLU1d,
}


def prepare_qat(model: nn.Module, qconfig: tq.QConfig) -> nn.Module:
    """A fake-quantized copy of a trained fp32 network, ready for QAT: BatchNorm
    folded, Conv/Linear + ReLU fused, pools wrapped, observers attached."""
    check_supported(model)
    qat = fold_and_fuse(model)
    _wrap_pools(qat, qconfig)
    qat.train()
    qat.qconfig = qconfig  # type: ignore[assignment]
    tq.prepare_qat(qat, mapping=QAT_MAPPING, inplace=True)
    for name, m in qat.named_modules():
        if isinstance(m, tq.FakeQuantizeBase) and not name.endswith("weight_fake_quant"):
            m.register_forward_hook(_tag_output)
    return qat


def input_example(input_shape: int | Sequence[int]) -> torch.Tensor:
    """A zero batch of one sample of the model's input shape (without the batch axis)."""
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    return torch.zeros(1, *shape)


def model_size(model: nn.Module, input_shape: Sequence[int]) -> dict[str, int]:
    """Weights, biases and multiply-accumulates per inference of a Conv/Linear network."""
    macs = 0

    def count(m: nn.Module, _inputs: object, out: torch.Tensor) -> None:
        nonlocal macs
        if isinstance(m, (*CONV, nn.Linear)):
            macs += int(m.weight[0].numel()) * int(out[0].numel())

    hooks = [m.register_forward_hook(count) for m in model.modules()]
    try:
        with torch.no_grad():
            model.eval()(input_example(input_shape))
    finally:
        for h in hooks:
            h.remove()
    layers = [m for m in model.modules() if isinstance(m, (*CONV, nn.Linear))]
    return {
        "weights": sum(int(m.weight.numel()) for m in layers),
        "biases": sum(int(m.weight.shape[0]) for m in layers),
        "macs": macs,
    }


def uses_conv_path(qat: nn.Module) -> bool:
    """A prepared model with a module only this path makes or accepts (convs,
    pools, adds); an MLP prepared by train.py has none."""
    return any(isinstance(m, (*CONV, SharedQuant, GlobalAvgPool, FloatFunctional)) for m in qat.modules())
