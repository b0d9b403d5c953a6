"""Starts the Azurite storage emulator (from the repo's node_modules) for local runs and tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lib.settings import APP_ROOT

ACCOUNT = "devstoreaccount1"
# Azurite's fixed, publicly documented development key; it opens nothing outside the emulator.
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class AzuriteError(RuntimeError):
    pass


def connection_string(host: str, blob: int, queue: int, table: int) -> str:
    return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint=http://{host}:{blob}/{ACCOUNT};QueueEndpoint=http://{host}:{queue}/{ACCOUNT};"
            f"TableEndpoint=http://{host}:{table}/{ACCOUNT};")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float, process: subprocess.Popen[bytes] | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """Stops a child started with start_new_session=True, and node's own children with it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class AzuriteProcess:
    process: subprocess.Popen[bytes]
    host: str
    blob_port: int
    queue_port: int
    table_port: int
    workdir: Path

    @property
    def connection_string(self) -> str:
        return connection_string(self.host, self.blob_port, self.queue_port, self.table_port)

    def stop(self) -> None:
        stop_process_group(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


def azurite_binary() -> Path:
    binary = APP_ROOT / "node_modules" / ".bin" / "azurite"
    if not binary.exists():
        raise AzuriteError(f"{binary} is missing; run `make install` (npm install) first")
    return binary


def start_azurite(host: str = "127.0.0.1", blob_port: int | None = None, queue_port: int | None = None,
                  table_port: int | None = None, timeout: float = 30.0) -> AzuriteProcess:
    ports = [blob_port or free_port(), queue_port or free_port(), table_port or free_port()]
    workdir = Path(tempfile.mkdtemp(prefix="azurite-"))
    command = [str(azurite_binary()), "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent",
               "--disableProductStyleUrl",
               "--blobHost", host, "--queueHost", host, "--tableHost", host,
               "--blobPort", str(ports[0]), "--queuePort", str(ports[1]), "--tablePort", str(ports[2])]
    # Own process group, so stopping it also stops node's children.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,  # noqa: S603
                               cwd=workdir, start_new_session=True)
    running = AzuriteProcess(process, host, ports[0], ports[1], ports[2], workdir)
    try:
        started = all(wait_for_port(host, port, timeout, process) for port in ports)
    except BaseException:  # Ctrl-C while it starts: never leave it running behind
        running.stop()
        raise
    if not started:
        error = b""
        if process.poll() is not None and process.stderr is not None:
            error = process.stderr.read()
        running.stop()
        raise AzuriteError(f"Azurite did not start on ports {ports}: {error.decode(errors='replace')[:300]}")
    return running
