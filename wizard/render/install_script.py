"""install.sh of a node: lay down API-M, optimise the profile once, overlay the node's files.

The optimiser (profileSetup.sh) runs *before* the overlay because it replaces
repository/conf/deployment.toml with WSO2's template (facts §1, pain point 1); once done it
is recorded in the home and never repeated, so re-running install.sh only refreshes the
files that changed.  The files to overlay and their modes are listed in the script, so a
kit copied without its modes (or incompletely) still installs exactly what was generated.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import installation as inst
from ..plan import PlannedFile
from ..topology import NodePlan, Topology
from .text import GENERATED, comment_block, node_title, sh

_TEMPLATE = r"""#!/usr/bin/env bash
@HEADER@
set -euo pipefail

NODE=@NODE@
PROFILE=@PROFILE@
DEFAULT_TARGET=@TARGET@
DEFAULT_SOURCE=@SOURCE@
DEFAULT_OWNER=@OWNER@
DEFAULT_DRIVERS=(@DRIVERS@)
# <mode> <path below the node folder and the API-M home>
OVERLAY=(
@OVERLAY@
)

usage() {
    cat <<USAGE
Usage: install.sh [--source ZIP|DIR] [--target DIR] [--jdbc-driver JAR]... [--owner USER[:GROUP]] [--dry-run]

Installs node $NODE ($PROFILE) into an API-M home and keeps it up to date.

  --source ZIP|DIR     WSO2 API-M distribution: the zip or an unpacked folder; used only when the
                       target holds no API-M yet (default: $DEFAULT_SOURCE, looked up next to this
                       script, then in the folder above it)
  --target DIR         API-M home to create or update (default: $DEFAULT_TARGET)
  --jdbc-driver JAR    JDBC driver jar for repository/components/lib; repeat for several
                       (default: the answers' install.jdbc_drivers${DEFAULT_DRIVERS[*]:+: ${DEFAULT_DRIVERS[*]}})
  --owner USER[:GROUP] owner of the installed files when run as root (default: $DEFAULT_OWNER)
  --dry-run            print what would change; change nothing
USAGE
}

say() { printf '%s\n' "$*"; }
fail() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'install.sh: %s\n' "$*" >&2; usage >&2; exit 2; }

kit=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
target=$DEFAULT_TARGET
source_arg=
owner=
dry_run=false
drivers=()
drivers_given=false

while [ $# -gt 0 ]; do
    case $1 in
        --source|--target|--jdbc-driver|--owner)
            [ $# -ge 2 ] || usage_error "$1 needs a value"
            option=$1 value=$2
            shift 2
            ;;
        --source=*|--target=*|--jdbc-driver=*|--owner=*)
            option=${1%%=*} value=${1#*=}
            shift
            ;;
        --dry-run) dry_run=true; shift; continue ;;
        -h|--help) usage; exit 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
    case $option in
        --source) source_arg=$value ;;
        --target) target=$value ;;
        --jdbc-driver) drivers+=("$value"); drivers_given=true ;;
        --owner) owner=$value ;;
    esac
done

absolute() {
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$PWD" "$1" ;;
    esac
}

