"""Graph models (conv nets): import rules, integer reference against
onnxruntime on QDQ graphs it quantized, arena planning, generation and errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from m0nn.errors import ModelError
from m0nn.generate import generate, is_graph_model
from m0nn.graph import cases
from m0nn.graph.configure import configure_graph
from m0nn.graph.generate import Budget, generate_graph
from m0nn.graph.importer import import_graph
from m0nn.graph.plan import plan_arena
from m0nn.graph.reference import quantize_input, run_all, run_int
from m0nn.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

# Largest difference from onnxruntime, in output LSBs, end to end. Every case is
# one quantized operator deep per check except "softmax": two Gemm layers (each
# within 1 LSB) feed it, and a 1-LSB change of a logit moves a probability by
# about one more LSB; the softmax alone is "softmax1".
TOLERANCE = {name: 1 for name in cases.ORT_CASES} | {"softmax": 2}


def _ort_lsb(model_path: Path, x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    y = cases.run_ort(model_path, x).reshape(len(x), -1)
    return np.rint(y / np.float32(scale)).astype(np.int64) + zp


@pytest.mark.parametrize("name", list(cases.ORT_CASES))
@pytest.mark.parametrize("requant", ["auto", "q31"])
def test_reference_within_tolerance_of_onnxruntime(name: str, requant: str, tmp_path: Path) -> None:
    """As `m0nn gen` configures it (auto: one 32-bit multiply where proven exact) and with q31."""
    path, x = cases.build_ort_case(name, tmp_path)
    model = configure_graph(import_graph(path), Settings(requant=requant))
    y = run_int(model, quantize_input(model, x))
    out = model.output_tensor
    diff = np.abs(y - _ort_lsb(path, x, out.scale, out.zero_point))
    assert diff.max() <= TOLERANCE[name], f"{name}: {int(diff.max())} LSB"


@pytest.mark.parametrize("name", list(cases.UNARY_CASES))
def test_tables_equal_onnxruntime(name: str, tmp_path: Path) -> None:
    """Tables are exact by construction; softmax is within 1 LSB (docs/numerics.md)."""
    path, x = cases.build_unary_case(name, tmp_path)
    model = import_graph(path)
    y = run_int(model, quantize_input(model, x))
    out = model.output_tensor
    diff = np.abs(y - _ort_lsb(path, x, out.scale, out.zero_point))
    assert diff.max() <= (1 if name == "softmax1" else 0)


def test_every_operator_kind_is_exercised(tmp_path: Path) -> None:
    kinds = set()
    for name in cases.ORT_CASES:
        path, _ = cases.build_ort_case(name, tmp_path)
        model = import_graph(path)
        kinds |= {op.kind for op in model.ops}
        kinds |= {"dwconv" for op in model.ops if getattr(op, "depth_multiplier", 0)}
        kinds |= {f"pool-{op.mode}-{'rescale' if op.rescale else 'exact'}" for op in model.ops if op.kind == "pool"}
    assert {"conv", "dwconv", "fc", "add", "lut", "softmax", "concat", "transpose"} <= kinds
    assert {"pool-max-exact", "pool-avg-exact", "pool-avg-rescale"} <= kinds


def test_golden_graph_header_is_current() -> None:
    from m0nn.graph import golden

    committed = (ROOT / "test/test_graph/golden_graph.h").read_text().splitlines()
    fresh = golden.render().splitlines()
    for i, (a, b) in enumerate(zip(committed, fresh, strict=False)):
        assert a == b, f"golden_graph.h line {i + 1} is stale (m0nn golden-graph): {a!r} vs {b!r}"
    assert len(committed) == len(fresh)


def test_golden_depthwise_header_is_current() -> None:
    from m0nn.graph import golden_dw

    committed = (ROOT / "test/test_graph/golden_depthwise.h").read_text()
    assert committed == golden_dw.render(), "golden_depthwise.h is stale (m0nn golden-graph)"


def test_depthwise_lanes_are_exact_for_every_int8() -> None:
    """The 3x3 depthwise fast path (m0nn_dw3x3_channels): for every low lane u = x + 129 in
    [1, 256], high lane x' in [-128, 127] and weight w in [-128, 127], the 32-bit product
    P = (u + 2^16 x') w is exact in int32 and P >> 16 (arithmetic) = x' w - (w < 0)."""
    u = np.arange(1, 257, dtype=np.int64)[:, None, None]
    hi = np.arange(-128, 128, dtype=np.int64)[None, :, None]
    w = np.arange(-128, 128, dtype=np.int64)[None, None, :]
    p = (u + (hi << 16)) * w
    assert p.min() >= -(2**31) and p.max() < 2**31
    assert np.array_equal(p >> 16, np.broadcast_to(hi * w - (w < 0), p.shape))
    assert np.array_equal(p - ((p >> 16) << 16), np.broadcast_to(u * w + ((w < 0) << 16), p.shape))


def test_depthwise_lane_tables_give_the_accumulators() -> None:
    """The host's tables of the depthwise fast path (m0nn.graph.dw_lanes): the kernel's
    arithmetic modelled in numpy (packed words, one 32-bit product per tap, S and H modulo
    2^32, then acc0 = S - (H << 16) + B0, acc1 = H + B1 from lane_consts and the weight
    bytes of lane_weights) equals the reference accumulators, for every golden depthwise
    case of the fast path (padding, odd widths, stride_h 2, 1x3, -128 weights, zero points
    at both ends)."""
    from m0nn.graph import golden_dw
    from m0nn.graph.dw_lanes import dw_consts, dw_weight_words, fast_shape
    from m0nn.graph.reference import conv_acc

    def wrap(v: np.ndarray) -> np.ndarray:
        return (v + 2**31) % 2**32 - 2**31

    checked = 0
    for i, case in enumerate(golden_dw.CASES):
        model, op, x = golden_dw.build(case, i)
        if not fast_shape(op):
            continue
        src, dst = model.tensor(0), model.tensor(1)
        consts = dw_consts(op, -src.zero_point).astype(np.int64)
        words = dw_weight_words(op).astype(np.int64)
        kh = op.kernel[0]
        taps = kh * 3
        w = np.array([[(words[c, k // 4] >> (8 * (k % 4)) & 0xFF) for k in range(taps)] for c in range(len(words))])
        w = (w ^ 0x80) - 0x80  # [C][taps], signed
        top, left, bottom, right = op.pads
        oh, ow, co = dst.hwc
        xs = np.pad(x.reshape(len(x), *src.hwc), ((0, 0), (top, bottom), (left, right + 1), (0, 0)),
                    constant_values=src.zero_point)  # fmt: skip
        packed = (xs[:, :, :-1, :] + 129) + (xs[:, :, 1:, :] << 16)  # W(j), j over padded columns
        s = np.zeros((len(x), oh, (ow + 1) // 2, co), np.int64)
        h = np.zeros_like(s)
        for ky in range(kh):
            for kx in range(3):
                rows = packed[:, ky : ky + (oh - 1) * op.stride[0] + 1 : op.stride[0]]
                word = rows[:, :, kx : kx + 2 * ((ow + 1) // 2) : 2]
                prod = wrap(word * w[:, 3 * ky + kx])
                s = wrap(s + prod)
                h = wrap(h + (prod >> 16))
        acc0 = wrap(s - (h << 16) + consts[:, 0])
        acc1 = wrap(h + consts[:, 1])
        got = np.zeros((len(x), oh, 2 * acc0.shape[2], co), np.int64)
        got[:, :, 0::2], got[:, :, 1::2] = acc0, acc1
        want = conv_acc(op, src, dst, x).reshape(len(x), oh, ow, co)
        assert np.array_equal(got[:, :, :ow], want), case.label
        checked += 1
    assert checked >= 8


def test_arena_plan_keeps_live_tensors_apart(tmp_path: Path) -> None:
    for name in ("residual", "concat", "cnn"):
        path, _ = cases.build_ort_case(name, tmp_path)
        model = import_graph(path)
        plan = plan_arena(model)
        assert plan.lower_bound <= plan.size
        spans: dict[int, tuple[int, int]] = {}
        for i, op in enumerate(model.ops):
            for tid in [*op.inputs, op.output]:
                b = model.tensor(tid).buf
                lo, hi = spans.get(b, (i, i))
                spans[b] = (min(lo, i), max(hi, i))
        bufs = list(plan.offsets)
        sizes = {model.tensor(op.output).buf: model.tensor(op.output).size for op in model.ops}
        for a in bufs:
            for b in bufs:
                live = spans[a][0] <= spans[b][1] and spans[b][0] <= spans[a][1]
                if a < b and live:
                    ra = (plan.offsets[a], plan.offsets[a] + sizes[a])
                    rb = (plan.offsets[b], plan.offsets[b] + sizes[b])
                    assert ra[1] <= rb[0] or rb[1] <= ra[0], f"{name}: buffers {a} and {b} overlap"


def test_residual_keeps_a_third_tensor_alive(tmp_path: Path) -> None:
    path, _ = cases.build_ort_case("residual", tmp_path)
    plan = plan_arena(import_graph(path))
    # [8, 16] activations: the skip branch, the branch being computed and its output
    assert plan.lower_bound == 3 * 128


def test_generate_writes_a_graph_header_and_refuses_a_small_budget(tmp_path: Path) -> None:
    path, x = cases.build_ort_case("cnn", tmp_path)
    np.savez(path.with_name("cnn.test.npz"), x=x[:5], y=np.arange(5))
    assert is_graph_model(path)
    out = tmp_path / "gen"
    written = generate(path, out)
    text = written[0].read_text()
    assert "CNN_ARENA_SIZE" in text and "CNN_ARENA_LOWER_BOUND" in text and "m0nn_graph_run" in text
    assert "cnn_test_expected" in written[1].read_text()
    with pytest.raises(ModelError, match=r"needs \d+ bytes of RAM .* the target has 100"):
        generate_graph(path, tmp_path / "no.h", tmp_path / "no_test.h", Settings(), Budget(ram=100))
    with pytest.raises(ModelError, match=r"needs about \d+ bytes of flash"):
        generate_graph(path, tmp_path / "no.h", tmp_path / "no_test.h", Settings(), Budget(flash=1000))
    assert not (tmp_path / "no.h").exists()


def test_fc_models_keep_the_fc_path() -> None:
    assert not is_graph_model(ROOT / "models/digits.onnx")
    assert not is_graph_model(ROOT / "models/tilt.onnx")


def test_input_and_output_in_onnx_order(tmp_path: Path) -> None:
    """The runner contract: input [C][L] as ONNX lays it out, output likewise."""
    path, x = cases.build_ort_case("conv1d", tmp_path)
    model = import_graph(path)
    x_q = quantize_input(model, x)
    outs, y = run_all(model, x_q)
    assert model.ops[0].kind == "transpose" and model.ops[-1].kind == "transpose"
    conv_out = model.tensor(model.ops[1].output)
    assert np.array_equal(conv_out.to_logical(outs[1]), y)


# -- torch's export form and errors ----------------------------------------------------------


def _conv_qdq(path: Path, c_in: int = 2, **conv_attrs: object) -> Path:
    """torch-style QDQ: weights DQ(Q(float W)) per channel, float bias, Relu before Q."""
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.3, (4, 2, 3, 3)).astype(np.float32)
    ws = (np.abs(w).reshape(4, -1).max(axis=1) / 127).astype(np.float32)
    inits = [
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(ws, "ws"),
        numpy_helper.from_array(np.zeros(4, np.int8), "wz"),
        numpy_helper.from_array(rng.normal(0, 0.1, 4).astype(np.float32), "b"),
        numpy_helper.from_array(np.float32(0.02), "si"),
        numpy_helper.from_array(np.int8(3), "zi"),
        numpy_helper.from_array(np.float32(0.03), "so"),
        numpy_helper.from_array(np.int8(-20), "zo"),
    ]
    attrs = {"pads": [1, 1, 1, 1], **conv_attrs}
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "si", "zi"], ["xq"], name="q_in"),
        helper.make_node("DequantizeLinear", ["xq", "si", "zi"], ["x"], name="dq_in"),
        helper.make_node("QuantizeLinear", ["w", "ws", "wz"], ["wq"], name="q_w", axis=0),
        helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], name="dq_w", axis=0),
        helper.make_node("Conv", ["x", "wd", "b"], ["c"], name="conv", **attrs),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("QuantizeLinear", ["r", "so", "zo"], ["yq"], name="q_out"),
        helper.make_node("DequantizeLinear", ["yq", "so", "zo"], ["output"], name="dq_out"),
    ]
    g = helper.make_graph(
        nodes,
        "t",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", c_in, 6, 5])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", "out"])],
        inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


def test_torch_style_qdq_conv_within_one_lsb(tmp_path: Path) -> None:
    path = _conv_qdq(tmp_path / "t.onnx")
    model = import_graph(path)
    x = cases.case_inputs([2, 6, 5], 30, 4)
    y = run_int(model, quantize_input(model, x))
    out = model.output_tensor
    assert np.abs(y - _ort_lsb(path, x, out.scale, out.zero_point)).max() <= 1


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"auto_pad": "SAME_UPPER", "pads": None}, "node 'conv' \\(Conv\\): auto_pad='SAME_UPPER' is not supported"),
        ({"group": 2}, "node 'conv' \\(Conv\\): group=2 is not supported"),
    ],
)
def test_unsupported_conv_attributes_name_the_node(tmp_path: Path, attrs: dict, message: str) -> None:
    clean = {k: v for k, v in attrs.items() if v is not None}
    path = tmp_path / "bad.onnx"
    if "pads" in attrs and attrs["pads"] is None:
        _conv_qdq(path, **clean)
        m = onnx.load(str(path))
        for a in list(m.graph.node[4].attribute):
            if a.name == "pads":
                m.graph.node[4].attribute.remove(a)
        onnx.save(m, str(path))
    else:  # two groups of two input channels each: neither standard nor depthwise
        _conv_qdq(path, c_in=4, **clean)
    with pytest.raises(ModelError, match=message) as info:
        import_graph(path)
    assert "\n" not in str(info.value) and "bad.onnx" in str(info.value)


def _pool_model(path: Path, op: str, **attrs: object) -> Path:
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "s", "z"], ["xq"], name="q_in"),
        helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["x"], name="dq_in"),
        helper.make_node(op, ["x"], ["p"], name="pool", **attrs),
        helper.make_node("QuantizeLinear", ["p", "s", "z"], ["yq"], name="q_out"),
        helper.make_node("DequantizeLinear", ["yq", "s", "z"], ["output"], name="dq_out"),
    ]
    inits = [numpy_helper.from_array(np.float32(0.05), "s"), numpy_helper.from_array(np.int8(0), "z")]
    g = helper.make_graph(
        nodes,
        "p",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", "out"])],
        inits,
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


@pytest.mark.parametrize(
    ("op", "attrs", "message"),
    [
        ("MaxPool", {"kernel_shape": [2, 2], "ceil_mode": 1}, "ceil_mode=1 is not supported"),
        ("AveragePool", {"kernel_shape": [2, 2], "auto_pad": "SAME_LOWER"}, "auto_pad='SAME_LOWER'"),
        ("MaxPool", {"kernel_shape": [2, 2], "dilations": [2, 2]}, "pooling with dilation"),
        ("LpPool", {"kernel_shape": [2, 2]}, "unsupported operator"),
        ("BatchNormalization", {}, "must be folded into the preceding Conv"),
    ],
)
def test_unsupported_pools_name_the_node(tmp_path: Path, op: str, attrs: dict, message: str) -> None:
    path = _pool_model(tmp_path / "pool.onnx", op, **attrs)
    if op == "BatchNormalization":
        m = onnx.load(str(path))
        for n in ("g", "bb", "mean", "var"):
            m.graph.initializer.append(numpy_helper.from_array(np.ones(3, np.float32), n))
        m.graph.node[2].input.extend(["g", "bb", "mean", "var"])
        m.graph.node[2].ClearField("attribute")
        onnx.save(m, str(path))
    with pytest.raises(ModelError, match=message) as info:
        import_graph(path)
    assert "node 'pool'" in str(info.value) and "\n" not in str(info.value)


def test_pooling_matches_onnxruntime(tmp_path: Path) -> None:
    for op, attrs in [
        ("AveragePool", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
        ("AveragePool", {"kernel_shape": [2, 3], "strides": [2, 1], "pads": [1, 0, 0, 2], "count_include_pad": 1}),
        ("MaxPool", {"kernel_shape": [3, 2], "strides": [1, 2], "pads": [0, 1, 2, 0]}),
    ]:
        path = _pool_model(tmp_path / "pool.onnx", op, **attrs)
        model = import_graph(path)
        x = cases.case_inputs([3, 8, 8], 50, 9) * 3
        y = run_int(model, quantize_input(model, x))
        diff = np.abs(y - _ort_lsb(path, x, 0.05, 0))
        assert diff.max() <= (0 if op == "MaxPool" else 1), (op, attrs)


def test_check_names_the_first_operator_beyond_tolerance(tmp_path: Path) -> None:
    from m0nn.graph.check import check_graph

    path, x = cases.build_ort_case("cnn", tmp_path)
    model = import_graph(path)
    text = check_graph(model, x.astype(np.float64), None, 1)
    assert "first operator beyond tolerance (1 LSB): none" in text
    strict = check_graph(model, x.astype(np.float64), None, 0)
    assert "first operator beyond tolerance (0 LSB): 0 (conv" in strict


def test_hostile_node_names_stay_inside_comments(tmp_path: Path) -> None:
    """A node name that would end a C comment reaches the header escaped; the header compiles."""
    import subprocess

    path, _ = cases.build_ort_case("cnn", tmp_path)
    m = onnx.load(str(path))
    for node in m.graph.node:
        if node.op_type in ("Conv", "Gemm", "MaxPool"):
            node.name = 'x */ #error injected /* "'
    onnx.save(m, str(path))
    (header,) = generate(path, tmp_path / "gen")
    text = header.read_text()
    assert "*/ #error" not in text and not any(line.lstrip().startswith("#error inj") for line in text.splitlines())
    src = tmp_path / "t.c"
    src.write_text('#include "cnn.h"\n')
    inc = ROOT / "lib" / "m0nn" / "include"
    done = subprocess.run(["gcc", "-std=c99", "-fsyntax-only", f"-I{inc}", f"-I{header.parent}", str(src)])
    assert done.returncode == 0


def test_graph_external_data_is_hashed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A conv net whose weights live in net.onnx.data: retrained weights (the .onnx itself
    unchanged) regenerate its headers, as for fully connected models."""
    from m0nn import prebuild

    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    model = proj / "models" / "net.onnx"

    def save(scale: float, folder: Path) -> None:
        m = onnx.load(str(_conv_qdq(tmp_path / "src.onnx")))
        w = next(t for t in m.graph.initializer if t.name == "w")
        w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w) * np.float32(scale), "w"))
        onnx.save(m, str(folder / "net.onnx"), save_as_external_data=True, location="net.onnx.data", size_threshold=0)

    save(1.0, proj / "models")
    assert prebuild.run(proj) == 0
    header = proj / "lib" / "m0nn" / "generated" / "net.h"
    first = header.read_text()
    assert "graph model:" in first and " * external data: net.onnx.data sha256 " in first
    onnx_bytes = model.read_bytes()
    capsys.readouterr()
    (tmp_path / "retrained").mkdir()
    save(0.5, tmp_path / "retrained")  # same graph and layout, other weights: only the .data differs
    shutil.copy(tmp_path / "retrained" / "net.onnx.data", proj / "models" / "net.onnx.data")
    assert model.read_bytes() == onnx_bytes
    assert prebuild.run(proj) == 0
    assert "(external data net.onnx.data changed)" in capsys.readouterr().out
    assert header.read_text() != first
