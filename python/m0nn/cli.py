"""m0nn: PyTorch models to integer-only int8 C for Cortex-M0/M0+.

Every subcommand reports bad input as one line on stderr and exits 1."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any


def _cmd_pio_setup(args: argparse.Namespace) -> int:
    from m0nn import piosetup

    for line in piosetup.setup(force_offline=args.offline):
        print(f"m0nn pio-setup: {line}", file=sys.stderr if line.startswith("warning:") else sys.stdout)
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from m0nn.plugin import init

    return init.run(Path(args.project), setup=not args.no_setup)


def _cmd_prebuild(args: argparse.Namespace) -> int:
    from m0nn import prebuild
    from m0nn.names import path_text
    from m0nn.plugin import build, options

    given: dict[str, str] = {}
    for text in args.option:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            print(f"m0nn: error: --option {text!r} is not custom_m0nn_X=VALUE", file=sys.stderr)
            return 1
        given[key.strip()] = value
    project = Path(args.project).resolve()
    if not project.is_dir():
        print(f"m0nn: error: there is no project folder {path_text(str(project))}", file=sys.stderr)
        return 1
    # Headers go to the project's lib/ unless --out names a folder: refuse a folder that is not
    # a project (a typo, the project's src/). The pre-build's own call (m0nn.plugin.build) gives
    # --out, as PlatformIO's project may keep its configuration elsewhere (pio run -c FILE).
    if args.out is None and not (project / "platformio.ini").is_file():
        print(
            f"m0nn prebuild: error: {path_text(str(project))} is not a PlatformIO project (no platformio.ini): "
            "run it in the project folder, or name the folder",
            file=sys.stderr,
        )
        return 1
    out = Path(args.out) if args.out else build.generated_dir(project / "lib")
    try:
        options.check_known(given, "--option", every=True)
        env_options = {**_project_options(project, args.environment, out, given), **given}
        selection, settings = build.read_options(lambda key, default: env_options.get(key, default))
        budget = build.read_budget(lambda key, default: env_options.get(key, default))
        build.check_fp_gate(lambda key, default: env_options.get(key, default))
    except ValueError as exc:
        print(f"m0nn: error: {exc}", file=sys.stderr)
        return 1
    return prebuild.run(project, selection, out, settings, env_options.get(build.INPUT_SCALE, ""), budget)


def _project_options(project: Path, environment: str | None, out: Path, given: dict[str, str]) -> dict[str, str]:
    """The custom_m0nn_* options of the project's platformio.ini as a build of `environment`
    reads them (None: the default environment, see `m0nn prebuild --help`), after the checks
    the build makes; the budget not `given` from the board's manifest when PlatformIO can read it."""
    from m0nn.plugin import build, options

    ini = project / "platformio.ini"
    if not ini.is_file():
        if environment:
            raise ValueError(f"--environment {environment}: there is no {ini}")
        return {}
    try:
        from platformio.project.config import ProjectConfig

        config: Any = ProjectConfig(str(ini))
    except ImportError:
        config = options.IniConfig(ini)
    except Exception as exc:  # PlatformIO's own refusal of the file
        raise ValueError(f"{ini}: {' '.join(str(exc).split())}") from None
    try:
        label = str(out.relative_to(project))
    except ValueError:
        label = str(out)
    options.check_project(config, label)
    name = environment or config.get_default_env()
    if name is not None and name not in config.envs():
        raise ValueError(f"no [env:{name}] in {ini} (environments: {', '.join(config.envs()) or 'none'})")
    values = options.env_options(config, name)
    if isinstance(config, options.IniConfig):
        options.check_interpolation(values)
    if name is not None and not all({**values, **given}.get(option, "").strip() for option, _ in build.BUDGET):
        board = _board(project, config, name)
        for option, key in build.BUDGET:
            if not values.get(option, "").strip() and board is not None and str(board.get(key, "")):
                values[option] = build.board_value(str(board.get(key, "")), config.get(f"env:{name}", "board"))
    return values


def _board(project: Path, config: Any, name: str) -> Any:
    """[env:`name`]'s board manifest (with its board_* overrides) as the build reads it, or None
    when PlatformIO or the environment's platform is not installed here."""
    try:
        from platformio import fs
        from platformio.platform.factory import PlatformFactory

        board = config.get(f"env:{name}", "board", None)
        if not board:
            return None
        with fs.cd(str(project)):
            manifest = PlatformFactory.from_env(name).board_config(board)
        for option, value in config.items(env=name, as_dict=True).items():
            if option.startswith("board_"):  # as PlatformIO's builder overrides the manifest
                manifest.update(option[len("board_") :], str(value))
        return manifest
    except Exception:  # noqa: BLE001 -- no PlatformIO, platform or board here: the options or the defaults
        return None


