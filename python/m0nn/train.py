"""Quantization-aware training on torch.ao.quantization, and QDQ ONNX export.

The supported flow (see ../../docs/numerics.md): an MLP of Linear layers with
ReLU between them, wrapped in QuantStub/DeQuantStub; fp32 training with Adam;
Linear+ReLU fused; QAT with non-fused FakeQuantize modules (the fused default
does not export to ONNX in torch 2.13); observers frozen; export with opset 13
and the TorchScript exporter. Weights: int8 symmetric per output channel in
[-127, 127]; activations: int8 per tensor, affine. Convolutional networks
(Conv1d/Conv2d, pooling, residual adds, BatchNorm folded) take the same path
through train_conv.py.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.ao import quantization as tq

from m0nn.errors import ModelError
from m0nn.names import path_text

# Training is bit-reproducible only where torch runs the same kernels: the same
# wheel, the same ATen CPU capability (avx2, avx512 and default each round
# differently) and the same number of threads (they split the reductions). The
# `m0nn` commands that train pin both (cli.pin_training_cpu: ATEN_CPU_CAPABILITY=avx2
# before torch is imported); see docs/numerics.md, "What is reproducible".
TRAIN_THREADS = 2

SUPPORTED_MODULES = (nn.Linear, nn.ReLU, nn.Identity, nn.Flatten, nn.Sequential, tq.QuantStub, tq.DeQuantStub)


class MLP(nn.Module):
    """QuantStub -> (Linear -> ReLU) * len(hidden) -> Linear -> DeQuantStub."""

    def __init__(self, in_features: int, hidden: Sequence[int], out_features: int) -> None:
        super().__init__()
        self.quant = tq.QuantStub()
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, out_features))
        self.body = nn.Sequential(*layers)
        self.dequant = tq.DeQuantStub()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dequant(self.body(self.quant(x)))

    def fuse_pairs(self) -> list[list[str]]:
        names = [n for n, _ in self.body.named_children()]
        mods = list(self.body.children())
        return [
            [f"body.{names[i]}", f"body.{names[i + 1]}"]
            for i in range(len(mods) - 1)
            if isinstance(mods[i], nn.Linear) and isinstance(mods[i + 1], nn.ReLU)
        ]


SCALE_MODES = ("observed", "lsq", "pow2")


def qconfig(weight_bits: int = 8, scale_mode: str = "observed") -> tq.QConfig:
    """Non-fused fake quantization: int8 affine activations, symmetric per-channel
    weights of `weight_bits` bits, scales observed (moving-average min/max),
    learned (LSQ) or observed and rounded to powers of two."""
    from m0nn.scales import LSQFakeQuantize, PowerOfTwoFakeQuantize

    if scale_mode not in SCALE_MODES:
        raise ModelError(f"unknown scale mode {scale_mode!r} ({', '.join(SCALE_MODES)})")
    if not 2 <= weight_bits <= 8:
        raise ModelError(f"weight width {weight_bits} is outside [2, 8] bits")
    # ONNX's QuantizeLinear (opset 13) knows only the full int8 range, so the
    # exported range is [-128, 127]; narrower weights keep their coarser scale.
    wmax = 2 ** (weight_bits - 1) - 1
    wmin = -wmax - 1 if weight_bits == 8 else -wmax
    fake_quant = {"observed": tq.FakeQuantize, "lsq": LSQFakeQuantize, "pow2": PowerOfTwoFakeQuantize}[scale_mode]
    activation = fake_quant.with_args(  # type: ignore[attr-defined]
        observer=tq.MovingAverageMinMaxObserver,
        quant_min=-128,
        quant_max=127,
        dtype=torch.qint8,
        qscheme=torch.per_tensor_affine,
    )
    weight = fake_quant.with_args(  # type: ignore[attr-defined]
        observer=tq.MovingAveragePerChannelMinMaxObserver,
        quant_min=wmin,
        quant_max=wmax,
        dtype=torch.qint8,
        qscheme=torch.per_channel_symmetric,
        ch_axis=0,
    )
    return tq.QConfig(activation=activation, weight=weight)


def is_mlp(model: nn.Module) -> bool:
    """Only the MLP modules (the original path); anything else goes through train_conv."""
    return all(isinstance(m, SUPPORTED_MODULES) for m in model.modules() if m is not model)


def check_supported(model: nn.Module) -> None:
    """Raise ModelError naming the first module m0nn cannot quantize or export."""
    if not is_mlp(model):
        from m0nn import train_conv

        train_conv.check_supported(model)
        check_no_functional_relu(model)
        return
    for name, module in model.named_modules():
        if not isinstance(module, SUPPORTED_MODULES) and module is not model:
            kinds = ", ".join(c.__name__ for c in SUPPORTED_MODULES)
            raise ModelError(f"module '{name}' ({type(module).__name__}) is not supported; supported: {kinds}")
    check_no_functional_relu(model)


# A ReLU called as a function in forward: torch's fusion sees only modules, so
# the layer before it stays unfused and its float output reaches the next layer.
_RELU_FUNCTIONS = (torch.relu, torch.relu_, nn.functional.relu, nn.functional.relu_)
_RELU_METHODS = ("relu", "relu_")


def check_no_functional_relu(model: nn.Module) -> None:
    """Raise ModelError when forward calls F.relu (torch.relu, x.relu()) instead
    of an nn.ReLU module, found by tracing forward symbolically (torch.fx) before
    any training. A forward torch.fx cannot trace (data-dependent control flow)
    is left to the export's check (qdq_export.check_exported)."""
    import torch.fx

    tracer = torch.fx.Tracer()
    tracer.record_stack_traces = True
    try:
        graph = tracer.trace(model)
    except Exception:  # noqa: BLE001 - untraceable forward: the export still checks the graph
        return
    for node in graph.nodes:
        called = (node.op == "call_function" and node.target in _RELU_FUNCTIONS) or (
            node.op == "call_method" and node.target in _RELU_METHODS
        )
        if not called:
            continue
        where = _user_line(str(node.meta.get("stack_trace") or ""))
        raise ModelError(
            f"{type(model).__name__}.forward calls a functional ReLU{where}: use nn.ReLU() modules in an "
            "nn.Sequential next to the Linear/Conv (F.relu in forward cannot be fused)"
        )


