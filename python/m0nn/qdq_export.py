"""The ONNX side of the QAT export (onnx only, no torch): checks that an
exported graph is in the QDQ form m0nn's importer reads, and writes per-tensor
quantization parameters as scalars.

torch's exporter writes a per-tensor scale and zero point as 1-element
tensors; onnxruntime's quantizer writes scalars, and onnxruntime's own QDQ
fusions (e.g. AveragePool into QLinearAveragePool) accept only those.
"""

from __future__ import annotations

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import numpy_helper

from m0nn.errors import ModelError

EXPORTED_OPS = frozenset(
    {
        *("QuantizeLinear", "DequantizeLinear", "Identity", "Constant"),
        *("Conv", "Gemm", "MatMul", "Add", "Relu", "Clip"),
        *("MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape"),
        # x.view(x.size(0), -1): shape arithmetic the importer folds (m0nn.graph.shape_fold)
        *("Shape", "Gather", "Unsqueeze", "Concat"),
    }
)


def check_exported(graph: onnx.GraphProto) -> None:
    """Raise ModelError naming the first node of an exported graph that is not
    in the QDQ form m0nn's importer reads: an op it does not know, a layer whose
    input is not a DequantizeLinear output, or an add whose output is not quantized."""
    constants = {i.name for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        if node.op_type == "Constant":
            constants.update(node.output)
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    for node in graph.node:
        label = f"node '{node.name or node.output[0]}' ({node.op_type})"
        if node.op_type not in EXPORTED_OPS:
            raise ModelError(
                f"export: {label} is not an op m0nn imports (a functional call in forward? use the modules "
                "m0nn.train_conv.check_supported lists)"
            )
        if node.op_type in ("Conv", "Gemm", "MatMul"):
            src = producer.get(node.input[0])
            while src is not None and src.op_type in ("Reshape", "Flatten"):  # x.view(...) keeps the quantization
                src = producer.get(src.input[0])
            if src is not None and src.op_type == "Relu":
                raise ModelError(
                    f"export: {label} reads a ReLU output that is not quantized: prepare the model with "
                    "m0nn.train.prepare_qat (it fuses Linear/Conv + ReLU in an nn.Sequential, re-quantizes a lone ReLU)"
                )
            if src is None or src.op_type != "DequantizeLinear":
                raise ModelError(
                    f"export: {label} has an input that is not quantized: it must come from a QuantStub "
                    "(x = self.quant(x), self.quant = torch.ao.quantization.QuantStub()), a Conv/Linear, a pool "
                    "or a FloatFunctional add"
                )
        if node.op_type == "Add" and not constants.intersection(node.input):
            after = consumers.get(node.output[0], [])
            if not after or any(c.op_type != "QuantizeLinear" for c in after):
                raise ModelError(
                    f"export: {label} has no quantized output: write residual adds with "
                    "torch.ao.nn.quantized.FloatFunctional().add (m0nn.train_conv.Residual), not '+'"
                )


def _constant_values(graph: onnx.GraphProto) -> dict[str, NDArray[np.generic]]:
    """Initializers, Constant outputs, and Identity nodes of either."""
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    values[node.output[0]] = numpy_helper.to_array(a.t)
        elif node.op_type == "Identity" and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]]
    return values


def scalar_qparams(model: onnx.ModelProto) -> None:
    """Point every QuantizeLinear/DequantizeLinear whose scale has one value at
    scalar scale and zero point initializers; drop what is then unused."""
    graph = model.graph
    values = _constant_values(graph)
    made: dict[str, str] = {}
    new_inits: list[onnx.TensorProto] = []
    for node in graph.node:
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear") or len(node.input) < 2:
            continue
        scale = values.get(node.input[1])
        if scale is None or scale.size != 1 or scale.ndim == 0:
            continue
        for slot in (1, 2):
            if slot >= len(node.input) or not node.input[slot] or node.input[slot] not in values:
                continue
            name = node.input[slot]
            if name not in made:
                made[name] = f"{name}_scalar"
                new_inits.append(numpy_helper.from_array(values[name].reshape(()), made[name]))
            node.input[slot] = made[name]
    graph.initializer.extend(new_inits)
    _drop_unused(graph)


def _drop_unused(graph: onnx.GraphProto) -> None:
    while True:
        used = {name for node in graph.node for name in node.input} | {o.name for o in graph.output}
        dead = [n for n in graph.node if n.op_type in ("Identity", "Constant") and not used.intersection(n.output)]
        for node in dead:
            graph.node.remove(node)
        if not dead:
            break
    used = {name for node in graph.node for name in node.input}
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)
