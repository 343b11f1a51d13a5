"""Golden vectors of the C graph tests (test/test_graph/golden_graph.h): every
case of m0nn.graph.cases quantized by onnxruntime, imported, and run through
the integer reference; the C runner must reproduce each operator's output
exactly. `m0nn golden-graph` writes the file (needs onnxruntime)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from m0nn.codegen import GENERATOR
from m0nn.graph import cases
from m0nn.graph.configure import configure_graph
from m0nn.graph.emit import render_graph_header, render_graph_testdata
from m0nn.graph.importer import import_graph
from m0nn.graph.ir import ConvOp, GModel, Tensor
from m0nn.graph.reference import quantize_input, run_all
from m0nn.settings import Settings

N_VECTORS = 12


@dataclass(frozen=True)
class ConvCase:
    """A single standard conv of m0nn_conv_s8's fast path, its input as stored (channels-last)."""

    label: str
    cin: int
    cout: int
    hw: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    zero_points: tuple[int, int] = (3, -5)  # input, output
    activation: str = "none"  # "relu": clamp at the output zero point; "clip": and 60 above it
    extreme: bool = False  # weights and inputs at -128 / 127 only
    settings: Settings = Settings()


# Edges of the lanes kernel (m0nn.graph.lanes): odd positions and channels (a partial 8-wide and a
# 4-wide last block), windows not a multiple of the 16-input body, several chunks and band tiles,
# padding, stride, row and column dilation, extreme values and zero points, both requantizations.
CONV_CASES = [
    ConvCase("lanes_odd", 5, 13, (6, 7), (3, 3), (2, 1), (1, 1), (1, 0, 2, 1)),
    ConvCase("lanes_odd_q31", 5, 13, (6, 7), (3, 3), (2, 1), (1, 1), (1, 0, 2, 1), settings=Settings(requant="q31")),
    ConvCase("lanes_narrow", 2, 3, (1, 19), (1, 7), (1, 2), (1, 3), (0, 4, 0, 1)),
    ConvCase("lanes_dilated_q31", 3, 6, (5, 9), (2, 3), (1, 2), (2, 2), (1, 2, 0, 2), settings=Settings(requant="q31")),
    ConvCase("lanes_tiles", 7, 8, (3, 40), (3, 3), (1, 1), (2, 1), (2, 1, 2, 1), activation="clip"),
    ConvCase("lanes_extreme", 4, 16, (2, 9), (1, 3), (1, 1), (1, 1), (0, 1, 0, 1), (-128, -128), "relu", True),
    ConvCase("lanes_extreme_zp", 16, 12, (3, 5), (1, 1), zero_points=(127, 0), extreme=True),
    ConvCase("lanes_pointwise_pow2", 16, 32, (5, 3), (1, 1), settings=Settings(requant="pow2")),
]


def conv_model(c: ConvCase) -> tuple[GModel, NDArray[np.int64]]:
    """The case as a one-operator graph model and N_VECTORS inputs."""
    rng = np.random.default_rng(sum(map(ord, c.label)))
    (h, w), (kh, kw), (sh, sw), (dh, dw) = c.hw, c.kernel, c.stride, c.dilation
    top, left, bottom, right = c.pads
    oh = (h + top + bottom - (kh - 1) * dh - 1) // sh + 1
    ow = (w + left + right - (kw - 1) * dw - 1) // sw + 1
    shape = (c.cout, kh, kw, c.cin)
    if c.extreme:
        weights = rng.choice(np.array([-128, 127]), shape)
        x = rng.choice(np.array([-128, 127]), (N_VECTORS, h * w * c.cin))
    else:
        weights = np.clip(np.rint(rng.normal(0, 50, shape)), -128, 127)
        x = rng.integers(-128, 128, (N_VECTORS, h * w * c.cin))
    taps = kh * kw * c.cin
    bias = np.rint(rng.normal(0, 3000, c.cout)).astype(np.int32)
    real = rng.uniform(0.5, 2.0, c.cout) / ((128 * 128 if c.extreme else 50 * 60) * np.sqrt(taps))
    zin, zout = c.zero_points
    lo = zout if c.activation in ("relu", "clip") else -128
    hi = min(zout + 60, 127) if c.activation == "clip" else 127
    src = Tensor(0, (c.cin, w) if h == 1 else (c.cin, h, w), 1.0, zin, 0)
    dst = Tensor(1, (c.cout, ow) if h == 1 else (c.cout, oh, ow), 1.0, zout, 1)
    op = ConvOp(
        f"{c.label}_conv", [0], 1, weights=weights.astype(np.int8), bias=bias, kernel=c.kernel, stride=c.stride,
        dilation=c.dilation, pads=c.pads, act_min=lo, act_max=hi, activation=c.activation, real_multiplier=real,
    )  # fmt: skip
    model = GModel(f"g_{c.label}", [src, dst], [op], 0, 1, source=f"m0nn.graph.golden {c.label}")
    return configure_graph(model, c.settings), x


