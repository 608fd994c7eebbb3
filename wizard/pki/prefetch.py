"""Keys made while the program is still loading: `apply` into a fresh folder.

Before the answers are read (that needs pydantic and the model: a third of a second), one
core sits idle.  For `apply --out DIR` with DIR new or empty, every key of the deployment
is new, so the launcher forks a key worker at once and lets it make a small batch of keys
of the default type while the main process loads.  The build then takes them instead of
making that many itself (:class:`~wizard.pki.keys.KeyJob`).

The batch is as big as the smallest deployment's key count with default key types (the
primary key and one control plane and one gateway TLS key), so with default answers no
key is ever made in vain; answers that ask for other key types leave the batch unused, at
the cost of some CPU on a core that would otherwise idle.  Nothing is written from here:
the PKI decides which keys it needs, exactly as without a prefetch.

This module imports only the standard library (the worker loads ``cryptography``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

PREFETCH_SPEC = "rsa-2048"  # the default key type of the primary keystore and of TLS keys
PREFETCH_COUNT = 3  # primary + one control plane + one gateway: the smallest deployment


def nothing_to_reuse(out_dir: Path | None) -> bool:
    """True for an output folder that does not exist yet or is empty: every key is new."""
    if out_dir is None:
        return True
    try:
        return not any(out_dir.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return True


def make_der_keys(spec: str, count: int) -> list[bytes]:
    """``count`` new private keys as PKCS#8 DER (keys do not pickle), one after another."""
    from .keys import generate_der

    return [generate_der(spec) for _ in range(count)]


def can_fork() -> bool:
    # Forking a process that runs other threads (a Textual app, a thread pool) can deadlock
    # the child; APIM_WIZARD_KEYGEN=threads asks for threads only.
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and os.environ.get("APIM_WIZARD_KEYGEN") != "threads"
    )


class KeyPrefetch:
    """A process pool (one worker per core, forked while the process is small) whose first
    worker makes ``count`` keys of ``spec``; the key job adopts the pool, and the batch
    when it needs keys of that type."""

    def __init__(self, out_dir: Path, spec: str = PREFETCH_SPEC, count: int = PREFETCH_COUNT):
        self.out_dir = out_dir
        self.spec = spec
        self.count = count
        self.executor = ProcessPoolExecutor(max_workers=os.cpu_count() or 1,
                                            mp_context=multiprocessing.get_context("fork"))
        self.batch: Future = self.executor.submit(make_der_keys, spec, count)
        self.closed = False

    def close(self) -> None:
        """Not needed after all (the build failed, or found keys to reuse)."""
        self.closed = True
        self.batch.cancel()
        # Waits for a batch already running (a fraction of a second): the pool's threads
        # and processes are gone when this returns, so later forks are safe.
        self.executor.shutdown(wait=True, cancel_futures=True)


_started: KeyPrefetch | None = None


def prefetch_for(argv: list[str]) -> None:
    """Start the prefetch when ``argv`` is an apply into a fresh folder on a machine with
    cores to spare.  A cheap look at argv, not a parse: a miss only means no prefetch."""
    global _started
    if not argv or argv[0] != "apply" or (os.cpu_count() or 1) < 2 or not can_fork():
        return
    out = None
    for i, arg in enumerate(argv):
        if arg == "--out" and i + 1 < len(argv):
            out = argv[i + 1]
        elif arg.startswith("--out="):
            out = arg.split("=", 1)[1]
    if out and nothing_to_reuse(Path(out)):
        _started = KeyPrefetch(Path(out))


def claim_prefetch(out_dir: Path) -> KeyPrefetch | None:
    """The prefetch started for ``out_dir`` (at most once); None when there is none."""
    global _started
    prefetch, _started = _started, None
    if prefetch is not None and prefetch.out_dir.resolve() != out_dir.resolve():
        prefetch.close()
        return None
    return prefetch


def release_prefetch() -> None:
    """Close a prefetch nobody claimed, so the process does not wait for its keys."""
    global _started
    if _started is not None:
        _started.close()
        _started = None
