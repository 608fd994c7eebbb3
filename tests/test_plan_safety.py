"""Re-runs on a live output folder: hand edits, --force backups, dry runs, obsolete files."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from wizard.cli import main
from wizard.masking import MASK, Masker
from wizard.plan import MANIFEST, Action, PlannedFile, Status, backup_path, make_plan, sha256
from wizard.writer import apply_plan

CP1 = "cp-1/repository/conf/deployment.toml"
GW2 = "gw-2/repository/conf/deployment.toml"


def run(*argv: str, capsys=None) -> tuple[int, str]:
    out = io.StringIO()
    code = main([str(a) for a in argv], out=out)
    return code, out.getvalue()


def tree(folder: Path) -> dict[str, tuple]:
    """Everything on disk below folder: bytes, mode and mtime of files, mode of folders."""
    if not folder.exists():
        return {}
    out = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        key = str(path.relative_to(folder))
        if path.is_file():
            out[key] = (path.read_bytes(), info.st_mode & 0o777, info.st_mtime_ns)
        else:
            out[key] = ("dir", info.st_mode & 0o777, info.st_mtime_ns)
    return out


def answers_with(out: Path, tmp_path: Path, old: str, new: str, name: str = "changed.toml") -> Path:
    text = (out / "answers.toml").read_text()
    assert old in text
    target = tmp_path / name
    target.write_text(text.replace(old, new, 1))
    return target


@pytest.fixture
def applied(tmp_path) -> Path:
    out = tmp_path / "out"
    code, text = run("apply", "--preset", "ha", "--out", out)
    assert code == 0, text
    return out


def test_same_answers_touch_nothing(applied):
    before = tree(applied)
    code, text = run("apply", "--answers", applied / "answers.toml", "--out", applied)
    assert code == 0 and "no changes" in text
    assert tree(applied) == before  # not even a manifest rewrite


def test_hand_edit_is_kept_when_the_answers_do_not_change_the_file(applied):
    target = applied / CP1
    edited = target.read_text() + "\n# tuned by ops\n"
    target.write_text(edited)
    code, text = run("apply", "--answers", applied / "answers.toml", "--out", applied)
    assert code == 0, text
    assert f"edited     {CP1} (edited by hand since apim-wizard wrote it; the answers do not change it" in text
    assert "no changes" in text
    assert target.read_text() == edited


def test_hand_edit_blocks_an_apply_that_would_change_the_file(applied, tmp_path, capsys):
    target = applied / CP1
    target.write_text(target.read_text() + "# tuned by ops\n")
    before = tree(applied)
    changed = answers_with(applied, tmp_path, 'type = "hybrid"', 'type = "production"')
    code, text = run("apply", "--answers", changed, "--out", applied)
    err = capsys.readouterr().err
    assert code == 3
    assert f"edited     {CP1} (edited by hand since apim-wizard wrote it: NOT overwritten" in text
    assert CP1 in err and "--force" in err and "nothing was written" in err
    assert tree(applied) == before


def test_force_keeps_a_backup_and_replaces(applied, tmp_path):
    target = applied / CP1
    edited = target.read_bytes() + b"# tuned by ops\n"
    target.write_bytes(edited)
    changed = answers_with(applied, tmp_path, 'type = "hybrid"', 'type = "production"')
    code, text = run("apply", "--answers", changed, "--out", applied, "--force")
    assert code == 0, text
    backup = applied / backup_path(CP1, sha256(edited))
    assert backup.read_bytes() == edited
    assert backup.stat().st_mode & 0o777 == 0o600
    assert (backup.parent.stat().st_mode & 0o777) == 0o700
    assert f"backup     {CP1} -> {backup_path(CP1, sha256(edited))}" in text
    assert b"tuned by ops" not in target.read_bytes() and b'type = "production"' in target.read_bytes()
    manifest = json.loads((applied / MANIFEST).read_text())
    assert manifest["files"][CP1]["sha256"] == sha256(target.read_bytes())
    code, text = run("apply", "--answers", changed, "--out", applied)
    assert code == 0 and "no changes" in text


def test_foreign_file_at_a_planned_path_is_unknown(applied, tmp_path, capsys):
    (applied / "gw-2").rename(tmp_path / "gw-2-moved")  # as if the wizard never wrote gw-2
    manifest = json.loads((applied / MANIFEST).read_text())
    manifest["files"] = {p: v for p, v in manifest["files"].items() if not p.startswith("gw-2/")}
    (applied / MANIFEST).write_text(json.dumps(manifest))
    (applied / GW2).parent.mkdir(parents=True)
    (applied / GW2).write_text("# the operator's own file\n")
    code, text = run("apply", "--answers", applied / "answers.toml", "--out", applied)
    assert code == 3
    assert f"unknown    {GW2} (exists but was not written by apim-wizard: NOT overwritten" in text
    code, text = run("apply", "--answers", applied / "answers.toml", "--out", applied, "--force")
    assert code == 0
    assert (applied / backup_path(GW2, sha256(b"# the operator's own file\n"))).exists()


@pytest.mark.parametrize("situation", ["new folder", "changes", "conflict", "obsolete"])
def test_dry_run_writes_nothing(tmp_path, situation):
    out = tmp_path / "out"
    args = ["--preset", "ha"]
    if situation != "new folder":
        assert run("apply", "--preset", "ha", "--out", out)[0] == 0
        args = ["--answers", out / "answers.toml"]
    if situation in ("changes", "conflict"):
        args = ["--answers", answers_with(out, tmp_path, 'type = "hybrid"', 'type = "production"')]
    if situation == "conflict":
        (out / CP1).write_text((out / CP1).read_text() + "# edit\n")
    if situation == "obsolete":
        args = ["--preset", "single"]
    before = tree(out)
    code, text = run("apply", *args, "--out", out, "--dry-run")
    assert code == 0, text
    assert "nothing was written" in text
    assert tree(out) == before


def test_dry_run_diff_masks_every_secret(applied, tmp_path):
    old_secret, new_secret = "Old-Admin-Secret-1", "New-Admin-Secret-2"
    first = answers_with(applied, tmp_path, 'password = {generate = true}', f'password = "{old_secret}"', "first.toml")
    assert run("apply", "--answers", first, "--out", applied)[0] == 0
    second = tmp_path / "second.toml"
    second.write_text(first.read_text().replace(old_secret, new_secret).replace('type = "hybrid"', 'type = "production"'))
    code, text = run("apply", "--answers", second, "--out", applied, "--dry-run")
    assert code == 0
    assert f"+++ {CP1} (planned)" in text and '+type = "production"' in text
    generated = (applied / "secrets.toml").read_text().split('"')[1::2]
    for secret in (old_secret, new_secret, *generated):
        assert secret not in text


def test_obsolete_files_are_removed_secret_ones_kept_in_backups(applied):
    gw2 = (applied / GW2).read_bytes()
    code, text = run("apply", "--answers", _one_gateway(applied), "--out", applied)
    assert code == 0, text
    assert f"obsolete   {GW2} (no longer generated: moved to the backups" in text
    assert not (applied / "gw-2").exists()  # emptied folders are pruned too
    assert (applied / backup_path(GW2, sha256(gw2))).read_bytes() == gw2
    assert GW2 not in json.loads((applied / MANIFEST).read_text())["files"]


def test_obsolete_public_file_is_deleted(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    first = [PlannedFile("notes/readme.txt", b"hello\n"), PlannedFile("keep.txt", b"x\n")]
    apply_plan(make_plan(out, first))
    plan = make_plan(out, first[1:])
    assert [(o.path, o.action.value) for o in plan.obsolete] == [("notes/readme.txt", "remove")]
    result = apply_plan(plan)
    assert result.removed == ["notes/readme.txt"] and not result.backups
    assert not (out / "notes").exists()


def test_edited_obsolete_file_is_left_in_place_and_untracked(applied):
    (applied / GW2).write_text((applied / GW2).read_text() + "# ops notes\n")
    one_gateway = _one_gateway(applied)
    code, text = run("apply", "--answers", one_gateway, "--out", applied)
    assert code == 0
    assert f"obsolete   {GW2} (no longer generated, edited by hand: left in place and no longer tracked)" in text
    assert "# ops notes" in (applied / GW2).read_text()
    assert GW2 not in json.loads((applied / MANIFEST).read_text())["files"]
    code, text = run("apply", "--answers", one_gateway, "--out", applied)
    assert code == 0 and GW2 not in text  # reported once, then it is the operator's file


def _one_gateway(out: Path) -> Path:
    text = (out / "answers.toml").read_text()
    start = text.index("[[gateway.nodes]]\nname = \"gw-2\"")
    end = text.index("\n[", start + 1) + 1
    target = out.parent / "one-gateway.toml"
    target.write_text(text[:start] + text[end:])
    return target


def test_own_answers_file_edited_by_hand_is_the_input(applied):
    answers = applied / "answers.toml"
    text = answers.read_text().replace('type = "hybrid"', 'type = "production"  # prod only from now on')
    answers.write_text(text)
    code, out = run("apply", "--answers", answers, "--out", applied)
    assert code == 0, out
    assert "input      answers.toml (read as this run's answers" in out
    assert answers.read_text() == text  # the comment survives
    assert b'type = "production"' in (applied / CP1).read_bytes()
    code, out = run("apply", "--answers", answers, "--out", applied)
    assert "no changes" in out


def test_loosened_mode_is_restored(applied):
    os.chmod(applied / CP1, 0o644)
    code, text = run("apply", "--answers", applied / "answers.toml", "--out", applied)
    assert code == 0
    assert f"mode       {CP1} (content unchanged; mode set to 0600)" in text
    assert "no changes" in text and "modes corrected on 1 file(s) and folder(s)" in text
    assert (applied / CP1).stat().st_mode & 0o777 == 0o600


def test_symlink_in_place_of_a_file_is_refused(applied, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text("x")
    (applied / CP1).unlink()
    (applied / CP1).symlink_to(elsewhere)
    code, _ = run("apply", "--answers", applied / "answers.toml", "--out", applied)
    assert code == 3 and "symbolic link" in capsys.readouterr().err
    assert elsewhere.read_text() == "x"


def test_a_second_apply_waits_for_the_first(applied):
    import fcntl

    fd = os.open(applied / ".apim-wizard/lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        (applied / CP1).write_bytes(b"# replaced\n")
        plan = make_plan(applied, [PlannedFile(CP1, b"new\n", 0o600)], force=True)
        from wizard.plan import OutputDirError

        with pytest.raises(OutputDirError, match="another apim-wizard apply"):
            apply_plan(plan)
    finally:
        os.close(fd)


def test_plan_classification_table(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    files = [PlannedFile(name, b"v1\n") for name in ("a", "b", "c", "d")]
    apply_plan(make_plan(out, files))
    (out / "b").write_bytes(b"edited\n")
    (out / "c").write_bytes(b"edited\n")
    (out / "e").write_bytes(b"foreign\n")
    plan = make_plan(out, [files[0], files[1], PlannedFile("c", b"v2\n"), PlannedFile("d", b"v2\n"),
                           PlannedFile("e", b"mine\n"), PlannedFile("f", b"new\n")])
    got = {e.file.path: (e.status, e.action) for e in plan.entries}
    assert got == {
        "a": (Status.UNCHANGED, Action.NONE),
        "b": (Status.EDITED, Action.KEEP),
        "c": (Status.EDITED, Action.CONFLICT),
        "d": (Status.CHANGED, Action.WRITE),
        "e": (Status.UNKNOWN, Action.CONFLICT),
        "f": (Status.NEW, Action.WRITE),
    }


def test_masker_structural_and_known_values():
    masker = Masker(["Kn0wnSecret", "admin"])
    text = "\n".join([
        "[super_admin]",
        'username = "admin"',
        'password = "whatever-old"',
        "[apim.throttling.jms]",
        "topic_connection_factory = \"amqp://<![CDATA[admin]]>:<![CDATA[pw1]]>@clientid/carbon?brokerlist="
        "'tcp://h:8672?ssl='true'%26trust_store_password='tsp'%26key_store_password='ksp''\"",
        'super_admin_table = "super_admin"',
        "[keystore.tls]",
        'password = "$secret{tls_password}"',
        'note = "uses Kn0wnSecret here"',
        "[secrets]",
        'admin_password = "[plain]"',
        "CREATE USER 'apim'@'%' IDENTIFIED BY 'sql-pw';",
        "jdbc:mysql://user:urlpw@db/apim_db",
        ])
    masked = masker.text(text)
    for secret in ("whatever-old", "pw1", "tsp", "ksp", "Kn0wnSecret", "plain", "sql-pw", "urlpw"):
        assert secret not in masked, secret
    assert '"$secret{tls_password}"' in masked  # references stay readable
    assert 'super_admin_table = "super_admin"' in masked  # a known value is masked only as a whole word
    assert f'username = "{MASK}"' in masked


def test_a_missing_secrets_file_stops_the_apply_before_any_key_is_lost(applied, capsys):
    """Without DIR/secrets.toml the generated passwords would be made anew and every keystore
    they lock with a new key: apply refuses and changes nothing; --force starts over, with
    each old keystore and key in the backups, still opening with its old password."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    (applied / "secrets.toml").unlink()
    before = tree(applied)
    code, _ = run("apply", "--preset", "ha", "--out", applied)
    assert code == 3
    message = capsys.readouterr().err
    assert "secrets.toml: is missing" in message and "--secrets FILE" in message and "--force" in message
    assert tree(applied) == before

    old_primary = (applied / "cp-1/repository/resources/security/primary.p12").read_bytes()
    code, out = run("apply", "--preset", "ha", "--out", applied, "--force")
    assert code == 0
    kept = applied / backup_path("cp-1/repository/resources/security/primary.p12", sha256(old_primary))
    assert kept.read_bytes() == old_primary and kept.stat().st_mode & 0o777 == 0o600
    assert "backup     cp-1/repository/resources/security/primary.p12" in out
    # It opens with the password of the old configuration (in the snapshot taken before).
    assert pkcs12.load_pkcs12(kept.read_bytes(), _old_store_password(before, "primary")).key is not None


