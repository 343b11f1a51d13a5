/* Board support of the m0qemu platform: output and exit over ARM semihosting.
 *
 * QEMU's `-semihosting-config enable=on,target=native` turns these calls into
 * writes on QEMU's stdout and QEMU's exit status. On a board without a debugger
 * attached a semihosting call would stop the core, so only m0qemu builds use them.
 */
#ifndef M0QEMU_H
#define M0QEMU_H

#include <stdint.h>

/* Write a NUL-terminated string to the host's stdout (SYS_WRITE0). */
void m0qemu_puts(const char *s);

/* End the emulation; QEMU exits with `code` (SYS_EXIT_EXTENDED). Never returns. */
void m0qemu_exit(int32_t code) __attribute__((noreturn));

#endif
