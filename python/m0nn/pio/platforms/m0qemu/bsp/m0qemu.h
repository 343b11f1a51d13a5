/* Board support of the m0qemu platform: output and the end of the program.
 *
 * Two implementations, one per kind of board (the board's build.m0qemu_io):
 * - semihosting (board microbit_qemu, m0qemu_io_semihosting.h): QEMU's
 *   `-semihosting-config enable=on,target=native` turns the calls into writes on
 *   QEMU's stdout and QEMU's exit status. On a board without a debugger attached
 *   a semihosting call stops the core, so only emulated boards use it.
 * - nrf51_uart (board microbit_bare, m0qemu_io_nrf51_uart.h, defines
 *   M0QEMU_NRF51_UART): the nRF51's UART0 at 115200 baud, 8N1, on the BBC
 *   micro:bit v1's USB serial (TX on P0.24). No semihosting: the same image runs
 *   on the real board and on QEMU's micro:bit (`-serial stdio`).
 */
#ifndef M0QEMU_H
#define M0QEMU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Write a NUL-terminated string (semihosting: SYS_WRITE0; UART: each "\n" is
 * sent as "\r\n", what serial terminals expect). */
void m0qemu_puts(const char *s);

/* End the program with `code`. Never returns.
 * Semihosting: QEMU exits with `code` (SYS_EXIT_EXTENDED).
 * UART: prints the line M0QEMU_EXIT_LINE followed by the decimal code, then
 * sleeps (WFI) forever: a real board has nothing to exit to. */
void m0qemu_exit(int32_t code) __attribute__((noreturn));

/* The last line an UART image prints, before its exit code: "m0qemu: exit status 0". */
#define M0QEMU_EXIT_LINE "m0qemu: exit status "

/* Called by the startup code before main in UART images (clock and UART set-up). */
void m0qemu_io_init(void);

#ifdef __cplusplus
}
#endif

#endif
