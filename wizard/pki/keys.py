"""Private keys: generation (in parallel: it is the slow part) and identification."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from typing import Literal, Union

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

KeySpec = Literal["rsa-2048", "rsa-3072", "rsa-4096", "ec-p256"]
PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]


def generate_key(spec: KeySpec) -> PrivateKey:
    if spec == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=int(spec.split("-")[1]))


def _generate_der(spec: KeySpec) -> bytes:
    # Keys do not pickle; a worker process hands back DER.
    return generate_key(spec).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _can_fork() -> bool:
    # Forking a process that runs other threads (a Textual app, a thread pool) can deadlock
    # the child; then threads are used, which overlap RSA generation only in part.
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and os.environ.get("APIM_WIZARD_KEYGEN") != "threads"
    )


Progress = Callable[[int, int], None]  # (keys done, keys in all)


class KeyJob:
    """Keys being made in the background; :meth:`result` collects them.

    Started before the rest of the build so the worker processes generate keys while the
    caller renders configuration (figures: bench/apply_bench.py).
    """

    def __init__(self, specs: Mapping[str, KeySpec]):
        self.names = list(specs)
        self.keys: dict[str, PrivateKey] = {
            name: generate_key(spec) for name, spec in specs.items() if spec == "ec-p256"  # microseconds
        }
        rsa_specs = {name: spec for name, spec in specs.items() if spec != "ec-p256"}
        workers = min(len(rsa_specs), os.cpu_count() or 1)
        self.pool = None
        self.futures: dict = {}
        if workers <= 1:
            self.inline = rsa_specs
            return
        self.inline = {}
        if _can_fork():
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
            task = _generate_der
        else:
            self.pool = ThreadPoolExecutor(max_workers=workers)
            task = generate_key
        self.futures = {self.pool.submit(task, spec): name for name, spec in rsa_specs.items()}

    def cancel(self) -> None:
        """Stop the workers (the build failed before it needed the keys)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def result(self, progress: Progress | None = None) -> dict[str, PrivateKey]:
        """Wait for every key; ``progress(done, total)`` is called from this thread."""
        report = progress or (lambda done, total: None)
        total = len(self.names)
        report(len(self.keys), total)
        for name, spec in self.inline.items():
            self.keys[name] = generate_key(spec)
            report(len(self.keys), total)
        if self.pool is not None:
            with self.pool:
                for future in as_completed(self.futures):
                    key = future.result()
                    if isinstance(key, bytes):
                        # Made a moment ago by our own worker process: no need to re-validate it.
                        key = serialization.load_der_private_key(key, None, unsafe_skip_rsa_key_validation=True)
                    self.keys[self.futures[future]] = key
                    report(len(self.keys), total)
            self.pool = None
        return {name: self.keys[name] for name in self.names}


def generate_keys(specs: Mapping[str, KeySpec], progress: Progress | None = None) -> dict[str, PrivateKey]:
    """One new key per entry, on every core."""
    return KeyJob(specs).result(progress)


def spec_of(key: object) -> KeySpec | None:
    """The spec of a private or public key (None for anything the wizard does not make)."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)) and key.key_size in (2048, 3072, 4096):
        return f"rsa-{key.key_size}"  # type: ignore[return-value]
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and isinstance(key.curve, ec.SECP256R1):
        return "ec-p256"
    return None


def same_public_key(a, b) -> bool:
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    return a.public_bytes(enc, fmt) == b.public_bytes(enc, fmt)
