"""Private keys: generation (in parallel: it is the slow part) and identification."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from typing import Literal, Union

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .prefetch import KeyPrefetch, can_fork

KeySpec = Literal["rsa-2048", "rsa-3072", "rsa-4096", "ec-p256"]
PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]


def generate_key(spec: KeySpec) -> PrivateKey:
    if spec == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=int(spec.split("-")[1]))


def generate_der(spec: KeySpec) -> bytes:
    # Keys do not pickle; a worker process hands back DER.
    return generate_key(spec).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


Progress = Callable[[int, int], None]  # (keys done, keys in all)


class KeyJob:
    """Keys being made in the background; :meth:`result` collects them.

    Started before the rest of the build so the worker processes generate keys while the
    caller renders configuration (figures: bench/apply_bench.py).
    """

    def __init__(self, specs: Mapping[str, KeySpec], prefetch: KeyPrefetch | None = None):
        self.specs = dict(specs)
        self.names = list(specs)
        self.keys: dict[str, PrivateKey] = {
            name: generate_key(spec) for name, spec in specs.items() if spec == "ec-p256"  # microseconds
        }
        rsa_specs = {name: spec for name, spec in specs.items() if spec != "ec-p256"}
        # Each future yields the keys of the names it maps to, in order.
        self.futures: dict[Future, list[str]] = {}
        self.pool = None
        self.inline: dict[str, KeySpec] = {}
        self.progress: Progress | None = None
        if prefetch is not None:
            # Keys made while the program loaded (see prefetch.py): adopt the batch when
            # these are keys of its type, and the pool in any case (its workers were forked
            # while the process was small, and a second pool could not fork safely).
            taken = [name for name, spec in rsa_specs.items() if spec == prefetch.spec][:prefetch.count]
            if taken:
                self.futures[prefetch.batch] = taken
            else:
                prefetch.batch.cancel()  # unless it is running already: then it is not waited for
            self.pool = prefetch.executor
            self.futures.update({self.pool.submit(generate_der, spec): [name]
                                 for name, spec in rsa_specs.items() if name not in taken})
            return
        workers = min(len(rsa_specs), os.cpu_count() or 1)
        if workers <= 1:
            self.inline = rsa_specs
            return
        if can_fork():
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
            task = generate_der
        else:
            self.pool = ThreadPoolExecutor(max_workers=workers)
            task = generate_key
        self.futures = {self.pool.submit(task, spec): [name] for name, spec in rsa_specs.items()}

    def cancel(self) -> None:
        """Stop the workers (the build failed before it needed the keys)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def follow(self, progress: Progress | None) -> None:
        """Report ``progress(done, total)`` from now on, as keys are collected (in this thread)."""
        self.progress = progress
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(len(self.keys), len(self.names))

    def _collect(self, future: Future) -> None:
        made = future.result()
        for name, key in zip(self.futures[future], made if isinstance(made, list) else [made]):
            if isinstance(key, bytes):
                # Made a moment ago by our own worker process: no need to re-validate it.
                key = serialization.load_der_private_key(key, None, unsafe_skip_rsa_key_validation=True)
            self.keys[name] = key
        self._report()

    def key(self, name: str) -> PrivateKey:
        """The key of ``name``, waiting for it alone: the caller can issue and store the
        certificates of the keys that are there while the workers make the others."""
        if name not in self.keys:
            if name in self.inline:
                self.keys[name] = generate_key(self.inline[name])
                self._report()
            else:
                self._collect(next(f for f, names in self.futures.items() if name in names))
            if len(self.keys) == len(self.names):
                self.cancel()  # every key is in: the idle workers go
        return self.keys[name]

    def result(self, progress: Progress | None = None) -> dict[str, PrivateKey]:
        """Wait for every key, in the order they are done."""
        self.follow(progress)
        for name in self.inline:
            self.key(name)
        for future in as_completed(self.futures):
            self._collect(future)
        self.cancel()
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
