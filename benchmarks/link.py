"""A network link with latency, for measuring what round trips cost when the database is not on loopback.

In production PostgreSQL runs on another host: every round trip then costs the network's round-trip time
(0.2-1 ms in one data centre) on top of the server's work, and an engine that makes fewer of them gains
more there than on loopback. This machine cannot add delay in the kernel (no ``netem``), so ``DelayedLink``
relays TCP through threads that hold every chunk for a fixed one-way delay, keeping the order and the
timing of chunks sent back to back (a pipeline's statements leave together and arrive together).

Used by ``python -m benchmarks.transitions --rtt-ms 0.5``; it measures and prints the round-trip time it
really adds (the sleep's precision makes it a little longer than asked for).
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time

CHUNK = 65536


class DelayedLink:
    """Listens on 127.0.0.1 (``port``) and relays each connection to ``target``, each way ``one_way`` late."""

    def __init__(self, target: tuple[str, int], one_way: float) -> None:
        self.target = target
        self.one_way = one_way
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(self.target)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._relay(client, server)
            self._relay(server, client)

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        """Two threads: one stamps each chunk read with the time it may leave, one sends it then."""
        due: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()

        def read() -> None:
            while chunk := _recv(source):
                due.put((time.perf_counter() + self.one_way, chunk))
            due.put((0.0, b""))

        def write() -> None:
            while True:
                at, chunk = due.get()
                if not chunk:
                    break
                if (wait := at - time.perf_counter()) > 0:
                    time.sleep(wait)
                try:
                    sink.sendall(chunk)
                except OSError:
                    break
            _close(sink)

        threading.Thread(target=read, daemon=True).start()
        threading.Thread(target=write, daemon=True).start()


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(CHUNK)
    except OSError:
        return b""


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
