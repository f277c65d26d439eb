"""The shared progress reporter: a bar on a terminal, periodic lines otherwise, nothing when disabled."""

import io

from ebmphys.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_bar_on_a_terminal():
    out = Terminal()
    with Progress(1000, desc="demo", unit="spin-sweep", stream=out) as bar:
        bar.update(600)
        bar.update(400)
    assert "demo:" in out.getvalue() and "spin-sweep/s" in out.getvalue()  # a tqdm bar (cleared at the end)


def test_lines_when_not_a_terminal():
    out = io.StringIO()
    with Progress(100, desc="demo", unit="sweep", stream=out) as bar:
        for _ in range(100):
            bar.update(1)
        bar.set_postfix({"loss": 0.5})
    lines = out.getvalue().splitlines()
    # one line per 10% of the work, no terminal control characters
    assert len(lines) == 10
    assert lines[0].startswith("demo: 10% (10 of 100 sweeps)")
    assert lines[-1].startswith("demo: 100% (100 of 100 sweeps)")
    assert "\r" not in out.getvalue()


def test_resumed_run_reports_from_its_start():
    out = io.StringIO()
    bar = Progress(100, desc="demo", unit="epoch", initial=50, stream=out)
    bar.update(10)
    assert out.getvalue().startswith("demo: 60% (60 of 100 epochs)")


def test_disabled_prints_nothing():
    out = Terminal()
    with Progress(10, enabled=False, desc="demo", stream=out) as bar:
        bar.update(10)
        bar.set_postfix({"x": 1.0})
    assert out.getvalue() == ""
