"""The one Azure credential factory: every Python call to Azure signs in through `azure_credential()`.

The deploy's Synapse SQL resource, trigger stop/start, the preflight and smoke test, `insights cloud` and the
dashboard's Synapse mode all take their credential from here, so a sign-in behaves the same everywhere.

- Under GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` set, as with
  `permissions: id-token: write`) it is azure-identity's `ClientAssertionCredential`, whose assertion is a
  GitHub OIDC token fetched anew each time it acquires an Entra token. GitHub's token expires minutes after
  it is issued and the az CLI cannot renew it, so a deploy that outlives `azure/login` keeps signing in.
  The identity is `AZURE_CLIENT_ID`/`AZURE_TENANT_ID`, or `ARM_CLIENT_ID`/`ARM_TENANT_ID` as Pulumi reads them.
- Elsewhere it is `DefaultAzureCredential` (`az login` for people, a managed identity in Azure).

Every sign-in failure is a `SignInError` whose message says what to do about it.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

GITHUB_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
GITHUB_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"

LOCAL_HINT = "sign in with `az login` (then `az account set -s <subscription>`)"
CI_HINT = (
    "check the deploying identity's federated credential (issuer https://token.actions.githubusercontent.com, "
    "audience api://AzureADTokenExchange, this repository's subject) and the job's `permissions: id-token: write`"
)


class AzureOpsError(Exception):
    """An Azure call failed; the message says what was being done and what to do about it."""


class SignInError(AzureOpsError):
    """No valid Azure sign-in (missing, expired, refused, or the credential chain found nothing)."""


def under_github_actions(env: Mapping[str, str]) -> bool:
    return bool(env.get(GITHUB_URL) and env.get(GITHUB_TOKEN))


def github_oidc_token(url: str, request_token: str, audience: str = GITHUB_AUDIENCE, timeout: float = 10.0) -> str:
    """A new OIDC token from GitHub's token endpoint for `audience` (the JWT a federated credential accepts)."""
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    request = urllib.request.Request(
        f"{url}{separator}audience={urllib.parse.quote(audience, safe='')}",
        headers={"Authorization": f"Bearer {request_token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            value = json.loads(response.read().decode("utf-8")).get("value")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SignInError(f"fetching a GitHub OIDC token failed ({exc}); {CI_HINT}") from exc
    if not value:
        raise SignInError(f"GitHub's OIDC token endpoint answered without a token; {CI_HINT}")
    return str(value)


class _Translating:
    """A TokenCredential whose sign-in failures are `SignInError`s that name `hint`."""

    def __init__(self, inner: Any, hint: str) -> None:
        self._inner, self._hint = inner, hint

    def _call(self, method: str, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            return getattr(self._inner, method)(*scopes, **kwargs)
        except ClientAuthenticationError as exc:
            text = " ".join(str(getattr(exc, "message", None) or exc).split())[:300]
            raise SignInError(f"no Azure token for {', '.join(scopes)} ({text}); {self._hint}") from exc

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return self._call("get_token", *scopes, **kwargs)

    def get_token_info(self, *scopes: str, **kwargs: Any) -> Any:
        return self._call("get_token_info", *scopes, **kwargs)

    def close(self) -> None:
        self._inner.close()


def azure_credential(env: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
    """The credential for this process: GitHub OIDC per token under Actions, DefaultAzureCredential elsewhere.

    `kwargs` go to the azure-identity credential (the tests pass a `transport` standing in for Entra ID).
    """
    env = os.environ if env is None else env
    if under_github_actions(env):
        from azure.identity import ClientAssertionCredential

        client_id = env.get("AZURE_CLIENT_ID") or env.get("ARM_CLIENT_ID")
        tenant_id = env.get("AZURE_TENANT_ID") or env.get("ARM_TENANT_ID")
        if not (client_id and tenant_id):
            raise SignInError(
                "under GitHub Actions the deploying identity is unknown: set AZURE_CLIENT_ID and AZURE_TENANT_ID "
                "(or ARM_CLIENT_ID and ARM_TENANT_ID) in the job's env"
            )
        url, request_token = env[GITHUB_URL], env[GITHUB_TOKEN]
        inner = ClientAssertionCredential(tenant_id, client_id, lambda: github_oidc_token(url, request_token), **kwargs)
        return _Translating(inner, CI_HINT)
    from azure.identity import DefaultAzureCredential

    return _Translating(DefaultAzureCredential(exclude_interactive_browser_credential=True, **kwargs), LOCAL_HINT)
