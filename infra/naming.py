"""Every physical Azure name of the stack, from one place.

Names are `<kind>-<prefix>-<environment>-<suffix>` (storage accounts without hyphens, as Azure
requires). The suffix is five random lowercase letters and digits drawn once by `pulumi-random` and
kept in the stack's state: a second `pulumi up` reuses it, while `pulumi destroy` followed by
`pulumi up` draws a new one, so names that Azure keeps reserved after a delete (a soft-deleted Key
Vault, a Synapse or Data Factory name still being released) never clash with the new stack.
"""

from __future__ import annotations

import pulumi
import pulumi_random as random

SUFFIX_LENGTH = 5

# Azure's limits for the names this module produces (the prefix and environment lengths are
# bounded in settings so that every name fits).
MAX_LENGTHS = {
    "storage": 24,
    "keyvault": 24,
    "factory": 63,
    "databricks": 64,
    "synapse": 50,
    "resource_group": 90,
}


def storage_name(prefix: str, environment: str, suffix: str) -> str:
    return f"st{prefix}{environment}{suffix}"


def dashed(kind: str, prefix: str, environment: str, suffix: str) -> str:
    return f"{kind}-{prefix}-{environment}-{suffix}"


class Naming(pulumi.ComponentResource):
    """The random suffix, and the names derived from it."""

    def __init__(self, name: str, prefix: str, environment: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("insights:naming:Naming", name, {}, opts)
        self.prefix = prefix
        self.environment = environment
        self._random = random.RandomString(
            f"{name}-suffix",
            length=SUFFIX_LENGTH,
            lower=True,
            upper=False,
            numeric=True,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.suffix: pulumi.Output[str] = self._random.result
        self.register_outputs({"suffix": self.suffix})

    def name(self, kind: str) -> pulumi.Output[str]:
        """A dashed name such as `adf-cip-dev-x7k2q`."""
        return self.suffix.apply(lambda s: dashed(kind, self.prefix, self.environment, s))

    def storage(self) -> pulumi.Output[str]:
        """A storage account name such as `stcipdevx7k2q` (3-24 lowercase letters and digits)."""
        return self.suffix.apply(lambda s: storage_name(self.prefix, self.environment, s))

    @property
    def short(self) -> str:
        """A short label without the suffix (action group short names allow 12 characters)."""
        return f"{self.prefix}{self.environment}"[:12]