def _old_store_password(snapshot: dict, store: str) -> bytes:
    """The [keystore.<store>] password of cp-1's deployment.toml in a tree() snapshot."""
    import tomllib

    config = tomllib.loads(snapshot[CP1][0].decode())
    return config["keystore"][store]["password"].encode()


def test_rotating_certificates_keeps_the_old_keys_in_the_backups(applied):
    old_tls = (applied / "gw-1/repository/resources/security/tls.p12").read_bytes()
    old_lb_key = (applied / "lb/gw.example.com.key").read_bytes()
    code, _ = run("apply", "--preset", "ha", "--out", applied, "--rotate-certs")
    assert code == 0
    assert (applied / backup_path("gw-1/repository/resources/security/tls.p12", sha256(old_tls))).read_bytes() == old_tls
    assert (applied / backup_path("lb/gw.example.com.key", sha256(old_lb_key))).read_bytes() == old_lb_key


def test_an_apply_built_before_another_wrote_the_folder_writes_nothing(tmp_path):
    """Two applies into one new folder: the one whose build read the folder before the other
    wrote it (no CA yet) must not replace that CA and those passwords."""
    from conftest import preset_raw
    from wizard.build import BuildOptions, build_deployment
    from wizard.plan import OutputDirError, folder_generation
    from wizard.secrets_store import SecretStore
    from wizard.validation import validate_answers

    out = tmp_path / "out"
    based_on = folder_generation(out)
    answers, _ = validate_answers(preset_raw("single"))
    slow = build_deployment(answers, SecretStore.load(out / "secrets.toml"), options=BuildOptions(out_dir=out))
    assert run("apply", "--preset", "single", "--out", out)[0] == 0  # the other apply, done first
    before = tree(out)
    with pytest.raises(OutputDirError, match="another apply wrote this folder"):
        apply_plan(make_plan(out, slow.files, based_on=based_on))
    assert tree(out) == before


