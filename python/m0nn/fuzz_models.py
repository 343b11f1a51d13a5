"""`m0nn fuzz --models N`: random small models through the whole generator
(m0nn.plan.configure with every kernel and requantization, the legal checks,
render_model_header), compiled in batches into one C file per batch with
lib/m0nn, run through m0nn_model_run on the host (plain and ASan+UBSan) and
on the emulated Cortex-M0, every output compared with the Python integer
reference (m0nn.reference.run_int). A model the generator refuses (one clear
ModelError) is counted and redrawn: the point is that whatever it writes runs
exactly. Half the `kernel=b8w` models are drawn MUL32, and one layer in ten
has its weight pairs at the pairs layout's lane edge (m0nn.fuzz.PAIRS_EDGE), so
that many layers run m0nn_fc_s8_b8p (where m0nn.plan.pairs_legal admits them);
each model's first input vector is all -128. The layers run per kernel are
counted."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from m0nn.codegen import render_model_header
from m0nn.errors import ModelError
from m0nn.fuzz import LIB, QEMU, TARGETS, pairs_edge_weights
from m0nn.model import FCLayer, QModel
from m0nn.plan import configure
from m0nn.quant import Requant
from m0nn.reference import run_int
from m0nn.settings import KERNELS, Settings

VECTORS = 6
MODES = ("auto", "q31", "mul32", "pow2")


def random_model(rng: np.random.Generator, name: str) -> QModel:
    n_layers = int(rng.integers(1, 4))
    sizes = [int(rng.integers(1, 40)) for _ in range(n_layers + 1)]
    scale = float(2.0 ** rng.uniform(-8, 0))
    zp = int(rng.choice(np.array([-128, 127, 0, int(rng.integers(-128, 128))])))
    layers = []
    for i in range(n_layers):
        n_in, n_out = sizes[i], sizes[i + 1]
        w = rng.integers(-128, 128, (n_out, n_in))
        if rng.random() < 0.2:
            w = rng.choice(np.array([-128, 127]), (n_out, n_in))
        elif rng.random() < 0.3:  # 4-bit weights: the generator picks m0nn_fc_s8_b4 (int4=auto)
            w = rng.integers(-8, 8, (n_out, n_in))
        elif rng.random() < 0.15:  # the pairs layout's lane edge (kernel=b8w: m0nn_fc_s8_b8p)
            w = pairs_edge_weights(rng, n_out, n_in)
        per_channel = bool(rng.integers(0, 2))
        w_scale = 2.0 ** rng.uniform(-9, -3, n_out if per_channel else 1)
        out_scale = float(scale * np.median(w_scale) * np.sqrt(n_in) * 128 * 2.0 ** rng.uniform(-4, 3))
        out_zp = int(rng.choice(np.array([-128, 127, 0, int(rng.integers(-128, 128))])))
        wzp = np.zeros(0, np.int64)
        if rng.random() < 0.25:
            wzp = rng.integers(-128, 128, n_out if per_channel else 1)
        eff = w - np.broadcast_to(wzp, (n_out,))[:, None] if wzp.size else w
        bias = rng.integers(-(2**20), 2**20, n_out) - zp * eff.sum(axis=1)
        act = str(rng.choice(np.array(["none", "relu", "clip"])))
        lo, hi = -128, 127
        if act == "relu":
            lo = out_zp
        elif act == "clip":
            lo, hi = sorted(int(v) for v in rng.integers(-128, 128, 2))
        real = scale * np.broadcast_to(w_scale, (n_out,) if per_channel else (1,)) / out_scale
        layers.append(
            FCLayer(
                name=f"{name}_{i}", weights=w.astype(np.int8), bias=np.clip(bias, -(2**31), 2**31 - 1).astype(np.int64),
                requant=Requant("q31", np.zeros(1, np.int32), np.zeros(1, np.int32)), act_min=lo, act_max=hi,
                input_scale=scale, input_zero_point=zp, output_scale=out_scale, output_zero_point=out_zp,
                weight_scale=np.broadcast_to(w_scale, (n_out,)).astype(np.float64), bias_float=np.zeros(n_out),
                activation=act, real_multiplier=np.asarray(real, np.float64), weight_zero_point=wzp,
            )
        )  # fmt: skip
        scale, zp = out_scale, out_zp
    return QModel(name, layers)


def _c_bytes(values: np.ndarray) -> str:
    return ", ".join(str(int(v)) for v in values.reshape(-1))


def batch_source(rng: np.random.Generator, n: int, first: int, layers: Counter[str]) -> tuple[str, int, int]:
    """One C file with n generated models, their inputs and the reference's
    outputs; returns it, the number of model runs and the generator's refusals,
    and counts the models' layers per kernel into `layers`."""
    parts: list[str] = []
    table: list[str] = []
    refused, runs = 0, 0
    while len(table) < n:
        name = f"fz{first + len(table)}"
        model = random_model(rng, name)
        kernel, mode = str(rng.choice(np.array(KERNELS))), str(rng.choice(np.array(MODES)))
        if kernel == "b8w" and rng.random() < 0.5:
            mode = "mul32"  # the pairs layout's requantization
        settings = Settings(kernel, mode, int(rng.integers(4, 20)))
        try:
            configure(model, settings)
            header = render_model_header(model, settings.line())
            x = rng.integers(-128, 128, (VECTORS, model.input_size))
            x[0] = -128
            y = run_int(model, x)[-1]
        except ModelError:
            refused += 1
            continue
        layers.update(layer.kernel for layer in model.layers)
        up = name.upper()
        parts.append(header.replace('#include "m0nn.h"', ""))
        parts.append(f"static const int8_t {name}_x[{x.size}] = {{{_c_bytes(x)}}};")
        parts.append(f"static const int8_t {name}_y[{y.size}] = {{{_c_bytes(y)}}};")
        parts.append(f"static int8_t {name}_arena[{up}_ARENA_SIZE + 1] M0NN_ALIGN4;")
        table.append(f"    {{&{name}_model, {name}_x, {name}_y, {name}_arena, {up}_INPUT_SIZE, {up}_OUTPUT_SIZE}},")
        runs += VECTORS
    src = [
        "#include <stddef.h>",
        '#include "m0nn.h"',
        "#ifdef M0QEMU",
        '#include "m0qemu.h"',
        "#define PUTS(s) m0qemu_puts(s)",
        "#else",
        "#include <stdio.h>",
        "#define PUTS(s) fputs(s, stdout)",
        "#endif",
        *parts,
        "typedef struct { const m0nn_model_t *m; const int8_t *x; const int8_t *y; int8_t *arena; int in, out; } fz_t;",
        f"static const fz_t fz[{n}] = {{",
        *table,
        "};",
        FZ_MAIN.replace("VECTORS", str(VECTORS)).replace("N_MODELS", str(n)),
    ]
    return "\n".join(src), runs, refused


