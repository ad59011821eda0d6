"""A minimal text progress bar (stderr), so the converters need no extra package."""
import sys
import time
from typing import Iterator, Optional, Sequence, TextIO


class ProgressBar:
    """``desc [#####.....] done/total`` redrawn in place at most every ``interval`` seconds.

    Args:
        total: Number of steps.
        desc: Label shown before the bar.
        enabled: When False nothing is printed (tests, ``--quiet``).
        stream: Where to draw (default stderr).
        interval: Minimum seconds between redraws.
    """

    def __init__(self, total: int, desc: str, enabled: bool = True, stream: Optional[TextIO] = None,
                 interval: float = 0.2):
        self.total, self.desc, self.enabled = max(int(total), 0), desc, enabled
        self.stream = stream or sys.stderr
        self.interval = interval
        self.done = 0
        self._last = 0.0
        self._drawn = -1  # the count shown by the last redraw

    def update(self, steps: int = 1) -> None:
        """Advance by ``steps`` and redraw if enough time has passed."""
        self.done += steps
        now = time.monotonic()
        if self.enabled and (now - self._last >= self.interval or self.done >= self.total):
            self._last = now
            self._draw()

    def _draw(self, end: str = '') -> None:
        width = 30
        self._drawn = self.done
        filled = width if self.total == 0 else min(width, width * self.done // self.total)
        self.stream.write(f'\r{self.desc} [{"#" * filled}{"." * (width - filled)}] {self.done}/{self.total}{end}')
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled and self._drawn == self.done:
            self.stream.write('\n')
            self.stream.flush()
        elif self.enabled:
            self._draw('\n')


def track(items: Sequence, desc: str, enabled: bool = True) -> Iterator:
    """Yield ``items`` while drawing a ``ProgressBar`` over them."""
    bar = ProgressBar(len(items), desc, enabled)
    for item in items:
        yield item
        bar.update()
    bar.close()
