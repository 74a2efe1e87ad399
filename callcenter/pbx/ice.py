"""ICE host candidates for the browser softphones' media (rtp.conf ``[ice_host_candidates]``).

Asterisk binds WebRTC media to the loopback ``bind_address`` but offers the browser the
machine's *other* IPv4 addresses as ICE host candidates (never loopback): DTLS packets then
come from an address that is not a candidate, and are dropped (no audio). Mapping every
address of the machine to the bind address makes the one candidate the right one. The
addresses are read when the configuration is generated (``ip -4 -o addr show``).
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from collections.abc import Iterable

from callcenter.errors import AsteriskProcessError


def parse_ip_addr(output: str) -> list[str]:
    """The addresses in ``ip -4 -o addr show`` output ("2: eth0 inet 192.0.2.2/24 …")."""
    found = []
    for line in output.splitlines():
        words = line.split()
        if "inet" in words[:-1]:
            found.append(words[words.index("inet") + 1].split("/")[0])
    return found


def host_addresses() -> list[str]:
    """This machine's IPv4 addresses, from iproute2's ``ip``."""
    ip = shutil.which("ip") or "/usr/sbin/ip"
    try:
        done = subprocess.run([ip, "-4", "-o", "addr", "show"], capture_output=True,
                              text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise AsteriskProcessError(f"cannot list this machine's addresses for WebRTC with "
                                   f"`ip -4 -o addr show` (Debian package iproute2): {exc}"
                                   ) from None
    return parse_ip_addr(done.stdout)


def host_candidates(addresses: Iterable[str], bind_address: str) -> list[str]:
    """The addresses to map to ``bind_address``: IPv4, not loopback, not itself; sorted."""
    wanted = set()
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if address.version == 4 and not address.is_loopback and text != bind_address:
            wanted.add(address)
    return [str(a) for a in sorted(wanted)]
