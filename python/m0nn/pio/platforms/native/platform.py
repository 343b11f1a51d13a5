"""PlatformIO platform class for m0nn's offline stand-in of `native`."""

from platformio.public import PlatformBase


class NativePlatform(PlatformBase):
    """The host: no boards, no uploader, programs run in place."""
