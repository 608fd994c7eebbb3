"""Every generated shell script passes shellcheck, for every preset and for awkward answers.

Where shellcheck is missing locally the shell's own parser (bash -n / sh -n) still runs;
.ci/run installs shellcheck, and in CI (APIM_WIZARD_CI=1) its absence fails the test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import build_raw, preset_raw
from tools import IN_CI, run
from wizard.presets import list_presets

AWKWARD_PASSWORD = "It's \"quoted\" \\ $dollar `tick` ;|&"


def awkward_raw() -> dict:
    raw = preset_raw("ha")
    raw["name"] = "Prod EU.1"
    raw["install"] = {
        "base_dir": "/srv/apim@eu,1",
        "user": "apim_svc",
        "group": "apim-grp",
        "java_home": "/usr/lib/jvm/java-17+x",
        "jdbc_drivers": ["drivers/mysql-connector-j-8.4.0.jar", "/opt/jdbc/x=y,z.jar"],
        "distribution": "dist/wso2am-4.4.0+patch.zip",
    }
    raw["databases"]["apim_db"]["password"] = AWKWARD_PASSWORD
    raw["databases"]["shared_db"]["type"] = "postgre"
    raw["databases"]["shared_db"]["password"] = AWKWARD_PASSWORD + "2"
    return raw


CASES = {f"preset {p.name}": (lambda name=p.name: preset_raw(name)) for p in list_presets()}
CASES["awkward answers"] = awkward_raw


def _scripts(raw: dict) -> dict[str, bytes]:
    build = build_raw(raw)
    return {f.path: f.content for f in build.files if f.path.endswith(".sh")}


def _shell_of(text: bytes) -> str:
    first = text.split(b"\n", 1)[0]
    return "bash" if b"bash" in first else "sh"


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_generated_script_passes_shellcheck(case, tmp_path):
    scripts = _scripts(CASES[case]())
    names = {Path(p).name for p in scripts}
    assert {"start.sh", "install.sh", "load-schemas.sh"} <= names, names
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None and IN_CI:
        pytest.fail("shellcheck is not installed (.ci/run installs it)")
    written = []
    for path, content in scripts.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        parsed = run([_shell_of(content), "-n", str(target)])
        assert parsed.returncode == 0, f"{path}: {parsed.stderr}"
        written.append(str(target))
    if shellcheck:  # one run for all: the dialect comes from each shebang
        checked = run([shellcheck, "--norc", *written])
        assert checked.returncode == 0, checked.stdout


def test_awkward_values_reach_the_scripts_intact(tmp_path):
    """Quoting: bash itself reads back exactly the values of the answers."""
    scripts = _scripts(awkward_raw())
    install = scripts["cp-1/install.sh"].decode()
    head = install.split("\nusage()", 1)[0]
    probe = tmp_path / "probe.sh"
    probe.write_text(head + '\nprintf "%s\\n" "$DEFAULT_TARGET" "$DEFAULT_SOURCE" "${DEFAULT_DRIVERS[@]}"\n')
    result = run(["bash", str(probe)])
    assert result.stdout.splitlines() == [
        "/srv/apim@eu,1/cp-1", "dist/wso2am-4.4.0+patch.zip",
        "drivers/mysql-connector-j-8.4.0.jar", "/opt/jdbc/x=y,z.jar",
    ]
    loader = scripts["db/load-schemas.sh"].decode()
    calls = [line for line in loader.splitlines() if line.startswith(("load_postgresql ", "load_mysql "))]
    probe.write_text("load_postgresql() { printf '%s\\n' \"$6\"; }\nload_mysql() { printf '%s\\n' \"$6\"; }\n"
                     + "\n".join(calls) + "\n")
    values = run(["bash", str(probe)]).stdout.splitlines()
    # shared_db (PostgreSQL) gets the password as is; apim_db (MySQL) as an option-file value.
    assert values == [AWKWARD_PASSWORD + "2", AWKWARD_PASSWORD.replace("\\", "\\\\").replace('"', '\\"')]
