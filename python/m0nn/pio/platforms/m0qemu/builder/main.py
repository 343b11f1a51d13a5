"""Builder of the m0qemu platform: bare-metal Cortex-M0 with Debian's toolchain.

Compiles the board support in ../bsp (vector table, startup, semihosting) with the
project, links with the board's linker script, runs the zero-FP gate (fpgate.py;
`custom_m0nn_fp_gate = m0nn | strict | off`), and runs the image on
`qemu-system-arm -M microbit` as the `upload` target. It also writes
`$BUILD_DIR/program`, a script that runs program.elf on QEMU: PlatformIO's test
runner executes that file, so `pio test` needs no `test_testing_command`
(`custom_m0qemu_timeout` seconds, default 120, before a hung program is stopped).
"""

import os
import shlex
import sys

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
platform = env.PioPlatform()
board = env.BoardConfig()
platform_dir = platform.get_dir()
sys.path.insert(0, os.path.join(platform_dir, "builder"))
import fpgate  # noqa: E402  (lives next to this file)

cpu = ["-mcpu=%s" % board.get("build.cpu", "cortex-m0"), "-mthumb"]

env.Replace(
    AR="arm-none-eabi-gcc-ar",
    AS="arm-none-eabi-gcc",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-gcc-ranlib",
    SIZETOOL="arm-none-eabi-size",
    ARFLAGS=["rc"],
    PROGSUFFIX=".elf",
)
env.Append(
    ASFLAGS=cpu + ["-x", "assembler-with-cpp"],
    CCFLAGS=cpu + ["-ffunction-sections", "-fdata-sections", "-ffreestanding"],
    LINKFLAGS=cpu
    + [
        "-nostartfiles",
        "-nostdlib",
        "-Wl,--gc-sections",
        "-Wl,-Map,$BUILD_DIR/program.map,--cref",
        "-Wl,-T," + os.path.join(platform_dir, "ldscripts", board.get("build.ldscript")),
    ],
    LIBS=["gcc"],
    CPPDEFINES=["M0QEMU"],
    CPPPATH=[os.path.join(platform_dir, "bsp")],
)

env.BuildSources(os.path.join("$BUILD_DIR", "m0qemu_bsp"), os.path.join(platform_dir, "bsp"))
program = env.BuildProgram()


def zero_fp_gate(target, source, env):
    mode = env.GetProjectOption("custom_m0nn_fp_gate", "m0nn").strip()
    try:
        errors, notes = fpgate.gate(str(target[0]), env.subst("$BUILD_DIR/program.map"), mode)
    except Exception as exc:  # an unreadable image or map, or an unknown mode: the build stops
        sys.stderr.write("Error: zero-FP gate: %s\n" % exc)
        return 1
    for line in notes:
        print("Zero-FP gate (custom_m0nn_fp_gate = m0nn): the project's own code links %s" % line)
    if errors:
        sys.stderr.write(
            "Error: %s links float/division helpers (Cortex-M0 has no FPU and no divider; "
            "custom_m0nn_fp_gate = %s): %s\n" % (target[0], mode, "; ".join(errors))
        )
        return 1
    return 0


env.AddPostAction(program, env.VerboseAction(zero_fp_gate, "Zero-FP gate on $TARGET"))

QEMU = [
    "timeout", "$M0QEMU_TIMEOUT", "qemu-system-arm", "-M", "microbit", "-nographic",
    "-monitor", "none", "-serial", "none",
    "-semihosting-config", "enable=on,target=native", "-kernel",
]
env.SetDefault(M0QEMU_TIMEOUT=env.GetProjectOption("custom_m0qemu_timeout", "120"))
upload = env.Alias("upload", program, env.VerboseAction(" ".join(QEMU + ["$SOURCE"]), "Running $SOURCE on QEMU (micro:bit, Cortex-M0)"))
AlwaysBuild(upload)


def write_runner(target, source, env):
    """$BUILD_DIR/program: runs program.elf beside it on QEMU (what `pio test` executes)."""
    words = [env.subst(w) for w in QEMU]
    with open(str(target[0]), "w") as f:
        f.write("#!/bin/sh\n# Written by the m0qemu platform: runs program.elf on QEMU's micro:bit.\n")
        f.write('exec %s "$(dirname "$0")/program.elf"\n' % " ".join(shlex.quote(w) for w in words))
    os.chmod(str(target[0]), 0o755)
    return 0


runner = env.Command(os.path.join("$BUILD_DIR", "program"), program, env.VerboseAction(write_runner, "Writing $TARGET (runs the image on QEMU)"))
env.Depends(runner, env.Value(env.subst("$M0QEMU_TIMEOUT")))

size = env.Alias("size", program, env.VerboseAction("$SIZEPRINTCMD", "Size of $SOURCE"))
AlwaysBuild(size)
Default([program, runner])
