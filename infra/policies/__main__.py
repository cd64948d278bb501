"""Entry point of the policy pack: `pulumi preview --policy-pack infra/policies` (and `pulumi up`).

The Pulumi CLI runs this folder as a script; creating the `PolicyPack` starts the analyzer's gRPC
server and blocks, so nothing else imports this file: the policies themselves live in `baseline.py`.
"""

import sys
from pathlib import Path

# Run as a script, this folder is first on sys.path: make the repository's `infra` package importable
# by its name instead (the same arrangement as infra/__main__.py).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE]
if str(_HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(_HERE.parents[1]))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from infra.policies.baseline import PACK_NAME, POLICIES  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Customer Insights Platform: the security baseline of docs/infra.md, every policy mandatory.",
)