def case_settings() -> list[tuple[str, str, Settings]]:
    """(label, case, settings): every case as `m0nn gen` configures it by default
    (requant=auto), and some again with each other requantization."""
    out = [(name, name, Settings()) for name in list(cases.ORT_CASES) + list(cases.UNARY_CASES)]
    return out + [
        ("cnn_q31", "cnn", Settings(requant="q31")),
        ("conv2d_q31", "conv2d", Settings(requant="q31")),
        ("depthwise_q31", "depthwise", Settings(requant="q31")),
        ("conv1d_pow2", "conv1d", Settings(requant="pow2")),
        ("residual_pow2", "residual", Settings(requant="pow2")),
    ]


def _entry(label: str, model: GModel) -> str:
    p, up = model.name, model.name.upper()
    return (
        f'    {{"{label}", &{p}_graph, {up}_N_TESTS, {up}_TRACE_N, {up}_TRACE_SIZE, &{p}_test_inputs[0][0], '
        f"&{p}_test_expected[0][0], &{p}_test_trace[0][0]}},"
    )


def render() -> str:
    import onnxruntime

    parts = [
        f"/* Golden vectors of the graph operators: small models quantized by onnxruntime {onnxruntime.__version__}",
        f" * (m0nn.graph.cases), run through the integer reference. Generated by {GENERATOR} -- do not edit;",
        " * regenerate with `m0nn golden-graph`. */",
        "#ifndef GOLDEN_GRAPH_H",
        "#define GOLDEN_GRAPH_H",
        "",
        '#include "m0nn.h"',
        "",
    ]
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, name, settings in case_settings():
            if name in cases.ORT_CASES:
                path, x = cases.build_ort_case(name, folder)
            else:
                path, x = cases.build_unary_case(name, folder)
            pick = np.linspace(0, len(x) - 1, N_VECTORS).astype(int)
            x = x[pick]
            model = configure_graph(import_graph(path, name=f"g_{label}"), settings)
            x_q = quantize_input(model, x)
            outs, y = run_all(model, x_q)
            banner = f"/* case {label}: {name}, {settings.line()} */"
            parts.append(render_graph_header(model, "golden", banner))
            parts.append(render_graph_testdata(model, x_q, None, outs, y, banner))
            entries.append(_entry(label, model))
    for c in CONV_CASES:
        model, x_q = conv_model(c)
        outs, y = run_all(model, x_q)
        banner = f"/* case {c.label}: one conv of the fast path, input and output as stored, {c.settings.line()} */"
        parts.append(render_graph_header(model, "golden", banner))
        parts.append(render_graph_testdata(model, x_q, None, outs, y, banner))
        entries.append(_entry(c.label, model))
    parts += [
        "typedef struct {",
        "    const char *name;",
        "    const m0nn_graph_t *graph;",
        "    int32_t n_tests, trace_n, trace_size;",
        "    const int8_t *inputs;   /* [n_tests][graph->input_size] */",
        "    const int8_t *expected; /* [n_tests][graph->output_size] */",
        "    const int8_t *trace;    /* [trace_n][trace_size]: every operator's output */",
        "} golden_graph_case_t;",
        "",
        f"#define GOLDEN_GRAPH_N_CASES {len(entries)}",
        "static const golden_graph_case_t golden_graph_cases[GOLDEN_GRAPH_N_CASES] = {",
        *entries,
        "};",
        "",
        "#endif /* GOLDEN_GRAPH_H */",
        "",
    ]
    return "\n".join(parts)
