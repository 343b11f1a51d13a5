/* Output over the nRF51's UART0 (board microbit_bare, build.m0qemu_io = nrf51_uart).
 * Included once, by m0qemu.c.
 *
 * Registers from the nRF51 Series Reference Manual (UART, CLOCK, GPIO chapters);
 * QEMU's micro:bit models UART0 and the CLOCK events, so the same image runs on
 * both. The BBC micro:bit v1 routes P0.24 (TX) and P0.25 (RX) to its interface
 * chip, which shows them as a USB serial port. Blocking, one byte at a time. */
#ifndef M0QEMU_IO_NRF51_UART_H
#define M0QEMU_IO_NRF51_UART_H

#include <stdint.h>

#include "m0qemu.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#define CLOCK_TASKS_HFCLKSTART REG(0x40000000u)
#define CLOCK_EVENTS_HFCLKSTARTED REG(0x40000100u)

#define GPIO_OUTSET REG(0x50000508u)
#define GPIO_DIRSET REG(0x50000518u)

#define UART0_TASKS_STARTTX REG(0x40002008u)
#define UART0_TASKS_STOPTX REG(0x4000200Cu)
#define UART0_EVENTS_TXDRDY REG(0x4000211Cu)
#define UART0_ENABLE REG(0x40002500u)
#define UART0_PSELTXD REG(0x4000250Cu)
#define UART0_TXD REG(0x4000251Cu)
#define UART0_BAUDRATE REG(0x40002524u)

#define UART_ENABLE_UART 4u
#define UART_BAUDRATE_115200 0x01D7E000u
#define MICROBIT_TX_PIN 24u
/* The 16 MHz crystal starts in about a millisecond; the internal RC oscillator
 * would do for 115200 baud but is less accurate. Give up waiting after this many
 * polls (tens of milliseconds) rather than hang without output. */
#define HFCLK_POLLS 200000

void m0qemu_io_init(void)
{
    int32_t polls = HFCLK_POLLS;
    CLOCK_EVENTS_HFCLKSTARTED = 0;
    CLOCK_TASKS_HFCLKSTART = 1;
    while (CLOCK_EVENTS_HFCLKSTARTED == 0 && --polls > 0) {
    }
    /* TXD idles high: drive the pin high as an output before the UART takes it. */
    GPIO_OUTSET = 1u << MICROBIT_TX_PIN;
    GPIO_DIRSET = 1u << MICROBIT_TX_PIN;
    UART0_PSELTXD = MICROBIT_TX_PIN;
    UART0_BAUDRATE = UART_BAUDRATE_115200;
    UART0_ENABLE = UART_ENABLE_UART;
    UART0_TASKS_STARTTX = 1;
}

static void put_byte(uint8_t c)
{
    UART0_EVENTS_TXDRDY = 0;
    UART0_TXD = c;
    while (UART0_EVENTS_TXDRDY == 0) {
    }
}

void m0qemu_puts(const char *s)
{
    for (; *s != '\0'; ++s) {
        if (*s == '\n') {
            put_byte('\r');
        }
        put_byte((uint8_t)*s);
    }
}

static void put_int(int32_t v)
{
    /* Decimal digits by subtracting powers of ten: ARMv6-M has no divider. */
    static const uint32_t pow10[10] = {1000000000u, 100000000u, 10000000u, 1000000u, 100000u,
                                       10000u,      1000u,      100u,      10u,      1u};
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    int32_t started = 0;
    int32_t i;
    if (v < 0) {
        put_byte('-');
    }
    for (i = 0; i < 10; ++i) {
        uint8_t d = '0';
        while (u >= pow10[i]) {
            u -= pow10[i];
            ++d;
        }
        if (d != '0' || started || i == 9) {
            put_byte(d);
            started = 1;
        }
    }
}

void m0qemu_exit(int32_t code)
{
    m0qemu_puts(M0QEMU_EXIT_LINE);
    put_int(code);
    m0qemu_puts("\n");
    UART0_TASKS_STOPTX = 1;
    for (;;) {
        __asm__ volatile("wfi");
    }
}

#endif