def _cmd_gen(args: argparse.Namespace) -> int:
    from m0nn.errors import M0nnError
    from m0nn.generate import generate
    from m0nn.names import path_text
    from m0nn.settings import Settings

    settings = Settings(
        kernel=args.kernel,
        requant=args.requant,
        min_bits=args.min_bits,
        int4=args.int4,
        input_scale=args.input_scale,
        input_zero=args.input_zero,
    )
    try:
        settings.check()
    except ValueError as exc:
        raise M0nnError(str(exc)) from None
    for path in generate(Path(args.model), Path(args.output), settings):
        print(f"wrote {path_text(path)}")
    return 0


def _model_and_data(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """The imported model, the data (x, y) and the fp32 model's outputs (or None, _fp32_outputs),
    from the arguments `check` and `report` share."""
    from m0nn.check import load_data
    from m0nn.onnx_import import import_model

    model = import_model(Path(args.model))
    x, y = load_data(Path(args.data), Path(args.labels) if args.labels else None, model)
    return model, x, y, _fp32_outputs(args, x, (model.input_size,), model.output_size)


def _fp32_outputs(args: argparse.Namespace, x: Any, shape: tuple[int, ...], outputs: int) -> Any:
    """The fp32 model's outputs [N, outputs] for x (fed as [N, *shape]), or None: the model
    given as --fp32, or fp32/<name> beside the model, left out with a note when onnxruntime
    is missing (--fp32 needs it)."""
    from importlib.util import find_spec

    from m0nn.check import run_fp32
    from m0nn.errors import M0nnError, install_line
    from m0nn.names import path_text

    model_path = Path(args.model)
    fp32_path = Path(args.fp32) if args.fp32 else model_path.parent / "fp32" / model_path.name
    if args.fp32 and not fp32_path.is_file():
        raise M0nnError(f"{fp32_path}: no such file")
    if not fp32_path.is_file():
        return None
    if not args.fp32 and find_spec("onnxruntime") is None:
        print(f"m0nn {args.command}: note: no fp32 column, {path_text(fp32_path)} is not run: "
              f"{install_line('onnxruntime')}", file=sys.stderr)  # fmt: skip
        return None
    return run_fp32(fp32_path, x, shape, outputs)


def _cmd_check(args: argparse.Namespace) -> int:
    from m0nn.check import check, format_result
    from m0nn.generate import is_graph_model
    from m0nn.plan import configure
    from m0nn.settings import Settings

    if is_graph_model(Path(args.model)):
        from m0nn.graph.check import run_check

        return run_check(args, lambda x, shape, outputs: _fp32_outputs(args, x, shape, outputs))

    imported, x, y, fp32 = _model_and_data(args)
    # The integer path as the device runs it: the same settings as `m0nn gen`.
    model = configure(imported, Settings(args.kernel, args.requant, args.min_bits, args.int4))
    result = check(model, x, y, fp32, args.tol)
    print(format_result(model, result, args.tol))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from m0nn.examples_conv import EXAMPLES, MODELS_DIR

    if args.example in EXAMPLES:
        from m0nn import examples_conv

        examples_conv.train(args.example, Path(args.models_dir or MODELS_DIR), seed=args.seed)
        return 0
    models_dir = Path(args.models_dir or "models")
    if args.example == "digits":
        from m0nn import digits

        digits.train(models_dir, seed=args.seed, scale_mode=args.scale_mode, weight_bits=args.weight_bits)
    else:
        from m0nn import tilt

        tilt.train(models_dir, seed=args.seed)
    return 0


def _cmd_bench_conv(args: argparse.Namespace) -> int:
    from m0nn.graph import bench

    return bench.run(Path(args.output))


def _cmd_measure(args: argparse.Namespace) -> int:
    from m0nn.graph import measure

    return measure.run(Path(args.project), args.names, Path(args.output) if args.output else None)


def _golden_paths(args: argparse.Namespace, names: tuple[str, ...]) -> list[Path]:
    """Where `m0nn golden` / `golden-graph` write: test/<suite>/<file> under -o DIR, by default
    the m0nn repository's test/ (refused where its suites are not: a user's project)."""
    from m0nn.errors import M0nnError

    paths = [Path(args.output or "test") / name for name in names]
    missing = [p.parent for p in paths if not p.parent.is_dir()]
    if args.output is None and missing:
        raise M0nnError(
            f"writes the golden vectors of m0nn's own C tests into the m0nn repository's test/ ({', '.join(names)}); "
            f"{Path.cwd()} has no {missing[0]}/: run it in the m0nn repository, or give -o DIR"
        )
    return paths


def _cmd_golden_graph(args: argparse.Namespace) -> int:
    from m0nn.codegen import write_atomic
    from m0nn.graph import golden, golden_dw

    graph, dw = _golden_paths(args, ("test_graph/golden_graph.h", "test_graph/golden_depthwise.h"))
    texts = (golden.render(), golden_dw.render())  # both before either file is written
    for path, text in zip((graph, dw), texts, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    print(f"wrote {graph} and {dw}")
    return 0


def _cmd_fuzz(args: argparse.Namespace) -> int:
    from m0nn import fuzz

    return fuzz.main(args.seed, args.calls, args.target or ["native", "native_asan"], args.output, args.models)


GOLDEN = ("test_fc_s8/golden_fc_s8.h", "test_fc_s8_b4/golden_fc_s8_b4.h", "test_fc_s8/golden_fc_s8_b8p.h",
          "test_io/golden_io.h", "test_requant/golden_requant.h")  # fmt: skip


def _cmd_golden(args: argparse.Namespace) -> int:
    from m0nn import golden, golden_io, golden_requant
    from m0nn.codegen import write_atomic

    paths = _golden_paths(args, GOLDEN)
    texts = (golden.render(golden.cases()), golden.render_b4(golden.cases_b4()), golden.render_b8p(golden.cases_b8p()),
             golden_io.render(), golden_requant.render())  # fmt: skip
    for path, text in zip(paths, texts, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    print(f"wrote {', '.join(str(p) for p in paths[:-1])} and {paths[-1]}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from m0nn import bench

    return bench.run(Path(args.project), Path(args.output))


def _cmd_report(args: argparse.Namespace) -> int:
    from m0nn import report
    from m0nn.errors import M0nnError
    from m0nn.generate import is_graph_model
    from m0nn.names import path_text

    if is_graph_model(Path(args.model)):  # its requantization variants are the FC chain's (m0nn.plan)
        raise M0nnError(
            f"{path_text(args.model)}: m0nn report handles fully connected models only, this is a graph model "
            "(conv, pooling or residual); m0nn check compares it operator by operator"
        )
    model, x, y, fp32 = _model_and_data(args)
    variants = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    rep = report.build_report(model, x, y, fp32, variants, cycles=not args.no_cycles)
    print(report.table(rep))
    for path in report.write(rep, Path(args.output)):
        print(f"wrote {path}")
    return 0


def _cmd_study(args: argparse.Namespace) -> int:
    from m0nn import study

    return study.run(args.task, args.seeds, Path(args.output))


def _cmd_demo(args: argparse.Namespace) -> int:
    from m0nn import demo

    return demo.run(Path(args.project), retrain=args.retrain)


def _settings_args(p: argparse.ArgumentParser) -> None:
    from m0nn.settings import INT4_MODES, KERNELS, REQUANT_MODES, Settings

    d = Settings()
    p.add_argument("--kernel", choices=KERNELS, default=d.kernel, help=f"C kernel per layer (default {d.kernel})")
    p.add_argument("--requant", choices=REQUANT_MODES, default=d.requant, help=f"requantization (default {d.requant})")
    p.add_argument(
        "--min-bits", type=int, default=d.min_bits, help=f"narrowest mul32 multiplier (default {d.min_bits})"
    )
    p.add_argument(
        "--int4",
        choices=INT4_MODES,
        default=d.int4,
        help=f"packed 4-bit kernel for layers with weights in [-8, 7] (default {d.int4})",
    )


def _model_and_data_args(p: argparse.ArgumentParser) -> None:
    """The arguments _model_and_data reads."""
    p.add_argument("model", help="QDQ ONNX file")
    p.add_argument("--data", required=True, help=".npy inputs [N, features] or .npz with x (and y)")
    p.add_argument("--labels", help=".npy labels (class indices) or regression targets")
    p.add_argument("--fp32", help="the fp32 ONNX model (default: fp32/<model name> beside the model, if present)")


def build_parser() -> argparse.ArgumentParser:
    from m0nn import __version__

    parser = argparse.ArgumentParser(prog="m0nn", description=__doc__)
    parser.add_argument("--version", action="version", version=f"m0nn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("gen", help="write the C headers of a QDQ ONNX model")
    p.add_argument("model", help="QDQ ONNX file; test vectors are read from <stem>.test.npz beside it if present")
    p.add_argument("-o", "--output", required=True, help="output folder (in a PlatformIO project with m0nn init, "
                   "`pio run` writes the headers of models/ to lib/m0nn_models itself)")  # fmt: skip
    _settings_args(p)
    p.add_argument("--input-scale", type=float, help="scale of your raw sensor integers (real = scale * (raw - zero)): "
                   "the header then converts int16/int32 raw values to the model input")  # fmt: skip
    p.add_argument("--input-zero", type=int, default=0, help="zero point (offset) of the raw integers (default 0)")
    p.set_defaults(func=_cmd_gen)

    p = sub.add_parser("check", help="compare the int8 path with the float path, layer by layer")
    _model_and_data_args(p)
    p.add_argument("--tol", type=int, default=1, help="tolerated difference per layer, in LSBs (default 1)")
    _settings_args(p)
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "report", help="what each requantization precision costs on a fully connected model (table, plots)"
    )
    _model_and_data_args(p)
    variants = "q31,mul32,mul32:12,mul32:8,mul32:6,mul32:4,pow2"
    p.add_argument("--variants", default=variants, help="comma-separated: q31, mul32, mul32:BITS, pow2")
    p.add_argument("--no-cycles", action="store_true", help="skip the Cortex-M0 cycle counts")
    p.add_argument("-o", "--output", default="report", help="folder for the Markdown summary and PNG plots")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("study", help="PTQ vs QAT vs LSQ vs power-of-two scales, 8/4-bit weights, over seeds")
    p.add_argument("task", choices=["digits", "tilt"], help="the example task to train on")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="training seeds (default 0 1 2)")
    p.add_argument("-o", "--output", default="docs/study", help="folder of the results (default docs/study)")
    p.set_defaults(func=_cmd_study)

    p = sub.add_parser("train", help="train an example model with QAT and write it to models/")
    p.add_argument("example", choices=["digits", "tilt", "digits_cnn", "activity"], help="the example to train")
    p.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    p.add_argument("--models-dir", help="output folder (default: models)")
    p.add_argument("--scale-mode", choices=["observed", "lsq", "pow2"], default="observed",
                   help="QAT scales (digits): observed ranges, learned (LSQ) or powers of two")  # fmt: skip
    p.add_argument("--weight-bits", type=int, default=8, help="weight width for QAT (digits; 2..8)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("bench-conv", help="cycle-exact Cortex-M0 benchmark of the conv kernels (docs/)")
    p.add_argument("-o", "--output", default="docs", help="folder of benchmarks_conv.md and .json (default docs)")
    p.set_defaults(func=_cmd_bench_conv)
    p = sub.add_parser("measure", help="a trained example on the emulated M0: accuracy, flash, RAM and stack, cycles")
    p.add_argument(
        "names", nargs="+", help="models/NAME.onnx with headers in lib/m0nn/generated (digits_cnn, activity, digits)"
    )
    p.add_argument("--project", default=".", help="the m0nn repository / project (default: .)")
    p.add_argument("-o", "--output", default=None, help="also write measure_conv.json there (e.g. docs)")
    p.set_defaults(func=_cmd_measure)
    p = sub.add_parser("golden-graph", help="write the golden vectors of m0nn's own C graph-operator tests")
    p.add_argument("-o", "--output", metavar="DIR", help="write test_graph/golden_graph.h and "
                   "test_graph/golden_depthwise.h under DIR (default: test, in the m0nn repository)")  # fmt: skip
    p.set_defaults(func=_cmd_golden_graph)

    p = sub.add_parser("fuzz", help="random and extreme layers: every C kernel against the integer reference")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--calls", type=int, default=30000, help="kernel calls per target (default 30000)")
    p.add_argument(
        "--target", action="append", choices=["native", "native_asan", "m0"], help="default: native, native_asan"
    )
    p.add_argument("--models", type=int, default=0, help="also N random small models through the generator")
    p.add_argument("-o", "--output", type=Path, default=None, help="write fuzz.json and fuzz.md there (e.g. docs)")
    p.set_defaults(func=_cmd_fuzz)

    p = sub.add_parser("golden", help="write the golden vectors of m0nn's own C kernel tests")
    p.add_argument("-o", "--output", metavar="DIR", help=f"write {', '.join(GOLDEN)} under DIR "
                   "(default: test, in the m0nn repository)")  # fmt: skip
    p.set_defaults(func=_cmd_golden)

    p = sub.add_parser("demo", help="the main job: example model -> headers -> Cortex-M0 firmware on QEMU")
    p.add_argument("--project", default=".", help="the PlatformIO project (default: .)")
    p.add_argument("--retrain", action="store_true", help="train the example again instead of reusing it")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("bench", help="cycle-exact Cortex-M0/M0+ benchmark against the reference kernel")
    p.add_argument("--project", default=".", help="the folder whose models/digits.onnx is the real model benchmarked "
                   "beside the synthetic layers (default: .)")  # fmt: skip
    p.add_argument("-o", "--output", default="docs", help="folder of benchmarks.md and benchmarks.json")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("init", help="add m0nn to a PlatformIO project (pre-build step, environments, model tests)")
    p.add_argument("project", nargs="?", default=".", help="the PlatformIO project (default: .)")
    p.add_argument("--no-setup", action="store_true", help="only edit the project; skip `m0nn pio-setup`")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser(
        "prebuild",
        help="the pre-build step outside PlatformIO: regenerate stale model headers",
        description="The pre-build step outside PlatformIO, with the custom_m0nn_* options of the project's "
        "platformio.ini as `pio run -e ENV` reads them ([env], [env:ENV], extends; with PlatformIO importable "
        "through its own ProjectConfig, else without ${...} references), checked as the build checks them.",
    )
    p.add_argument("project", nargs="?", default=".", help="the PlatformIO project (default: .)")
    p.add_argument("-e", "--environment", metavar="ENV",
                   help="the environment whose options to read (default: the first of the project's default_envs, "
                   "else its first [env:NAME], else [env] alone; the header options are the same in all). "
                   "The RAM/flash budget: custom_m0nn_ram/flash, else the board's manifest if PlatformIO "
                   "and the platform are installed here, else 16384/262144")  # fmt: skip
    p.add_argument("--out", help="header folder (default: lib/m0nn/generated or lib/m0nn_models)")
    p.add_argument("--option", action="append", default=[], metavar="custom_m0nn_X=VALUE",
                   help="an option of the environment; overrides platformio.ini")  # fmt: skip
    p.set_defaults(func=_cmd_prebuild)

    p = sub.add_parser("pio-setup", help="provide PlatformIO packages locally when its registry is unreachable")
    p.add_argument("--offline", action="store_true", help="install the local packages even if the registry answers")
    p.set_defaults(func=_cmd_pio_setup)
    return parser


TRAINING_COMMANDS = ("train", "study", "demo")
# Optional modules (m0nn.errors.EXTRAS) a command needs whatever its input: checked before it
# starts, so a long run does not end in a missing import. Any other is reported when imported.
NEEDS = {
    "train": ("torch",),
    "study": ("torch", "matplotlib"),
    "report": ("matplotlib",),
    "golden-graph": ("onnxruntime",),
    "bench-conv": ("onnxruntime",),  # its CNN case is quantized by onnxruntime
    "bench": ("unicorn",),
}


def missing_dependency(args: argparse.Namespace) -> str | None:
    """The install line for the first optional module the command needs and lacks (None: all there)."""
    from importlib.util import find_spec

    from m0nn.errors import install_line

    needs = NEEDS.get(args.command, ()) + (("onnxruntime",) if getattr(args, "example", "") == "tilt" else ())
    return next((install_line(m) for m in needs if find_spec(m) is None), None)


def pin_training_cpu() -> None:
    """ATen picks its kernels by the CPU's instruction set, and they round
    differently; pin the set the committed models were trained with (AVX2, on
    nearly every x86-64 CPU since 2013; a CPU without it falls back to its best)
    unless the caller chose. Must run before torch is imported."""
    import os

    if "torch" not in sys.modules:
        os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in TRAINING_COMMANDS:
        pin_training_cpu()
    from m0nn.errors import M0nnError, install_line
    from m0nn.names import one_line

    missing = missing_dependency(args)
    if missing is not None:
        print(f"m0nn {args.command}: error: {missing}", file=sys.stderr)
        return 1
    try:
        return int(args.func(args))
    except (M0nnError, OSError) as exc:
        print(f"m0nn {args.command}: error: {one_line(str(exc))}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:  # an optional dependency (pyproject.toml's extras) is missing
        line = install_line(exc.name)
        if line is None:
            raise
        print(f"m0nn {args.command}: error: {line}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:  # a compiler or emulator step; its own output came first
        cmd = [str(c) for c in exc.cmd] if isinstance(exc.cmd, list) else [str(exc.cmd)]
        shown = " ".join(cmd[:1] + (["..."] if len(cmd) > 4 else []) + cmd[1:][-3:])
        print(f"m0nn {args.command}: error: `{shown}` failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"m0nn {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
