"""Builder of the m0qemu platform: bare-metal Cortex-M0 with Debian's toolchain.

Compiles the board support in ../bsp (vector table, startup, semihosting) with the
project, links with the board's linker script, rejects any float or division
helper (fpgate.py), and runs the image on `qemu-system-arm -M microbit` as the
`upload` target.
"""

import os
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
        "-Wl,-T," + os.path.join(platform_dir, "ldscripts", board.get("build.ldscript")),
    ],
    LIBS=["gcc"],
    CPPDEFINES=["M0QEMU"],
    CPPPATH=[os.path.join(platform_dir, "bsp")],
)

env.BuildSources(os.path.join("$BUILD_DIR", "m0qemu_bsp"), os.path.join(platform_dir, "bsp"))
program = env.BuildProgram()


def zero_fp_gate(target, source, env):
    bad = fpgate.check(str(target[0]))
    if bad:
        sys.stderr.write(
            "Error: %s links float/division helpers (Cortex-M0 has no FPU and no divider): %s\n"
            % (target[0], ", ".join(bad))
        )
        return 1
    return 0


env.AddPostAction(program, env.VerboseAction(zero_fp_gate, "Zero-FP gate on $TARGET"))

QEMU = [
    "timeout", "$M0QEMU_TIMEOUT", "qemu-system-arm", "-M", "microbit", "-nographic",
    "-monitor", "none", "-serial", "none",
    "-semihosting-config", "enable=on,target=native", "-kernel", "$SOURCE",
]
env.SetDefault(M0QEMU_TIMEOUT="120")
upload = env.Alias("upload", program, env.VerboseAction(" ".join(QEMU), "Running $SOURCE on QEMU (micro:bit, Cortex-M0)"))
AlwaysBuild(upload)

size = env.Alias("size", program, env.VerboseAction("$SIZEPRINTCMD", "Size of $SOURCE"))
AlwaysBuild(size)
Default([program])
