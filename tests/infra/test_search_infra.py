"""The search domain under mocks: security settings, access policy, VPC placement, sharing, sizes and grants.

An app of its own declares the search domain (a route that searches, a stream handler that
indexes, a schedule that does neither): prod builds a domain of its own inside its network; dev
and previews use the account stack's (one per account and region), each with its own index
prefix, and never create one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import Chalice, Rate
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.declarations import Manifest, SearchDomain, Table, aws_region, uses
from stacks.appgraph import plan_app
from stacks.mocks import Rendering, account_outputs, render
from stacks.policies import SEARCH_INDEX, SEARCH_QUERY
from stacks.search import TLS_POLICY, access_policy
from stacks.settings import SettingsError, StackSettings
from tests.infra.conftest import FUNCTION, PREVIEW, arn_of, function_named, policy_of

DOMAIN = "aws:opensearch/domain:Domain"
DOMAIN_POLICY = "aws:opensearch/domainPolicy:DomainPolicy"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


class NoteModel(Model):
    class Meta:
        logical_name = "notes"
        table_name = "notes"
        region = aws_region()

    note_id = UnicodeAttribute(hash_key=True)


NOTES = Table.of(NoteModel, stream="NEW_AND_OLD_IMAGES")
SEARCH = SearchDomain("search")
MANIFEST = Manifest(tables=(NOTES,), search=SEARCH)
app = Chalice(app_name="searchy")


@app.route("/search", methods=["GET"])
@uses(SEARCH.search(), NOTES.read())
def search_notes() -> dict[str, Any]:
    return {}


@app.route("/notes", methods=["GET"])
@uses(NOTES.read())
def list_notes() -> dict[str, Any]:
    return {}


@app.on_dynamodb_record(stream_arn="notes", batch_size=100, starting_position="TRIM_HORIZON")
@uses(SEARCH.index())
def index_notes(event: Any) -> None:
    pass


@app.schedule(Rate(1, unit=Rate.HOURS))
@uses(NOTES.read())
def tidy(event: Any) -> None:
    pass


SEARCHING = {"api_search": SEARCH_QUERY, "index_notes": SEARCH_INDEX}
OTHERS = ("api_handler", "tidy")  # no search grant: outside the VPC


@pytest.fixture(scope="module")
def prod() -> Rendering:
    return render("prod", app=app, manifest=MANIFEST)


@pytest.fixture(scope="module")
def dev() -> Rendering:
    return render("dev", app=app, manifest=MANIFEST)


@pytest.fixture(scope="module")
def preview() -> Rendering:
    return render(PREVIEW, app=app, manifest=MANIFEST)


@pytest.fixture(scope="module")
def account() -> Rendering:
    return render("account-us-east-1")


def _domain(rendering: Rendering) -> Any:
    [domain] = rendering.of_type(DOMAIN)
    return domain


@pytest.mark.parametrize("stack", ["prod", "account"])
def test_the_domain_is_encrypted_https_only_with_tls_1_2_and_private(stack: str,
                                                                     request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    inputs = _domain(rendering).inputs
    assert inputs["encryptAtRest"] == {"enabled": True}
    assert inputs["nodeToNodeEncryption"] == {"enabled": True}
    assert inputs["domainEndpointOptions"]["enforceHttps"] is True
    assert inputs["domainEndpointOptions"]["tlsSecurityPolicy"] == TLS_POLICY
    assert TLS_POLICY.startswith("Policy-Min-TLS-1-2")
    assert "accessPolicies" not in inputs  # the policy is its own resource, naming roles made later
    # Inside the VPC: its private subnets and a group of its own, no public endpoint.
    network = _network(rendering)
    assert set(inputs["vpcOptions"]["subnetIds"]) <= network["subnets"]
    [group] = inputs["vpcOptions"]["securityGroupIds"]
    assert group == rendering.named(f"social-{rendering.stack}-search-sg").outputs["id"]


def _network(rendering: Rendering) -> dict[str, Any]:
    """The private subnets and the functions' group of the rendering's own network."""
    subnets = {s.outputs["id"] for s in rendering.of_type("aws:ec2/subnet:Subnet")
               if s.inputs["tags"].get("tier") == "private"}
    group = rendering.named(f"social-{rendering.stack}-functions-sg").outputs["id"]
    return {"subnets": subnets, "group": group}


@pytest.mark.parametrize("stack", ["prod", "account"])
def test_only_the_functions_group_reaches_the_domain_and_only_on_443(stack: str,
                                                                     request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    search_group = rendering.named(f"social-{rendering.stack}-search-sg").outputs["id"]
    functions_group = _network(rendering)["group"]
    into = [r.inputs for r in rendering.of_type(INGRESS) if r.inputs["securityGroupId"] == search_group]
    assert into == [{**into[0], "referencedSecurityGroupId": functions_group, "ipProtocol": "tcp",
                     "fromPort": 443, "toPort": 443}]
    assert "cidrIpv4" not in into[0]
    # and the functions may send to it (their group allows no egress but what is listed)
    out = [r.inputs for r in rendering.of_type(EGRESS) if r.inputs.get("referencedSecurityGroupId") == search_group]
    assert [(o["securityGroupId"], o["fromPort"]) for o in out] == [(functions_group, 443)]


def test_prod_spreads_over_two_zones_with_dedicated_masters(prod: Rendering) -> None:
    cluster = _domain(prod).inputs["clusterConfig"]
    assert cluster["zoneAwarenessEnabled"] is True
    assert cluster["zoneAwarenessConfig"] == {"availabilityZoneCount": 2}
    assert cluster["dedicatedMasterEnabled"] is True and cluster["dedicatedMasterCount"] == 3
    assert cluster["instanceCount"] % 2 == 0
    assert len(_domain(prod).inputs["vpcOptions"]["subnetIds"]) == 2  # one subnet per zone


def test_the_shared_domain_is_one_small_node_without_masters(account: Rendering) -> None:
    domain = _domain(account).inputs
    cluster = domain["clusterConfig"]
    assert cluster["instanceCount"] == 1 and cluster["zoneAwarenessEnabled"] is False
    assert cluster["dedicatedMasterEnabled"] is False and "dedicatedMasterCount" not in cluster
    assert len(domain["vpcOptions"]["subnetIds"]) == 1
    assert account.exports["search"]["endpoint"].startswith("https://")


def test_prod_sizes_come_from_config() -> None:
    rendering = render("prod", {"searchZones": 3, "searchInstanceCount": 3, "searchDedicatedMasters": 5},
                       app=app, manifest=MANIFEST)
    cluster = _domain(rendering).inputs["clusterConfig"]
    assert cluster["zoneAwarenessConfig"] == {"availabilityZoneCount": 3} and cluster["dedicatedMasterCount"] == 5


@pytest.mark.parametrize(("key", "value"), [("searchInstanceCount", 3), ("searchDedicatedMasters", 2),
                                            ("searchZones", 4)])
def test_unbalanced_or_quorumless_search_settings_are_refused(key: str, value: int) -> None:
    values = {"search_zones": 2, "search_instance_count": 2, "search_dedicated_masters": 3}
    name = {"searchInstanceCount": "search_instance_count", "searchDedicatedMasters": "search_dedicated_masters",
            "searchZones": "search_zones"}[key]
    with pytest.raises(SettingsError, match=key):
        StackSettings(stack="dev", environment="dev", **{**values, name: value})  # type: ignore[arg-type]


def test_prods_access_policy_names_exactly_the_searching_functions_roles(prod: Rendering) -> None:
    [policy] = prod.of_type(DOMAIN_POLICY)
    assert policy.inputs["domainName"] == _domain(prod).outputs["domainName"]
    [statement] = json.loads(policy.inputs["accessPolicies"])["Statement"]
    roles = {function_named(prod, name).inputs["role"] for name in SEARCHING}
    assert set(statement["Principal"]["AWS"]) == roles
    assert statement["Resource"] == f"{arn_of(_domain(prod))}/*"
    assert "Condition" not in statement
    assert all(action.startswith("es:ESHttp") for action in statement["Action"])


def test_the_account_stack_creates_opensearchs_service_linked_role_once(account: Rendering, prod: Rendering) -> None:
    [linked] = account.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert linked.inputs["awsServiceName"] == "opensearchservice.amazonaws.com"
    assert prod.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []  # one per account: the account's


def test_the_shared_domain_admits_only_the_accounts_project_roles(account: Rendering) -> None:
    [policy] = account.of_type(DOMAIN_POLICY)
    [statement] = json.loads(policy.inputs["accessPolicies"])["Statement"]
    assert statement["Principal"]["AWS"] == ["arn:aws:iam::123456789012:root"]
    assert statement["Condition"] == {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/social-*"}}


@pytest.mark.parametrize("stack", ["dev", "preview"])
def test_dev_and_previews_use_the_accounts_domain_with_their_own_index_prefix(stack: str,
                                                                               request: pytest.FixtureRequest
                                                                               ) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    assert rendering.of_type(DOMAIN) == [] and rendering.of_type(DOMAIN_POLICY) == []
    assert rendering.of_type("aws:ec2/vpc:Vpc") == []
    shared = account_outputs("organization/social/account-us-east-1", "us-east-1", "123456789012")["search"]
    for name in SEARCHING:
        variables = function_named(rendering, name).inputs["environment"]["variables"]
        assert variables["SEARCH_ENDPOINT"] == shared["endpoint"]
        assert variables["SEARCH_INDEX_PREFIX"] == f"social-{rendering.stack}-"
    assert rendering.exports["searchEndpoint"] == shared["endpoint"]


def test_the_mock_account_outputs_match_what_the_account_stack_exports(account: Rendering) -> None:
    mocked = account_outputs("organization/social/account-us-east-1", "us-east-1", "123456789012")
    assert set(mocked["search"]) == set(account.exports["search"])


@pytest.mark.parametrize("stack", ["prod", "dev", "preview"])
def test_exactly_the_searching_functions_run_in_the_vpc_with_es_grants_on_the_domain(
        stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    domain_arn = (arn_of(_domain(rendering)) if stack == "prod" else
                  account_outputs("organization/social/account-us-east-1", "us-east-1", "123456789012")
                  ["search"]["domainArn"])
    for function in rendering.of_type(FUNCTION):
        logical = next((n for n in (*SEARCHING, *OTHERS) if function_named(rendering, n) is function), None)
        assert logical is not None, function.name
        statements = [s for s in policy_of(rendering, function)["Statement"]
                      if any(a.startswith("es:") for a in s["Action"])]
        if logical not in SEARCHING:
            assert "vpcConfig" not in function.inputs and statements == []
            assert "SEARCH_ENDPOINT" in function.inputs["environment"]["variables"]  # harmless: no grant, no path
            continue
        assert function.inputs["vpcConfig"]["subnetIds"], logical
        [statement] = statements
        assert statement["Resource"] == [f"{domain_arn}/*"]
        assert statement["Action"] == sorted(SEARCHING[logical])
        # Lambda needs the network interface actions to place it in the VPC
        assert any("ec2:CreateNetworkInterface" in s["Action"] for s in policy_of(rendering, function)["Statement"])


def test_search_routes_get_a_function_of_their_own_so_the_rest_of_the_api_stays_outside_the_vpc() -> None:
    plan = plan_app(app, MANIFEST)
    assert plan.route_function("/search", "GET").name == "api_search"
    assert plan.route_function("/notes", "GET").name == "api_handler"
    assert not plan.function("api_handler").resources("search")


def test_the_indexer_may_write_and_the_api_only_read() -> None:
    assert set(SEARCH_QUERY) == {"es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"}
    assert {"es:ESHttpPut", "es:ESHttpDelete"} <= set(SEARCH_INDEX)


def test_the_access_policy_document_is_exact() -> None:
    document = access_policy("arn:aws:es:us-east-1:1:domain/d", ["arn:aws:iam::1:role/b", "arn:aws:iam::1:role/a",
                                                                 "arn:aws:iam::1:role/a"])
    [statement] = document["Statement"]
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"]}
    assert statement["Effect"] == "Allow" and statement["Resource"] == "arn:aws:es:us-east-1:1:domain/d/*"


def test_the_domains_are_priced_by_nodes_masters_and_volumes(prod: Rendering, account: Rendering) -> None:
    from tools.pricing import IDLE, PriceTable, estimate_cost
    from tools.pricing.load import HOURS_PER_MONTH

    prices = PriceTable.load()

    def domain_usd(rendering: Rendering) -> float:
        estimate = estimate_cost(rendering.custom, prices, (IDLE,))
        assert not estimate.unpriced, estimate.unpriced
        return next(item.usd["idle"] for item in estimate.lines if item.kind == "opensearch:Domain")

    hour = {k: prices.prices[f"opensearch_{k}_search_hour"].usd for k in ("t3_small", "t3_medium")}
    gb = prices.prices["opensearch_gp3_storage_gb_month"].usd
    assert domain_usd(account) == pytest.approx(HOURS_PER_MONTH * hour["t3_small"] + 10 * gb)
    # prod at launch (Pulumi.prod.yaml): 2 data nodes in 2 zones, 3 dedicated masters, 20 GB a data node.
    assert domain_usd(prod) == pytest.approx(HOURS_PER_MONTH * (2 * hour["t3_medium"] + 3 * hour["t3_small"])
                                             + 2 * 20 * gb)