def _user_line(stack: str) -> str:
    """' (file.py:17)' for the innermost frame of a traced call, or ''."""
    import re

    torch_dir = str(Path(torch.__file__).parent)
    frames = [f for f in re.findall(r'File "([^"]+)", line (\d+)', stack) if not f[0].startswith(torch_dir)]
    if not frames:
        return ""
    file, line = frames[-1]
    return f" ({path_text(Path(file).name)}:{line})"


def require_quant_stub(model: nn.Module) -> None:
    """A model without a QuantStub takes a float input that no int8 layer can read."""
    if not any(isinstance(m, tq.QuantStub) for m in model.modules()):
        hint = "m0nn.train_conv.QNet(*layers)" if isinstance(model, nn.Sequential) else "x = self.quant(x)"
        raise ModelError(
            f"model ({type(model).__name__}) has no torch.ao.quantization.QuantStub, so its input stays float: "
            f"quantize the input first ({hint}, and a DeQuantStub on the output; see README, 'Bringing your own model')"
        )


@dataclass
class TrainConfig:
    epochs: int = 60
    qat_epochs: int = 30
    lr: float = 3e-3
    qat_lr: float = 5e-4
    batch_size: int = 64
    loss: str = "ce"  # "ce" (classification) or "mse" (regression)
    seed: int = 0
    weight_bits: int = 8
    scale_mode: str = "observed"  # "observed", "lsq" or "pow2" (see qconfig)


