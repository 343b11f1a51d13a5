/* The example firmware: runs the generated digits model on its held-out test
 * vectors and reports agreement with the integer reference and accuracy. */
#ifndef APP_H
#define APP_H

#include <stdint.h>

/* Output of the board or host: one NUL-terminated string at a time. */
void port_print(const char *s);

/* Runs every test vector; returns 0 when every output equals the reference. */
int app_run(void);

#endif
