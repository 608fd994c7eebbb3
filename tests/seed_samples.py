"""The four sample configurations of the WSO2 guide in ../shared/seed, cut out of its text.

The golden test uses vendored copies (tests/data/seed/*.toml) so that it runs in a clone
without ../shared; test_seed_copies_match checks the copies against the guide when present.
"""

from __future__ import annotations

from pathlib import Path

SEED_TEXT = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_641a046beeb0b6b7.txt"
VENDORED = Path(__file__).parent / "data" / "seed"

# (sample name, heading that precedes it, heading that follows it)
_SECTIONS = [
    ("gateway", "Sample configuration for the Gateway", "Configure the Control Plane Nodes"),
    ("control-plane", "Sample configuration for the Control Plane", "Step 7 - Start the API-M nodes"),
]


def extract_samples(text: str) -> dict[str, str]:
    """{'gateway-ha': ..., 'gateway-single': ..., 'control-plane-ha': ..., 'control-plane-single': ...}.

    Each heading is followed by the HA sample and then, starting at the second [server]
    table, the single-node sample.
    """
    out = {}
    for name, start, end in _SECTIONS:
        body = text.split(start, 1)[1].split(end, 1)[0].strip("\n")
        lines = body.splitlines()
        servers = [i for i, line in enumerate(lines) if line.strip() == "[server]"]
        assert len(servers) == 2, f"expected two [server] tables after {start!r}"
        out[f"{name}-ha"] = "\n".join(lines[servers[0]: servers[1]]).strip() + "\n"
        out[f"{name}-single"] = "\n".join(lines[servers[1]:]).strip() + "\n"
    return out
