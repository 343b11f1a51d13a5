Import("env")
