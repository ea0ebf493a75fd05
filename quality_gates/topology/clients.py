"""Clients at distinct addresses: Linux routes all of 127.0.0.0/8 to loopback, so a client
binds its source address to 127.0.0.2, 127.0.0.3, … and a server or proxy sees each apart.
"""

from __future__ import annotations

import ipaddress

#: The proxy itself talks to the upstream from 127.0.0.1; clients start above it.
FIRST_CLIENT = ipaddress.IPv4Address("127.0.0.2")
MAX_CLIENTS = 250


def client_addresses(count: int) -> tuple[str, ...]:
    """``count`` distinct loopback addresses, none of them 127.0.0.1."""
    if not 1 <= count <= MAX_CLIENTS:
        raise ValueError(f"between 1 and {MAX_CLIENTS} client addresses")
    return tuple(str(FIRST_CLIENT + offset) for offset in range(count))
