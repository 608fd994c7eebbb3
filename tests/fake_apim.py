"""A stand-in WSO2 API-M distribution for the install/start script tests.

The stubs behave like the real scripts where the generated scripts depend on it:
profileSetup.sh works relative to bin/ (the real one uses ../repository/...) and replaces
deployment.toml with the profile template, keeping the old file as deployment.toml.backup;
api-manager.sh records how it was called.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

RELEASE = "wso2am-4.4.0"
ORIGINAL_CONFIG = "# deployment.toml as shipped by WSO2\n[server]\nhostname = \"localhost\"\n"

API_MANAGER_STUB = """#!/bin/sh
# Stub: records its arguments, working folder and JAVA_HOME, one per line.
home=$(cd "$(dirname "$0")/.." && pwd)
{
    for arg in "$@"; do printf 'arg=%s\\n' "$arg"; done
    printf 'JAVA_HOME=%s\\n' "${JAVA_HOME:-}"
} > "$home/api-manager.calls"
"""

PROFILE_SETUP_STUB = """#!/bin/sh
# Stub of WSO2's profileSetup.sh: paths relative to bin/, as in the real script.
echo "$*" >> ../profileSetup.calls
profile=${1#-Dprofile=}
if [ -e ../repository/conf/deployment.toml ]; then
    mv ../repository/conf/deployment.toml ../repository/conf/deployment.toml.backup
fi
cp "../repository/resources/conf/deployment-templates/$profile.toml" ../repository/conf/deployment.toml
"""

SHARED_SCHEMA = {
    "postgresql": "CREATE TABLE UM_TENANT (UM_ID INTEGER PRIMARY KEY, UM_DOMAIN_NAME VARCHAR(255));\n"
                  "CREATE TABLE REG_CLUSTER_LOCK (REG_LOCK_NAME VARCHAR(20) PRIMARY KEY);\n",
    "mysql": "CREATE TABLE UM_TENANT (UM_ID INTEGER PRIMARY KEY, UM_DOMAIN_NAME VARCHAR(255)) ENGINE INNODB;\n"
             "CREATE TABLE REG_CLUSTER_LOCK (REG_LOCK_NAME VARCHAR(20) PRIMARY KEY) ENGINE INNODB;\n",
}
APIM_SCHEMA = {
    "postgresql": "CREATE TABLE AM_API (API_ID INTEGER PRIMARY KEY, API_NAME VARCHAR(256));\n"
                  "CREATE TABLE AM_SUBSCRIBER (SUBSCRIBER_ID INTEGER PRIMARY KEY);\n",
    "mysql": "CREATE TABLE AM_API (API_ID INTEGER PRIMARY KEY, API_NAME VARCHAR(256)) ENGINE INNODB;\n"
             "CREATE TABLE AM_SUBSCRIBER (SUBSCRIBER_ID INTEGER PRIMARY KEY) ENGINE INNODB;\n",
}


def distribution_files() -> dict[str, str]:
    files = {
        "bin/api-manager.sh": API_MANAGER_STUB,
        "bin/profileSetup.sh": PROFILE_SETUP_STUB,
        "bin/api-manager.bat": "@echo off\r\n",
        "repository/conf/deployment.toml": ORIGINAL_CONFIG,
        "repository/resources/conf/deployment-templates/control-plane.toml": "# WSO2 control-plane template\n",
        "repository/resources/conf/deployment-templates/gateway-worker.toml": "# WSO2 gateway-worker template\n",
        "repository/resources/security/wso2carbon.jks": "not a real keystore\n",
        "repository/components/lib/README.txt": "drivers go here\n",
    }
    for name, text in SHARED_SCHEMA.items():
        files[f"dbscripts/{name}.sql"] = text
    for name, text in APIM_SCHEMA.items():
        files[f"dbscripts/apimgt/{name}.sql"] = text
    return files


def make_distribution_zip(folder: Path) -> Path:
    path = folder / f"{RELEASE}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in distribution_files().items():
            info = zipfile.ZipInfo(f"{RELEASE}/{name}")
            info.external_attr = (0o755 if name.endswith(".sh") else 0o644) << 16
            archive.writestr(info, text)
    return path


def make_distribution_dir(folder: Path) -> Path:
    home = folder / RELEASE
    for name, text in distribution_files().items():
        target = home / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return home