def _loss_fn(kind: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    if kind == "ce":
        return nn.functional.cross_entropy
    if kind == "mse":
        return nn.functional.mse_loss
    raise ModelError(f"unknown loss {kind!r} (ce, mse)")


def _fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int,
    lr: float,
    cfg: TrainConfig,
    label: str,
    generator: torch.Generator,
) -> None:
    loss_fn = _loss_fn(cfg.loss)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = x.shape[0]
    start = time.monotonic()
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=generator)
        total = 0.0
        for i in range(0, n, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if epoch == 1 or epoch == epochs or epoch % max(1, epochs // 5) == 0:
            print(
                f"  {label} epoch {epoch:3d}/{epochs}  loss {total / n:.4f}  ({time.monotonic() - start:.1f}s)",
                file=sys.stderr,
                flush=True,
            )


def to_tensors(x: NDArray[np.floating], y: NDArray[np.generic], loss: str) -> tuple[torch.Tensor, torch.Tensor]:
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    yt = torch.as_tensor(np.asarray(y)).long() if loss == "ce" else torch.as_tensor(np.asarray(y, dtype=np.float32))
    return xt, yt


def _shape(a: NDArray[np.generic] | torch.Tensor, rows: str = "N") -> str:
    return "[" + ", ".join([rows, *(str(d) for d in a.shape[1:])]) + "]"


def check_data(model: nn.Module, x: NDArray[np.generic], y: NDArray[np.generic], loss: str) -> None:
    """Raise ModelError (one line) when x or y does not fit the model and the loss:
    x one row per sample that the model runs on, y one row per row of x, class
    labels in [0, outputs) for loss='ce', targets of the output's shape for 'mse'.
    The model runs once, on a copy in eval mode, on x's first rows (nothing it
    holds changes: a QAT model's observers see nothing)."""
    import copy

    _loss_fn(loss)
    xa, ya = np.asarray(x), np.asarray(y)
    if xa.dtype.kind not in "biuf" or ya.dtype.kind not in "biuf":
        bad, arr = ("x", xa) if xa.dtype.kind not in "biuf" else ("y", ya)
        raise ModelError(f"{bad} must be a numeric array, it holds {arr.dtype}")
    if xa.ndim < 2:
        raise ModelError(f"x has shape {list(xa.shape)}: give one row per sample, [N, features] (or [N, C, L], ...)")
    if ya.ndim == 0 or len(ya) != len(xa):
        raise ModelError(f"y has shape {list(ya.shape)} for {len(xa)} rows of x: give one label or target per row")
    probe = copy.deepcopy(model).eval()
    try:
        with torch.no_grad():
            out = probe(torch.as_tensor(xa[:2], dtype=torch.float32))
    except ModelError:
        raise
    except Exception as exc:
        first = next((m for m in probe.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))), None)
        takes = ""
        if isinstance(first, nn.Linear):
            takes = f"; its first layer (Linear) takes {first.in_features} features"
        elif isinstance(first, (nn.Conv1d, nn.Conv2d)):
            takes = f"; its first layer ({type(first).__name__}) takes {first.in_channels} channels"
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ModelError(f"x has shape {_shape(xa)}: the model does not run on it ({why}){takes}") from None
    outputs = int(np.prod(out.shape[1:]))
    if loss == "ce":
        if ya.ndim != 1:
            raise ModelError(
                f"loss='ce' needs y of class labels [N] (integers in [0, {outputs})); y of shape {_shape(ya)} "
                "looks like float targets, which need loss='mse'"
            )
        if ya.dtype.kind == "f" and not np.all(np.isfinite(ya) & (ya == np.round(ya))):
            raise ModelError(
                "loss='ce' needs integer class labels in y, it holds fractions; float targets need loss='mse'"
            )
        if out.ndim == 2 and len(ya) and (ya.min() < 0 or ya.max() >= outputs):
            raise ModelError(
                f"y has labels from {ya.min():g} to {ya.max():g}, the model has {outputs} outputs: "
                f"loss='ce' needs labels in [0, {outputs})"
            )
    elif tuple(ya.shape[1:]) != tuple(out.shape[1:]):
        labels = "; class labels [N] need loss='ce'" if ya.ndim == 1 and ya.dtype.kind in "biu" else ""
        raise ModelError(f"loss='mse' needs y of shape {_shape(out)} (float targets), y has shape {_shape(ya)}{labels}")


def training_cpu() -> dict[str, object]:
    """Fix the thread count; return what decides the trained bits besides the seed."""
    torch.set_num_threads(TRAIN_THREADS)
    return {
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
    }


def train_fp32(model: nn.Module, x: NDArray[np.floating], y: NDArray[np.generic], cfg: TrainConfig) -> nn.Module:
    check_supported(model)
    check_data(model, x, y, cfg.loss)
    training_cpu()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    xt, yt = to_tensors(x, y, cfg.loss)
    _fit(model, xt, yt, cfg.epochs, cfg.lr, cfg, "fp32", gen)
    return model.eval()


def prepare_qat(model: nn.Module, cfg: TrainConfig) -> nn.Module:
    """A fused, fake-quantized copy of a trained fp32 model, ready for QAT. m0nn's
    MLP keeps its own path; any other module (a user's own, QNet, convolutional
    networks) goes through train_conv.prepare_qat: BatchNorm folded, Linear/Conv +
    ReLU fused in every nn.Sequential, a lone ReLU re-quantized with its input's scale."""
    import copy

    check_supported(model)
    require_quant_stub(model)
    if not isinstance(model, MLP):  # any other module: fusion found in its nn.Sequentials, lone ReLUs re-quantized
        from m0nn import train_conv

        return train_conv.prepare_qat(model, qconfig(cfg.weight_bits, cfg.scale_mode))
    qat = copy.deepcopy(model).train()
    pairs = qat.fuse_pairs()
    if pairs:
        qat = tq.fuse_modules_qat(qat, pairs)
    qat.qconfig = qconfig(cfg.weight_bits, cfg.scale_mode)  # type: ignore[assignment]
    return tq.prepare_qat(qat)


