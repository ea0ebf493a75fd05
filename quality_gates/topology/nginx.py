"""A throw-away nginx on 127.0.0.1 in front of one upstream port, started and stopped by pid.

The configuration is the usual deployment's: ``X-Forwarded-For`` gets the peer appended
(``$proxy_add_x_forwarded_for``, so a client's own header stays, left of what nginx saw) and
``X-Real-IP`` is the peer. Everything nginx writes (pid file, logs, temp files) goes to its
own directory, so it runs as any user; as root its worker runs as root too, since the
directory is private to the user that made it.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from quality_gates.processes import HOST, free_port, stop_group

#: Where Debian puts it; ``PATH`` comes first.
_DEBIAN_NGINX = "/usr/sbin/nginx"

_CONFIG = """\
daemon off;
worker_processes 1;
{user}pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream target {{
        server {host}:{upstream};
        keepalive 32;
    }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://target;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


class NginxError(Exception):
    """nginx is missing, or did not start; the message carries its error log."""


def nginx_binary() -> str | None:
    """The nginx executable, or ``None`` when it is not installed."""
    found = shutil.which("nginx")
    if found:
        return found
    return _DEBIAN_NGINX if os.access(_DEBIAN_NGINX, os.X_OK) else None


def render_config(directory: Path, upstream_port: int, port: int) -> str:
    """The nginx configuration: listen on ``port``, forward to ``upstream_port``."""
    # Only root may name a worker user; the default (nobody) could not read a private dir.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    return _CONFIG.format(user=user, dir=directory, host=HOST, upstream=upstream_port, port=port)


@dataclass
class Nginx:
    """A running nginx; :meth:`stop` ends it."""

    process: subprocess.Popen[bytes]
    port: int
    directory: Path

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def error_log(self) -> str:
        """The end of nginx's error log."""
        try:
            return (self.directory / "error.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGQUIT (nginx finishes the requests in flight), then SIGKILL its process group."""
        stop_group(self.process, signal.SIGQUIT)


def start_nginx(upstream_port: int, directory: Path, *, timeout: float = 10.0) -> Nginx:
    """Start nginx in front of ``127.0.0.1:upstream_port``; return once it accepts connections."""
    binary = nginx_binary()
    if binary is None:
        raise NginxError("nginx is not installed (Debian: apt-get install nginx-light)")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = directory / "nginx.conf"
    config.write_text(render_config(directory, upstream_port, port), encoding="utf-8")
    # -e: the error log before the configuration is read (else /var/log/nginx, root's).
    command = [binary, "-p", str(directory), "-c", str(config), "-e", str(directory / "error.log")]
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    nginx = Nginx(process, port, directory)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise NginxError(f"nginx exited with code {process.returncode}:\n{nginx.error_log()}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1.0):
            return nginx
        if time.monotonic() > deadline:
            nginx.stop()
            raise NginxError(f"nginx not listening after {timeout:.0f}s:\n{nginx.error_log()}")
        time.sleep(0.02)