def test_an_apply_running_in_the_folder_is_not_taken_for_an_interrupted_one(applied, capsys):
    import fcntl

    (applied / ".apim-wizard/journal.json").write_text('{"files": {}}')  # the other apply's, mid-write
    fd = os.open(applied / ".apim-wizard/lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        code, out = run("apply", "--preset", "ha", "--out", applied)
    finally:
        os.close(fd)
    assert code == 3
    assert "another apim-wizard apply is writing" in capsys.readouterr().err
    assert "interrupted" not in out


def test_a_write_that_fails_midway_leaves_the_folder_as_it_was(applied, capsys):
    """An error while the new versions are written (here: a folder where a temporary file
    goes; in life a full disk or a read-only mount) removes what this apply wrote: the next
    apply finds nothing to undo and completes."""
    from wizard.writer import temp_path

    in_the_way = temp_path(applied / GW2)
    in_the_way.mkdir()

    def files(folder: Path) -> dict:
        # Files as they are (folders' times move as temporary files come and go); the
        # backups of keys this apply made before the error may stay.
        return {k: v for k, v in tree(folder).items() if v[0] != "dir" and not k.startswith(".apim-wizard/backups")}

    before = files(applied)
    changed = answers_with(applied, applied.parent, 'name = "ha"', 'name = "ha2"')
    code, _ = run("apply", "--answers", changed, "--out", applied)
    assert code == 3 and "cannot write" in capsys.readouterr().err
    assert files(applied) == before
    in_the_way.rmdir()
    code, out = run("apply", "--answers", changed, "--out", applied)
    assert code == 0 and "interrupted" not in out