def calibrate(qat: nn.Module, x: NDArray[np.floating], batch_size: int = 256) -> nn.Module:
    """Post-training quantization: observe ranges on data, train nothing."""
    training_cpu()
    qat.train()
    with torch.no_grad():
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        for i in range(0, len(xt), batch_size):
            qat(xt[i : i + batch_size])
    qat.apply(tq.disable_observer)
    return qat.eval()


def train_qat(qat: nn.Module, x: NDArray[np.floating], y: NDArray[np.generic], cfg: TrainConfig) -> nn.Module:
    check_data(qat, x, y, cfg.loss)
    training_cpu()
    torch.manual_seed(cfg.seed + 1)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    xt, yt = to_tensors(x, y, cfg.loss)
    _fit(qat, xt, yt, cfg.qat_epochs, cfg.qat_lr, cfg, "qat ", gen)
    qat.apply(tq.disable_observer)
    return qat.eval()


def predict(model: nn.Module, x: NDArray[np.floating]) -> NDArray[np.float32]:
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(x, dtype=np.float32))).numpy()


@torch.no_grad()
def _widen_narrow_weights(qat: nn.Module) -> None:
    """ONNX's QuantizeLinear knows only the full int8 range. Weights trained on a
    narrower grid (e.g. 4 bits) are snapped to that grid and exported with the
    same scales and the int8 range: the exported integers are the narrow ones."""
    for module in qat.modules():
        fq = getattr(module, "weight_fake_quant", None)
        if fq is None or (fq.quant_min, fq.quant_max) == (-128, 127):
            continue
        module.weight.copy_(fq(module.weight))  # type: ignore[operator]  # on the narrow grid (eval: no rounding noise)
        fq.quant_min, fq.quant_max = -128, 127
        if hasattr(fq, "activation_post_process"):
            fq.activation_post_process.quant_min, fq.activation_post_process.quant_max = -128, 127


def export_fp32_onnx(model: nn.Module, in_features: int | Sequence[int], path: Path) -> None:
    """The fp32 model as ONNX (the checksum the int8 path is compared with).
    `in_features`: the input size, or the input shape without the batch axis."""
    from m0nn.train_conv import input_example

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model.eval(),
        (input_example(in_features),),
        str(path),
        input_names=["input"],
        output_names=["output"],
        opset_version=13,
        dynamo=False,
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )


def export_qdq_onnx(qat: nn.Module, in_features: int | Sequence[int], path: Path) -> None:
    """Write the QAT model as QDQ ONNX (opset 13). `in_features`: the input size,
    or the input shape without the batch axis ([C, L], [C, H, W]). Written to a
    temporary file, checked (qdq_export.check_exported), a conv net's per-tensor
    scales and zero points made scalars (onnxruntime's fusions want them), and
    renamed, so a failed export leaves no partial model behind."""
    import copy

    import onnx

    from m0nn.qdq_export import check_exported, scalar_qparams
    from m0nn.train_conv import input_example, uses_conv_path

    if not any(isinstance(m, tq.FakeQuantizeBase) for m in qat.modules()):
        raise ModelError(
            f"{path_text(path)}: {type(qat).__name__} is not prepared for QAT (no fake quantization): "
            "export the model prepare_qat/train_qat returned"
        )
    qat = copy.deepcopy(qat).eval()
    qat.apply(tq.disable_observer)
    for _, module in qat.named_modules():
        if isinstance(module, tq.FusedMovingAvgObsFakeQuantize):
            raise ModelError(
                f"{path_text(path)}: fused fake-quant modules do not export to ONNX; use m0nn.train.qconfig()"
            )
    _widen_narrow_weights(qat)
    tmp = path.with_name(path.name + ".tmp")
    try:
        import warnings

        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(
            qat,
            (input_example(in_features),),
            str(tmp),
            input_names=["input"],
            output_names=["output"],
            opset_version=13,
            dynamo=False,
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )
        proto = onnx.load(str(tmp))
        try:
            check_exported(proto.graph)
        except ModelError as exc:
            raise ModelError(f"{path_text(path)}: {exc}") from None
        if uses_conv_path(qat):  # an MLP's export stays byte for byte as before
            scalar_qparams(proto)
            onnx.checker.check_model(proto)
            onnx.save(proto, str(tmp))
        tmp.replace(path)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, ModelError):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ModelError(f"{path_text(path)}: ONNX export failed: {first}") from exc
