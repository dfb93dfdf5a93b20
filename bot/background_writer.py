"""One background thread that writes queued items in batches, for the SQLite files the bot keeps
(bot/store.py: questions and feedback; bot/tg/ledger.py: updates received and handled).

Callers never wait for the disk: they queue an item and go on. The thread hands what queued up
meanwhile to `write` as one batch, so many items share one transaction and one sync instead of
paying one each, and it wakes once per batch rather than once per item (a wake-up per item would
cost the event loop a thread switch each). Closing writes what is queued, then stops the thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar, cast

log = logging.getLogger(__name__)

T = TypeVar("T")
_STOP = object()  # queued by close(): what was queued before it is written, then the thread ends


class BackgroundWriter(Generic[T]):
    """A daemon thread calling `write(batch)` with up to `max_batch` queued items at a time.

    - `linger`: seconds to wait, after a batch's first item, for the batch to fill (0: take
      what is queued at once); a full batch or `close` ends the wait early.
    - `max_queue`: items queued at most (0: no limit); `put` refuses more.
    - `idle`: seconds to wait for an item before calling `write([])` anyway, so the owner can do
      periodic work (None: wait for items only).

    `write` runs on the thread only, one batch at a time; an exception it raises is logged and
    the thread goes on with the next batch.
    """

    def __init__(self, name: str, write: Callable[[list[T]], None], *, max_batch: int, linger: float = 0.0,
                 max_queue: int = 0, idle: Callable[[], float | None] = lambda: None):
        self.name = name
        self.max_batch = max_batch
        self.linger = linger
        self._write = write
        self._idle = idle
        self._queue: queue.Queue[object] = queue.Queue(max_queue)
        self._full = threading.Event()  # a batch is waiting (or the writer is closing): write it now
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        """Items queued and not yet written (the batch being written included)."""
        return self._queue.unfinished_tasks

    def put(self, item: T) -> bool:
        """Queue `item` without blocking; False when the queue is full or the writer is closed."""
        if self._closed:
            return False
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            return False
        # Counted with the item the thread already took and lingers on: qsize() leaves it out,
        # so a batch filled while the thread waited would never be "full" and wait `linger`.
        if self._queue.unfinished_tasks >= self.max_batch:
            self._full.set()
        return True

    def start(self) -> None:
        """Start the thread (once; later calls do nothing)."""
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far was written (or failed); True if it was in time."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Write what is queued, then stop the thread; False if it was still writing after `timeout`."""
        self._closed = True
        thread = self._thread
        if thread is None:
            return True
        if thread.is_alive():
            self._queue.put(_STOP)
            self._full.set()
            thread.join(timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=self._idle())]
            except queue.Empty:
                batch = []
            if batch and batch[-1] is not _STOP and self.linger:
                self._full.wait(self.linger)
                self._full.clear()
            while batch and batch[-1] is not _STOP and len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = bool(batch) and batch[-1] is _STOP
            items = [cast(T, item) for item in batch if item is not _STOP]
            try:
                if items or not batch:
                    self._write(items)
            except Exception:  # never let the thread die: the next batch gets a fresh start
                log.exception("%s: a batch of %d items was not written", self.name, len(items))
            finally:
                for _ in batch:
                    self._queue.task_done()
            if stop:
                return