FZ_MAIN = r"""
static void put_long(long v)
{
    char buf[24];
    char *p = buf + sizeof buf - 1;
    *p = 0;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    PUTS(p);
}

int main(void)
{
    long calls = 0, bad = 0;
    int k, v, i;
    for (k = 0; k < N_MODELS; ++k) {
        for (v = 0; v < VECTORS; ++v) {
            int8_t out[64];
            const m0nn_status_t st = m0nn_model_run(fz[k].m, fz[k].x + v * fz[k].in, out, fz[k].arena);
            int wrong = st != M0NN_OK;
            for (i = 0; i < fz[k].out && !wrong; ++i) {
                wrong = out[i] != fz[k].y[v * fz[k].out + i];
            }
            if (wrong) {
                PUTS("mismatch ");
                put_long(k);
                PUTS(" model vector ");
                put_long(v);
                PUTS(" 0\n");
                ++bad;
            }
            ++calls;
        }
    }
    PUTS("calls ");
    put_long(calls);
    PUTS(" mismatches ");
    put_long(bad);
    PUTS("\n");
#ifdef M0QEMU
    m0qemu_exit(bad != 0);
#endif
    return bad != 0;
}
"""


def run_models(seed: int, n_models: int, targets: list[str], workdir: Path, batch: int = 100,
               log: Any = print) -> dict[str, Any]:  # fmt: skip
    """Model runs (one per test vector) per target, mismatches, generator refusals."""
    import shutil

    from m0nn import cycles

    rng = np.random.default_rng(seed + 1)
    res = {t: {"model_runs": 0, "mismatches": 0, "seconds": 0.0} for t in targets}
    layers: Counter[str] = Counter()
    refused, done, start = 0, 0, time.monotonic()
    sources = [str(p) for p in sorted((LIB / "src").glob("*.c"))]
    while done < n_models:
        k = min(batch, n_models - done)
        src, _, ref = batch_source(rng, k, done, layers)
        refused += ref
        c_file = workdir / f"models_{done}.c"
        c_file.write_text(src)
        for t in targets:
            t0 = time.monotonic()
            if t == "m0":
                exe = cycles.compile_image([*cycles.library_sources(LIB), c_file], [LIB / "include", LIB / "src"],
                                           workdir / "models_m0.elf", ["-Wno-unused-function"])  # fmt: skip
                proc = subprocess.run([*QEMU, str(exe)], cwd=workdir, capture_output=True, timeout=3600)
                text = (proc.stdout + proc.stderr).decode(errors="replace")
            else:
                gcc = shutil.which("gcc") or "cc"
                exe = workdir / f"models_{t}"
                subprocess.run([gcc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function",
                                *TARGETS[t], f"-I{LIB / 'include'}", f"-I{LIB / 'src'}", *sources, str(c_file),
                                "-o", str(exe)], check=True)  # fmt: skip
                proc = subprocess.run([str(exe)], capture_output=True)
                text = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
            last = [line for line in text.splitlines() if line.startswith("calls ")]
            if not last:
                res[t]["mismatches"] += 1
                log(f"m0nn fuzz models: {t} failed: {text[-1500:]}")
            else:
                _, calls, _, bad = last[-1].split()
                res[t]["model_runs"] += int(calls)
                res[t]["mismatches"] += int(bad)
            res[t]["seconds"] = round(res[t]["seconds"] + time.monotonic() - t0, 1)
        done += k
        summary = ", ".join(f"{t} {r['model_runs']} runs {r['mismatches']} mismatches" for t, r in res.items())
        log(f"m0nn fuzz models: {done}/{n_models} models; {summary} ({time.monotonic() - start:.0f} s)")
    return {"models": n_models, "vectors_per_model": VECTORS, "generator_refusals": refused,
            "layers_per_kernel": dict(sorted(layers.items())), "targets": res}  # fmt: skip
