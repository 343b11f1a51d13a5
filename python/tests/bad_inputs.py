"""The bad-input corpus: small model builders and ~200 faulty (or edge) inputs made
from them. Each case writes files into a models folder and names the model file
`m0nn gen` is run on; `expect` is "ok" (headers written), a substring of the one
error line, or None (either, as long as the outcome is clean: the importer's
numeric limits belong to m0nn.quant and may widen).
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from conftest import MODELS
from onnx import TensorProto, helper, numpy_helper


@dataclass
class Graph:
    """A QDQ MLP as editable parts: nodes, initializers (name -> array), inputs, outputs."""

    nodes: list[onnx.NodeProto]
    inits: dict[str, np.ndarray]
    inputs: list[onnx.ValueInfoProto]
    outputs: list[onnx.ValueInfoProto]
    producer: str = "bad-inputs"
    node_names: dict[str, str] = field(default_factory=dict)

    def node(self, name: str) -> onnx.NodeProto:
        return next(n for n in self.nodes if n.name == name)

    def proto(self) -> onnx.ModelProto:
        inits = [numpy_helper.from_array(v, k) for k, v in self.inits.items()]
        graph = helper.make_graph(self.nodes, "m", self.inputs, self.outputs, inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name=self.producer)
        model.ir_version = 8
        return model

    def save(self, path: Path) -> Path:
        onnx.save(self.proto(), str(path))
        return path


def mlp(sizes: tuple[int, ...] = (6, 5, 3), seed: int = 0, relu: bool = True) -> Graph:
    """input -> Q -> DQ -> [Gemm(DQ(w int8, per channel), DQ(b int32)) -> Relu -> Q -> DQ] * n -> output."""
    rng = np.random.default_rng(seed)
    inits: dict[str, np.ndarray] = {
        "s_in": np.array(0.05, np.float32),
        "zp_in": np.array(-3, np.int8),
    }
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "s_in", "zp_in"], ["x0q"], name="q_in"),
        helper.make_node("DequantizeLinear", ["x0q", "s_in", "zp_in"], ["x0"], name="dq_in"),
    ]
    s_prev = 0.05
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        w_scale = rng.uniform(0.002, 0.01, n_out).astype(np.float32)
        inits[f"w{i}"] = rng.integers(-127, 128, (n_out, n_in)).astype(np.int8)
        inits[f"ws{i}"] = w_scale
        inits[f"wz{i}"] = np.zeros(n_out, np.int8)
        inits[f"b{i}"] = rng.integers(-300, 300, n_out).astype(np.int32)
        inits[f"bs{i}"] = (s_prev * w_scale).astype(np.float32)
        inits[f"bz{i}"] = np.zeros(n_out, np.int32)
        inits[f"s{i}"] = np.array(0.04, np.float32)
        inits[f"z{i}"] = np.array(-20 if relu else 0, np.int8)
        last = i == len(sizes) - 2
        act = f"g{i}"
        nodes += [
            helper.make_node("DequantizeLinear", [f"w{i}", f"ws{i}", f"wz{i}"], [f"wd{i}"], name=f"dq_w{i}", axis=0),
            helper.make_node("DequantizeLinear", [f"b{i}", f"bs{i}", f"bz{i}"], [f"bd{i}"], name=f"dq_b{i}", axis=0),
            helper.make_node("Gemm", [f"x{i}", f"wd{i}", f"bd{i}"], [f"g{i}"], name=f"gemm{i}", transB=1),
        ]
        if relu and not last:
            nodes.append(helper.make_node("Relu", [f"g{i}"], [f"r{i}"], name=f"relu{i}"))
            act = f"r{i}"
        out = "output" if last else f"x{i + 1}"
        nodes += [
            helper.make_node("QuantizeLinear", [act, f"s{i}", f"z{i}"], [f"q{i}"], name=f"q{i}"),
            helper.make_node("DequantizeLinear", [f"q{i}", f"s{i}", f"z{i}"], [out], name=f"dq{i}"),
        ]
        s_prev = 0.04
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", sizes[0]])]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", sizes[-1]])]
    return Graph(nodes, inits, inputs, outputs)


def write_test_data(path: Path, n_in: int = 6, rows: int = 5, seed: int = 0, **arrays: np.ndarray) -> Path:
    """x [rows, n_in] and labels of the two classes every model here has at least."""
    rng = np.random.default_rng(seed)
    data = {"x": rng.uniform(-1, 1, (rows, n_in)).astype(np.float32), "y": rng.integers(0, 2, rows).astype(np.int16)}
    data.update(arrays)
    np.savez(path, **data)
    return path


CASES_MIN = 150

Builder = Callable[[Path], Path]


@dataclass(frozen=True)
class Case:
    id: str
    build: Builder  # writes into the models folder, returns the model file
    expect: str | None  # "ok", a substring of the error line, or None (either, cleanly)


def _graph_case(id: str, edit: Callable[[Graph], object], expect: str | None, name: str = "net") -> Case:
    def build(d: Path) -> Path:
        g = mlp()
        edit(g)
        return g.save(d / f"{name}.onnx")

    return Case(id, build, expect)


def _bytes_case(id: str, data: Callable[[], bytes], expect: str | None = "not a valid ONNX model") -> Case:
    def build(d: Path) -> Path:
        path = d / "net.onnx"
        path.write_bytes(data())
        return path

    return Case(id, build, expect)


def _good() -> bytes:
    return mlp().proto().SerializeToString()


def _set(g: Graph, name: str, value: np.ndarray) -> None:
    g.inits[name] = value


def _replace_node(g: Graph, name: str, new: onnx.NodeProto) -> None:
    i = next(k for k, n in enumerate(g.nodes) if n.name == name)
    g.nodes[i] = new


def _attr(g: Graph, node: str, **attrs: object) -> None:
    n = g.node(node)
    for k, v in attrs.items():
        for a in list(n.attribute):
            if a.name == k:
                n.attribute.remove(a)
        n.attribute.append(helper.make_attribute(k, v))


def _insert_after(g: Graph, node: str, new: onnx.NodeProto) -> None:
    """Insert `new` after `node`, rewiring the consumers of node's output to new's output."""
    i = next(k for k, n in enumerate(g.nodes) if n.name == node)
    old, fresh = g.nodes[i].output[0], new.output[0]
    for n in g.nodes[i + 1 :]:
        for j, inp in enumerate(n.input):
            if inp == old:
                n.input[j] = fresh
    g.nodes.insert(i + 1, new)


def corrupt_cases() -> list[Case]:
    good = _good()
    cases = [
        _bytes_case("empty", lambda: b""),
        _bytes_case("text", lambda: b"hello, I am a model\n" * 20),
        _bytes_case("gzip", lambda: gzip.compress(_good())),
        _bytes_case("tensor_proto", lambda: numpy_helper.from_array(np.ones(3, np.float32)).SerializeToString()),
        _bytes_case("graph_proto", lambda: mlp().proto().graph.SerializeToString()),
        _bytes_case("nul_bytes", lambda: bytes(4096)),
        _bytes_case("ff_bytes", lambda: b"\xff" * 4096),
    ]
    for frac in (0.02, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.98, 0.999):
        cases.append(_bytes_case(f"truncated_{frac}", lambda f=frac: good[: int(len(good) * f)]))
    for seed in range(8):
        cases.append(
            _bytes_case(f"random_{seed}", lambda s=seed: np.random.default_rng(s).bytes(64 + 300 * s), expect=None)
        )
    for seed in range(6):  # flipped bytes inside a valid model: any outcome, cleanly

        def flipped(s: int = seed) -> bytes:
            b = bytearray(good)
            rng = np.random.default_rng(100 + s)
            for k in rng.integers(0, len(b), 4):
                b[k] ^= 0xFF
            return bytes(b)

        cases.append(_bytes_case(f"bitflip_{seed}", flipped, expect=None))

    def huge_dims(g: Graph) -> None:
        t = onnx.TensorProto(name="w0", data_type=TensorProto.INT8, dims=[2**40, 6])
        g.inits.pop("w0")
        g.nodes.insert(0, helper.make_node("Constant", [], ["w0"], name="huge", value=t))

    cases.append(_graph_case("huge_dims", huge_dims, None))

    def no_opset(d: Path) -> Path:
        m = mlp().proto()
        del m.opset_import[:]
        path = d / "net.onnx"
        path.write_bytes(m.SerializeToString())
        return path

    cases.append(Case("no_opset", no_opset, "not a valid ONNX model"))

    def directory(d: Path) -> Path:
        (d / "net.onnx").mkdir()
        return d / "net.onnx"

    cases.append(Case("directory", directory, "no such model file"))
    return cases


def graph_cases() -> list[Case]:
    c = _graph_case
    cases = [
        c("cycle", lambda g: g.node("gemm0").input.__setitem__(0, "x1"), None),
        c("missing_input", lambda g: g.node("gemm1").input.__setitem__(0, "nowhere"), None),
        c("dangling_output", lambda g: g.outputs.append(helper.make_tensor_value_info("ghost", 1, None)), None),
        c("two_outputs", lambda g: g.outputs.append(helper.make_tensor_value_info("x1", 1, ["N", 5])), "outputs"),
        c(
            "output_not_quantized",
            lambda g: g.outputs.__setitem__(0, helper.make_tensor_value_info("g1", 1, ["N", 3])),
            "not quantized",
        ),  # fmt: skip
        c(
            "no_layer",
            lambda g: [
                g.nodes.__delitem__(slice(2, None)),
                g.outputs.__setitem__(0, helper.make_tensor_value_info("x0", 1, None)),
            ],
            None,
        ),  # fmt: skip
        c("weights_3d", lambda g: _set(g, "w0", np.zeros((5, 6, 1), np.int8)), None),
        c("weights_0xN", lambda g: [_set(g, "w0", np.zeros((0, 6), np.int8))], None),
        c("weights_Nx0", lambda g: [_set(g, "w0", np.zeros((5, 0), np.int8))], None),
        c("weights_int16", lambda g: _set(g, "w0", np.zeros((5, 6), np.int16)), None),
        c("weights_float_no_q", lambda g: g.node("gemm0").input.__setitem__(1, "ws0"), None),
        c("activation_int32", lambda g: _set(g, "z0", np.array(0, np.int32)), "int8 or uint8"),
        c("activation_int16_type", lambda g: _set(g, "zp_in", np.array(0, np.int16)), None),
        c(
            "input_double",
            lambda g: g.inputs.__setitem__(0, helper.make_tensor_value_info("input", 11, ["N", 6])),
            None,
        ),  # fmt: skip
        c("gemm_alpha", lambda g: _attr(g, "gemm0", alpha=2.0), "alpha and beta"),
        c("gemm_beta", lambda g: _attr(g, "gemm1", beta=0.5), "alpha and beta"),
        c("gemm_transA", lambda g: _attr(g, "gemm0", transA=1), None),
        c("gemm_no_transB", lambda g: _attr(g, "gemm0", transB=0), None),
        c(
            "missing_scale_input",
            lambda g: [g.inits.pop("s0"), g.inputs.append(helper.make_tensor_value_info("s0", 1, []))],
            "scale must be a constant",
        ),  # fmt: skip
        c(
            "zero_point_input",
            lambda g: [g.inits.pop("z1"), g.inputs.append(helper.make_tensor_value_info("z1", 3, []))],
            None,
        ),  # fmt: skip
        c("weight_scale_count", lambda g: _set(g, "ws0", np.full(4, 0.01, np.float32)), None),
        c("weight_zp_count", lambda g: _set(g, "wz0", np.zeros(3, np.int8)), None),
        c("bias_scale_count", lambda g: _set(g, "bs0", np.full(3, 0.001, np.float32)), None),
        c("bias_length", lambda g: _set(g, "b1", np.zeros(4, np.int32)), None),
        c(
            "bias_length_and_scales",
            lambda g: [_set(g, "b1", np.zeros(4, np.int32)), _set(g, "bs1", np.full(4, 1e-4, np.float32))],
            None,
        ),  # fmt: skip
        c(
            "bias_float_nan",
            lambda g: [g.node("gemm0").input.__setitem__(2, "bf"), _set(g, "bf", np.full(5, np.nan, np.float32))],
            "NaN",
        ),  # fmt: skip
        c(
            "bias_float_huge",
            lambda g: [g.node("gemm0").input.__setitem__(2, "bf"), _set(g, "bf", np.full(5, 1e30, np.float32))],
            "bias",
        ),  # fmt: skip
        c("bias_from_input", lambda g: [g.node("gemm0").input.__setitem__(2, "input")], None),
        c("per_channel_input_scale", lambda g: _set(g, "s_in", np.full(6, 0.05, np.float32)), None),
        c("per_channel_output_scale", lambda g: _set(g, "s0", np.full(5, 0.05, np.float32)), None),
        c("weight_axis_out_of_range", lambda g: _attr(g, "dq_w0", axis=5), None),
        c("weight_axis_1", lambda g: _attr(g, "dq_w0", axis=1), None),
        c(
            "clip_inverted",
            lambda g: (
                _insert_after(g, "gemm1", helper.make_node("Clip", ["g1", "clo", "chi"], ["c1"], name="clip1"))
                or g.inits.update(clo=np.array(6.0, np.float32), chi=np.array(0.0, np.float32))
            ),
            "empty or NaN",
        ),  # fmt: skip
        c(
            "clip_nan",
            lambda g: (
                _insert_after(g, "gemm1", helper.make_node("Clip", ["g1", "clo", ""], ["c1"], name="clip1"))
                or g.inits.update(clo=np.array(np.nan, np.float32))
            ),
            "empty or NaN",
        ),  # fmt: skip
        c(
            "clip_bound_graph_input",
            lambda g: [
                _insert_after(g, "gemm1", helper.make_node("Clip", ["g1", "", "chi"], ["c1"], name="clip1")),
                g.inputs.append(helper.make_tensor_value_info("chi", 1, [])),
            ],
            "bound must be a constant",
        ),  # fmt: skip
        c(
            "clip_bound_vector",
            lambda g: (
                _insert_after(g, "gemm1", helper.make_node("Clip", ["g1", "clo", ""], ["c1"], name="clip1"))
                or g.inits.update(clo=np.zeros(3, np.float32))
            ),
            "bound must be a constant",
        ),  # fmt: skip
        c(
            "clip_ok",
            lambda g: (
                _insert_after(g, "gemm1", helper.make_node("Clip", ["g1", "clo", "chi"], ["c1"], name="clip1"))
                or g.inits.update(clo=np.array(-1.0, np.float32), chi=np.array(1.0, np.float32))
            ),
            "ok",
        ),  # fmt: skip
        c(
            "clip_quantized_7bit",
            lambda g: (
                _insert_after(g, "q1", helper.make_node("Clip", ["q1", "", "cq"], ["c1"], name="clip_q"))
                or g.inits.update(cq=np.array(60, np.int8))
            ),
            "ok",
        ),  # fmt: skip
        c(
            "clip_quantized_empty",
            lambda g: (
                _insert_after(g, "q_in", helper.make_node("Clip", ["x0q", "cl", "ch"], ["cq"], name="clip_q"))
                or g.inits.update(cl=np.array(5, np.int8), ch=np.array(5, np.int8))
            ),
            "ok",
        ),  # fmt: skip
        c(
            "two_activations",
            lambda g: _insert_after(g, "relu0", helper.make_node("Relu", ["r0"], ["rr"], name="r2")),
            "two activations",
        ),  # fmt: skip
        c(
            "requantize_other_scale",
            lambda g: (
                _insert_after(
                    g, "dq0", helper.make_node("QuantizeLinear", ["x1", "s_in", "zp_in"], ["rq"], name="requant")
                )
                or _insert_after(
                    g, "requant", helper.make_node("DequantizeLinear", ["rq", "s_in", "zp_in"], ["rqd"], name="rqdq")
                )
            ),
            "different scale",
        ),  # fmt: skip
        c(
            "flatten_axis0",
            lambda g: _insert_after(g, "dq_in", helper.make_node("Flatten", ["x0"], ["xf"], name="flat", axis=0)),
            "Flatten",
        ),  # fmt: skip
        c(
            "reshape_3d",
            lambda g: (
                _insert_after(g, "dq_in", helper.make_node("Reshape", ["x0", "shp"], ["xr"], name="reshape"))
                or g.inits.update(shp=np.array([1, 2, 3], np.int64))
            ),
            "Reshape",
        ),  # fmt: skip
        c(
            "reshape_dynamic",
            lambda g: _insert_after(g, "dq_in", helper.make_node("Reshape", ["x0", "input"], ["xr"], name="reshape")),
            None,
        ),  # fmt: skip
        c(
            "identity_ok",
            lambda g: _insert_after(g, "dq_in", helper.make_node("Identity", ["x0"], ["xi"], name="id")),
            "ok",
        ),  # fmt: skip
        c(
            "dq_of_float",
            lambda g: _insert_after(
                g, "q_in", helper.make_node("DequantizeLinear", ["input", "s_in", "zp_in"], ["bad"], name="dq_float")
            ),
            None,
        ),  # fmt: skip
        c(
            "relu_on_input",
            lambda g: _insert_after(g, "dq_in", helper.make_node("Relu", ["x0"], ["xr"], name="r")),
            "activation must follow",
        ),  # fmt: skip
        c(
            "constant_sparse",
            lambda g: g.nodes.insert(0, helper.make_node("Constant", [], ["sp"], name="c", value_float=1.0)),
            None,
        ),  # fmt: skip
        c(
            "width_65536",
            lambda g: [
                _set(g, "w0", np.ones((5, 65536), np.int8)),
                g.inputs.__setitem__(0, helper.make_tensor_value_info("input", 1, ["N", 65536])),
            ],
            "at most 65535",
        ),  # fmt: skip
        c(
            "transpose_3d",
            lambda g: [
                _insert_after(g, "dq_w0", helper.make_node("Transpose", ["wd0"], ["wt"], name="tr", perm=[1, 0])),
                _attr(g, "gemm0", transB=0),
            ],
            "ok",
        ),  # fmt: skip
    ]
    for op in ("Sigmoid", "Tanh", "Softmax", "Exp", "Abs", "LeakyRelu", "HardSigmoid", "Neg", "Sqrt", "Elu"):
        cases.append(c(f"unsupported_{op}", lambda g, o=op: _insert_after(
            g, "gemm1", helper.make_node(o, ["g1"], ["u"], name="extra")), "unsupported operator"))  # fmt: skip
    for op in ("Conv", "MaxPool", "Concat", "Mul"):
        cases.append(c(f"unsupported_{op}_shape", lambda g, o=op: _insert_after(
            g, "dq_in", helper.make_node(o, ["x0", "x0"] if o in ("Concat", "Mul") else ["x0"], ["u"], name="u")),
            None))  # fmt: skip
    for site in ("s_in", "ws0", "s0", "bs0", "s1"):
        for label, value in (("zero", 0.0), ("negative", -0.01), ("nan", np.nan), ("inf", np.inf), ("ninf", -np.inf)):
            shape = np.shape(mlp().inits[site])
            cases.append(
                c(
                    f"scale_{site}_{label}",
                    lambda g, s=site, v=value, sh=shape: _set(g, s, np.full(sh, v, np.float32)),
                    None if site == "bs0" else "scales must be finite and positive",
                )  # fmt: skip
            )
    for site, value in (("zp_in", np.array(200, np.uint8)), ("z0", np.array(255, np.uint8)),
                        ("wz0", np.full(5, 3, np.int8)), ("bz0", np.full(5, 7, np.int32)),
                        ("z1", np.array(-128, np.int8)), ("zp_in", np.array(127, np.int8))):  # fmt: skip
        cases.append(c(f"zero_point_{site}_{int(value.reshape(-1)[0])}_{value.dtype}",
                       lambda g, s=site, v=value: _set(g, s, v), None))  # fmt: skip
    return cases


def numeric_cases() -> list[Case]:
    c = _graph_case
    cases = [
        c(
            "weights_nan_float",
            lambda g: [
                g.inits.update(wf=np.full((5, 6), np.nan, np.float32)),
                g.nodes.insert(0, helper.make_node("QuantizeLinear", ["wf", "ws0", "wz0"], ["w0"], name="q_w", axis=0)),
                g.inits.pop("w0"),
            ],
            "NaN",
        ),  # fmt: skip
        c(
            "weights_inf_float",
            lambda g: [
                g.inits.update(wf=np.full((5, 6), np.inf, np.float32)),
                g.nodes.insert(0, helper.make_node("QuantizeLinear", ["wf", "ws0", "wz0"], ["w0"], name="q_w", axis=0)),
                g.inits.pop("w0"),
            ],
            "NaN",
        ),  # fmt: skip
        c(
            "weights_float_ok",
            lambda g: [
                g.inits.update(wf=np.full((5, 6), 0.03, np.float32)),
                g.nodes.insert(0, helper.make_node("QuantizeLinear", ["wf", "ws0", "wz0"], ["w0"], name="q_w", axis=0)),
                g.inits.pop("w0"),
            ],
            "ok",
        ),  # fmt: skip
        c("weights_all_minus128", lambda g: _set(g, "w0", np.full((5, 6), -128, np.int8)), None),
        c("weights_all_zero", lambda g: _set(g, "w0", np.zeros((5, 6), np.int8)), "ok"),
        c("bias_int32_max", lambda g: _set(g, "b0", np.full(5, 2**31 - 1, np.int32)), None),
        c("bias_int32_min", lambda g: _set(g, "b0", np.full(5, -(2**31), np.int32)), None),
        c("scale_tiny", lambda g: _set(g, "s_in", np.array(1e-38, np.float32)), None),
        c("scale_denormal", lambda g: _set(g, "s0", np.array(1e-45, np.float32)), None),
        c("scale_huge", lambda g: _set(g, "s_in", np.array(3e38, np.float32)), None),
        c("output_scale_tiny", lambda g: _set(g, "s1", np.array(1e-30, np.float32)), None),
        c("weight_scale_huge", lambda g: _set(g, "ws1", np.full(3, 1e30, np.float32)), None),
        c("one_by_one", lambda g: None, "ok"),
        c(
            "wide_1000",
            lambda g: [
                _set(g, "w0", np.ones((5, 1000), np.int8)),
                g.inputs.__setitem__(0, helper.make_tensor_value_info("input", 1, ["N", 1000])),
            ],
            "ok",
        ),  # fmt: skip
    ]
    for sizes in ((1, 1), (1, 64), (64, 1), (3, 300, 2), (2, 2, 2, 2, 2, 2)):

        def build(d: Path, sz: tuple[int, ...] = sizes) -> Path:
            return mlp(sz).save(d / "net.onnx")

        cases.append(Case(f"shape_{'x'.join(map(str, sizes))}", build, "ok"))
    return cases


def _named(stem: str, expect: str | None, data: bool = True) -> Case:
    def build(d: Path) -> Path:
        path = d / (stem + ".onnx")
        mlp().save(path)
        if data and len(stem.encode("utf-8", "surrogateescape")) <= 240:
            write_test_data(d / (stem + ".test.npz"))
        return path

    return Case(f"name_{stem.encode('utf-8', 'surrogateescape').hex()[:24]}", build, expect)


def name_cases() -> list[Case]:
    return [
        _named("a" * 240, "ok"),
        _named("b" * 241, "at most 240"),
        _named("c" * 250, "at most 240"),
        _named("模型", "ok"),
        _named("modèle net", "ok"),
        _named("with space", "ok"),
        _named("9-axis", "ok"),
        _named("UPPER", "ok"),
        _named("\udcff\udcfe", "not valid UTF-8"),
        _named("a\udc80b", "not valid UTF-8"),
        _named("int", "C keyword"),
        _named("while", "C keyword"),
        _named("m0nn", "belong to the library"),
        _named("M0NN_layers", "belong to the library"),
        _named("stdint", "would shadow"),
        _named("string", "would shadow"),
        _named("Arduino", "would shadow"),
        _named("stdio_", "would shadow"),
        _named("m0qemu", "board-support header m0qemu.h"),
        _named("M0QEMU_io_semihosting", "board-support header"),
        _named("m0qemu-io-nrf51-uart", "board-support header"),
        _named("digits_test", "test-data header"),
        _named("x_TEST", "test-data header"),
        _named("---", "no letter or digit"),
        _named("_", "no letter or digit"),
        _named("a*b", "ok"),
        _named("x;y", "ok"),
        _named("semi$colon", "ok"),
        _named("tab\tname", "ok"),
    ]


def _with_data(id: str, expect: str, **arrays: object) -> Case:
    def build(d: Path) -> Path:
        path = mlp().save(d / "net.onnx")
        rng = np.random.default_rng(1)
        data: dict[str, object] = {"x": rng.uniform(-1, 1, (5, 6)).astype(np.float32), "y": np.arange(5) % 3}
        for k, v in arrays.items():
            if v is None:
                data.pop(k)
            else:
                data[k] = v
        np.savez(d / "net.test.npz", **data)  # type: ignore[arg-type]
        return path

    return Case(f"data_{id}", build, expect)


def _conv_data(id: str, expect: str, **change: Callable[[np.ndarray], np.ndarray]) -> Case:
    """The committed conv example `activity` (input [3, 32], 4 outputs) with 20 of its test
    vectors, x given as [N, 3, 32] and `change`d (x, y)."""

    def build(d: Path) -> Path:
        stored = np.load(MODELS / "activity.test.npz")
        data = {"x": stored["x"][:20].reshape(20, 3, 32), "y": stored["y"][:20]}
        for k, f in change.items():
            data[k] = f(data[k])
        shutil.copy(MODELS / "activity.onnx", d / "act.onnx")
        np.savez(d / "act.test.npz", **data)  # type: ignore[arg-type]
        return d / "act.onnx"

    return Case(f"data_conv_{id}", build, expect)


def conv_data_cases() -> list[Case]:
    """TRIAL5 F4: a conv model's x must be [N, *input shape] or flattened; any other shape
    with the same element count (channels-last [N, 32, 3]) was silently flattened."""
    return [
        _conv_data("as_input_shape", "ok"),
        _conv_data("flattened", "ok", x=lambda x: x.reshape(len(x), -1)),
        _conv_data(
            "channels_last",
            "x has shape [20, 32, 3], the model takes [N, 3, 32] (or flattened [N, 96])",
            x=lambda x: x.transpose(0, 2, 1),
        ),  # fmt: skip
        _conv_data("extra_axis", "x has shape [20, 3, 32, 1], the model takes", x=lambda x: x[..., None]),
        _conv_data("wrong_size", "x has shape [20, 3, 31], the model takes", x=lambda x: x[..., :31]),
        _conv_data("labels_beyond_outputs", "y has labels 4..7, the model has 4 outputs", y=lambda y: y % 4 + 4),
        _conv_data(
            "float_labels", "y has shape [20] (float32), the model has 4 outputs", y=lambda y: y.astype(np.float32)
        ),  # fmt: skip
        _conv_data("int_x", "x has type int16, not float inputs", x=lambda x: (x * 100).astype(np.int16)),
    ]


def data_cases() -> list[Case]:
    x = np.random.default_rng(1).uniform(-1, 1, (5, 6)).astype(np.float32)
    nan_x, inf_x = x.copy(), x.copy()
    nan_x[2, 3], inf_x[4, 0] = np.nan, np.inf
    cases = [
        _with_data("ok", "ok"),
        _with_data("no_labels", "ok", y=None),
        _with_data("float_targets", "ok", y=np.linspace(0, 1, 15).reshape(5, 3)),
        # TRIAL5 F2: float y of the wrong shape was a traceback in m0nn check, labels of -1 in the header
        _with_data(
            "float_labels",
            "y has shape [5] (float64), the model has 3 outputs: y must be integer labels "
            "in [0, 3) of shape [N], or regression targets [N, 3]",
            y=np.linspace(0, 1, 5),
        ),  # fmt: skip
        _with_data("float_targets_too_narrow", "y has shape [5, 2] (float32)", y=np.zeros((5, 2), np.float32)),
        # TRIAL5 F3: labels the model's outputs cannot have, x already quantized or not numbers
        _with_data(
            "labels_beyond_outputs",
            "y has labels 3..7, the model has 3 outputs: class indices must be in [0, 3)",
            y=np.arange(5) + 3,
        ),  # fmt: skip
        _with_data("negative_labels", "y has labels -1..2", y=np.array([0, 1, -1, 2, 1])),
        _with_data(
            "int8_x", "x has type int8, not float inputs (already quantized?", x=np.zeros((5, 6), np.int8)
        ),  # fmt: skip
        _with_data("int32_x", "x has type int32, not float inputs", x=np.zeros((5, 6), np.int32)),
        _with_data("bool_x", "x has type bool, not float inputs", x=np.zeros((5, 6), bool)),
        _with_data("complex_x", "x has type complex64, not numbers", x=np.zeros((5, 6), np.complex64)),
        _with_data("nan_x", "NaN or infinite", x=nan_x),
        _with_data("inf_x", "NaN or infinite", x=inf_x),
        _with_data("nan_y", "NaN or infinite", y=np.array([0, 1, np.nan, 1, 0])),
        _with_data("too_many_labels", "6 labels for 5 rows", y=np.arange(6)),
        _with_data("too_few_labels", "4 labels for 5 rows", y=np.arange(4)),
        _with_data("scalar_label", "labels for 5 rows", y=np.array(3)),
        _with_data("labels_beyond_int16", "y has labels 0..40000", y=np.array([0, 1, 40000, 2, 1])),
        _with_data("labels_below_int16", "y has labels -40000..2", y=np.array([0, 1, -40000, 2, 1], np.int64)),
        _with_data("string_labels", "not numbers", y=np.array(["a", "b", "c", "d", "e"])),
        _with_data("zero_rows", "rows", x=np.zeros((0, 6), np.float32), y=np.zeros(0, np.int16)),
        _with_data("wrong_width", "the model takes", x=np.zeros((5, 7), np.float32)),
        _with_data("one_d_x", "the model takes", x=np.zeros(6, np.float32), y=np.zeros(1, np.int16)),
        _with_data("three_d_x", "the model takes", x=np.zeros((5, 6, 1), np.float32)),
        _with_data("no_x", "cannot read test data", x=None),
        _with_data("string_x", "x has type <U1, not numbers", x=np.array([["a"] * 6] * 5)),
        _with_data("numeric_string_x", "x has type <U32, not numbers", x=x.astype(str)),
        _with_data("object_x", "which m0nn never loads", x=np.array([[object()] * 6] * 5, dtype=object)),
        _with_data("float64_x", "ok", x=x.astype(np.float64)),
        _with_data("huge_x", "ok", x=np.full((5, 6), 1e30, np.float32)),
        _with_data("bool_labels", "ok", y=np.array([True, False, True, False, True])),
        _with_data("uint8_labels", "ok", y=np.arange(5, dtype=np.uint8) % 3),
        _with_data("one_row", "ok", x=x[:1], y=np.zeros(1, np.int16)),
    ]

    def corrupt_npz(d: Path) -> Path:
        path = mlp().save(d / "net.onnx")
        (d / "net.test.npz").write_bytes(b"PK\x03\x04 not really a zip")
        return path

    def empty_npz(d: Path) -> Path:
        path = mlp().save(d / "net.onnx")
        (d / "net.test.npz").write_bytes(b"")
        return path

    def npy_not_npz(d: Path) -> Path:
        path = mlp().save(d / "net.onnx")
        with open(d / "net.test.npz", "wb") as f:
            np.save(f, x)
        return path

    def text_npz(d: Path) -> Path:  # numpy's own error advised allow_pickle=True
        path = mlp().save(d / "net.onnx")
        (d / "net.test.npz").write_text("1,2,3,4,5,6\n")
        return path

    def npz_dir(d: Path) -> Path:
        path = mlp().save(d / "net.onnx")
        (d / "net.test.npz").mkdir()
        return path

    cases += [
        Case("data_corrupt_npz", corrupt_npz, "cannot read test data"),
        Case("data_empty_npz", empty_npz, "cannot read test data"),
        Case("data_npy_not_npz", npy_not_npz, "cannot read test data"),
        Case("data_text_npz", text_npz, "cannot read test data (an .npz with `x` and optional `y`): not an .npz"),
        Case("data_directory", npz_dir, "ok"),  # not a file: no test data
    ]
    return cases


def save_external(g: Graph, path: Path, location: str = "net.onnx.data") -> Path:
    model = g.proto()
    onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=location,
              size_threshold=0)  # fmt: skip
    return path


def _retarget(path: Path, location: str) -> None:
    """Point every external tensor of the saved model at `location` (the file is not moved)."""
    m = onnx.load(str(path), load_external_data=False)
    for t in m.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = location
    path.write_bytes(m.SerializeToString())


def external_cases() -> list[Case]:
    def ok(d: Path) -> Path:
        return save_external(mlp(), d / "net.onnx")

    def sub(d: Path) -> Path:
        (d / "weights").mkdir()
        return save_external(mlp(), d / "net.onnx", "weights/net.bin")

    def missing(d: Path) -> Path:
        path = save_external(mlp(), d / "net.onnx")
        (d / "net.onnx.data").unlink()
        return path

    def escaping(location: str) -> Builder:
        def build(d: Path) -> Path:
            path = save_external(mlp(), d / "net.onnx")
            shutil.copy(d / "net.onnx.data", d.parent / "outside.data")
            _retarget(path, location.replace("OUT", str(d.parent / "outside.data")))
            return path

        return build

    def symlink_out(d: Path) -> Path:
        path = save_external(mlp(), d / "net.onnx")
        shutil.move(d / "net.onnx.data", d.parent / "outside.data")
        (d / "net.onnx.data").symlink_to(d.parent / "outside.data")
        return path

    def truncated(d: Path) -> Path:
        path = save_external(mlp(), d / "net.onnx")
        data = d / "net.onnx.data"
        data.write_bytes(data.read_bytes()[:10])
        return path

    def weird(location: str) -> Builder:
        def build(d: Path) -> Path:
            path = save_external(mlp(), d / "net.onnx")
            _retarget(path, location)
            return path

        return build

    def empty_file(d: Path) -> Path:
        path = save_external(mlp(), d / "net.onnx")
        (d / "net.onnx.data").write_bytes(b"")
        return path

    return [
        Case("external_ok", ok, "ok"),
        Case("external_subfolder", sub, "ok"),
        Case("external_missing", missing, "is missing"),
        Case("external_dotdot", escaping("../outside.data"), "outside the model's folder"),
        Case("external_absolute", escaping("OUT"), "outside the model's folder"),
        Case("external_dot_dotdot", escaping("./x/../../outside.data"), "outside the model's folder"),
        Case("external_symlink_out", symlink_out, "outside the model's folder"),
        Case("external_truncated", truncated, "not a valid ONNX model"),
        Case("external_empty", empty_file, "not a valid ONNX model"),
        Case("external_newline", weird("net\n.data"), "not a plain name"),
        Case("external_unicode", weird("权重.data"), "not a plain name"),
        Case("external_empty_location", weird(""), "not a plain name"),
        Case("external_folder", weird("."), None),
    ]


def hostile_cases() -> list[Case]:
    """Text from the model that reaches the header's comments."""
    evil = [
        "*/ #error injected /*",
        "x\n#error injected\n",
        "??/\n#error injected",
        "tail\\\n#error injected",
        "\x00\x01\x1b[31m",
        "模型 */ int injected = 1; /*",
        "/* nested",
        "a" * 5000,
    ]
    cases = []
    for k, text in enumerate(evil):

        def producer(g: Graph, t: str = text) -> None:
            g.producer = t

        def node_names(g: Graph, t: str = text) -> None:
            for n in g.nodes:
                n.name = f"{t}{n.name}"

        def bad_node(g: Graph, t: str = text) -> None:
            _insert_after(g, "gemm1", helper.make_node("Sigmoid", ["g1"], ["u"], name=t))
            g.node("gemm1").name = t

        cases += [
            _graph_case(f"hostile_producer_{k}", producer, "ok"),
            _graph_case(f"hostile_node_names_{k}", node_names, "ok"),
            _graph_case(f"hostile_error_node_{k}", bad_node, "unsupported operator"),
        ]
    return cases


def all_cases() -> list[Case]:
    return (
        corrupt_cases()
        + graph_cases()
        + numeric_cases()
        + name_cases()
        + data_cases()
        + conv_data_cases()
        + external_cases()
        + (hostile_cases())
    )


def example_model(d: Path, name: str = "digits") -> Path:
    """A copy of a committed example model (and its test data) in `d`."""
    for suffix in (".onnx", ".test.npz"):
        if (MODELS / f"{name}{suffix}").is_file():
            shutil.copy(MODELS / f"{name}{suffix}", d / f"{name}{suffix}")
    return d / f"{name}.onnx"
