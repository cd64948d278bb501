"""The one credential factory at its seam: under GitHub Actions every Entra token is bought with a GitHub OIDC
token fetched for it. GitHub's token endpoint is a real HTTP server on 127.0.0.1; Entra ID is an azure-core
transport that answers the token request azure-identity sends (the real thing is the Azure cloud)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from azure.core.pipeline.transport import HttpTransport, RequestsTransportResponse

from insights.credential import GITHUB_AUDIENCE, SignInError, azure_credential, github_oidc_token, renew_az_cli
from tests.support.loopback import JsonApi, serve

ARM = "https://management.azure.com/.default"
SQL = "https://database.windows.net/.default"
CLIENT, TENANT = "11111111-2222-4333-8444-555555555555", "99999999-8888-4777-8666-555555555555"


class GitHubTokenEndpoint(JsonApi):
    """GitHub's ACTIONS_ID_TOKEN_REQUEST_URL: a new token on every request, for the bearer it was given."""

    issued: list[dict]

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        if self.headers.get("Authorization") != "Bearer request-token":
            self.send_response(401)
            self.end_headers()
            return
        token = f"github-oidc-{len(self.issued) + 1}"
        self.issued.append({"audience": query.get("audience", [""])[0], "api": query["api-version"][0], "token": token})
        self.reply(200, {"count": 1, "value": token})


@pytest.fixture
def github() -> Iterator[tuple[str, list[dict]]]:
    issued: list[dict] = []
    with serve(GitHubTokenEndpoint, issued=issued) as (url, _):
        yield f"{url}/_apis/distributedtask/token?api-version=2.0", issued


class Entra(HttpTransport):
    """Entra ID's token endpoint: records each client-assertion grant; `lifetime` is each token's expires_in."""

    def __init__(self, lifetime: int = 3600) -> None:
        self.grants: list[dict] = []
        self.lifetime = lifetime

    def send(self, request, **kwargs):
        form = request.data if isinstance(request.data, dict) else parse_qs(request.body)
        form = {key: value[0] if isinstance(value, list) else value for key, value in form.items()}
        self.grants.append({"url": request.url, **form})
        answer = requests.Response()
        answer.status_code = 200
        answer.headers["Content-Type"] = "application/json"
        answer._content = json.dumps(
            {"token_type": "Bearer", "expires_in": self.lifetime, "access_token": f"entra-{len(self.grants)}"}
        ).encode()
        return RequestsTransportResponse(request, answer)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *args) -> None:
        pass


def actions_env(url: str, **extra: str) -> dict[str, str]:
    return {
        "ACTIONS_ID_TOKEN_REQUEST_URL": url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
        "ARM_CLIENT_ID": CLIENT,
        "ARM_TENANT_ID": TENANT,
        **extra,
    }


def test_every_entra_token_is_bought_with_a_fresh_github_token(github) -> None:
    url, issued = github
    entra = Entra()
    credential = azure_credential(actions_env(url), transport=entra)

    assert credential.get_token(ARM).token == "entra-1"
    assert credential.get_token(SQL).token == "entra-2"
    assert credential.get_token(ARM).token == "entra-1"  # still valid: from the cache, no new assertion

    assert [grant["client_assertion"] for grant in entra.grants] == ["github-oidc-1", "github-oidc-2"]
    assert [(grant["client_id"], grant["scope"]) for grant in entra.grants] == [(CLIENT, ARM), (CLIENT, SQL)]
    assert entra.grants[0]["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert entra.grants[0]["url"] == f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    assert [(token["audience"], token["api"]) for token in issued] == [(GITHUB_AUDIENCE, "2.0")] * 2


def test_a_long_deploy_renews_with_a_new_github_token_not_the_first_one(github) -> None:
    url, issued = github
    entra = Entra(lifetime=0)  # each token has expired by the next call, as after an hour of deploying
    credential = azure_credential(actions_env(url, AZURE_CLIENT_ID=CLIENT, AZURE_TENANT_ID=TENANT), transport=entra)
    for _ in range(3):
        credential.get_token(ARM)
    assert [grant["client_assertion"] for grant in entra.grants] == ["github-oidc-1", "github-oidc-2", "github-oidc-3"]
    assert len(issued) == 3


def test_a_refused_github_token_request_is_a_sign_in_error_that_says_what_to_check(github) -> None:
    url, _ = github
    credential = azure_credential({**actions_env(url), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "stale"}, transport=Entra())
    with pytest.raises(SignInError, match=r"GitHub OIDC token failed \(HTTP Error 401.*id-token: write"):
        credential.get_token(ARM)


def test_under_actions_without_the_identity_the_error_names_the_variables(github) -> None:
    url, _ = github
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token"}
    with pytest.raises(SignInError, match="set AZURE_CLIENT_ID and AZURE_TENANT_ID"):
        azure_credential(env)


def test_outside_actions_it_is_the_default_chain_and_its_failure_says_az_login(monkeypatch) -> None:
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")  # no az, azd or pwsh: every credential of the chain is unavailable
    monkeypatch.setenv("IDENTITY_ENDPOINT", "")
    monkeypatch.setenv("MSI_ENDPOINT", "")
    credential = azure_credential({}, exclude_managed_identity_credential=True)
    with pytest.raises(SignInError, match=r"az login"):
        credential.get_token(ARM)


def test_the_github_fetch_adds_the_audience_to_the_url_as_github_documents(github) -> None:
    url, issued = github
    assert github_oidc_token(url, "request-token") == "github-oidc-1"
    assert issued[0]["audience"] == "api://AzureADTokenExchange"


def test_under_actions_the_az_cli_is_signed_in_anew_and_holds_the_databricks_provider_s_tokens(github) -> None:
    url, issued = github
    ran: list[list[str]] = []

    def az(args):
        ran.append(list(args))
        return subprocess.CompletedProcess(args, 0, "", "")

    env = actions_env(url, ARM_SUBSCRIPTION_ID="00000000-0000-4000-8000-0000000000aa")
    assert renew_az_cli(env, az) is True
    assert ran[0] == ["az", "login", "--service-principal", "--username", CLIENT, "--tenant", TENANT,
                      "--federated-token", "github-oidc-1", "--output", "none"]  # fmt: skip
    assert ran[1] == ["az", "account", "set", "--subscription", "00000000-0000-4000-8000-0000000000aa"]
    resources = [args[args.index("--resource") + 1] for args in ran[2:]]
    assert resources == ["2ff814a6-3304-4ab8-85cb-cd0e6f879c1d", "https://management.core.windows.net/"]
    assert len(issued) == 1
    assert renew_az_cli({}, az) is False and len(ran) == 4  # outside Actions: az login is the person's


def test_a_refused_az_login_is_one_sign_in_error_without_the_token(github) -> None:
    url, _ = github

    def az(args):
        return subprocess.CompletedProcess(args, 1, "", "AADSTS700213: No matching federated identity record found")

    with pytest.raises(SignInError) as caught:
        renew_az_cli(actions_env(url, ARM_SUBSCRIPTION_ID="sub"), az)
    assert "AADSTS700213" in str(caught.value) and "github-oidc-1" not in str(caught.value)
    assert "\n" not in str(caught.value)
