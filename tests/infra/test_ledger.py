"""The ledger's infrastructure: network, database, proxy, connect grants and migrations at deploy time.

Two layouts: a stack with a network and server of its own (prod; dev with ``sharedNetwork: false``),
and stacks that share the account stack's network and server (dev by default, every preview), each
with its own database and login role in it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from chalice.app import Chalice

import app as runtime_app
from chalicelib.core.declarations import Database, Manifest, uses
from chalicelib.resources import MANIFEST
from stacks import package as package_module
from stacks.account import _retain
from stacks.appgraph import AppGraphError, plan_app
from stacks.database import shared_database_name
from stacks.migrations import migrator_name, scripts_folder, scripts_hash
from stacks.mocks import RecordedResource, Rendering, account_outputs, render
from stacks.network import THROUGH_NAT, endpoint_services, subnet_cidrs
from stacks.settings import SettingsError, StackSettings
from tests.infra import fixture_app
from tests.infra.conftest import FUNCTION, ROLE_POLICY, arn_of, function_named, policy_of

INSTANCE = "aws:rds/instance:Instance"
PROXY = "aws:rds/proxy:Proxy"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
INVOCATION = "aws:lambda/invocation:Invocation"
SECRET = "aws:secretsmanager/secret:Secret"
DATABASE_ENV = {"DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_SECRET_ARN"}
ALL = ["dev", "prod", "preview", "fixture_dev", "fixture_prod", "fixture_preview", "dev_own"]
OWN = ["prod", "fixture_prod", "dev_own"]  # a network and server of their own, behind RDS Proxy
SHARED = ["dev", "preview", "fixture_dev", "fixture_preview"]  # the account stack's network and server
SERVERS = [*OWN, "account"]  # every rendering that creates a database server


@pytest.fixture(scope="module")
def dev_own() -> Rendering:
    return render("dev", {"sharedNetwork": False})


@pytest.fixture(scope="module")
def account() -> Rendering:
    return render("account-us-east-1")


def _shared(rendering: Rendering) -> dict[str, Any]:
    """What the account stack exports, as the stack's StackReference reads it."""
    [reference] = rendering.of_type("pulumi:pulumi:StackReference")
    outputs: dict[str, Any] = reference.outputs["outputs"]
    return outputs


def _app_of(stack: str) -> tuple[Chalice, Manifest]:
    return (fixture_app.app, fixture_app.MANIFEST) if stack.startswith("fixture") else (runtime_app.app, MANIFEST)


def _secret(instance: RecordedResource) -> str:
    arn: str = instance.outputs["masterUserSecrets"][0]["secretArn"]
    return arn


def _group_id(rendering: Rendering, logical: str) -> str:
    group_id: str = rendering.named(f"social-{rendering.stack}-{logical}-sg").outputs["id"]
    return group_id


