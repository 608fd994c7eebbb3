"""Keys made while the program loads (apply into a fresh folder): started only when every
key is new, adopted by the PKI, released when not needed, and the real command works."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization

from conftest import apply_to, preset_raw
from pki_helpers import node_config, open_store
from wizard.pki import prefetch
from wizard.pki.keys import KeyJob, same_public_key
from wizard.pki.prefetch import KeyPrefetch, claim_prefetch, prefetch_for, release_prefetch

needs_fork = pytest.mark.skipif(not prefetch.can_fork() or (os.cpu_count() or 1) < 2,
                                reason="the prefetch forks a worker and needs a spare core")


@pytest.fixture(autouse=True)
def no_leftover():
    yield
    release_prefetch()


@needs_fork
@pytest.mark.parametrize("argv_tail", [["--out", "{out}"], ["--out={out}"], ["--preset", "ha", "--out", "{out}"]])
def test_an_apply_into_a_new_or_empty_folder_starts_it(tmp_path, argv_tail):
    out = tmp_path / "new"
    prefetch_for(["apply", *(a.format(out=out) for a in argv_tail)])
    started = claim_prefetch(out)
    assert started is not None and started.out_dir == out
    started.close()
    out.mkdir()
    prefetch_for(["apply", "--out", str(out)])  # empty counts as new
    again = claim_prefetch(out)
    assert again is not None
    again.close()


@pytest.mark.parametrize("argv", [[], ["validate", "--out", "x"], ["apply", "--preset", "ha"], ["presets"]])
def test_other_commands_start_nothing(argv, tmp_path):
    prefetch_for(argv)
    assert claim_prefetch(tmp_path) is None


def test_a_folder_with_files_starts_nothing(tmp_path):
    (tmp_path / "answers.toml").write_text("")
    prefetch_for(["apply", "--out", str(tmp_path)])
    assert claim_prefetch(tmp_path) is None


@needs_fork
def test_a_prefetch_for_another_folder_is_not_claimed(tmp_path):
    prefetch_for(["apply", "--out", str(tmp_path / "a")])
    assert claim_prefetch(tmp_path / "b") is None
    assert claim_prefetch(tmp_path / "a") is None  # closed, and claimed at most once


@needs_fork
def test_the_build_adopts_the_prefetched_keys(tmp_path):
    out = tmp_path / "out"
    early = KeyPrefetch(out)
    made = early.batch.result()  # the keys as the worker made them
    apply_to(preset_raw("ha"), out, key_prefetch=early)
    # The batch is the first three keys in the order the PKI names them: primary, cp-1, cp-2.
    keys = [serialization.load_der_private_key(der, None) for der in made]
    primary = open_store(out, "cp-1", node_config(out, "cp-1")["keystore"]["primary"])
    assert same_public_key(primary.key.public_key(), keys[0].public_key())
    for node, key in (("cp-1", keys[1]), ("cp-2", keys[2])):
        tls = open_store(out, node, node_config(out, node)["keystore"]["tls"])
        assert same_public_key(tls.cert.certificate.public_key(), key.public_key())
    # The gateways' keys were made after the load, by the same pool: none is a batch key.
    gw = open_store(out, "gw-1", node_config(out, "gw-1")["keystore"]["tls"]).key
    assert not any(same_public_key(gw.public_key(), k.public_key()) for k in keys)


@needs_fork
def test_other_key_types_leave_the_batch_unused():
    early = KeyPrefetch(None)
    job = KeyJob({"primary": "rsa-3072", "node:a": "ec-p256"}, early)
    assert job.pool is early.executor and early.batch not in job.futures  # the pool, not the batch
    keys = job.result()
    assert keys["primary"].key_size == 3072 and keys["node:a"].curve.name == "secp256r1"


@needs_fork
def test_fewer_keys_than_the_batch_take_what_they_need():
    early = KeyPrefetch(None)
    made = early.batch.result()
    keys = KeyJob({"primary": "rsa-2048", "node:a": "ec-p256"}, early).result()
    first = serialization.load_der_private_key(made[0], None)
    assert same_public_key(keys["primary"].public_key(), first.public_key())
    assert keys["node:a"].curve.name == "secp256r1"


def test_a_folder_with_keys_gets_no_prefetch_and_keeps_them(tmp_path):
    """A re-run over an existing output reuses its keys; a prefetch handed over anyway is
    closed unused (the build decides on what is on disk, not on the launcher's guess)."""
    out = tmp_path / "out"
    apply_to(preset_raw("single"), out)
    before = (out / "cp-1/repository/resources/security/tls.p12").read_bytes()
    if prefetch.can_fork():
        stray = KeyPrefetch(out)
        apply_to(preset_raw("single"), out, key_prefetch=stray)
        assert stray.closed
    else:
        apply_to(preset_raw("single"), out)
    assert (out / "cp-1/repository/resources/security/tls.p12").read_bytes() == before


def test_the_command_through_its_launcher_writes_a_working_deployment(tmp_path):
    """`python -m wizard` is the console script's launcher, prefetch and all."""
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "wizard", "apply", "--preset", "single", "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for node in ("cp-1", "gw-1"):
        config = node_config(out, node)
        tls = open_store(out, node, config["keystore"]["tls"])
        assert tls.key is not None and tls.cert.certificate is not None
    again = subprocess.run([sys.executable, "-m", "wizard", "apply", "--preset", "single", "--out", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "no changes" in again.stdout

