"""Linux ``/proc`` readings about processes this harness started.

Which process holds a TCP connection (so a test can tell which uvicorn worker served it), a
process tree, its CPU time and peak memory, and whether a process still runs. Used by the live
server harness and the benchmark; read-only, nothing here signals a process.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import httpx

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """All live descendants of ``pid``, found by walking the parent links in ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        # The command name is in parentheses and may contain spaces; fields follow the last ')'.
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def is_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (an exited process not yet reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def group_of(pid: int) -> int | None:
    """The process group of ``pid``, or ``None`` once it has exited."""
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def status_kib(pid: int, key: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` (0 if the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # After the ')' field 0 is state; utime and stime are fields 11 and 12.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def response_client_port(response: httpx.Response) -> int:
    """The local port of the (still open) connection a response came over."""
    stream = response.extensions["network_stream"]
    address = stream.get_extra_info("client_addr")
    return int(address[1])


def connection_owner(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the server end of 127.0.0.1:client_port → :server_port."""
    inode = _established_inode(server_port, client_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        with contextlib.suppress(OSError):
            for fd in fd_dir.iterdir():
                with contextlib.suppress(OSError):
                    if str(fd.readlink()) == target:
                        return pid
    return None


def _established_inode(server_port: int, client_port: int) -> int | None:
    """The socket inode of the server side of an established 127.0.0.1 connection."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if (
            state == "01"  # ESTABLISHED
            and int(local.rpartition(":")[2], 16) == server_port
            and int(remote.rpartition(":")[2], 16) == client_port
        ):
            return int(inode)
    return None