# A default from the answers: absolute, or next to this script, or in the output folder.
from_kit() {
    case $1 in
        /*) printf '%s\n' "$1"; return ;;
    esac
    local candidate
    for candidate in "$kit/$1" "$(dirname -- "$kit")/$1"; do
        if [ -e "$candidate" ]; then
            printf '%s\n' "$candidate"
            return
        fi
    done
    printf '%s\n' "$kit/$1"
}

target=$(absolute "${target%/}")
if ! $drivers_given; then
    for jar in ${DEFAULT_DRIVERS[@]+"${DEFAULT_DRIVERS[@]}"}; do
        drivers+=("$(from_kit "$jar")")
    done
else
    for i in "${!drivers[@]}"; do
        drivers[i]=$(absolute "${drivers[i]}")
    done
fi

for entry in "${OVERLAY[@]}"; do
    [ -f "$kit/${entry#* }" ] || fail "$kit/${entry#* } is missing: copy node $NODE's whole folder from the apim-wizard output"
done
for jar in ${drivers[@]+"${drivers[@]}"}; do
    [ -f "$jar" ] || fail "JDBC driver $jar not found (give --jdbc-driver with the jar's path)"
done

if [ "$(id -u)" -eq 0 ]; then
    owner=${owner:-$DEFAULT_OWNER}
    owner_user=${owner%%:*}
    id -u "$owner_user" >/dev/null 2>&1 ||
        fail "user $owner_user does not exist: create it (useradd --system --user-group --home-dir $target --no-create-home $owner_user) or give --owner"
    owner_user=$(id -un "$owner_user")  # names, as stat prints them, also when given as ids
    if [ "$owner" = "${owner%%:*}" ]; then
        owner_group=$(id -gn "$owner_user")
    else
        owner_group=$(getent group "${owner#*:}" | cut -d: -f1) ||
            fail "group ${owner#*:} does not exist (--owner $owner)"
    fi
    owner="$owner_user:$owner_group"
elif [ -n "$owner" ]; then
    fail "--owner needs root; run without it to keep the files yours"
fi

$dry_run && say "dry run: nothing is changed"
say "node $NODE ($PROFILE) -> $target"
added=0 updated=0 unchanged=0

# ------------------------------------------------------------------ 1. API-M home
unpack() {
    local zip=$1 staging=$2
    if command -v unzip >/dev/null; then
        unzip -q -- "$zip" -d "$staging"
    elif command -v python3 >/dev/null; then
        python3 -m zipfile -e "$zip" "$staging"
    else
        fail "cannot unpack $zip: install unzip"
    fi
}

staging=
cleanup() { if [ -n "$staging" ]; then rm -rf -- "$staging"; fi; }
trap cleanup EXIT

if [ -f "$target/bin/api-manager.sh" ]; then
    say "API-M home: present"
    [ -z "$source_arg" ] || say "  --source $source_arg not used: $target already holds API-M"
else
    if [ -e "$target" ] && [ -n "$(ls -A -- "$target" 2>/dev/null || echo x)" ]; then
        fail "$target exists and holds no API-M (no bin/api-manager.sh): empty it or choose another --target"
    fi
    if [ -n "$source_arg" ]; then source=$(absolute "$source_arg"); else source=$(from_kit "$DEFAULT_SOURCE"); fi
    if [ -d "$source" ]; then
        [ -f "$source/bin/api-manager.sh" ] || fail "$source is not an API-M home (no bin/api-manager.sh)"
        if $dry_run; then
            say "  would copy $source to $target"
        else
            mkdir -p -- "$target"
            cp -a -- "$source/." "$target/"
            say "API-M home: copied from $source"
        fi
    elif [ -f "$source" ]; then
        if $dry_run; then
            say "  would unpack $source into $target"
        else
            parent=$(dirname -- "$target")
            mkdir -p -- "$parent"
            staging=$(mktemp -d "$parent/.apim-wizard-unpack.XXXXXX")
            unpack "$source" "$staging"
            found=$(find "$staging" -mindepth 3 -maxdepth 3 -path '*/bin/api-manager.sh' -print)
            if [ -z "$found" ] || [ "$(printf '%s\n' "$found" | wc -l)" -ne 1 ]; then
                fail "$source does not hold one API-M distribution (<folder>/bin/api-manager.sh)"
            fi
            if [ -d "$target" ]; then rmdir -- "$target"; fi
            mv -- "$(dirname -- "$(dirname -- "$found")")" "$target"
            say "API-M home: unpacked from $source"
        fi
    else
        fail "no API-M distribution at $source: give --source with the wso2am zip or an unpacked folder"
    fi
fi

# ------------------------------------------------------ 2. profile optimisation, once
profile_marker="$target/@PROFILE_MARKER@"
if [ -f "$profile_marker" ]; then
    done_profile=$(cat -- "$profile_marker")
    [ "$done_profile" = "$PROFILE" ] ||
        fail "$target was optimised for the $done_profile profile, node $NODE runs $PROFILE: install into a fresh --target"
    say "profile optimisation: done before ($PROFILE)"
elif $dry_run; then
    say "  would run bin/profileSetup.sh -Dprofile=$PROFILE (once, before the overlay)"
else
    [ -f "$target/bin/profileSetup.sh" ] ||
        fail "$target has no bin/profileSetup.sh: API-M 4.1-4.4 ship it; is this another product or version?"
    (cd -- "$target/bin" && sh ./profileSetup.sh "-Dprofile=$PROFILE") ||
        fail "bin/profileSetup.sh -Dprofile=$PROFILE failed; its output is above"
    mkdir -p -- "$target/@MARKER_DIR@"
    printf '%s\n' "$PROFILE" > "$profile_marker"
    say "profile optimisation: ran profileSetup.sh -Dprofile=$PROFILE"
fi

# ------------------------------------------------------- 3. overlay and JDBC drivers
# place MODE SOURCE DESTINATION: copy when content, mode or owner differ.
place() {
    local mode=$1 from=$2 to=$3 state
    if [ ! -e "$to" ]; then
        state=add
    elif cmp -s -- "$from" "$to" && [ "$(stat -c %a -- "$to")" = "$mode" ] &&
        { [ -z "$owner" ] || [ "$(stat -c %U:%G -- "$to")" = "$owner" ]; }; then
        unchanged=$((unchanged + 1))
        return
    else
        state=update
    fi
    if $dry_run; then
        say "  would $state ${to#"$target"/} (mode $mode)"
    else
        mkdir -p -- "$(dirname -- "$to")"
        local tmp="$to.apim-wizard.$$"
        cp -- "$from" "$tmp"
        chmod "$mode" "$tmp"
        if [ -n "$owner" ]; then chown "$owner" "$tmp"; fi
        mv -f -- "$tmp" "$to"
        say "  ${state%e}ed ${to#"$target"/} (mode $mode)"
    fi
    if [ "$state" = add ]; then added=$((added + 1)); else updated=$((updated + 1)); fi
}

for entry in "${OVERLAY[@]}"; do
    place "${entry%% *}" "$kit/${entry#* }" "$target/${entry#* }"
done
for jar in ${drivers[@]+"${drivers[@]}"}; do
    place 644 "$jar" "$target/repository/components/lib/$(basename -- "$jar")"
done

# ----------------------------------------------------------- 4. marker and owner
node_marker="$target/@NODE_MARKER@"
if [ "$(cat -- "$node_marker" 2>/dev/null)" != "$NODE" ]; then
    if $dry_run; then
        say "  would record node $NODE in @NODE_MARKER@"
    else
        mkdir -p -- "$target/@MARKER_DIR@"
        printf '%s\n' "$NODE" > "$node_marker"
    fi
fi
if [ -n "$owner" ] && [ -d "$target" ]; then
    foreign=$(find "$target" \( ! -user "${owner%%:*}" -o ! -group "${owner#*:}" \) -print | wc -l)
    if [ "$foreign" -gt 0 ]; then
        if $dry_run; then
            say "  would give $foreign file(s) to $owner"
        else
            find "$target" \( ! -user "${owner%%:*}" -o ! -group "${owner#*:}" \) -exec chown -h "$owner" {} +
            say "owner: $foreign file(s) given to $owner"
        fi
    fi
fi

summary="$added added, $updated updated, $unchanged unchanged"
if $dry_run; then
    say "dry run: would install $summary; nothing was changed"
    exit 0
fi
say "installed node $NODE: $summary"
pid_file="$target/@PID_FILE@"
if [ $((added + updated)) -gt 0 ] && [ -f "$pid_file" ] && kill -0 "$(cat -- "$pid_file")" 2>/dev/null; then
    say "API-M is running (pid $(cat -- "$pid_file")): restart it to use the new files"
fi
run_as=
if [ -n "$owner" ]; then run_as="sudo -u ${owner%%:*} "; fi
say "start it with: $run_as$target/@START_SCRIPT@   (or, with its systemd unit installed: systemctl start @SERVICE@)"
"""


def overlay_entries(node: NodePlan, planned: Iterable[PlannedFile]) -> list[tuple[str, str]]:
    """(mode, path in the home) of every generated file that belongs in the node's home."""
    prefix = f"{node.name}/"
    entries = [(f"{f.mode:o}", f.path[len(prefix):]) for f in planned if inst.is_overlay(node, f.path)]
    return sorted(entries, key=lambda entry: entry[1])


def render_install_sh(topology: Topology, node: NodePlan, planned: Iterable[PlannedFile]) -> str:
    answers = topology.answers
    entries = overlay_entries(node, planned)
    header = comment_block([
        f"Installs {node_title(topology, node)}.",
        "",
        "1. lays down API-M from the distribution zip or an unpacked folder (seed step 1), unless the",
        "   target already holds it;",
        f"2. runs WSO2's profile optimisation once: bin/profileSetup.sh -Dprofile={node.server_role}.  It",
        "   comes before the overlay because it replaces repository/conf/deployment.toml with WSO2's",
        "   template; it is recorded in the home and never repeated;",
        "3. copies this folder's bin/ and repository/ files into the home with their modes (secrets",
        "   0600), and the JDBC driver jars into repository/components/lib;",
        f"4. as root, gives the home to the service user ({inst.owner(answers)}).",
        "Re-running changes only what differs; --dry-run shows it first.  Needs bash, cmp, stat, find",
        "and unzip (or python3).",
        GENERATED,
    ])
    replacements = {
        "@HEADER@": header.rstrip("\n"),
        "@NODE@": sh(node.name),
        "@PROFILE@": sh(node.server_role),
        "@TARGET@": sh(inst.apim_home(answers, node)),
        "@SOURCE@": sh(inst.distribution_zip(answers)),
        "@OWNER@": sh(inst.owner(answers)),
        "@DRIVERS@": " ".join(sh(jar) for jar in answers.install.jdbc_drivers),
        "@OVERLAY@": "\n".join(f"    {sh(f'{mode} {path}')}" for mode, path in entries),
        "@PROFILE_MARKER@": inst.PROFILE_MARKER,
        "@NODE_MARKER@": inst.NODE_MARKER,
        "@MARKER_DIR@": inst.MARKER_DIR,
        "@PID_FILE@": inst.CARBON_PID_FILE,
        "@START_SCRIPT@": inst.START_SCRIPT,
        "@SERVICE@": inst.service_name(node),
    }
    text = _TEMPLATE
    for key, value in replacements.items():
        text = text.replace(key, value)
    return text
