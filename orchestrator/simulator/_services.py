"""Device-side services (`shell:`, `shell,v2:`, `sync:`) over any byte stream.

Both front ends call `serve_device_service` once a stream to a phone is open: the fake
ADB server after `host:transport`, the device transport after an OPEN. So the phone's
behaviour is written once. Owned by the server work; placeholder signature.
"""

from __future__ import annotations

import trio

from ._phone import Phone

__all__ = ["serve_device_service"]


async def serve_device_service(phone: Phone, service: str,
                               stream: trio.abc.HalfCloseableStream) -> None:
    """Serve one device service request, `service` being e.g. `shell,v2:ls /sdcard`.

    The caller has already answered OKAY (or the transport its OKAY packet). Unknown
    services close the stream after a FAIL-less close, as adbd does.
    """
    raise NotImplementedError
