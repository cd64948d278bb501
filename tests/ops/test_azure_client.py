"""The Azure client layer's own seam: the SDK clients replaced by fakes that raise what the Azure SDKs raise,
to show each becomes one of the layer's errors with a message an operator can act on; and the Pulumi CLI
wrapper with a fake process runner."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from insights.ops.azure import (
    AzureOpsError,
    AzureSdkClient,
    BusyError,
    FactoryRef,
    PermissionDeniedError,
    SignInError,
)
from insights.ops.pulumi_cli import Completed, PulumiCli, PulumiError, PulumiMissingError

FACTORY = FactoryRef("sub-1", "rg-cip-dev-abcde", "adf-cip-dev-abcde")


def http_error(status: int, code: str, message: str) -> HttpResponseError:
    error = HttpResponseError(message=message)
    error.status_code = status
    error.error = SimpleNamespace(code=code)
    return error


class Poller:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def result(self) -> None:
        if self.error:
            raise self.error


class FakeTriggers:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.stop_error: Exception | None = None
        self.start_error: Exception | None = None
        self.missing = False

    def get(self, rg: str, factory: str, name: str):
        self.calls.append(("get", rg, factory, name))
        if self.missing:
            raise ResourceNotFoundError(message=f"Trigger {name} not found")
        return SimpleNamespace(properties=SimpleNamespace(runtime_state="Started"))

    def begin_stop(self, rg: str, factory: str, name: str) -> Poller:
        self.calls.append(("begin_stop", rg, factory, name))
        return Poller(self.stop_error)

    def begin_start(self, rg: str, factory: str, name: str) -> Poller:
        self.calls.append(("begin_start", rg, factory, name))
        return Poller(self.start_error)


class FakeCredential:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.scopes: list[str] = []

    def get_token(self, scope: str):
        self.scopes.append(scope)
        if self.error:
            raise self.error
        return SimpleNamespace(token="eyJ0eXAi")


def client_with(**sdks) -> tuple[AzureSdkClient, list[tuple[str, str]]]:
    built: list[tuple[str, str]] = []

    def sdk(kind: str, subscription: str):
        built.append((kind, subscription))
        return sdks[kind]

    return AzureSdkClient(credential=FakeCredential(), sdk=sdk), built


def test_an_expired_sign_in_becomes_a_sign_in_error() -> None:
    expired = ClientAuthenticationError(message="AADSTS700082: The refresh token has expired due to inactivity.")
    client = AzureSdkClient(credential=FakeCredential(expired), sdk=lambda kind, sub: None)
    with pytest.raises(SignInError) as error:
        client.check_sign_in()
    assert str(error.value).startswith("checking the Azure sign-in: the Azure sign-in is missing or expired")
    assert "AADSTS700082" in str(error.value) and "az login" in str(error.value)


def test_a_missing_permission_names_the_role_needed() -> None:
    triggers = FakeTriggers()
    triggers.stop_error = http_error(
        403, "AuthorizationFailed", "The client 'ops-bot' does not have authorization to perform action"
    )
    client, _ = client_with(datafactory=SimpleNamespace(triggers=triggers))
    with pytest.raises(PermissionDeniedError) as error:
        client.stop_trigger(FACTORY, "tr_daily")
    message = str(error.value)
    assert message.startswith("stopping trigger tr_daily: the signed-in identity lacks permission (AuthorizationFailed")
    assert message.endswith("It needs Data Factory Contributor on the factory.")
    assert triggers.calls == [("begin_stop", "rg-cip-dev-abcde", "adf-cip-dev-abcde", "tr_daily")]


def test_a_401_is_a_sign_in_problem_not_a_permission_one() -> None:
    triggers = FakeTriggers()
    triggers.start_error = http_error(401, "ExpiredAuthenticationToken", "The access token expiry has passed")
    client, _ = client_with(datafactory=SimpleNamespace(triggers=triggers))
    with pytest.raises(SignInError):
        client.start_trigger(FACTORY, "tr_daily")


def test_the_provisioning_race_is_a_busy_error() -> None:
    triggers = FakeTriggers()
    triggers.start_error = http_error(400, "BadRequest", "Trigger tr_daily is in Provisioning state, retry later")
    client, _ = client_with(datafactory=SimpleNamespace(triggers=triggers))
    with pytest.raises(BusyError):
        client.start_trigger(FACTORY, "tr_daily")


def test_a_missing_trigger_has_no_state() -> None:
    triggers = FakeTriggers()
    client, built = client_with(datafactory=SimpleNamespace(triggers=triggers))
    assert client.trigger_state(FACTORY, "tr_daily") == "Started"
    triggers.missing = True
    assert client.trigger_state(FACTORY, "tr_daily") is None
    assert built == [("datafactory", "sub-1")]  # one SDK client per subscription, reused


def test_provider_states_and_the_vault_purge_reach_the_sdk() -> None:
    providers = SimpleNamespace(
        get=lambda namespace: SimpleNamespace(
            registration_state="Registered" if namespace != "Microsoft.Synapse" else "NotRegistered"
        )
    )
    purged: list[tuple] = []
    vaults = SimpleNamespace(
        get_deleted=lambda name, location: SimpleNamespace(name=name),
        begin_purge_deleted=lambda name, location: purged.append((name, location)) or Poller(),
    )
    client, _ = client_with(resources=SimpleNamespace(providers=providers), keyvault=SimpleNamespace(vaults=vaults))
    assert client.provider_states("sub-1", ["Microsoft.Storage", "Microsoft.Synapse"]) == {
        "Microsoft.Storage": "Registered",
        "Microsoft.Synapse": "NotRegistered",
    }
    assert client.deleted_vault_exists("sub-1", "kv-cip-dev-abcde", "westeurope") is True
    client.purge_deleted_vault("sub-1", "kv-cip-dev-abcde", "westeurope")
    assert purged == [("kv-cip-dev-abcde", "westeurope")]


def test_a_vault_not_yet_listed_as_deleted() -> None:
    def get_deleted(name: str, location: str):
        raise ResourceNotFoundError(message="Vault not found")

    client, _ = client_with(keyvault=SimpleNamespace(vaults=SimpleNamespace(get_deleted=get_deleted)))
    assert client.deleted_vault_exists("sub-1", "kv-x", "westeurope") is False


# --- the Pulumi CLI wrapper --------------------------------------------------------------------


def test_without_the_cli_every_command_says_how_to_get_it() -> None:
    cli = PulumiCli(runner=lambda *a: Completed(0), which=lambda name: None, env={})
    with pytest.raises(PulumiMissingError) as error:
        cli.outputs("dev")
    assert "the Pulumi CLI is not installed (no `pulumi` on the PATH)" in str(error.value)


def test_outputs_of_a_stack_that_does_not_exist() -> None:
    cli = PulumiCli(
        runner=lambda args, capture, env: Completed(255, "", "error: no stack named 'qa' found"),
        which=lambda name: "/usr/bin/pulumi",
        env={},
    )
    with pytest.raises(PulumiError) as error:
        cli.outputs("qa")
    assert "stack 'qa' does not exist in this Pulumi backend: create it once with `pulumi stack init qa`" in str(
        error.value
    )


def test_commands_run_non_interactive_in_the_given_environment() -> None:
    seen: list[tuple] = []

    def runner(args, capture, env):
        seen.append((list(args), capture, env.get("ARM_SUBSCRIPTION_ID"), env.get("PULUMI_SKIP_UPDATE_CHECK")))
        return Completed(0, '{"factoryName": "adf"}')

    cli = PulumiCli(runner=runner, which=lambda name: "/usr/bin/pulumi", env={})
    cli.set_env(ARM_SUBSCRIPTION_ID="sub-1")
    assert cli.outputs("dev") == {"factoryName": "adf"}
    cli.destroy("dev")
    assert seen == [
        (["pulumi", "stack", "output", "--json", "--stack", "dev", "--non-interactive"], True, "sub-1", "true"),
        (["pulumi", "destroy", "--stack", "dev", "--yes", "--non-interactive"], False, "sub-1", "true"),
    ]


def test_the_smoke_query_signs_in_to_the_serverless_endpoint_with_an_entra_token(monkeypatch) -> None:
    import mssql_python

    server = "syn-cip-dev-abcde-ondemand.sql.azuresynapse.net"
    executed: list[str] = []
    cursor = SimpleNamespace(execute=executed.append, fetchall=lambda: [("row",)])
    opened: list[tuple] = []

    def connect(*args, **kwargs):
        opened.append((args, kwargs))
        return SimpleNamespace(cursor=lambda: cursor, close=lambda: None)

    monkeypatch.setattr(mssql_python, "connect", connect)
    credential = FakeCredential()
    client = AzureSdkClient(credential=credential, sdk=lambda kind, sub: None)
    assert client.query(server, "insights", "SELECT 1") == [("row",)]
    [(args, kwargs)] = opened
    assert args[0] == f"Server=tcp:{server},1433;Database={{insights}};Encrypt=yes;TrustServerCertificate=no;"
    raw = "eyJ0eXAi".encode("utf-16-le")
    assert kwargs == {"autocommit": True, "attrs_before": {1256: len(raw).to_bytes(4, "little") + raw}}
    assert credential.scopes == ["https://database.windows.net/.default"]
    assert executed == ["SELECT 1"]

    monkeypatch.setattr(mssql_python, "connect", lambda *a, **kw: (_ for _ in ()).throw(RuntimeError("login failed")))
    with pytest.raises(AzureOpsError, match=r"connecting to .*/insights: login failed .*firewallRules"):
        client.query(server, "insights", "SELECT 1")
