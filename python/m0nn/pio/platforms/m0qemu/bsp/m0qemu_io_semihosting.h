/* Output and exit over ARM semihosting: QEMU boards (build.m0qemu_io = semihosting).
 * Included once, by m0qemu.c.
 *
 * QEMU's `-semihosting-config enable=on,target=native` turns these calls into
 * writes on QEMU's stdout and QEMU's exit status. Without a debugger a
 * semihosting call stops the core (HardFault): never use this on a real board. */
#ifndef M0QEMU_IO_SEMIHOSTING_H
#define M0QEMU_IO_SEMIHOSTING_H

#include <stdint.h>

#include "m0qemu.h"

#define SYS_WRITE0 0x04
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static int32_t semihost(int32_t op, const void *arg)
{
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void m0qemu_puts(const char *s)
{
    (void)semihost(SYS_WRITE0, s);
}

void m0qemu_exit(int32_t code)
{
    /* The extended call carries the exit code; plain SYS_EXIT loses it on AArch32. */
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    for (;;) {
        (void)semihost(SYS_EXIT_EXTENDED, block);
    }
}

#endif
