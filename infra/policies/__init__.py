"""The policy pack: the platform's security baseline as mandatory Pulumi policies.

`baseline.py` declares the policies (importing it starts nothing); `__main__.py` is the pack's entry
point for the Pulumi CLI (`pulumi preview --policy-pack infra/policies`), the only place a `PolicyPack`
is created and its server started; `evaluate.py` runs the same policies offline over the resources the
program declares under mocks (`insights plan`, the tests). See docs/operations.md.
"""

from infra.policies.baseline import PACK_NAME, POLICIES, plain_secrets_in_config

__all__ = ["PACK_NAME", "POLICIES", "plain_secrets_in_config"]
