"""What torch's exporter writes for the usual ways people set up QAT, beyond
m0nn.train: a Linear without bias, a model without QuantStub, and torch's own
default_qat_qconfig (quint8 activations with reduce_range: 0..127)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from m0nn.errors import ModelError
from m0nn.onnx_import import import_model
from m0nn.reference import dequantize_output, quantize_input, run_int

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
tq = torch.ao.quantization


class Net(torch.nn.Module):
    def __init__(self, bias: bool = True, stub: bool = True) -> None:
        super().__init__()
        self.stub = stub
        self.quant, self.dequant = tq.QuantStub(), tq.DeQuantStub()
        self.fc1 = torch.nn.Linear(8, 6, bias=bias)
        self.relu = torch.nn.ReLU()
        self.fc2 = torch.nn.Linear(6, 3, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.quant(x) if self.stub else x
        return self.dequant(self.fc2(self.relu(self.fc1(x))))


def _export(kind: dict[str, bool], qconfig: object, path: Path) -> tuple[Path, np.ndarray]:
    from m0nn.train import qconfig as m0nn_qconfig

    torch.manual_seed(0)
    net = Net(**kind).train()
    net.qconfig = qconfig or m0nn_qconfig()  # type: ignore[assignment]
    qat = tq.prepare_qat(net)
    x = np.random.default_rng(0).uniform(-2, 2, (64, 8)).astype(np.float32)
    qat(torch.as_tensor(x))
    qat.apply(tq.disable_observer)
    qat.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axes = {"input": {0: "n"}, "output": {0: "n"}}
        names = {"input_names": ["input"], "output_names": ["output"]}
        torch.onnx.export(
            qat, (torch.zeros(1, 8),), str(path), opset_version=13, dynamo=False, dynamic_axes=axes, **names
        )
    return path, x


def _agrees_with_onnxruntime(path: Path, x: np.ndarray) -> None:
    model = import_model(path)
    ours = dequantize_output(model, run_int(model, quantize_input(model, x))[-1])
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    theirs = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    # 1 LSB per layer (the requantization), compounding over the two layers.
    assert np.abs(ours - theirs).max() <= 2 * model.output_scale * 1.001


def test_linear_without_bias_is_a_transposed_weight(tmp_path: Path) -> None:
    path, x = _export({"bias": False}, None, tmp_path / "nobias.onnx")
    model = import_model(path)
    assert [(layer.in_size, layer.out_size) for layer in model.layers] == [(8, 6), (6, 3)]
    assert not np.any(model.layers[0].bias_float)
    _agrees_with_onnxruntime(path, x)


def test_model_without_quantstub_gets_a_hint(tmp_path: Path) -> None:
    path, _ = _export({"stub": False}, None, tmp_path / "nostub.onnx")
    with pytest.raises(ModelError, match="is the QuantStub missing"):
        import_model(path)


# torch's own default QAT qconfig (7-bit activations through reduce_range) is the point of this
# test; torch's observer warns that reduce_range will be deprecated.
@pytest.mark.filterwarnings("ignore:Please use quant_min and quant_max:UserWarning")
def test_torch_default_qat_qconfig_7bit_activations(tmp_path: Path) -> None:
    """fbgemm's default: quint8 with reduce_range, exported as QuantizeLinear -> Clip(0, 127)
    -> DequantizeLinear: a clamp of the input and of each layer's output to [-128, -1]."""
    path, x = _export({}, tq.get_default_qat_qconfig("fbgemm", version=0), tmp_path / "fbgemm.onnx")
    model = import_model(path)
    assert (model.input_min, model.input_max) == (-128, -1)
    assert all(layer.act_max <= -1 for layer in model.layers)
    _agrees_with_onnxruntime(path, x)
    from m0nn.generate import generate

    (header,) = generate(path, tmp_path / "out")
    assert ", q in [-128, -1]." in header.read_text()
