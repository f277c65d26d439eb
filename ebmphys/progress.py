"""Progress of long runs, the same everywhere (``progress=True`` / ``verbose=True``).

* On a terminal, and in Jupyter, a tqdm bar (``tqdm.auto``: a widget in notebooks).
* When stderr is not a terminal (a log file, a batch job), one plain line about every
  10% of the work and at least every ``LOG_SECONDS`` seconds, with the elapsed time
  and an estimate of the time left.
* Nothing when disabled, at no cost (no tqdm object is made).
"""

from __future__ import annotations

import math
import sys
import time

#: longest silence, in seconds, of the line-by-line reporter when output is not a terminal
LOG_SECONDS = 60.0


def _interactive(stream) -> bool:
    """True on a terminal or inside a Jupyter/IPython kernel (where tqdm.auto draws a widget)."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):
        return False
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    get = getattr(shell, "get_ipython", None)
    ip = get() if get is not None else None
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


class Progress:
    """Report progress of ``total`` units of work.

    Parameters
    ----------
    total : int or float
        Work to do, in ``unit`` s.
    enabled : bool
        False makes every method a no-op.
    desc : str
        Label of the bar, or prefix of each line.
    unit : str
        Name of one unit of work ("sweep", "epoch", ...).
    initial : int or float
        Work already done (a resumed run).
    stream : file, default sys.stderr
    """

    def __init__(self, total, *, enabled: bool = True, desc: str = "ebmphys", unit: str = "it", initial=0,
                 stream=None):
        self.total = total
        self.done = initial
        self.desc = desc
        self.unit = unit
        self.enabled = bool(enabled) and total > 0
        self.stream = sys.stderr if stream is None else stream
        self._bar = None
        self._postfix = ""
        if not self.enabled:
            return
        if _interactive(self.stream):
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, initial=initial, desc=desc, unit=" " + unit, unit_scale=total >= 10**6,
                             file=self.stream, leave=False, smoothing=0.1)
        else:
            self._start = time.monotonic()
            self._start_done = initial
            self._next_fraction = math.floor(10 * initial / total + 1) / 10
            self._next_time = self._start + LOG_SECONDS

    def update(self, n=1) -> None:
        """Count ``n`` more units of work as done."""
        if not self.enabled:
            return
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        fraction = self.done / self.total
        if fraction >= self._next_fraction or now >= self._next_time or self.done >= self.total:
            self._line(now)
            self._next_fraction = math.floor(10 * fraction + 1) / 10
            self._next_time = now + LOG_SECONDS

    def set_postfix(self, values: dict) -> None:
        """Show ``values`` (name -> number) after the bar, or at the end of the next line."""
        if not self.enabled:
            return
        text = {name: (f"{v:.4g}" if isinstance(v, float) else v) for name, v in values.items()}
        if self._bar is not None:
            self._bar.set_postfix(text)
        else:
            self._postfix = ", " + ", ".join(f"{k} {v}" for k, v in text.items())

    def _line(self, now: float) -> None:
        elapsed = now - self._start
        rate = (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0
        eta = f", about {(self.total - self.done) / rate:.0f} s left" if rate > 0 and self.done < self.total else ""
        print(f"{self.desc}: {100 * self.done / self.total:.0f}% ({self.done:g} of {self.total:g} {self.unit}s), "
              f"{elapsed:.0f} s elapsed{eta}{self._postfix}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
