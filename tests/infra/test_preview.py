"""The pull-request `pulumi preview` runs as a Reader: the program may call no provider function that needs
more than read. In Azure's API a read is a GET (azure-native's `get*` functions); its `list*` functions
are POST actions (`listAuthKeys`, `listKeys`) that return secrets and need the matching `/action` right."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.offline import run_program
from tests.support.stacks import SECRETS

# Every provider function the program may call, each a read (an ARM GET on the caller's own context).
READS = {"azure-native:authorization:getClientConfig"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_preview_calls_only_reads(stack: str, artifacts: Path) -> None:
    run = run_program(stack, secrets=SECRETS, artifacts_root=artifacts, preview=True)
    assert run.invokes, "the preview called no function at all: the recording is broken"
    assert set(run.invokes) <= READS, sorted(set(run.invokes) - READS)
    assert all(token.split(":")[-1].startswith("get") for token in READS)
