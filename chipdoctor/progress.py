"""A spinner on stderr for probes that take a while; the CLI's ProbeObserver.

Nothing shows for the first half second of a task, so a fast check prints nothing extra; the
spinner is transient (erased when the work ends) and is only ever created for a terminal.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from chipdoctor.i18n import T, translate

if TYPE_CHECKING:
    from rich.live import Live
    from rich.spinner import Spinner as RichSpinner

#: A task shows the spinner once it has run this long (seconds).
SLOW_AFTER = 0.5
_POLL = 0.05


class Spinner:
    """Shows `chipdoctor: waiting for <task>…` on `stream` while a task runs past SLOW_AFTER.

    `lang` is the language of that line ("en" or "zh_CN").

    Thread-safe: the engine calls `started`/`finished` from the probes' threads. Use it as a
    context manager so the display is gone before the report is printed.
    """

    def __init__(self, stream: TextIO, *, lang: str = "en", slow_after: float = SLOW_AFTER) -> None:
        self._stream = stream
        self._lang = lang
        self._slow_after = slow_after
        self._running: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._live: Live | None = None
        self._spinner: RichSpinner | None = None

    def started(self, name: str) -> None:
        with self._lock:
            self._running[name] = time.monotonic()
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, daemon=True)
                self._watcher.start()

    def finished(self, name: str) -> None:
        with self._lock:
            self._running.pop(name, None)

    def __enter__(self) -> Spinner:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
        self._hide()

    def _watch(self) -> None:
        while not self._stop.wait(_POLL):
            now = time.monotonic()
            with self._lock:
                slow = [
                    name for name, since in self._running.items() if now - since >= self._slow_after
                ]
            if slow:
                self._show(
                    translate(
                        T("chipdoctor: waiting for {tasks}…", tasks=", ".join(slow)), self._lang
                    )
                )
            else:
                self._hide()

    def _show(self, text: str) -> None:
        if self._live is None:
            # rich is imported only here: a check that never waits pays nothing for it.
            from rich.console import Console
            from rich.live import Live
            from rich.spinner import Spinner as RichSpinner

            self._spinner = RichSpinner("dots", text=text)
            console = Console(file=self._stream, highlight=False)
            self._live = Live(
                self._spinner,
                console=console,
                transient=True,
                refresh_per_second=12,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
        elif self._spinner is not None:
            self._spinner.update(text=text)

    def _hide(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
            self._spinner = None
