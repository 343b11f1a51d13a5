"""QAT for convolutional networks: BatchNorm folding, the QDQ structure of the
export, onnxruntime against torch's fake-quant model, one-line errors, and
determinism. The nets are tiny and train for a few epochs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from torch import nn  # noqa: E402
from torch.ao.quantization import FakeQuantizeBase  # noqa: E402

from m0nn.errors import ModelError  # noqa: E402
from m0nn.train import TrainConfig, export_qdq_onnx, predict, prepare_qat, train_fp32, train_qat  # noqa: E402
from m0nn.train_conv import QNet, Residual, SharedQuant, fold_and_fuse  # noqa: E402

INT32_MAX = 2**31 - 1


def net_2d() -> nn.Module:
    """Input [2, 8, 8]: conv+BN+ReLU, depthwise with channel multiplier 2, max
    pool, residual 1x1 conv+BN, average pool, global average pool, linear."""
    return QNet(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 8, 3, padding=1, groups=4), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2),
        Residual(nn.Sequential(nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8))),
        nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3),
    )  # fmt: skip


def net_1d() -> nn.Module:
    """Input [3, 16]: conv+ReLU, depthwise+BN+ReLU, max pool, residual
    conv+BN+ReLU then 1x1 conv, strided conv, average pool, flatten, linear."""
    return QNet(
        nn.Conv1d(3, 6, 5, padding=2), nn.ReLU(),
        nn.Conv1d(6, 6, 3, padding=2, dilation=2, groups=6), nn.BatchNorm1d(6), nn.ReLU(),
        nn.MaxPool1d(2),
        Residual(nn.Sequential(nn.Conv1d(6, 6, 3, padding=1), nn.BatchNorm1d(6), nn.ReLU(), nn.Conv1d(6, 6, 1))),
        nn.Conv1d(6, 6, 3, stride=2, padding=1),
        nn.AvgPool1d(2),
        nn.Flatten(), nn.Linear(12, 3),
    )  # fmt: skip


NETS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {"2d": (net_2d, (2, 8, 8)), "1d": (net_1d, (3, 16))}


def toy_data(shape: tuple[int, ...], n: int = 256) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, *shape)).astype(np.float32)
    flat = x.reshape(n, shape[0], -1)
    y = (flat[:, 0].mean(1) > 0).astype(np.int64) + (flat[:, 1].std(1) > 1).astype(np.int64)
    return x, y


def trained(kind: str, scale_mode: str = "observed", seed: int = 0, epochs: int = 3) -> tuple[nn.Module, np.ndarray]:
    build, shape = NETS[kind]
    x, y = toy_data(shape)
    cfg = TrainConfig(epochs=epochs, qat_epochs=epochs, seed=seed, scale_mode=scale_mode)
    torch.manual_seed(seed)
    fp32 = train_fp32(build(), x, y, cfg)
    qat = train_qat(prepare_qat(fp32, cfg), x, y, cfg)
    return qat, x


@pytest.fixture(scope="module", params=sorted(NETS))
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    qat, _ = trained(request.param)
    path = tmp_path_factory.mktemp("conv") / f"{request.param}.onnx"
    export_qdq_onnx(qat, NETS[request.param][1], path)
    return request.param, path


# -- BatchNorm folding ---------------------------------------------------------------


def _random_stats(model: nn.Module) -> nn.Module:
    gen = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen))
            m.running_var.copy_(torch.rand(n, generator=gen) * 2 + 0.1)
            if m.affine:
                m.weight.data.copy_(torch.randn(n, generator=gen))
                m.bias.data.copy_(torch.randn(n, generator=gen))
    return model.eval()


@pytest.mark.parametrize(
    ("build", "shape"),
    [
        (lambda: nn.Sequential(nn.Conv1d(3, 5, 3), nn.BatchNorm1d(5)), (3, 12)),
        (lambda: nn.Sequential(nn.Conv1d(4, 8, 3, groups=4, bias=False), nn.BatchNorm1d(8), nn.ReLU()), (4, 12)),
        (lambda: nn.Sequential(nn.Conv2d(2, 6, 3, stride=2, padding=1), nn.BatchNorm2d(6), nn.ReLU()), (2, 7, 7)),
        (lambda: nn.Sequential(nn.Conv2d(6, 6, 3, groups=6), nn.BatchNorm2d(6)), (6, 5, 5)),
        (lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 7), nn.BatchNorm1d(7), nn.ReLU()), (3, 4)),
        (lambda: nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4, affine=False)), (5,)),
    ],
    ids=["conv1d", "depthwise1d-nobias-relu", "conv2d-stride-relu", "depthwise2d", "linear-relu", "linear-noaffine"],
)
def test_folding_batchnorm_preserves_fp32_outputs(build: Callable[[], nn.Module], shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    model = _random_stats(build())
    x = torch.randn(16, *shape)
    folded = fold_and_fuse(model)
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in folded.modules())
    with torch.no_grad():
        diff = (folded(x) - model(x)).abs().max().item()
    assert diff < 1e-5, diff


def test_fold_formula_by_hand() -> None:
    """w' = w g / sqrt(v + eps), b' = (b - m) g / sqrt(v + eps) + beta, checked on one channel."""
    model = _random_stats(nn.Sequential(nn.Conv1d(1, 2, 1), nn.BatchNorm1d(2)))
    conv, bn = model[0], model[1]
    k = bn.weight[1] / torch.sqrt(bn.running_var[1] + bn.eps)
    want_w = conv.weight[1, 0, 0] * k
    want_b = (conv.bias[1] - bn.running_mean[1]) * k + bn.bias[1]
    folded = fold_and_fuse(model)[0]
    assert folded.weight[1, 0, 0].item() == pytest.approx(want_w.item(), rel=1e-6)
    assert folded.bias[1].item() == pytest.approx(want_b.item(), rel=1e-6, abs=1e-7)


# -- the exported QDQ structure ------------------------------------------------------


class Graph:
    def __init__(self, path: Path) -> None:
        self.proto = onnx.load(str(path))
        g = self.proto.graph
        self.nodes = list(g.node)
        self.producer = {o: n for n in self.nodes for o in n.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for n in self.nodes:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.values = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        self.initializers = set(self.values)
        for n in self.nodes:  # Constant nodes and Identity of constants
            if n.op_type == "Constant":
                self.values[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
            elif n.op_type == "Identity" and n.input[0] in self.values:
                self.values[n.output[0]] = self.values[n.input[0]]

    def of(self, op: str) -> list[onnx.NodeProto]:
        return [n for n in self.nodes if n.op_type == op]

    def src(self, name: str) -> onnx.NodeProto:
        return self.producer[name]

    def only_consumer(self, name: str) -> onnx.NodeProto:
        users = self.consumers.get(name, [])
        assert len(users) == 1, f"{name} has {len(users)} consumers"
        return users[0]

    def qparams(self, node: onnx.NodeProto) -> tuple[np.ndarray, np.ndarray]:
        return self.values[node.input[1]], self.values[node.input[2]]

    def attr(self, node: onnx.NodeProto, name: str, default: object = None) -> object:
        for a in node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def activation_dq(self, tensor: str) -> onnx.NodeProto:
        """`tensor` is a DequantizeLinear output of a dynamic QuantizeLinear, per tensor, int8 scalars."""
        dq = self.src(tensor)
        assert dq.op_type == "DequantizeLinear"
        q = self.src(dq.input[0])
        assert q.op_type == "QuantizeLinear" and q.input[0] not in self.initializers
        for node in (q, dq):
            scale, zp = self.qparams(node)
            assert scale.ndim == 0 and zp.ndim == 0 and zp.dtype == np.int8
        return dq


def _check_layer(g: Graph, node: onnx.NodeProto) -> None:
    """Quantized input; int8 per-output-channel symmetric weights (axis 0); a
    bias that fits int32 at the accumulator scale."""
    x_dq = g.activation_dq(node.input[0])
    s_x = float(g.qparams(x_dq)[0])
    w_dq = g.src(node.input[1])
    assert w_dq.op_type == "DequantizeLinear" and g.attr(w_dq, "axis") == 0
    w_q = g.src(w_dq.input[0])
    assert w_q.op_type == "QuantizeLinear" and w_q.input[0] in g.initializers and g.attr(w_q, "axis") == 0
    w = g.values[w_q.input[0]]
    s_w, zp_w = g.qparams(w_dq)
    assert s_w.shape == (w.shape[0],) and zp_w.dtype == np.int8 and not zp_w.any()
    # (QuantizeLinear saturates the float weights into int8: a weight QAT moved past its frozen range is clipped.)
    bias = g.values[node.input[2]]
    assert bias.shape == (w.shape[0],)
    assert np.abs(np.rint(bias / (s_x * s_w))).max() <= INT32_MAX


def test_export_is_opset13_qdq(exported: tuple[str, Path]) -> None:
    kind, path = exported
    g = Graph(path)
    assert [o.version for o in g.proto.opset_import if o.domain in ("", "ai.onnx")] == [13]
    ops = sorted({n.op_type for n in g.nodes} - {"QuantizeLinear", "DequantizeLinear", "Identity", "Constant"})
    want = {
        "2d": ["Add", "AveragePool", "Conv", "Flatten", "Gemm", "GlobalAveragePool", "MaxPool", "Relu"],
        "1d": ["Add", "AveragePool", "Conv", "Flatten", "Gemm", "MaxPool", "Relu"],
    }[kind]
    assert ops == want
    counts = {"2d": (3, 2), "1d": (5, 3)}[kind]
    assert (len(g.of("Conv")), len(g.of("Relu"))) == counts
    assert g.of("BatchNormalization") == []


def test_conv_and_gemm_layers_are_qdq_with_fused_relu(exported: tuple[str, Path]) -> None:
    kind, path = exported
    g = Graph(path)
    relu_after = []
    for node in g.of("Conv") + g.of("Gemm"):
        _check_layer(g, node)
        nxt = g.only_consumer(node.output[0])
        if nxt.op_type == "Relu":  # fused: Conv -> Relu -> QuantizeLinear, nothing between
            relu_after.append(node.op_type)
            nxt = g.only_consumer(nxt.output[0])
        assert nxt.op_type == "QuantizeLinear"
    assert relu_after == {"2d": ["Conv", "Conv"], "1d": ["Conv", "Conv", "Conv"]}[kind]
    depthwise = [n for n in g.of("Conv") if g.attr(n, "group", 1) != 1]
    assert len(depthwise) == 1
    w = g.values[g.src(g.src(depthwise[0].input[1]).input[0]).input[0]]
    assert g.attr(depthwise[0], "group") == {"2d": 4, "1d": 6}[kind] and w.shape[1] == 1
    if kind == "2d":
        assert w.shape[0] == 8  # channel multiplier 2
    else:
        assert g.attr(depthwise[0], "dilations") == [2]


def test_pools_share_their_input_quantization(exported: tuple[str, Path]) -> None:
    _, path = exported
    g = Graph(path)
    for node in g.of("MaxPool") + g.of("AveragePool") + g.of("Flatten"):
        dq = g.activation_dq(node.input[0])
        q = g.only_consumer(node.output[0])
        assert q.op_type == "QuantizeLinear"
        assert [float(v) for v in g.qparams(q)] == [float(v) for v in g.qparams(dq)], node.name
    for node in g.of("GlobalAveragePool"):
        g.activation_dq(node.input[0])
        assert g.only_consumer(node.output[0]).op_type == "QuantizeLinear"
    flat = g.of("Flatten")[0]
    gemm = g.of("Gemm")[0]
    assert g.src(g.src(gemm.input[0]).input[0]).input[0] == flat.output[0]  # Flatten -> Q -> DQ -> Gemm


def test_residual_add_has_qdq_on_both_inputs_and_output(exported: tuple[str, Path]) -> None:
    _, path = exported
    g = Graph(path)
    (add,) = g.of("Add")
    a, b = (g.activation_dq(i) for i in add.input)
    assert g.only_consumer(add.output[0]).op_type == "QuantizeLinear"
    # The identity shortcut: one input also feeds the residual branch's first conv.
    shortcut = a if len(g.consumers[a.output[0]]) == 2 else b
    assert sorted(n.op_type for n in g.consumers[shortcut.output[0]]) == ["Add", "Conv"]


def test_four_bit_conv_weights_export_on_the_narrow_grid(tmp_path: Path) -> None:
    build, shape = NETS["1d"]
    x, y = toy_data(shape, n=64)
    cfg = TrainConfig(epochs=1, qat_epochs=1, weight_bits=4)
    qat = train_qat(prepare_qat(train_fp32(build(), x, y, cfg), cfg), x, y, cfg)
    export_qdq_onnx(qat, shape, tmp_path / "w4.onnx")
    g = Graph(tmp_path / "w4.onnx")
    for node in g.of("Conv") + g.of("Gemm"):
        w_dq = g.src(node.input[1])
        w = g.values[g.src(w_dq.input[0]).input[0]]
        s_w = g.qparams(w_dq)[0].reshape(-1, *[1] * (w.ndim - 1))
        q = np.clip(np.rint(w / s_w), -128, 127)
        assert q.min() >= -7 and q.max() <= 7, node.name


# -- onnxruntime vs torch -------------------------------------------------------------


def torch_layer_outputs(qat: nn.Module, x: np.ndarray) -> list[np.ndarray]:
    """Every activation fake quantization's output, in the order torch runs them."""
    outs: list[np.ndarray] = []

    def keep(_m: nn.Module, _i: object, out: torch.Tensor) -> None:
        outs.append(out.detach().numpy().copy())

    hooks = [
        m.register_forward_hook(keep)
        for name, m in qat.named_modules()
        if isinstance(m, SharedQuant) or (isinstance(m, FakeQuantizeBase) and not name.endswith("weight_fake_quant"))
    ]
    try:
        predict(qat, x)
    finally:
        for h in hooks:
            h.remove()
    return outs


