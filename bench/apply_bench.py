"""How long `apim-wizard apply` takes, keys included.

    .venv/bin/python bench/apply_bench.py [--runs 9] [--exe PATH]

``--exe`` times another installation's command.  An editable (development) install pays
its import finder on every start (about 25 ms); to time what operators run, install a
wheel into a scratch venv and point ``--exe`` at its ``bin/apim-wizard``.

Prints wall-time median/min/max of the real command (a new process each run, as a user
runs it) for: `--preset ha` into a fresh folder (every key generated), the same again
into the folder it wrote (everything reused), and a 20-gateway HA deployment; then an
in-process breakdown of one fresh ha run by phase.  Target (issue 3): ha fresh < 1 s median
on a 2-core machine.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = shutil.which("apim-wizard", path=str(Path(sys.executable).parent)) or "apim-wizard"


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def report(label: str, samples: list[float]) -> None:
    print(f"{label:<42} median {statistics.median(samples):6.3f} s   min {min(samples):6.3f}   "
          f"max {max(samples):6.3f}   (n={len(samples)})")


def twenty_gateways(folder: Path) -> Path:
    raw = tomllib.loads((ROOT / "presets/ha.toml").read_text())
    node = raw["gateway"]["nodes"][0]
    raw["gateway"]["nodes"] = [
        {**copy.deepcopy(node), "name": f"gw-{i}", "hostname": f"gw{i}.example.com", "ip": f"10.0.1.{i}"}
        for i in range(1, 21)
    ]
    import tomlkit

    path = folder / "twenty.toml"
    path.write_text(tomlkit.dumps(raw))
    return path


def breakdown(folder: Path) -> None:
    """One fresh ha build in this process, phase by phase."""
    t0 = time.perf_counter()
    from wizard.build import BuildOptions, build_deployment
    from wizard.plan import apply_plan, make_plan
    from wizard.presets import load_preset
    from wizard.validation import validate_answers

    t1 = time.perf_counter()
    answers, _ = validate_answers(load_preset("ha").raw())
    t2 = time.perf_counter()
    build = build_deployment(answers, options=BuildOptions(out_dir=folder))
    t3 = time.perf_counter()
    plan = make_plan(folder, build.files)
    apply_plan(plan)
    t4 = time.perf_counter()
    from wizard.pki.keys import generate_keys

    t5 = time.perf_counter()
    generate_keys({f"k{i}": "rsa-2048" for i in range(7)})
    t6 = time.perf_counter()
    print(f"  import wizard {t1 - t0:6.3f} s | validate {t2 - t1:6.3f} s | build (keys, certs, stores, render) "
          f"{t3 - t2:6.3f} s | plan + write {t4 - t3:6.3f} s | {len(build.files)} files")
    print(f"  of which: 7 RSA-2048 keys on {os.cpu_count()} cores {t6 - t5:6.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--exe", default=EXE, help="the apim-wizard command to time (default: this venv's)")
    args = parser.parse_args()
    exe = args.exe
    print(f"timing {exe} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        fresh = []
        for i in range(args.runs):
            fresh.append(timed([exe, "apply", "--preset", "ha", "--out", str(tmp / f"ha-{i}")]))
        report("apply --preset ha (fresh folder)", fresh)
        rerun = [timed([exe, "apply", "--preset", "ha", "--out", str(tmp / "ha-0")]) for _ in range(args.runs)]
        report("apply --preset ha (re-run, all reused)", rerun)
        answers = twenty_gateways(tmp)
        big = [timed([exe, "apply", "--answers", str(answers), "--out", str(tmp / f"big-{i}")])
               for i in range(max(3, args.runs // 3))]
        report("apply, 2 CP + 20 gateways (fresh folder)", big)
        print("in-process breakdown of one fresh ha run:")
        breakdown(tmp / "breakdown")


if __name__ == "__main__":
    main()
