"""Talking to HAProxy: check and apply a configuration, reload through the master CLI, and its runtime API.

HAProxy runs in master-worker mode (``haproxy -W -S MASTER_SOCKET -p PID_FILE -f CONFIG``). A reload makes the master
start new workers with the new file while the old ones finish the connections they hold. A configuration is checked
with ``haproxy -c`` before it replaces the file; one HAProxy refuses never replaces it, and a reload that starts no
new worker (an address it cannot bind, which ``-c`` does not try) puts the previous file back. Before a reload, each
public port the new file adds is bound once here, so that a port another program holds is refused with its name
rather than found in HAProxy's log.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CHECK_TIMEOUT_SECONDS = 30
SOCKET_TIMEOUT_SECONDS = 5
RELOAD_TIMEOUT_SECONDS = 15
SERVER_STATES = ("ready", "drain", "maint")


class HAProxyError(Exception):
    """HAProxy refused something; the message is HAProxy's own, or says what did not happen."""


class ConfigurationRefused(HAProxyError):
    """``haproxy -c`` refused the configuration: nothing was replaced or reloaded."""


class ReloadFailed(HAProxyError):
    """The master started no worker with the new configuration; the previous file is back and still running."""


def _ask(socket_path: str, command: str, *, timeout: float = SOCKET_TIMEOUT_SECONDS) -> str:
    """Send one command to a HAProxy CLI socket and return its whole answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        try:
            connection.connect(socket_path)
        except OSError as error:
            raise HAProxyError(f"HAProxy does not answer on {socket_path}: {error.strerror or error}.") from error
        connection.sendall(command.encode() + b"\n")
        # The master CLI answers once it sees the end of the input.
        connection.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def check(config_text: str, *, binary: str = "haproxy", directory: str | None = None) -> None:
    """Raise ConfigurationRefused with HAProxy's message unless ``haproxy -c`` accepts the configuration."""
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", dir=directory, delete=True) as candidate:
        candidate.write(config_text)
        candidate.flush()
        _check_file(candidate.name, binary)