def ort_outputs(path: Path, x: np.ndarray, level: object, layers: bool) -> tuple[list[str], list[np.ndarray]]:
    """onnxruntime's outputs: the model's, or (layers) every activation
    DequantizeLinear output in graph order."""
    g = Graph(path)
    names = ["output"]
    if layers:
        names = [
            n.output[0]
            for n in g.of("DequantizeLinear")
            if n.input[0] not in g.initializers and g.src(n.input[0]).input[0] not in g.initializers
        ]
        for name in names[:-1]:
            g.proto.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.graph_optimization_level = level
    sess = ort.InferenceSession(g.proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return names, sess.run(names, {"input": x})


@pytest.mark.parametrize("scale_mode", ["observed", "lsq", "pow2"])
@pytest.mark.parametrize("kind", sorted(NETS))
def test_onnxruntime_matches_torch_fake_quant(kind: str, scale_mode: str, tmp_path: Path) -> None:
    """Tolerance: with power-of-two scales every layer is bit-exact (the float
    arithmetic is then exact in both). Otherwise each layer up to the first
    average pool within 1 LSB (float summation order); an average of int8
    values lands on exact rounding ties, which torch and onnxruntime resolve
    differently, and the layers after it amplify them: the model's output within
    4 LSB (onnxruntime's float QDQ execution and its integer kernels, QLinearConv,
    ..., alike; 3 and 4 measured) and the same class for >= 98% of inputs."""
    qat, x = trained(kind, scale_mode)
    path = tmp_path / "m.onnx"
    export_qdq_onnx(qat, NETS[kind][1], path)
    g = Graph(path)
    ours = torch_layer_outputs(qat, x)
    names, theirs = ort_outputs(path, x, ort.GraphOptimizationLevel.ORT_DISABLE_ALL, layers=True)
    assert len(ours) == len(theirs)
    averaged = False
    for name, a, b in zip(names, ours, theirs, strict=True):
        averaged = averaged or g.src(g.src(name).input[0]).input[0] in {
            n.output[0] for n in g.of("AveragePool") + g.of("GlobalAveragePool")
        }
        lsb = np.rint(np.abs(a - b) / float(g.qparams(g.src(name))[0]))
        if scale_mode == "pow2":
            assert lsb.max() == 0, name
        elif not averaged:
            assert lsb.max() <= 1 and (lsb == 0).mean() >= 0.999, name
    out_scale = float(g.qparams(g.src("output"))[0])
    for level in (ort.GraphOptimizationLevel.ORT_DISABLE_ALL, ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
        out = ort_outputs(path, x, level, layers=False)[1][0]
        assert np.rint(np.abs(out - ours[-1]) / out_scale).max() <= 4, level
        assert (out.argmax(1) == ours[-1].argmax(1)).mean() >= 0.98, level


# -- one-line errors ------------------------------------------------------------------


class PlusResidual(nn.Module):
    """A residual add written with '+': no fake quantization of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.conv = nn.Conv1d(2, 2, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.quant(x)
        return x + self.conv(x)


class SigmoidInForward(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc(self.quant(x)))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: QNet(nn.Conv3d(1, 2, 3)), "module 'body.0' (Conv3d) is not supported; supported: Conv1d, Conv2d"),
        (lambda: QNet(nn.Conv1d(2, 4, 3), nn.Sigmoid()), "module 'body.1' (Sigmoid) is not supported"),
        (lambda: QNet(nn.Conv2d(4, 4, 3, groups=2)), "module 'body.0' (Conv2d) is not supported: groups=2"),
        (lambda: QNet(nn.Conv1d(2, 2, 3, padding_mode="circular")), "padding_mode 'circular'"),
        (lambda: QNet(nn.MaxPool2d(2, ceil_mode=True)), "module 'body.0' (MaxPool2d) is not supported: ceil_mode"),
        (lambda: QNet(nn.AdaptiveAvgPool2d(2)), "(AdaptiveAvgPool2d) is not supported: output size 2"),
        (lambda: QNet(nn.Conv1d(1, 1, 1), nn.Flatten(0)), "module 'body.1' (Flatten) is not supported: start_dim=0"),
        (lambda: nn.Sequential(nn.Conv1d(1, 1, 1), nn.LSTM(2, 2)), "module '1' (LSTM) is not supported; supported"),
        (lambda: QNet(nn.BatchNorm1d(2), nn.Conv1d(2, 2, 1)), "module 'body.0' (BatchNorm1d) does not follow a Conv"),
        (
            lambda: QNet(nn.Conv1d(2, 2, 1), nn.BatchNorm1d(2, track_running_stats=False)),
            "module 'body.1' (BatchNorm1d) is not supported: track_running_stats=False",
        ),
    ],
    ids=["conv3d", "sigmoid", "grouped", "circular", "ceil", "adaptive2", "flatten0", "lstm", "bn-first", "bn-stats"],
)
def test_unsupported_module_is_one_line_naming_it(build: Callable[[], nn.Module], message: str) -> None:
    with pytest.raises(ModelError) as exc:
        prepare_qat(build(), TrainConfig())
    assert message in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("build", "shape", "message"),
    [
        (PlusResidual, (2, 4), "node '/Add' (Add) has no quantized output: write residual adds with"),
        (SigmoidInForward, (4,), "(Sigmoid) is not an op m0nn imports"),
    ],
    ids=["plus", "functional-sigmoid"],
)
def test_export_refuses_what_the_importer_cannot_read(
    build: Callable[[], nn.Module], shape: tuple[int, ...], message: str, tmp_path: Path
) -> None:
    qat = prepare_qat(build().eval(), TrainConfig())
    qat(torch.randn(8, *shape))
    path = tmp_path / "bad.onnx"
    with pytest.raises(ModelError) as exc:
        export_qdq_onnx(qat.eval(), shape, path)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_pool_after_an_unquantized_tensor_is_one_line() -> None:
    class PlusThenPool(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.quant = torch.ao.quantization.QuantStub()
            self.pool = nn.MaxPool1d(2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.quant(x)
            return self.pool(x + x)

    qat = prepare_qat(PlusThenPool(), TrainConfig())
    with pytest.raises(ModelError, match=r"^module 'pool' \(MaxPool1d\) needs a quantized input") as exc:
        qat(torch.randn(2, 1, 4))
    assert "not after '+'" in str(exc.value) and "\n" not in str(exc.value)


def test_importer_refuses_unfolded_batchnorm_saying_how_to_fold(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    from m0nn.onnx_import import import_model

    ch = 3
    inits = [
        numpy_helper.from_array(np.array(0.05, np.float32), "s"),
        numpy_helper.from_array(np.array(0, np.int8), "zp"),
        *(numpy_helper.from_array(np.full(ch, v, np.float32), n) for n, v in [("g", 1), ("b", 0), ("m", 0), ("v", 1)]),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "s", "zp"], ["q0"], name="q0"),
        helper.make_node("DequantizeLinear", ["q0", "s", "zp"], ["d0"], name="d0"),
        helper.make_node("BatchNormalization", ["d0", "g", "b", "m", "v"], ["bn"], name="bn1"),
        helper.make_node("QuantizeLinear", ["bn", "s", "zp"], ["q1"], name="q1"),
        helper.make_node("DequantizeLinear", ["q1", "s", "zp"], ["output"], name="d1"),
    ]
    graph = helper.make_graph(
        nodes,
        "bn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, ch, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, ch, 4])],
        inits,
    )
    path = tmp_path / "bn.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    with pytest.raises(ModelError) as exc:
        import_model(path)
    msg = str(exc.value)
    assert msg.startswith("bn.onnx: node 'bn1' (BatchNormalization): BatchNorm is not folded: fold it into")
    assert "m0nn.train.prepare_qat" in msg and "onnxruntime.quantization.preprocess" in msg and "\n" not in msg


# -- determinism and the examples -----------------------------------------------------


def test_training_is_deterministic(tmp_path: Path) -> None:
    """Same seed, same ONNX bytes; another seed, other bytes."""
    blobs = []
    for run, seed in enumerate((0, 0, 1)):
        qat, _ = trained("1d", seed=seed, epochs=1)
        export_qdq_onnx(qat, NETS["1d"][1], tmp_path / f"{run}.onnx")
        blobs.append((tmp_path / f"{run}.onnx").read_bytes())
    assert blobs[0] == blobs[1]
    assert blobs[0] != blobs[2]


def test_activity_data_is_synthetic_balanced_and_seeded() -> None:
    from m0nn.examples_conv import ACTIVITY_CLASSES, activity_data

    x, y = activity_data(40, seed=3)
    assert x.shape == (40, 3, 32) and x.dtype == np.float32
    assert np.bincount(y).tolist() == [10] * len(ACTIVITY_CLASSES)
    assert np.abs(x).max() <= 4.0
    x2, y2 = activity_data(40, seed=3)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    still = x[y == 0]
    assert np.allclose(np.linalg.norm(still.mean(axis=2), axis=1), 1.0, atol=0.05)  # gravity only


@pytest.mark.parametrize("name", ["digits_cnn", "activity"])
def test_example_training_writes_its_files(name: str, tmp_path: Path) -> None:
    from m0nn.examples_conv import EXAMPLES, train

    meta = train(name, tmp_path, epochs=1, qat_epochs=1)
    ex = EXAMPLES[name]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [f"{name}.onnx", f"{name}.test.npz", f"{name}.json", f"{name}.onnx"]
    )
    data = np.load(tmp_path / f"{name}.test.npz")
    assert data["x"].shape == (meta["test_samples"], int(np.prod(ex.input_shape)))
    assert meta["input_shape"] == list(ex.input_shape)
    fp32 = ort.InferenceSession(str(tmp_path / "fp32" / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    x = data["x"].reshape(-1, *ex.input_shape)
    assert (fp32.run(None, {"input": x})[0].argmax(1) == data["y"]).mean() == pytest.approx(meta["fp32_accuracy"])


@pytest.mark.parametrize("name", ["digits_cnn", "activity"])
def test_committed_examples_match_their_metadata(name: str) -> None:
    """models/<name>: onnxruntime
    on the QDQ model gives the fake-quant accuracy recorded at training (within
    one sample), on the fp32 model the fp32 one."""
    import json

    from conftest import MODELS

    folder = MODELS
    meta = json.loads((folder / f"{name}.json").read_text())
    data = np.load(folder / f"{name}.test.npz")
    x, y = data["x"].reshape(-1, *meta["input_shape"]), data["y"]
    assert len(y) == meta["test_samples"]
    qdq = ort.InferenceSession(str(folder / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    fp32 = ort.InferenceSession(str(folder / "fp32" / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    acc_int8 = (qdq.run(None, {"input": x})[0].argmax(1) == y).mean()
    assert abs(acc_int8 - meta["fake_quant_accuracy"]) <= 1 / len(y) + 1e-9
    assert (fp32.run(None, {"input": x})[0].argmax(1) == y).mean() == pytest.approx(meta["fp32_accuracy"])
    assert meta["fake_quant_accuracy"] >= 0.95
    assert ("synthetic" in meta["data"]) == (name == "activity")
