// Entry points on real boards (Arduino framework): results go to Serial.
#ifdef ARDUINO
#include <Arduino.h>

extern "C" {
#include "app.h"

void port_print(const char *s)
{
    Serial.print(s);
}
}

void setup()
{
    Serial.begin(115200);
    while (!Serial && millis() < 3000) {
    }
    (void)app_run();
}

void loop()
{
}
#endif
