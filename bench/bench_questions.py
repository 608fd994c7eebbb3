"""Figures for the question registry and the prompt flow (HA preset).

Run: .venv/bin/python bench/bench_questions.py

Checking one answer runs the whole validator on the raw answers (no second copy of the
rules), so its cost bounds how fast a front end can validate as the operator types; the
Textual wizard (issue 4) checks a field per keystroke.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from wizard.presets import load_preset  # noqa: E402
from wizard.questions import _registry, all_questions  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    start = time.perf_counter()
    _registry()
    print(f"registry built from the model:     {ms(time.perf_counter() - start)} ({len(all_questions())} questions)")

    raw = load_preset("ha").raw()
    timings = []
    for question in all_questions():
        if question.kind == "table" or not question.applies(raw):
            continue
        value = question.current(raw)
        for _ in range(5):
            start = time.perf_counter()
            question.check(raw, value)
            timings.append(time.perf_counter() - start)
    timings.sort()
    print(f"check one answer (valid, HA):      median {ms(statistics.median(timings))}, "
          f"p95 {ms(timings[int(len(timings) * 0.95)])}, max {ms(timings[-1])} ({len(timings)} checks)")

    bad = []
    lb = next(q for q in all_questions() if q.key == "control_plane.lb_host")
    for _ in range(50):
        start = time.perf_counter()
        lb.check(raw, "cp_lb.example.com")
        bad.append(time.perf_counter() - start)
    print(f"check one refused answer (HA):     median {ms(statistics.median(bad))}")

    from test_prompts import drive, ha_from_scratch  # the same keystrokes as the test

    with tempfile.TemporaryDirectory() as folder:
        os.environ["APIM_TEST_SHARED_DB_PASSWORD"] = "From-env-shared-pw-9"
        keys = ha_from_scratch(Path(folder) / "demo.toml", Path(folder) / "out")
        start = time.perf_counter()
        code, _ = drive(["prompt"], keys)
        elapsed = time.perf_counter() - start
    print(f"prompt flow, new HA deployment:    {elapsed:.2f} s for {len(''.join(keys))} keystrokes (exit {code}), "
          "pipe input, writing included")


if __name__ == "__main__":
    main()
