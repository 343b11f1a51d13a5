/* Startup and vector table of the m0qemu platform's images, with the board's
 * output and end of the program: semihosting (m0qemu_io_semihosting.h) or, when
 * the builder defines M0QEMU_NRF51_UART (board build.m0qemu_io = nrf51_uart), the
 * nRF51 UART (m0qemu_io_nrf51_uart.h). One translation unit: the semihosting
 * images are the same code as before the UART board existed. */
#include <stddef.h>
#include <stdint.h>

#include "m0qemu.h"

extern void __stack_top(void); /* not code: the initial stack pointer (ldscripts) */
extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end;
typedef void (*m0qemu_init_fn)(void);
extern const m0qemu_init_fn __init_array_start[], __init_array_end[];
extern int main(void);

void m0qemu_reset(void) __attribute__((noreturn));
void m0qemu_fault(void) __attribute__((noreturn));

#ifdef M0QEMU_NRF51_UART
#include "m0qemu_io_nrf51_uart.h"
#else
#include "m0qemu_io_semihosting.h"
#endif

/* A fault is reported in the test runner's line format, so it fails the test run. */
void m0qemu_fault(void)
{
    m0qemu_puts("m0qemu:0:hardfault:FAIL: HardFault (ARMv6-M fault or illegal instruction)\n");
    m0qemu_exit(3);
}

void m0qemu_reset(void)
{
    uint32_t *dst = &__data_start;
    const uint32_t *src = &__data_load;
    const m0qemu_init_fn *init;
    while (dst < &__data_end) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start; dst < &__bss_end; ++dst) {
        *dst = 0;
    }
#ifdef M0QEMU_NRF51_UART
    m0qemu_io_init(); /* semihosting needs no set-up */
#endif
    /* C++ globals' constructors, after .data and .bss and the output are ready */
    for (init = __init_array_start; init < __init_array_end; ++init) {
        (*init)();
    }
    m0qemu_exit(main());
}

/* C++: the vtable entry of a pure virtual function, called only by a bug (no C++ runtime
 * library gives one under -nostdlib). */
void __cxa_pure_virtual(void) __attribute__((noreturn));
void __cxa_pure_virtual(void)
{
    m0qemu_puts("m0qemu:0:pure_virtual:FAIL: pure virtual function called\n");
    m0qemu_exit(3);
}

/* A table of function pointers (the stack top too: a linker symbol, declared as a function so that
 * no entry converts between object and function pointers, which ISO C and a project's -pedantic forbid). */
typedef void (*m0qemu_vector_t)(void);
__attribute__((section(".vectors"), used)) static const m0qemu_vector_t vectors[16] = {
    __stack_top,  /* initial stack pointer */
    m0qemu_reset, /* Reset */
    m0qemu_fault, /* NMI */
    m0qemu_fault, /* HardFault */
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    m0qemu_fault, /* SVCall */
    0,
    0,
    m0qemu_fault, /* PendSV */
    m0qemu_fault, /* SysTick */
};

/* -nostdlib leaves these out; gcc may still emit calls to them for struct copies
 * and zero-initialised locals. Byte loops: small, and never on a hot path of m0nn.
 * The attribute keeps gcc from turning each loop back into a call to itself. */
#define M0QEMU_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

M0QEMU_NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

M0QEMU_NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--) {
        *d++ = (uint8_t)c;
    }
    return dst;
}

M0QEMU_NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d < s) {
        while (n--) {
            *d++ = *s++;
        }
    } else {
        while (n--) {
            d[n] = s[n];
        }
    }
    return dst;
}
