"""m0nn: PyTorch models to integer-only int8 C for ARM Cortex-M0/M0+."""

__version__ = "0.2.2"
