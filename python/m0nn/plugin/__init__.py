"""m0nn inside a user's PlatformIO project: the files it ships (resources), the
pre-build glue PlatformIO's Python runs (build), and `m0nn init` (init, ini)."""
