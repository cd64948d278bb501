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
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

GITHUB_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
GITHUB_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"

# What the Databricks provider asks the az CLI for (auth type azure-cli): a token for Azure Databricks and one
# for Azure management, which lets a service principal into a workspace it is not yet a member of.
AZ_CLI_RESOURCES = ("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d", "https://management.core.windows.net/")

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


def _run_az(args: Sequence[str]) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


def renew_az_cli(
    env: Mapping[str, str] | None = None, run: Callable[[Sequence[str]], subprocess.CompletedProcess] = _run_az
) -> bool:
    """Under GitHub Actions, sign the az CLI in again with a fresh GitHub assertion; False elsewhere (no-op).

    The Databricks provider signs in through the az CLI, which cannot renew the assertion `azure/login` gave it.
    Run just before `pulumi up`: the CLI is signed in anew and holds the provider's two tokens for their
    lifetime (an hour or more), so the provider finds them however late in the deploy it starts.
    """
    env = os.environ if env is None else env
    if not under_github_actions(env):
        return False
    client_id = env.get("AZURE_CLIENT_ID") or env.get("ARM_CLIENT_ID")
    tenant_id = env.get("AZURE_TENANT_ID") or env.get("ARM_TENANT_ID")
    subscription = env.get("AZURE_SUBSCRIPTION_ID") or env.get("ARM_SUBSCRIPTION_ID")
    if not (client_id and tenant_id and subscription):
        raise SignInError(
            "under GitHub Actions the deploying identity is unknown: set AZURE_CLIENT_ID, AZURE_TENANT_ID and "
            "AZURE_SUBSCRIPTION_ID (or their ARM_ names) in the job's env"
        )
    assertion = github_oidc_token(env[GITHUB_URL], env[GITHUB_TOKEN])
    commands = [
        ["az", "login", "--service-principal", "--username", client_id, "--tenant", tenant_id,
         "--federated-token", assertion, "--output", "none"],
        ["az", "account", "set", "--subscription", subscription],
        *(["az", "account", "get-access-token", "--resource", resource, "--output", "none"]
          for resource in AZ_CLI_RESOURCES),
    ]  # fmt: skip
    for command in commands:
        try:
            done = run(command)
        except OSError as exc:
            raise SignInError(f"the az CLI is needed by the Databricks provider and did not run ({exc})") from exc
        if done.returncode != 0:
            shown = " ".join("<github-oidc-token>" if part == assertion else part for part in command[:5])
            detail = " ".join((done.stderr or done.stdout or "").split())[:300]
            raise SignInError(f"`{shown} ...` failed ({detail}); {CI_HINT}")
    return True
