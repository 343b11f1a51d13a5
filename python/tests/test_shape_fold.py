"""`x.view(x.size(0), -1)` in a torch forward: the Shape -> Gather -> Unsqueeze ->
Concat -> Reshape chain torch exports is folded at import (m0nn.graph.shape_fold),
and the model runs in C equal to the integer reference; shape arithmetic that needs
the batch size is a one-line error naming the node."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from host_c import needs_gcc, run_generated_on_host
from onnx import TensorProto, helper, numpy_helper

from m0nn.errors import ModelError
from m0nn.graph.importer import import_graph
from m0nn.graph.reference import quantize_input, run_int

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.ao import quantization as tq  # noqa: E402

from m0nn.train import TrainConfig, export_qdq_onnx, prepare_qat, train_fp32, train_qat  # noqa: E402


class ViewNet(nn.Module):
    """conv+ReLU, max pool, then `x.view(x.size(0), -1)` (no nn.Flatten) and a linear layer."""

    def __init__(self) -> None:
        super().__init__()
        self.quant = tq.QuantStub()
        self.features = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(4 * 4 * 4, 3)
        self.dequant = tq.DeQuantStub()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.quant(x))
        x = x.view(x.size(0), -1)
        return self.dequant(self.fc(x))


def _data(n: int = 96) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 2, 8, 8)).astype(np.float32)
    y = (x[:, 0, :4].mean((1, 2)) > 0).astype(np.int64) + (x[:, 1].std((1, 2)) > 1).astype(np.int64)
    return x, y


@pytest.fixture(scope="module")
def view_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    x, y = _data()
    cfg = TrainConfig(epochs=2, qat_epochs=2, seed=0)
    torch.manual_seed(0)
    qat = train_qat(prepare_qat(train_fp32(ViewNet(), x, y, cfg), cfg), x, y, cfg)
    path = tmp_path_factory.mktemp("view") / "viewnet.onnx"
    export_qdq_onnx(qat, (2, 8, 8), path)
    np.savez(path.with_name("viewnet.test.npz"), x=x[:24], y=y[:24])
    return path, x


def test_export_keeps_the_shape_chain_and_the_importer_folds_it(view_model: tuple[Path, np.ndarray]) -> None:
    path, x = view_model
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert {"Shape", "Gather", "Unsqueeze", "Concat", "Reshape"} <= set(ops)  # what torch emits for view(size(0), -1)
    g = import_graph(path)
    assert [type(op).__name__ for op in g.ops] == ["TransposeOp", "ConvOp", "PoolOp", "FCOp"]
    assert g.tensor(g.output).shape == (3,)
    # the integer reference is within 1 LSB of onnxruntime on the same QDQ graph
    ort = pytest.importorskip("onnxruntime")
    out = onnx.load(str(path)).graph.output[0].name
    want = ort.InferenceSession(str(path)).run([out], {"input": x[:32]})[0]
    got = np.stack([run_int(g, quantize_input(g, x[i : i + 1]))[0] for i in range(32)])
    t = g.tensor(g.output)
    assert np.max(np.abs(got.astype(np.int64) - (np.rint(want / t.scale) + t.zero_point))) <= 1


@needs_gcc
def test_view_model_in_c_equals_the_reference(view_model: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    """Headers from `m0nn gen`, lib/m0nn and test/graph_model_test_body.h on the host (as `pio test -e native`)."""
    path, _ = view_model
    assert "4 Tests 0 Failures" in run_generated_on_host(path, tmp_path)


def _shape_graph(path: Path, shape_nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto]) -> Path:
    """input [1, 2, 4] -> Q -> DQ -> Reshape(target '/target' made by `shape_nodes`) -> Q -> DQ -> Gemm 8->2."""
    s = numpy_helper.from_array(np.array(0.05, np.float32), "s")
    z = numpy_helper.from_array(np.array(0, np.int8), "z")
    w = numpy_helper.from_array(np.arange(16, dtype=np.int8).reshape(2, 8) - 8, "w")
    ws = numpy_helper.from_array(np.array([0.01, 0.02], np.float32), "ws")
    wz = numpy_helper.from_array(np.zeros(2, np.int8), "wz")
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "s", "z"], ["xq"], name="q_in"),
        helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"], name="dq_in"),
        helper.make_node("Relu", ["xd"], ["r"], name="relu"),
        helper.make_node("QuantizeLinear", ["r", "s", "z"], ["rq"], name="q_r"),
        helper.make_node("DequantizeLinear", ["rq", "s", "z"], ["rd"], name="dq_r"),
        *shape_nodes,
        helper.make_node("Reshape", ["rd", "/target"], ["flat"], name="/Reshape"),
        helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"], name="dq_w", axis=0),
        helper.make_node("Gemm", ["flat", "wd"], ["y"], name="fc", transB=1),
        helper.make_node("QuantizeLinear", ["y", "s", "z"], ["output"], name="q_out"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 4])],
        [helper.make_tensor_value_info("output", TensorProto.INT8, ["N", 2])],
        [s, z, w, ws, wz, *inits],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def _i64(name: str, v: list[int]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(v, np.int64), name)


def test_static_shape_arithmetic_is_folded(tmp_path: Path) -> None:
    """x.view(x.size(0), x.size(1) * x.size(2)): Gather, Mul, Unsqueeze, Concat, all folded."""
    nodes = [
        helper.make_node("Shape", ["rd"], ["sh"], name="/Shape"),
        helper.make_node("Gather", ["sh", "i0"], ["n"], name="/Gather0", axis=0),
        helper.make_node("Gather", ["sh", "i1"], ["c"], name="/Gather1", axis=0),
        helper.make_node("Gather", ["sh", "i2"], ["l"], name="/Gather2", axis=0),
        helper.make_node("Mul", ["c", "l"], ["cl"], name="/Mul"),
        helper.make_node("Unsqueeze", ["n", "ax"], ["n1"], name="/Unsqueeze0"),
        helper.make_node("Unsqueeze", ["cl", "ax"], ["cl1"], name="/Unsqueeze1"),
        helper.make_node("Concat", ["n1", "cl1"], ["/target"], name="/Concat", axis=0),
    ]
    inits = [numpy_helper.from_array(np.array(i, np.int64), f"i{i}") for i in range(3)] + [_i64("ax", [0])]
    g = import_graph(_shape_graph(tmp_path / "m.onnx", nodes, inits))
    assert [type(op).__name__ for op in g.ops] == ["TransposeOp", "LutOp", "FCOp"]


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        (
            [
                helper.make_node("Shape", ["rd"], ["sh"], name="/Shape"),
                helper.make_node("Gather", ["sh", "i0"], ["n"], name="/Gather", axis=0),
                helper.make_node("Mul", ["n", "two"], ["n2"], name="/Mul"),
                helper.make_node("Unsqueeze", ["n2", "ax"], ["n1"], name="/Unsqueeze"),
                helper.make_node("Concat", ["n1", "m1"], ["/target"], name="/Concat", axis=0),
            ],
            "node '/Mul' (Mul): Mul of the batch size (dynamic) cannot be folded",
        ),
        (
            [
                helper.make_node("Shape", ["rd"], ["sh"], name="/Shape"),
                helper.make_node("Gather", ["sh", "i0"], ["n"], name="/Gather", axis=0),
                helper.make_node("Unsqueeze", ["n", "ax"], ["n1"], name="/Unsqueeze"),
                helper.make_node("Concat", ["m1", "n1"], ["/target"], name="/Concat", axis=0),
            ],
            "node '/Reshape' (Reshape): the target shape [-1, 'N'] moves the batch size off axis 0",
        ),
        (
            [
                helper.make_node("Shape", ["rd"], ["sh"], name="/Shape"),
                helper.make_node("ReduceProd", ["sh"], ["/target"], name="/ReduceProd"),
            ],
            "node '/ReduceProd' (ReduceProd): a shape value reaches ReduceProd, which m0nn does not fold",
        ),
    ],
    ids=["batch-times-two", "batch-moved", "unfolded-op"],
)
def test_dynamic_shape_arithmetic_is_one_line_naming_the_node(
    nodes: list[onnx.NodeProto], message: str, tmp_path: Path
) -> None:
    scalars = [numpy_helper.from_array(np.array(v, np.int64), name) for name, v in (("i0", 0), ("two", 2))]
    inits = [*scalars, _i64("ax", [0]), _i64("m1", [-1])]
    with pytest.raises(ModelError) as exc:
        import_graph(_shape_graph(tmp_path / "m.onnx", nodes, inits))
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert str(exc.value).startswith(f"{tmp_path / 'm.onnx'}: ")  # the file as the caller named it
