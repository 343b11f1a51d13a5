"""C headers of a graph model: data only (weights, constants, parameter
structs, the operator table and the arena plan); lib/m0nn runs them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from m0nn.codegen import _wide_row, banner, c_array_rows, version_guard
from m0nn.errors import ModelError
from m0nn.graph.dw_lanes import dw_consts, dw_weight_words, fast_shape
from m0nn.graph.ir import (
    AddOp,
    ConcatOp,
    ConvOp,
    FCOp,
    GModel,
    LutOp,
    Op,
    PoolOp,
    SoftmaxOp,
    TransposeOp,
)
from m0nn.graph.kinds import HANDLER
from m0nn.graph.lanes import lane_consts, lane_words, tile_positions, window_weights
from m0nn.graph.plan import ArenaPlan, plan_arena
from m0nn.graph.stack_size import stack_bytes
from m0nn.names import comment_text, display
from m0nn.quant import INT32_MAX, Requant

KIND = {
    "conv": "M0NN_OP_CONV",
    "dwconv": "M0NN_OP_DEPTHWISE_CONV",
    "fc": "M0NN_OP_FC",
    "max": "M0NN_OP_MAXPOOL",
    "avg": "M0NN_OP_AVGPOOL",
    "add": "M0NN_OP_ADD",
    "lut": "M0NN_OP_LUT",
    "softmax": "M0NN_OP_SOFTMAX",
    "concat": "M0NN_OP_CONCAT",
    "transpose": "M0NN_OP_TRANSPOSE",
}


def _arr(ctype: str, name: str, values: NDArray[np.integer], row: int = 16) -> str:
    vals = np.asarray(values).reshape(-1)
    return f"static const {ctype} {name}[{vals.size}] = {{\n{c_array_rows(vals, row)}\n}};"


MODE = {"q31": "M0NN_REQUANT_Q31", "mul32": "M0NN_REQUANT_MUL32", "shift": "M0NN_REQUANT_SHIFT"}


def _hex_words(name: str, words: NDArray[np.uint32], row: int = 8) -> str:
    """A uint32_t array in hex, one row of `row` words per line with its first index.

    >>> print(_hex_words("w", np.array([1, 0xfffd0081], np.uint32)))
    static const uint32_t w[2] = {
        /*   0 */ 0x00000001, 0xfffd0081,
    };
    """
    vals = [int(v) for v in np.asarray(words).reshape(-1)]
    rows = [
        f"    /* {i:3d} */ " + ", ".join(f"0x{v:08x}" for v in vals[i : i + row]) + ","
        for i in range(0, len(vals), row)
    ]
    return "\n".join([f"static const uint32_t {name}[{len(vals)}] = {{", *rows, "};"])


def _requant_arrays(n: str, rq: Requant) -> list[str]:
    """The multiplier (not for the shift-only path) and shift tables of one operator."""
    out = [] if rq.mode == "shift" else [_arr("int32_t", f"{n}_multiplier", rq.multiplier, 8)]
    return out + [_arr("int32_t", f"{n}_shift", rq.shift)]


def _mult(n: str, rq: Requant) -> str:
    return "NULL" if rq.mode == "shift" else f"{n}_multiplier"


def conv_bound(op: ConvOp) -> int:
    """The largest |accumulator| any input reaches: |bias| + 255 * sum |w| per channel."""
    w = np.abs(op.weights.astype(np.int64))
    per = w.reshape(w.shape[0], -1).sum(axis=1) if op.depth_multiplier == 0 else w.reshape(-1, w.shape[-1]).sum(axis=0)
    return int((np.abs(op.bias.astype(np.int64)) + 255 * per).max())


def _op_block(model: GModel, p: str, i: int, op: Op, fast: bool = True) -> tuple[str, str]:
    """(C definitions, kind) of operator i; fast=False: standard convs on the straightforward loop."""
    n = f"{p}_o{i}"
    src = model.tensor(op.inputs[0])
    dst = model.tensor(op.output)
    head = f"/* op {i}: {comment_text(op.name)}: {op.kind} {list(src.shape)} -> {list(dst.shape)}"
    lines: list[str] = []
    if isinstance(op, ConvOp):
        assert op.requant is not None
        bound = conv_bound(op)
        if bound > INT32_MAX:
            raise ModelError(f"op {i} ({display(op.name)}): the int32 accumulator can overflow (|acc| up to {bound})")
        kind = "dwconv" if op.depth_multiplier else "conv"
        ih, iw, ic = src.hwc
        oh, ow, oc = dst.hwc
        weights, bias, lanes, extra = f"{n}_weights", f"{n}_bias", "NULL, NULL", []
        tile = tile_positions(op, src, dst) if kind == "conv" and fast else 0
        if tile:  # the fast path reads only its own tables
            extra = [
                f"/* the fast path (m0nn.graph.lanes): {tile} outputs per band; per block of 8 channels the",
                " * initial S/H of each pair of channels, then {multiplier, right shift} per channel */",
                _arr("int32_t", f"{n}_lane_consts", lane_consts(op, src, dst, tile), 8),
                "/* the weights in window order (kernel column, row, input channel), two channels per word */",
                _hex_words(f"{n}_lane_weights", lane_words(window_weights(op))),
            ]
            weights, bias, lanes = "NULL", "NULL", f"{n}_lane_consts, {n}_lane_weights"
        elif kind == "dwconv" and fast and fast_shape(op):
            extra = [
                "/* the fast path (m0nn.graph.dw_lanes): per channel B0, B1 (the biases folded with the input",
                " * zero point and the lanes' corrections) */",
                _arr("int32_t", f"{n}_lane_consts", dw_consts(op, -src.zero_point), 8),
                "/* per channel the weights as bytes, ky-major (three words; 1x3: one) */",
                _hex_words(f"{n}_lane_weights", dw_weight_words(op), 6),
            ]
            weights, bias, lanes = "NULL", "NULL", f"{n}_lane_consts, {n}_lane_weights"
        lines += [
            f"{head}, kernel {op.kernel[0]}x{op.kernel[1]}, stride {op.stride}, dilation {op.dilation},",
            f" * pads (top, left, bottom, right) {op.pads}, depth multiplier {op.depth_multiplier},"
            f" activation {op.activation}, clamp [{op.act_min}, {op.act_max}]; |acc| <= {bound};",
            f" * requantization {op.requant.mode} */",
            *(
                []
                if weights == "NULL"
                else [_arr("int8_t", f"{n}_weights", op.weights), _arr("int32_t", f"{n}_bias", op.bias, 8)]
            ),
            *_requant_arrays(n, op.requant),
            *extra,
            f"static const m0nn_conv_s8_params_t {n}_params = {{{ih}, {iw}, {ic}, {oh}, {ow}, {oc}, "
            f"{op.kernel[0]}, {op.kernel[1]}, {op.stride[0]}, {op.stride[1]}, {op.dilation[0]}, {op.dilation[1]}, "
            f"{op.pads[0]}, {op.pads[1]}, {op.depth_multiplier}, {-src.zero_point}, {dst.zero_point}, "
            f"{op.act_min}, {op.act_max}, {MODE[op.requant.mode]}, {weights}, {bias}, {_mult(n, op.requant)}, "
            f"{n}_shift, {lanes}}};",
        ]
        return "\n".join(lines), kind
    if isinstance(op, FCOp):
        assert op.requant is not None
        w = op.weights.astype(np.int64)
        bound = int((np.abs(op.bias.astype(np.int64)) + 128 * np.abs(w).sum(axis=1)).max())
        if bound > INT32_MAX:
            raise ModelError(f"op {i} ({display(op.name)}): the int32 accumulator can overflow (|acc| up to {bound})")
        lines += [
            f"{head}, input zero point folded into the bias, clamp [{op.act_min}, {op.act_max}]; |acc| <= {bound};",
            f" * requantization {op.requant.mode} */",
            f"static const int8_t {n}_weights[{w.size}] = {{",
            *[_wide_row(o, w[o]) for o in range(w.shape[0])],
            "};",
            _arr("int32_t", f"{n}_bias", op.bias, 8),
            *_requant_arrays(n, op.requant),
            f"static const m0nn_fc_s8_params_t {n}_params = {{{w.shape[1]}, {w.shape[0]}, 0, {dst.zero_point}, "
            f"{op.act_min}, {op.act_max}, 1, {MODE[op.requant.mode]}, {n}_weights, {n}_bias, "
            f"{_mult(n, op.requant)}, {n}_shift, NULL}};",
        ]
        return "\n".join(lines), "fc"
    if isinstance(op, PoolOp):
        ih, iw, c = src.hwc
        oh, ow, _ = dst.hwc
        tables = "NULL, NULL, NULL, NULL"
        what = "max"
        if op.mode == "avg" and op.rescale:
            lines += [
                _arr("int32_t", f"{n}_multiplier", np.array([m for m, _ in op.rescale]), 8),
                _arr("int32_t", f"{n}_shift", np.array([s for _, s in op.rescale])),
            ]
            tables = f"NULL, NULL, {n}_multiplier, {n}_shift"
            what = "average rescaled to the output scale (q31 per window count)"
        elif op.mode == "avg":
            lines += [
                f"static const uint32_t {n}_recip_mult[{len(op.recips)}] = {{\n"
                f"{c_array_rows([m for m, _ in op.recips], 8)}\n}};",
                _arr("int32_t", f"{n}_recip_shift", np.array([k for _, k in op.recips])),
            ]
            tables = f"{n}_recip_mult, {n}_recip_shift, NULL, NULL"
            what = "average, TFLite rounding (exact reciprocal per window count)"
        lines.insert(
            0,
            f"{head}, {what}, window {op.kernel[0]}x{op.kernel[1]}, stride {op.stride}, pads {op.pads},"
            f" count_include_pad {int(op.count_include_pad)} */",
        )
        lines.append(
            f"static const m0nn_pool_s8_params_t {n}_params = {{{ih}, {iw}, {c}, {oh}, {ow}, {op.kernel[0]}, "
            f"{op.kernel[1]}, {op.stride[0]}, {op.stride[1]}, {op.pads[0]}, {op.pads[1]}, "
            f"{int(op.count_include_pad)}, {-src.zero_point}, {dst.zero_point}, {op.pre_shift}, {tables}}};"
        )
        return "\n".join(lines), op.mode
    if isinstance(op, AddOp):
        b = model.tensor(op.inputs[1])
        (ma, sa), (mb, sb), (mo, so) = op.mults
        lines += [
            f"{head} + {list(b.shape)}, scales {src.scale!r} + {b.scale!r} -> {dst.scale!r} */",
            f"static const m0nn_add_s8_params_t {n}_params = {{{dst.size}, {-src.zero_point}, {-b.zero_point}, "
            f"{ma}, {sa}, {mb}, {sb}, {mo}, {so}, {dst.zero_point}, {op.act_min}, {op.act_max}}};",
        ]
        return "\n".join(lines), "add"
    if isinstance(op, LutOp):
        lines += [
            f"{head}, table of {comment_text(op.what or 'requantize')} (entry i: input i - 128) */",
            _arr("int8_t", f"{n}_table", op.table),
            f"static const m0nn_lut_s8_params_t {n}_params = {{{dst.size}, {n}_table}};",
        ]
        return "\n".join(lines), "lut"
    if isinstance(op, SoftmaxOp):
        m, k = op.out_mult
        rows = src.size // op.length
        lines += [
            f"{head}, exp table Q15 for max - x = 0..255 */",
            f"static const uint16_t {n}_exp[256] = {{\n{c_array_rows(op.exp_table, 16)}\n}};",
            f"static const m0nn_softmax_s8_params_t {n}_params = {{{rows}, {op.length}, {m}, {k}, "
            f"{dst.zero_point}, {n}_exp}};",
        ]
        return "\n".join(lines), "softmax"
    if isinstance(op, ConcatOp):
        b = model.tensor(op.inputs[1])
        pos = src.size // src.hwc[2]
        lines += [
            f"{head} + {list(b.shape)} (channels) */",
            f"static const m0nn_concat_s8_params_t {n}_params = {{{pos}, {src.hwc[2]}, {b.hwc[2]}}};",
        ]
        return "\n".join(lines), "concat"
    if isinstance(op, TransposeOp):
        lines += [
            f"{head}: [{op.rows}][{op.cols}] -> [{op.cols}][{op.rows}] */",
            f"static const m0nn_transpose_s8_params_t {n}_params = {{{op.rows}, {op.cols}}};",
        ]
        return "\n".join(lines), "transpose"
    raise ModelError(f"op {i} ({display(op.name)}): no C emitter for {op.kind}")


def _where(model: GModel, plan: ArenaPlan, tid: int) -> str:
    b = model.tensor(tid).buf
    if b == plan.input_buf:
        return "M0NN_AT_INPUT"
    if b == plan.output_buf:
        return "M0NN_AT_OUTPUT"
    return str(plan.offsets[b])


def render_graph_header(model: GModel, settings: str, banner: str, fast: bool = True) -> str:
    plan = plan_arena(model)
    p = model.name
    up = p.upper()
    guard = f"M0NN_MODEL_{up}_H"
    blocks, table, used = [], [], set()
    for i, op in enumerate(model.ops):
        text, kind = _op_block(model, p, i, op, fast)
        used.add(kind)
        blocks.append(text + "\n")
        ins = [_where(model, plan, t) for t in op.inputs] + ["M0NN_AT_NONE"]
        sizes = [model.tensor(t).size for t in op.inputs] + [0]
        table.append(
            f"    {{{KIND[kind]}, {ins[0]}, {ins[1]}, {_where(model, plan, op.output)}, {sizes[0]}, {sizes[1]}, "
            f"{model.tensor(op.output).size}, &{p}_o{i}_params}},"
        )
    n_kinds = 1 + max(list(KIND).index(k) for k in used)
    ti, to = model.input_tensor, model.output_tensor
    parts = [
        banner,
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        "#include <stddef.h>",
        "",
        *version_guard(f"{p}.h"),
        "",
        f"/* Input: {ti.size} int8 values in the ONNX input's order, real = {ti.scale!r} * (q - ({ti.zero_point})).",
        f" * Output: {to.size} int8 values in the ONNX output's order, real = {to.scale!r} * "
        f"(q - ({to.zero_point})). */",
        f"#define {up}_INPUT_SIZE {ti.size}",
        f"#define {up}_OUTPUT_SIZE {to.size}",
        f"#define {up}_INPUT_ZERO_POINT ({ti.zero_point})",
        f"#define {up}_OUTPUT_ZERO_POINT ({to.zero_point})",
        "/* Bytes of the activation arena, planned by liveness (4-byte aligned offsets); the lower bound is the",
        " * largest total of intermediate tensors alive at once. No operator needs arena scratch. Stack: at",
        f" * most {up}_STACK_SIZE bytes from the call of {p}_run (the frames of m0nn_graph_run and the",
        " * deepest call chain of this model's kernels, gcc -O2 Cortex-M0, m0nn.graph.stack_size). */",
        f"#define {up}_ARENA_SIZE {plan.size}",
        f"#define {up}_ARENA_LOWER_BOUND {plan.lower_bound}",
        f"#define {up}_STACK_SIZE {stack_bytes(model)}",
        f"#define {up}_N_OPS {len(model.ops)}",
        "",
        *blocks,
        "/* kind, in0, in1, out (arena offset, M0NN_AT_INPUT/OUTPUT/NONE), in0/in1/out sizes, params */",
        f"static const m0nn_op_t {p}_ops[{up}_N_OPS] = {{",
        *table,
        "};",
        "",
        "/* the entry m0nn_graph_run calls for each operator kind this model has, indexed by m0nn_op_kind_t",
        " * (NULL: a kind it lacks, not linked); positional, not designated, so C++ takes it too */",
        f"static const m0nn_op_fn_t {p}_kinds[{n_kinds}] = {{",
        *(f"    {HANDLER[k] if k in used else 'NULL'}, /* {KIND[k]} */" for k in list(KIND)[:n_kinds]),
        "};",
        "",
        f"static const m0nn_graph_t {p}_graph = {{{up}_N_OPS, {up}_ARENA_SIZE, {up}_INPUT_SIZE, {up}_OUTPUT_SIZE, "
        f"{p}_ops, {n_kinds}, {p}_kinds}};",
        "",
        f"/* Runs the model: input {up}_INPUT_SIZE values, output {up}_OUTPUT_SIZE values, arena",
        f" * {up}_ARENA_SIZE bytes (any alignment). Returns M0NN_OK or an m0nn_status_t. */",
        f"static inline m0nn_status_t {p}_run(const int8_t *input, int8_t *output, void *arena)",
        "{",
        f"    return m0nn_graph_run(&{p}_graph, input, output, arena);",
        "}",
        "",
        f"#endif /* {guard} */",
        "",
    ]
    return "\n".join(parts)


def graph_banner(model: GModel, what: str, settings: str) -> str:
    return banner(
        model,
        what,
        settings,
        [
            " * graph model: channels-last int8 operators, q31 requantization (TFLite MultiplyByQuantizedMultiplier);",
            " *   see docs/numerics.md.",
        ],
    )


TRACE_VECTORS = 4


def render_graph_testdata(
    model: GModel, x_q: NDArray[np.integer], labels: NDArray[np.integer] | None, outs: Sequence[NDArray[np.integer]],
    expected: NDArray[np.integer], banner: str,
) -> str:  # fmt: skip
    """Inputs, expected outputs, labels, and every operator's stored output for the first vectors."""
    p = model.name
    up = p.upper()
    n = int(len(x_q))
    k = min(TRACE_VECTORS, n)
    trace = np.concatenate([o[:k] for o in outs], axis=1)
    labels_arr = np.full(n, -1) if labels is None else np.asarray(labels)
    guard = f"M0NN_TESTDATA_{up}_H"
    return "\n".join(
        [
            banner,
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            "#include <stdint.h>",
            "",
            f"#define {up}_N_TESTS {n}",
            f"static const int8_t {p}_test_inputs[{up}_N_TESTS][{model.input_size}] = {{",
            "\n".join(_wide_row(i, x_q[i], braces=True) for i in range(n)),
            "};",
            f"static const int8_t {p}_test_expected[{up}_N_TESTS][{model.output_size}] = {{",
            "\n".join(_wide_row(i, expected[i], braces=True) for i in range(n)),
            "};",
            f"static const int16_t {p}_test_labels[{up}_N_TESTS] = {{",
            c_array_rows(labels_arr, 16),
            "};",
            "",
            f"/* Every operator's output as stored (channels-last), concatenated, for the first {k} vectors. */",
            f"#define {up}_TRACE_N {k}",
            f"#define {up}_TRACE_SIZE {trace.shape[1]}",
            f"static const int8_t {p}_test_trace[{up}_TRACE_N][{up}_TRACE_SIZE] = {{",
            "\n".join(_wide_row(i, trace[i], braces=True) for i in range(k)),
            "};",
            "",
            f"#endif /* {guard} */",
            "",
        ]
    )
