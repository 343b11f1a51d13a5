/* Entry points of the example firmware for each kind of target. */
#include "app.h"

#if defined(M0QEMU)
#include "m0qemu.h"

void port_print(const char *s)
{
    m0qemu_puts(s);
}

int main(void)
{
    return app_run(); /* the startup code passes this to QEMU as its exit status */
}

#elif !defined(ARDUINO)
#include <stdio.h>

void port_print(const char *s)
{
    (void)fputs(s, stdout);
}

int main(void)
{
    return app_run();
}
#endif