def _check_file(path: str, binary: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - the binary is staff's setting, the file is ours
            [binary, "-c", "-f", path], capture_output=True, text=True, timeout=CHECK_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ConfigurationRefused(f"{binary} could not check the configuration: {error}.") from error
    if result.returncode != 0:
        raise ConfigurationRefused(_messages(result.stdout + result.stderr, path) or f"{binary} -c failed.")


def _messages(output: str, path: str) -> str:
    """Return HAProxy's alerts and warnings without its notices and process ids, naming the file by what it is."""
    lines = []
    for line in output.splitlines():
        if not line.strip() or line.startswith("[NOTICE]"):
            continue
        line = re.sub(r"^\[(\w+)\]\s+\(\d+\) : ", r"[\1] ", line)
        lines.append(line.replace(path, "the new configuration"))
    return "\n".join(lines)


def workers(master_socket: str) -> list[int]:
    """Return the pids of the current workers (not the old ones finishing their connections), from ``show proc``."""
    return _workers_in(_ask(master_socket, "show proc"))


FAILED_RELOADS_RE = re.compile(r"^\d+\s+master\s+\d+\s+\[failed:\s*(\d+)\]", re.M)
RELOAD_FAILED = (
    "HAProxy started no worker with the new configuration and keeps the one before; its log (the master's output: "
    "journalctl -u haproxy, or the lab's balancer/haproxy.log) says why."
)


def _processes(master_socket: str) -> tuple[set[int], int | None]:
    """The current workers' pids and the master's count of failed reloads (None when it does not say)."""
    text = _ask(master_socket, "show proc")
    failed = FAILED_RELOADS_RE.search(text)
    return set(_workers_in(text)), int(failed.group(1)) if failed else None


def failed_reloads(master_socket: str) -> int | None:
    """How many reloads the master has failed since it started (None when its ``show proc`` does not say)."""
    return _processes(master_socket)[1]


def _workers_in(show_proc: str) -> list[int]:
    pids, section = [], ""
    for line in show_proc.splitlines():
        if line.startswith("#"):
            section = line.strip("# ").lower()
            continue
        fields = line.split()
        if section == "workers" and len(fields) >= 2 and fields[0].isdigit() and fields[1] == "worker":
            pids.append(int(fields[0]))
    return pids


def reload(master_socket: str, *, timeout: float = RELOAD_TIMEOUT_SECONDS) -> None:
    """Reload HAProxy through its master CLI and wait until a new worker runs; raise ReloadFailed if none does.

    The master counts its failed reloads (``show proc``: ``[failed: N]``): one more means this reload failed, which
    is known at once rather than after the timeout.
    """
    before, failed_before = _processes(master_socket)
    # The master re-executes itself and may close the connection before it answers.
    with contextlib.suppress(OSError, HAProxyError):
        _ask(master_socket, "reload")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            now, failed = _processes(master_socket)
        except (HAProxyError, OSError):
            now, failed = set(), None
        if now and not now & before:
            return
        if failed is not None and failed_before is not None and failed > failed_before:
            raise ReloadFailed(RELOAD_FAILED)
        time.sleep(0.05)
    raise ReloadFailed(RELOAD_FAILED)


def apply(config_text: str, *, config_path: str, master_socket: str, binary: str = "haproxy") -> None:
    """Check a configuration, replace the file with it atomically and reload HAProxy; a refusal changes nothing."""
    target = Path(config_path)
    candidate = _written_beside(target, config_text)
    try:
        _check_file(candidate, binary)
    except ConfigurationRefused:
        os.unlink(candidate)
        raise
    previous = target.read_text() if target.exists() else None
    try:
        listeners_check(config_text, previous or "")
    except ConfigurationRefused:
        os.unlink(candidate)
        raise
    os.replace(candidate, target)
    try:
        reload(master_socket)
    except HAProxyError:
        if previous is not None:
            _write_atomically(target, previous)
        raise


BIND_RE = re.compile(r"^\s*bind\s+(\d{1,3}(?:\.\d{1,3}){3}):(\d+)\s*$", re.M)


def listeners(config_text: str) -> set[tuple[str, int]]:
    """The addresses and ports a configuration's frontends listen on."""
    return {(address, int(port)) for address, port in BIND_RE.findall(config_text)}


def listeners_check(config_text: str, running_text: str) -> None:
    """Refuse a configuration listening on an address and port HAProxy cannot take: bind each new one once here.

    HAProxy's own listeners are not new (HAProxy hands them to its new workers), so any other holder is another
    program; an address that is not this machine's is refused the same way.
    """
    refusals = []
    for address, port in sorted(listeners(config_text) - listeners(running_text)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((address, port))
            except OSError as error:
                refusals.append(f"[ALERT] cannot listen on {address}:{port}: {error.strerror or error}.")
    if refusals:
        raise ConfigurationRefused("\n".join(refusals))


def _written_beside(target: Path, text: str) -> str:
    """Write text to a new hidden file readable by all, in the target's folder so that os.replace is atomic."""
    with tempfile.NamedTemporaryFile("w", dir=target.parent, prefix=f".{target.name}.", delete=False) as new:
        new.write(text)
    os.chmod(new.name, 0o644)
    return new.name


def _write_atomically(target: Path, text: str) -> None:
    os.replace(_written_beside(target, text), target)


@dataclass(frozen=True)
class ServerState:
    """One server of a backend as HAProxy sees it: UP, DOWN, DRAIN, MAINT or no check, and its current sessions."""

    backend: str
    server: str
    status: str
    sessions: int
    check_status: str

    @property
    def in_rotation(self) -> bool:
        """True while HAProxy sends new connections to it (its check passes, or it has none)."""
        return self.status.split()[0] in ("UP", "no")


class RuntimeApi:
    """HAProxy's runtime API on its stats socket (``stats socket ... level admin``)."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path

    def command(self, command: str) -> str:
        return _ask(self.socket_path, command)

    def _stat_rows(self) -> list[dict[str, str]]:
        text = self.command("show stat").lstrip("# ")
        return list(csv.DictReader(line for line in text.splitlines() if line))

    def failed_requests(self) -> dict[str, int]:
        """Return, per backend, the connections it failed since HAProxy's worker started (``econ`` plus ``eresp``).

        A connection no server took (none in rotation, or the server refused it) counts in ``econ``; one the server
        cut before answering, in ``eresp``. A reload starts a worker with counters at zero.
        """
        return {
            row["pxname"]: int(row["econ"] or 0) + int(row["eresp"] or 0)
            for row in self._stat_rows()
            if row["svname"] == "BACKEND"
        }

    def servers_state(self) -> list[ServerState]:
        """Return every backend server's state, parsed from ``show stat``."""
        states = []
        for row in self._stat_rows():
            if row["svname"] in ("FRONTEND", "BACKEND"):
                continue
            states.append(
                ServerState(
                    backend=row["pxname"],
                    server=row["svname"],
                    status=row["status"],
                    sessions=int(row["scur"] or 0),
                    check_status=row.get("check_status", ""),
                )
            )
        return states

    def server_state(self, backend: str, server: str) -> ServerState:
        for state in self.servers_state():
            if state.backend == backend and state.server == server:
                return state
        raise HAProxyError(f"HAProxy has no server {server} in backend {backend}.")

    def set_server_state(self, backend: str, server: str, state: str) -> None:
        """Put a server in ``ready``, ``drain`` (no new connections, current ones go on) or ``maint``."""
        if state not in SERVER_STATES:
            raise ValueError(f"A server's state is one of {', '.join(SERVER_STATES)}.")
        answer = self.command(f"set server {backend}/{server} state {state}").strip()
        if answer:
            raise HAProxyError(answer)

    def sessions(self, backend: str, server: str) -> int:
        """Return the server's current sessions: a drain waits for zero."""
        return self.server_state(backend, server).sessions