@pytest.mark.parametrize("stack", SERVERS)
def test_each_database_server_is_encrypted_private_ssl_only_and_backed_up(
        stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    [instance] = rendering.of_type(INSTANCE)
    private = {s.outputs["id"] for s in rendering.of_type("aws:ec2/subnet:Subnet")
               if s.inputs["tags"]["tier"] == "private"}
    inputs = instance.inputs
    assert inputs["engine"] == "postgres" and inputs["engineVersion"].split(".")[0] in ("15", "16")
    assert inputs["storageEncrypted"] is True and inputs["publiclyAccessible"] is False
    assert inputs["manageMasterUserPassword"] is True and "password" not in inputs
    assert inputs["autoMinorVersionUpgrade"] is True
    assert set(inputs["enabledCloudwatchLogsExports"]) >= {"postgresql"}
    assert inputs["vpcSecurityGroupIds"] == [_group_id(rendering, "database")]
    [subnet_group] = [g for g in rendering.of_type("aws:rds/subnetGroup:SubnetGroup")
                      if g.inputs["name"] == inputs["dbSubnetGroupName"]]
    assert set(subnet_group.inputs["subnetIds"]) == private and len(private) >= 2
    [parameters] = [p for p in rendering.of_type("aws:rds/parameterGroup:ParameterGroup")
                    if p.inputs["name"] == inputs["parameterGroupName"]]
    assert {"name": "rds.force_ssl", "value": "1"} in [
        {k: p[k] for k in ("name", "value")} for p in parameters.inputs["parameters"]]
    expected_days = {"prod": 14, "dev": 3}.get(rendering.stack, 1)
    assert inputs["backupRetentionPeriod"] == expected_days
    # Its logs expire like every other log of the stack.
    for export in inputs["enabledCloudwatchLogsExports"]:
        rendering.named(f"{instance.name}-{export}-logs")


def test_prod_is_multi_az_protected_and_keeps_a_final_snapshot(prod: Rendering, dev_own: Rendering) -> None:
    [instance] = prod.of_type(INSTANCE)
    inputs = instance.inputs
    assert (inputs["multiAz"], inputs["deletionProtection"], inputs["skipFinalSnapshot"]) == (True, True, False)
    assert inputs["finalSnapshotIdentifier"] == "social-prod-ledger-db-final"
    assert inputs["performanceInsightsEnabled"] is True
    [dev_instance] = dev_own.of_type(INSTANCE)
    assert (dev_instance.inputs["deletionProtection"], dev_instance.inputs["skipFinalSnapshot"]) == (False, True)


@pytest.mark.parametrize("stack", SHARED)
def test_shared_stacks_create_no_network_endpoint_or_database_server(stack: str,
                                                                     request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    assert not [r.type for r in rendering.custom if r.type.startswith(("aws:ec2/", "aws:rds/", "aws:vpc/"))]
    [reference] = rendering.of_type("pulumi:pulumi:StackReference")
    assert reference.inputs["name"] == "organization/social/account-us-east-1"


def test_a_preview_shares_whatever_its_config_says() -> None:
    rendering = render("preview-nat", {"natGateways": 2, "sharedNetwork": False, "dbInstanceClass": "db.r6g.large"})
    assert not [r for r in rendering.custom if r.type.startswith(("aws:ec2/", "aws:rds/"))]


def test_the_shared_server_is_small_has_no_proxy_and_admits_only_the_functions(account: Rendering) -> None:
    [instance] = account.of_type(INSTANCE)
    inputs = instance.inputs
    assert inputs["instanceClass"] == "db.t4g.micro" and inputs["multiAz"] is False
    assert account.of_type(PROXY) == []
    # (the shared search domain's group has its own rule: tests/infra/test_search_infra.py)
    [rule] = [r.inputs for r in account.of_type(INGRESS) if r.inputs["securityGroupId"] != _group_id(account, "search")]
    assert (rule["securityGroupId"], rule["referencedSecurityGroupId"], rule["fromPort"]) == (
        _group_id(account, "database"), _group_id(account, "functions"), 5432)
    # One NAT gateway: route functions in the shared network fetch the user pool's JWKS through it.
    assert len(account.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert {e.inputs["vpcEndpointType"] for e in account.of_type(ENDPOINT)} == {"Gateway"}
    assert account.of_type("aws:apigateway/account:Account") and account.of_type(
        "aws:sesv2/emailIdentity:EmailIdentity")
    assert set(account.exports) >= {"network", "database", "mail", "apiGatewayAccount"}
    assert account.exports["database"]["adminSecretArn"] == _secret(instance)


def test_account_resources_outlive_a_destroy() -> None:
    import pulumi

    result = _retain(pulumi.ResourceTransformationArgs(
        resource=None, type_="aws:ec2/vpc:Vpc", name="v", props={}, opts=pulumi.ResourceOptions()))  # type: ignore[arg-type]
    assert result is not None and result.opts is not None and result.opts.retain_on_delete is True


def test_the_mock_account_outputs_match_what_the_account_stack_exports(account: Rendering) -> None:
    mocked = account_outputs("organization/social/account-us-east-1", "us-east-1", "123456789012")
    for group in ("network", "database", "mail"):
        assert set(mocked[group]) == set(account.exports[group]), group


@pytest.mark.parametrize("stack", OWN)
def test_the_proxy_requires_tls_and_authenticates_with_the_managed_secret(stack: str,
                                                                          request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    [instance] = rendering.of_type(INSTANCE)
    [proxy] = rendering.of_type(PROXY)
    assert proxy.inputs["requireTls"] is True and proxy.inputs["engineFamily"] == "POSTGRESQL"
    [auth] = proxy.inputs["auths"]
    assert (auth["authScheme"], auth["secretArn"], auth["iamAuth"]) == ("SECRETS", _secret(instance), "DISABLED")
    assert proxy.inputs["vpcSecurityGroupIds"] == [_group_id(rendering, "proxy")]
    [target] = rendering.of_type("aws:rds/proxyTarget:ProxyTarget")
    assert target.inputs["dbInstanceIdentifier"] == instance.outputs["identifier"]
    assert target.inputs["dbProxyName"] == proxy.outputs["name"]
    [pool] = rendering.of_type("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup")
    assert 0 < pool.inputs["connectionPoolConfig"]["maxConnectionsPercent"] <= 100


@pytest.mark.parametrize("stack", OWN)
def test_the_database_path_is_functions_to_proxy_to_database_on_5432_only(stack: str,
                                                                         request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    functions, proxy, database = (_group_id(rendering, g) for g in ("functions", "proxy", "database"))
    ingress: dict[str, list[dict[str, Any]]] = {}
    for recorded in rendering.of_type(INGRESS):
        ingress.setdefault(recorded.inputs["securityGroupId"], []).append(recorded.inputs)
    assert functions not in ingress, "nothing may connect to the functions"
    for group_id, source in ((proxy, functions), (database, proxy)):
        [rule] = ingress[group_id]
        assert (rule["referencedSecurityGroupId"], rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (
            source, 5432, 5432, "tcp")
        assert "cidrIpv4" not in rule and "cidrIpv6" not in rule
    # No inline rules anywhere: the provider then strips AWS's default allow-all egress.
    for group in rendering.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert "ingress" not in group.inputs and "egress" not in group.inputs


def _where(rendering: Rendering, stack: str) -> dict[str, Any]:
    """The subnets, security group, host, database name and secret a connect-granted function must get."""
    if rendering.of_type(INSTANCE):
        [instance] = rendering.of_type(INSTANCE)
        [proxy] = rendering.of_type(PROXY)
        private = {s.outputs["id"] for s in rendering.of_type("aws:ec2/subnet:Subnet")
                   if s.inputs["tags"]["tier"] == "private"}
        return {"subnets": private, "group": _group_id(rendering, "functions"), "host": proxy.outputs["endpoint"],
                "name": instance.inputs["dbName"], "secret": _secret(instance)}
    shared = _shared(rendering)
    [own_secret] = [s for s in rendering.of_type(SECRET) if s.name.endswith("-db-secret")]
    [database] = _app_of(stack)[1].databases
    return {"subnets": set(shared["network"]["privateSubnetIds"]),
            "group": shared["network"]["functionsSecurityGroupId"], "host": shared["database"]["host"],
            "name": shared_database_name(database, rendering.stack), "secret": own_secret.outputs["arn"]}


@pytest.mark.parametrize("stack", ALL)
def test_exactly_the_connect_or_search_granted_functions_run_in_the_vpc_and_only_connecting_ones_get_the_database(
        stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    app, manifest = _app_of(stack)
    functions = plan_app(app, manifest).functions
    connecting = {function_named(rendering, f.name).inputs["name"] for f in functions if f.resources("database")}
    searching = {function_named(rendering, f.name).inputs["name"] for f in functions if f.resources("search")}
    where = _where(rendering, stack)
    in_vpc = set()
    for function in rendering.of_type(FUNCTION):
        variables = function.inputs["environment"]["variables"]
        if function.inputs["name"] not in connecting:
            assert not DATABASE_ENV & set(variables), function.name
        if "vpcConfig" not in function.inputs:
            continue
        in_vpc.add(function.inputs["name"])
        config = function.inputs["vpcConfig"]
        assert set(config["subnetIds"]) == where["subnets"]
        assert config["securityGroupIds"] == [where["group"]]
        if function.inputs["name"] in connecting:
            assert {k: variables[k] for k in DATABASE_ENV} == {
                "DATABASE_HOST": where["host"], "DATABASE_PORT": "5432",
                "DATABASE_NAME": where["name"], "DATABASE_SECRET_ARN": where["secret"]}
    assert in_vpc == connecting | searching
    assert connecting, "the app has no function that connects to its database"


def _readers(rendering: Rendering, secret: str) -> set[str]:
    """The roles whose policies may read ``secret`` (and only GetSecretValue, on exactly it)."""
    readers = set()
    for policy in rendering.of_type(ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            if secret in statement["Resource"] or ("*" in statement["Resource"] and any(
                    a.startswith("secretsmanager:") for a in statement["Action"])):
                assert statement["Action"] == ["secretsmanager:GetSecretValue"], statement
                assert statement["Resource"] == [secret], statement
                readers.add(policy.inputs["role"])
    return readers


@pytest.mark.parametrize("stack", ALL)
def test_the_secret_is_readable_only_by_connect_granted_functions_and_the_proxy(
        stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    app, manifest = _app_of(stack)
    [database] = manifest.databases
    plan = plan_app(app, manifest)
    connecting = {f.name for f in plan.functions if f.resources("database")}
    roles = {function_named(rendering, name).inputs["role"].rsplit("/", 1)[-1] for name in connecting}
    secret = _where(rendering, stack)["secret"]
    if stack in OWN:
        proxy_role = next(r for r in rendering.of_type("aws:iam/role:Role") if "-proxy-role-" in r.inputs["name"])
        assert _readers(rendering, secret) == roles | {proxy_role.outputs["id"]}
        [proxy] = rendering.of_type(PROXY)
        assert proxy.inputs["roleArn"] == proxy_role.outputs["arn"]
        assume = json.loads(proxy_role.inputs["assumeRolePolicy"])["Statement"]
        assert [s["Principal"] for s in assume] == [{"Service": "rds.amazonaws.com"}]
        return
    assert _readers(rendering, secret) == roles
    # The shared server's master secret: the migrate function alone, to create and drop the stack's database.
    admin = _shared(rendering)["database"]["adminSecretArn"]
    migrate = function_named(rendering, migrator_name(database))
    assert _readers(rendering, admin) == {migrate.inputs["role"].rsplit("/", 1)[-1]}
    assert migrate.inputs["environment"]["variables"]["DATABASE_ADMIN_SECRET_ARN"] == admin
    others = [f for f in rendering.of_type(FUNCTION) if f.name != migrate.name]
    assert all("DATABASE_ADMIN_SECRET_ARN" not in f.inputs["environment"]["variables"] for f in others)


@pytest.mark.parametrize("stack", ["prod", "fixture_prod"])
def test_private_endpoints_are_exactly_what_the_vpc_functions_call(stack: str,
                                                                   request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    app, manifest = _app_of(stack)
    endpoints = {e.inputs["serviceName"].rsplit(".", 1)[-1]: e.inputs for e in rendering.of_type(ENDPOINT)}
    tables = {t.outputs["id"] for t in rendering.of_type("aws:ec2/routeTable:RouteTable")
              if t.inputs["tags"]["tier"] == "private"}
    for service in ("dynamodb", "s3"):
        assert endpoints[service]["vpcEndpointType"] == "Gateway"
        assert set(endpoints[service]["routeTableIds"]) == tables
    in_vpc = [f for f in plan_app(app, manifest).functions if f.resources("database")]
    called = set(endpoint_services([g for f in in_vpc for g in f.grants], tracing=True,
                                   verifies_tokens=any(f.trigger.kind == "api" for f in in_vpc)))
    # With NAT, cognito-idp's private DNS would capture the JWKS requests too, and X-Ray's segments and
    # the outbox's events (the real ledger publishes to domain-events) are cheaper through NAT.
    assert {"xray", "sns"} <= called if stack == "prod" else "xray" in called
    expected = called - THROUGH_NAT
    assert expected == {"secretsmanager"}
    assert {s for s, e in endpoints.items() if e["vpcEndpointType"] == "Interface"} == expected
    # The ledger's consumer only consumes its queue (Lambda's pollers do that, outside the VPC): no sqs.
    assert "secretsmanager" in expected and not {"sts", "monitoring", "sqs"} & expected
    for service in expected:
        assert endpoints[service]["privateDnsEnabled"] is True
        assert endpoints[service]["securityGroupIds"] == [_group_id(rendering, "endpoints")]


def test_without_nat_the_endpoints_carry_everything_the_functions_call() -> None:
    rendering = render("dev", {"sharedNetwork": False, "natGateways": 0})
    interfaces = {e.inputs["serviceName"].rsplit(".", 1)[-1] for e in rendering.of_type(ENDPOINT)
                  if e.inputs["vpcEndpointType"] == "Interface"}
    in_vpc = [f for f in plan_app(runtime_app.app, MANIFEST).functions if f.resources("database")]
    assert interfaces == set(endpoint_services([g for f in in_vpc for g in f.grants], tracing=True,
                                               verifies_tokens=any(f.trigger.kind == "api" for f in in_vpc)))
    assert rendering.of_type("aws:ec2/natGateway:NatGateway") == []


def test_with_nat_and_no_private_endpoints_there_are_only_the_free_gateway_endpoints(dev_own: Rendering) -> None:
    assert {e.inputs["vpcEndpointType"] for e in dev_own.of_type(ENDPOINT)} == {"Gateway"}
    assert len(dev_own.of_type("aws:ec2/natGateway:NatGateway")) == 1


def test_nat_gateways_per_environment(prod: Rendering) -> None:
    nats = prod.of_type("aws:ec2/natGateway:NatGateway")
    private = [s for s in prod.of_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["tier"] == "private"]
    assert len(nats) == len(private) == 2  # one per AZ
    assert len({s.inputs["availabilityZone"] for s in private}) == 2
    routes = [r for r in prod.of_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert {r.inputs["natGatewayId"] for r in routes} == {n.outputs["id"] for n in nats}


@pytest.mark.parametrize("stack", ALL)
def test_the_migration_invokes_the_migrate_function_with_the_scripts_hash(stack: str,
                                                                         request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    _, manifest = _app_of(stack)
    [database] = manifest.databases
    invocations = {i.name.rsplit("-", 1)[-1]: i for i in rendering.of_type(INVOCATION)}
    migrate = function_named(rendering, migrator_name(database))
    migration = invocations["migrate"]
    assert migration.inputs["functionName"] == migrate.outputs["name"]
    assert migration.inputs["triggers"] == {"scripts": scripts_hash(scripts_folder(database))}
    assert migration.inputs.get("lifecycleScope", "CREATE_ONLY") == "CREATE_ONLY"
    if stack in OWN:
        assert set(invocations) == {"migrate"}
    else:
        # The stack's own database in the shared server: created with the stack, dropped on destroy.
        lifecycle = invocations["database"]
        assert lifecycle.inputs["lifecycleScope"] == "CRUD" and "triggers" not in lifecycle.inputs
        assert json.loads(lifecycle.inputs["input"]) == {"action": "database", "database": database.name}
    # The migrator runs longer than a route may, in the VPC like every connect-granted function.
    assert migrate.inputs["timeout"] == StackSettings(stack="dev", environment="dev").migration_timeout_seconds == 900
    assert "vpcConfig" in migrate.inputs


def test_the_scripts_hash_changes_with_any_script_and_ignores_caches(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(scripts_folder(fixture_app.VAULT), folder)
    original = scripts_hash(folder)
    assert original == scripts_hash(scripts_folder(fixture_app.VAULT))  # names and contents, not locations
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "env.cpython-311.pyc").write_bytes(b"\0")
    assert scripts_hash(folder) == original
    revision = folder / "versions" / "0001_vault.py"
    revision.write_text(revision.read_text() + "# edited\n")
    edited = scripts_hash(folder)
    assert edited != original
    (folder / "versions" / "0002_more.py").write_text("revision = '0002'\n")
    assert scripts_hash(folder) not in (original, edited)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        scripts_hash(tmp_path / "nowhere")


def test_changed_scripts_re_run_the_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              fixture_dev: Rendering) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(scripts_folder(fixture_app.VAULT), folder)
    (folder / "versions" / "0002_more.py").write_text("revision = '0002'\ndown_revision = '0001'\n")
    monkeypatch.setattr(package_module, "scripts_folder", lambda database, runtime=None: folder)
    rendering = render("dev", app=fixture_app.app, manifest=fixture_app.MANIFEST)
    [before] = [i for i in fixture_dev.of_type(INVOCATION) if i.name.endswith("-migrate")]
    [after] = [i for i in rendering.of_type(INVOCATION) if i.name.endswith("-migrate")]
    # A changed trigger replaces the invocation, and replacing it invokes the function again.
    assert after.inputs["triggers"] != before.inputs["triggers"]
    assert after.inputs["triggers"] == {"scripts": scripts_hash(folder)}


VAULT = Database("vault", migrations="../tests/infra/fixture_migrations")


def _vault_app(migrator: str | None, grant: bool) -> Chalice:
    app = Chalice(app_name="vaulted")

    @app.route("/balance")
    @uses(VAULT.connect())
    def balance() -> dict[str, Any]:
        return {}

    if migrator is not None:
        def migrate(event: Any, context: Any) -> dict[str, Any]:
            return {}

        app.lambda_function(name=migrator)(uses(VAULT.connect())(migrate) if grant else migrate)
    return app


def test_a_database_without_its_migrate_function_warns_and_is_not_migrated() -> None:
    rendering = render("dev", app=_vault_app(None, grant=False), manifest=Manifest(databases=(VAULT,)))
    assert any("migrate_vault" in warning for warning in rendering.warnings)
    assert rendering.of_type(INVOCATION) == []  # nothing creates its database in the shared server either
    [function] = rendering.of_type(FUNCTION)
    assert "vpcConfig" in function.inputs


def test_a_migrate_function_without_the_connect_grant_is_refused() -> None:
    with pytest.raises(Exception, match="lacks its grant"):
        render("dev", app=_vault_app("migrate_vault", grant=False), manifest=Manifest(databases=(VAULT,)))


def test_a_stack_without_databases_has_no_network() -> None:
    app = Chalice(app_name="plain")

    @app.route("/")
    def index() -> dict[str, Any]:
        return {}

    rendering = render("dev", app=app, manifest=Manifest())
    assert not [r for r in rendering.custom if r.type.startswith(("aws:ec2/", "aws:rds/", "aws:vpc/"))]
    [function] = rendering.of_type(FUNCTION)
    assert "vpcConfig" not in function.inputs


def test_network_settings_are_validated() -> None:
    with pytest.raises(SettingsError, match="natGateways"):
        StackSettings(stack="dev", environment="dev", nat_gateways=3)
    with pytest.raises(SettingsError, match="availabilityZones"):
        StackSettings(stack="dev", environment="dev", availability_zones=1)
    with pytest.raises(SettingsError, match="dbBackupRetentionDays"):
        StackSettings(stack="dev", environment="dev", db_backup_retention_days=0)
    with pytest.raises(SettingsError, match="dbEngineVersion"):
        StackSettings(stack="dev", environment="dev", db_engine_version="14")
    private, public = subnet_cidrs("10.40.0.0/16", 3)
    assert private == ["10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"]
    assert not {*private} & {*public}


def test_a_function_connecting_to_two_databases_is_refused() -> None:
    other = Database("other")
    app = Chalice(app_name="greedy")

    @app.route("/")
    @uses(VAULT.connect(), other.connect())
    def index() -> dict[str, Any]:
        return {}

    with pytest.raises(AppGraphError, match="connects to databases"):
        render("dev", app=app, manifest=Manifest(databases=(VAULT, other)))


def test_a_ledger_that_does_not_reconcile_raises_an_alarm(dev: Rendering) -> None:
    [alarm] = [a for a in dev.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
               if a.inputs.get("namespace") == "Social/Ledger"]
    assert alarm.inputs["metricName"] == "LedgerMismatches"
    assert alarm.inputs["dimensions"] == {"Stage": "dev"}  # the STAGE the functions are given
    assert alarm.inputs["threshold"] == 0 and alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"


# The functions that write the ledger record events in its outbox and publish them after commit; the relay
# publishes what they leave. Each must be allowed to publish to domain-events from inside the VPC.
LEDGER_PUBLISHERS = ("api_ledger", "award_coins", "weekly_bonus", "relay_ledger_events")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_functions_that_write_the_ledger_may_publish_its_events(stack: str,
                                                                   request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    topic = arn_of(rendering.named(f"social-{stack}-domain-events-topic"))
    for logical in LEDGER_PUBLISHERS:
        function = function_named(rendering, logical)
        assert "vpcConfig" in function.inputs, logical
        statements = policy_of(rendering, function)["Statement"]
        granted = {a for s in statements if topic in s["Resource"] for a in s["Action"]}
        assert granted == {"sns:Publish"}, logical  # PublishBatch is authorised as sns:Publish
    for logical in ("reconcile_ledger", "migrate_ledger"):  # they write no events
        statements = policy_of(rendering, function_named(rendering, logical))["Statement"]
        assert not any(topic in s["Resource"] for s in statements), logical
    [rule] = [r for r in rendering.of_type("aws:cloudwatch/eventRule:EventRule")
              if r.name == f"social-{stack}-relay-ledger-events-rule"]
    assert rule.inputs["scheduleExpression"] == "rate(1 minute)"
