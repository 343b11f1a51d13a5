"""A user's own nn.Module (not m0nn's MLP or QNet) through the documented calls:
train_fp32 -> prepare_qat -> train_qat -> export_qdq_onnx -> m0nn gen. The
integer reference is within 1 LSB of onnxruntime and C equals the reference;
a model whose input stays float is one line saying what to add."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from host_c import needs_gcc, run_generated_on_host

from m0nn.errors import ModelError
from m0nn.generate import is_graph_model

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from torch import nn  # noqa: E402
from torch.ao.quantization import DeQuantStub, QuantStub  # noqa: E402

from m0nn.train import TrainConfig, export_qdq_onnx, prepare_qat, train_fp32, train_qat  # noqa: E402


def readme_mynet() -> type[nn.Module]:
    """README's custom-module example, run as written."""
    text = (ROOT / "README.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "class MyNet" in b]
    assert len(blocks) == 1
    scope: dict[str, object] = {"nn": nn, "torch": torch}
    exec(compile("\n".join(line[3:] for line in blocks[0].splitlines()), "README.md", "exec"), scope)
    return scope["MyNet"]  # type: ignore[return-value]


class ViewFC(nn.Module):
    """The reported model: Linear, ReLU, Linear in an nn.Sequential, after x.view(...)."""

    def __init__(self) -> None:
        super().__init__()
        self.quant, self.dequant = QuantStub(), DeQuantStub()
        self.body = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.quant(x)
        return self.dequant(self.body(x.view(x.size(0), -1)))


class LoneReLU(nn.Module):
    """Layers as attributes, called one after another: the ReLU is not fused."""

    def __init__(self) -> None:
        super().__init__()
        self.quant, self.dequant = QuantStub(), DeQuantStub()
        self.fc1, self.relu, self.fc2 = nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dequant(self.fc2(self.relu(self.fc1(self.quant(x)))))


class SmallConv(nn.Module):
    """Conv2d + BatchNorm + ReLU + pool and a classifier, two nn.Sequentials."""

    def __init__(self) -> None:
        super().__init__()
        self.quant, self.dequant = QuantStub(), DeQuantStub()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 3 * 2, 8), nn.ReLU(), nn.Linear(8, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dequant(self.head(self.features(self.quant(x))))


def _data(shape: tuple[int, ...], n: int = 128) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(5).normal(size=(n, *shape)).astype(np.float32)
    flat = x.reshape(n, -1)
    return x, (flat[:, 0] > 0).astype(np.int64) + (flat[:, 1] + flat[:, 2] > 0)


CASES: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "readme": (lambda: readme_mynet()(), (6,)),
    "viewfc": (ViewFC, (6,)),
    "lonerelu": (LoneReLU, (6,)),
    "smallconv": (SmallConv, (1, 6, 4)),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    build, shape = CASES[request.param]
    x, y = _data(shape)
    cfg = TrainConfig(epochs=2, qat_epochs=2, seed=0)
    torch.manual_seed(0)
    qat = train_qat(prepare_qat(train_fp32(build(), x, y, cfg), cfg), x, y, cfg)
    path = tmp_path_factory.mktemp(request.param) / f"{request.param}.onnx"
    export_qdq_onnx(qat, shape, path)
    np.savez(path.with_name(f"{request.param}.test.npz"), x=x[:16].reshape(16, -1), y=y[:16])
    return path, x


def _reference_outputs(path: Path, x: np.ndarray) -> tuple[np.ndarray, float, int]:
    """The integer reference m0nn gen checks the C against, on every row of x."""
    if is_graph_model(path):
        from m0nn.graph.importer import import_graph
        from m0nn.graph.reference import quantize_input, run_int

        g = import_graph(path)
        got = np.stack([run_int(g, quantize_input(g, x[i : i + 1]))[0] for i in range(len(x))])
        t = g.tensor(g.output)
        return got, t.scale, t.zero_point
    from m0nn.onnx_import import import_model
    from m0nn.reference import quantize_input as quantize_fc
    from m0nn.reference import run_int as run_fc

    m = import_model(path)
    return run_fc(m, quantize_fc(m, x))[-1], m.output_scale, m.output_zero_point


def test_reference_is_within_one_lsb_of_onnxruntime(exported: tuple[Path, np.ndarray]) -> None:
    path, x = exported
    want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    got, scale, zero_point = _reference_outputs(path, x)
    assert np.max(np.abs(got.reshape(len(x), -1).astype(np.int64) - (np.rint(want / scale) + zero_point))) <= 1


@needs_gcc
def test_custom_module_in_c_equals_the_reference(exported: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    assert re.search(r"\b[46] Tests 0 Failures", run_generated_on_host(exported[0], tmp_path))


def test_a_model_without_quantstub_is_refused_saying_what_to_add() -> None:
    bare = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    with pytest.raises(ModelError) as exc:
        prepare_qat(bare, TrainConfig())
    msg = str(exc.value)
    assert "has no torch.ao.quantization.QuantStub" in msg and "QNet(*layers)" in msg and "\n" not in msg


def _export_error(qat: nn.Module, path: Path) -> str:
    """The one-line error of exporting `qat` (6 inputs, observed once) to `path`; nothing is written."""
    qat(torch.randn(8, 6))
    with pytest.raises(ModelError) as exc:
        export_qdq_onnx(qat.eval(), 6, path)
    assert "\n" not in str(exc.value)
    assert list(path.parent.iterdir()) == []  # nothing half-written
    return str(exc.value)


def test_a_quantstub_not_called_is_one_line_naming_file_and_node(tmp_path: Path) -> None:
    class Unused(ViewFC):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.dequant(self.body(x))  # self.quant never called: the first Gemm reads floats

    msg = _export_error(prepare_qat(Unused(), TrainConfig()), tmp_path / "unused.onnx")
    where = tmp_path / "unused.onnx"
    assert msg.startswith(f"{where}: export: node '/body/body.0/Gemm' (Gemm) has an input that is not quantized")
    assert "x = self.quant(x)" in msg


def test_an_unfused_relu_before_a_layer_says_to_use_prepare_qat(tmp_path: Path) -> None:
    """torch's own prepare_qat leaves Linear + ReLU unfused: the next Gemm reads a float ReLU output."""
    from torch.ao import quantization as tq

    from m0nn.train import qconfig

    net = ViewFC().train()
    net.qconfig = qconfig()  # type: ignore[assignment]
    msg = _export_error(tq.prepare_qat(net), tmp_path / "unfused.onnx")
    assert msg.startswith(f"{tmp_path / 'unfused.onnx'}: export: node '/body/body.2/Gemm' (Gemm) reads a ReLU output")
    assert "m0nn.train.prepare_qat" in msg


def test_qnet_of_linear_layers_only_exports(tmp_path: Path) -> None:
    """QNet with no conv took the MLP path, which fused only m0nn's MLP: its ReLU stayed float."""
    from m0nn.train_conv import QNet

    qat = prepare_qat(QNet(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)), TrainConfig())
    qat(torch.randn(16, 6))
    export_qdq_onnx(qat.eval(), 6, tmp_path / "qnetfc.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["qnetfc.onnx"]
