"""A TCP proxy on loopback that can be told to misbehave: a network between Ting and a server.

Modes, switchable at any time: ``pass`` (forward), ``slow`` (each chunk from the server waits
``delay`` seconds), ``stall`` (keep the connections, forward nothing more), ``cut`` (close every
connection, and each new one at once). ``after`` bytes from the server on one connection, a
``pass`` connection turns ``cut`` or ``stall`` (``then``): a server dying or hanging in the middle
of an answer. ``largest`` is the most one connection has carried from the server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Proxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = "pass"
        self.delay = 0.0
        self.after: int | None = None
        self.then = "cut"
        self.largest = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode: str, delay: float = 0.0, after: int | None = None, then: str = "cut") -> None:
        self.mode, self.delay, self.after, self.then = mode, delay, after, then
        if mode == "cut":
            self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "cut":
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open += [client, upstream]
            sent = [0]
            threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, sent), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, counted: list[int] | None) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                while self.mode == "stall":
                    time.sleep(0.05)
                if self.mode == "cut":
                    break
                if counted is not None:  # from the server
                    if self.mode == "slow":
                        time.sleep(self.delay)
                    if self.after is not None and counted[0] + len(data) > self.after:
                        sink.sendall(data[: max(0, self.after - counted[0])])
                        self.mode = self.then
                        if self.then == "cut":
                            break
                        while self.mode == "stall":
                            time.sleep(0.05)
                        break
                    counted[0] += len(data)
                    self.largest = max(self.largest, counted[0])
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self._close_all()
