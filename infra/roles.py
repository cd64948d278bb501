"""Azure's built-in roles that the platform grants or that its policy pack watches, by name and GUID.

Built-in role definitions have the same GUID in every tenant. `infra/access.py` grants roles by name;
the policy pack (`infra/policies/baseline.py`) and `insights plan` read a role assignment's definition
id back to a name. Each role is one row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Role:
    name: str
    guid: str
    # privileged: may manage resources or access (never at a broad scope);
    # data: reads or writes data in storage or Key Vault (only on the lake or the vault)
    kind: Literal["privileged", "data"]


# fmt: off
ROLES: tuple[Role, ...] = (
    Role("Owner",                                   "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "privileged"),
    Role("Contributor",                             "b24988ac-6180-42a0-ab88-20f7382dd24c", "privileged"),
    Role("User Access Administrator",               "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "privileged"),
    Role("Role Based Access Control Administrator", "f58310d9-a9f6-439a-9e8d-f62e7b41a168", "privileged"),
    Role("Storage Blob Data Owner",                 "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "data"),
    Role("Storage Blob Data Contributor",           "ba92f5b4-2d11-453d-a403-e96b0029c9fe", "data"),
    Role("Storage Blob Data Reader",                "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", "data"),
    Role("Key Vault Administrator",                 "00482a5a-887f-4fb3-b363-3b7fe8e74483", "data"),
    Role("Key Vault Secrets Officer",               "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "data"),
    Role("Key Vault Secrets User",                  "4633458b-17de-408a-b874-0445c86b69e6", "data"),
    Role("Key Vault Reader",                        "21090545-7ca7-4776-b22c-e363652d74d2", "data"),
    Role("Key Vault Crypto Officer",                "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", "data"),
    Role("Key Vault Certificates Officer",          "a4417e6f-fecd-4de8-b567-7b0420556985", "data"),
)
# fmt: on

BY_NAME = {role.name: role for role in ROLES}
BY_GUID = {role.guid: role for role in ROLES}


def definition_id(subscription_id: str, name: str) -> str:
    """The ARM id of a built-in role definition, as a role assignment names it."""
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{BY_NAME[name].guid}"


def role_of(definition: str) -> Role | None:
    """The role a definition id (or a bare GUID) names, None for a role outside this table."""
    return BY_GUID.get(definition.rstrip("/").rsplit("/", 1)[-1].lower())
