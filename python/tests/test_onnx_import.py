"""The QDQ importer on torch's export, onnxruntime's quantizer and hand-built
graphs; the integer reference against onnxruntime running the same QDQ graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import MODELS
from onnx_models import matmul_clip_model

from m0nn.cli import main as cli
from m0nn.errors import ModelError
from m0nn.onnx_import import import_model
from m0nn.reference import quantize_input, run_int

ort = pytest.importorskip("onnxruntime")


def ort_layer_outputs(path: Path, x: np.ndarray) -> list[np.ndarray]:
    """Every activation QuantizeLinear's output, computed by onnxruntime without
    graph rewrites (the QDQ graph's own float semantics)."""
    model = onnx.load(str(path))
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {v.name: v.type.tensor_type.elem_type for v in inferred.graph.value_info}
    consts = {i.name for i in model.graph.initializer}
    names = [
        n.output[0]
        for n in model.graph.node
        if n.op_type == "QuantizeLinear" and n.input[0] not in consts and n.input[0] != "input"
    ]
    for name in names:
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, types[name], None))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    outs = sess.run(names, {"input": x.astype(np.float32)})
    return [np.asarray(o).astype(np.int64) for o in outs]


@pytest.mark.parametrize("name", ["digits", "tilt"])
def test_example_models_match_onnxruntime_within_one_lsb(name: str) -> None:
    path = MODELS / f"{name}.onnx"
    model = import_model(path)
    x = np.load(MODELS / f"{name}.test.npz")["x"]
    ours = run_int(model, quantize_input(model, x))
    theirs = ort_layer_outputs(path, x)
    assert len(theirs) == len(model.layers)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        # ORT's uint8 activations would sit 128 higher; ours are int8 either way.
        assert np.abs(a.astype(np.int64) - b).max() <= 1, f"layer {i}"


def test_torch_export_is_per_channel_with_fused_relu() -> None:
    model = import_model(MODELS / "digits.onnx")
    assert [(layer.in_size, layer.out_size) for layer in model.layers] == [(64, 32), (32, 32), (32, 10)]
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "none"]
    assert all(layer.requant.per_channel for layer in model.layers)
    assert model.producer.startswith("pytorch")


@pytest.mark.parametrize("act_dtype", [np.int8, np.uint8])
def test_matmul_add_clip_flatten_graph(tmp_path: Path, act_dtype: type) -> None:
    path = matmul_clip_model(tmp_path / "m.onnx", act_dtype=act_dtype)
    model = import_model(path)
    (layer,) = model.layers
    assert layer.activation == "clip"
    assert layer.act_min == max(-128, layer.output_zero_point)
    assert layer.act_max == min(127, layer.output_zero_point + round(6.0 / layer.output_scale))
    x = np.random.default_rng(0).uniform(-2, 3, (200, 12))
    ours = run_int(model, quantize_input(model, x))[-1].astype(np.int64)
    theirs = ort_layer_outputs(path, x)[-1]
    if act_dtype == np.uint8:
        theirs = theirs - 128
    assert np.abs(ours - theirs).max() <= 1


def test_uint8_weights_match_onnxruntime(tmp_path: Path) -> None:
    """uint8 weights with zero point 0 (values up to 255): supported since issue 13
    (the kernels apply the zero point -128 of the weights stored as int8)."""
    path = matmul_clip_model(tmp_path / "u8w.onnx", weight_dtype=np.uint8)
    model = import_model(path)
    assert set(model.layers[0].weight_zero_point.tolist()) == {-128}
    x = np.random.default_rng(1).uniform(-2, 3, (200, 12))
    ours = run_int(model, quantize_input(model, x))[-1].astype(np.int64)
    assert np.abs(ours - ort_layer_outputs(path, x)[-1]).max() <= 1


BAD_MODELS = {
    "unsupported_op": ("Sigmoid", "node 'extra_node' (Sigmoid): unsupported operator"),
    "missing_scale": (None, "scale must be a constant"),
    "int32_weights": (None, "weights must be int8 or uint8"),
}


def _bad_model(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.onnx"
    if kind == "unsupported_op":
        return matmul_clip_model(path, extra_op="Sigmoid")
    if kind == "missing_scale":
        return matmul_clip_model(path, scale_as_input=True)
    if kind == "int32_weights":
        import onnx

        m = onnx.load(str(matmul_clip_model(path)))
        for init in m.graph.initializer:
            if init.name in ("w_q", "w_zp"):
                init.CopyFrom(
                    onnx.numpy_helper.from_array(onnx.numpy_helper.to_array(init).astype(np.int32), init.name)
                )
        onnx.save(m, str(path))
        return path
    path.write_bytes(b"\x08\x07this is not protobuf" * 10)
    return path


@pytest.mark.parametrize("kind", ["unsupported_op", "missing_scale", "int32_weights", "corrupt"])
def test_bad_models_fail_with_one_line_and_leave_output_alone(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bad_model(tmp_path, kind)
    with pytest.raises(ModelError) as info:
        import_model(path)
    message = str(info.value)
    assert "\n" not in message
    if kind in BAD_MODELS:
        assert BAD_MODELS[kind][1] in message
    else:
        assert "not a valid ONNX model" in message
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{kind}.h").write_text("previous header\n")
    before = sorted((p.name, p.read_bytes()) for p in out.iterdir())
    assert cli(["gen", str(path), "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("m0nn gen: error:") and "\n" not in err
    assert sorted((p.name, p.read_bytes()) for p in out.iterdir()) == before


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such model file"):
        import_model(tmp_path / "nope.onnx")
