"""Render a stack offline: the real program under Pulumi mocks, every resource recorded.

Usage::

    rendering = render("prod")                                   # reads Pulumi.yaml and Pulumi.prod.yaml
    rendering = render("preview-x", {"lambdaMemoryMb": "256"})   # plus overrides (``social:`` implied)
    rendering = render("dev", app=my_app, manifest=my_manifest)  # any Chalice app
    for resource in rendering.of_type("aws:lambda/function:Function"):
        print(resource.name, resource.inputs["handler"])
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
from chalice.app import Chalice
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, rpc
from yaml import safe_load  # type: ignore[import-untyped]  # PyYAML ships no stubs here

from chalicelib.core.declarations import Manifest
from stacks.account import Account
from stacks.settings import PROJECT

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "123456789012"
# AWS's managed cache policy, by name and id (the id the provider's docs show for it).
CACHING_OPTIMIZED = ("Managed-CachingOptimized", "658327ea-f89d-4fab-a63d-7e88639e58f6")
CACHING_DISABLED = ("Managed-CachingDisabled", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
# AWS's managed origin request policy for API Gateway origins (every viewer header but Host), by name and id.
ALL_VIEWER_EXCEPT_HOST = ("Managed-AllViewerExceptHostHeader", "b689b0a8-53d0-40ab-baf2-68738e2966ac")


@dataclass(frozen=True)
class RecordedResource:
    """One resource the program registered: its type token, name, inputs (camelCase) and outputs (with ``id``).

    ``custom`` is False for components (``social:*``), True for what a provider creates (AWS, random).
    Secret inputs are recorded unwrapped; ``secret_inputs`` names the top-level inputs that were (or held) secrets.
    """

    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    custom: bool = True
    secret_inputs: frozenset[str] = frozenset()

    @property
    def short_type(self) -> str:
        """``aws:lambda/function:Function`` -> ``lambda:Function``; ``random:index/randomPassword:RandomPassword``
        -> ``random:RandomPassword``; components keep their whole type."""
        package, _, rest = self.type.partition(":")
        module, _, kind = rest.partition(":")
        if not self.custom or not kind:
            return self.type
        return f"{module.split('/')[0]}:{kind}" if package == "aws" else f"{package}:{kind}"


@dataclass
class Rendering:
    """Everything one stack would create, plus its exports."""

    stack: str
    resources: list[RecordedResource]
    exports: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def of_type(self, type_token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    @property
    def custom(self) -> list[RecordedResource]:
        """The provider resources: AWS's and the generated secrets (components excluded)."""
        return [r for r in self.resources if r.custom]


def _is_secret_value(value: Any) -> bool:
    # How the engine hands a secret to the mocks: {<signature key>: <secret signature>, "value": ...}.
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def _holds_secret(value: Any) -> bool:
    if _is_secret_value(value):
        return True
    if isinstance(value, dict):
        return any(_holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False


def _reveal(value: Any) -> Any:
    """``value`` with every secret replaced by what it wraps."""
    if _is_secret_value(value):
        return _reveal(value.get("value"))
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


def _digest(*parts: str, length: int = 10) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


_EC2_ID_PREFIXES = {"aws:ec2/routeTable:RouteTable": "rtb", "aws:ec2/natGateway:NatGateway": "nat",
                    "aws:ec2/internetGateway:InternetGateway": "igw"}


class RecordingMocks(Mocks):
    """Records every resource and fakes the computed outputs the program reads (ARNs, URLs, ids).

    ``new_resource`` runs on several threads at once: the record is guarded by a lock.
    """

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region
        self.resources: list[RecordedResource] = []
        self._lock = threading.Lock()

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        secret_inputs = frozenset(key for key, value in args.inputs.items() if _holds_secret(value))
        inputs = {key: _reveal(value) for key, value in args.inputs.items()}
        fakes = self._fake(args.typ, args.name, inputs)
        resource_id = str(fakes.pop("id", f"{args.name}-id"))
        outputs = {**fakes, **inputs}
        custom = args.custom if args.custom is not None else not args.typ.startswith(f"{PROJECT}:")
        with self._lock:
            self.resources.append(RecordedResource(args.typ, args.name, inputs, {**outputs, "id": resource_id},
                                                   custom, secret_inputs))
        return resource_id, outputs

    def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/mock", "userId": "mock"}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com"}, []
        cache_policy = args.token == "aws:cloudfront/getCachePolicy:getCachePolicy"
        if cache_policy and args.args.get("name") == CACHING_OPTIMIZED[0]:
            return {"id": CACHING_OPTIMIZED[1], "name": CACHING_OPTIMIZED[0]}, []
        if cache_policy and args.args.get("name") == CACHING_DISABLED[0]:
            return {"id": CACHING_DISABLED[1], "name": CACHING_DISABLED[0]}, []
        if (args.token == "aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy"
                and args.args.get("name") == ALL_VIEWER_EXCEPT_HOST[0]):
            return {"id": ALL_VIEWER_EXCEPT_HOST[1], "name": ALL_VIEWER_EXCEPT_HOST[0]}, []
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{self.region}{letter}" for letter in "abcdef"]
            return {"names": names, "zoneIds": [f"use1-az{i}" for i in range(1, 7)], "id": self.region}, []
        return {}, []

    def _fake(self, typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        region, account = self.region, ACCOUNT
        physical = str(inputs.get("name") or name)
        service = typ.split(":")[1].split("/")[0]
        fakes: dict[str, Any] = {"arn": f"arn:aws:{service}:{region}:{account}:{physical}", "name": physical}
        if typ == "aws:dynamodb/table:Table":
            arn = f"arn:aws:dynamodb:{region}:{account}:table/{physical}"
            fakes |= {"id": physical, "arn": arn}
            if inputs.get("streamEnabled"):
                fakes["streamArn"] = f"{arn}/stream/2024-01-01T00:00:00.000"
        elif typ == "aws:sqs/queue:Queue":
            url = f"https://sqs.{region}.amazonaws.com/{account}/{physical}"
            fakes |= {"id": url, "url": url}
        elif typ == "aws:sns/topic:Topic":
            fakes |= {"id": fakes["arn"]}
        elif typ == "aws:sns/platformApplication:PlatformApplication":
            fakes |= {"arn": f"arn:aws:sns:{region}:{account}:app/{inputs.get('platform')}/{physical}"}
            fakes["id"] = fakes["arn"]
        elif typ == "aws:ses/template:Template":
            fakes |= {"id": physical, "arn": f"arn:aws:ses:{region}:{account}:template/{physical}"}
        elif typ == "aws:s3/bucket:Bucket":
            bucket = str(inputs.get("bucket") or f"{name}-{_digest(name, length=7)}")
            fakes |= {"id": bucket, "bucket": bucket, "arn": f"arn:aws:s3:::{bucket}",
                      "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com"}
        elif typ == "aws:cloudfront/distribution:Distribution":
            distribution = f"E{_digest(name, length=13).upper()}"
            fakes |= {"id": distribution, "arn": f"arn:aws:cloudfront::{account}:distribution/{distribution}",
                      "domainName": f"d{_digest(name, length=13)}.cloudfront.net"}
        elif typ == "aws:acm/certificate:Certificate":
            # In the region the resource names (pulumi-aws 7's per-resource region), else the provider's.
            arn = f"arn:aws:acm:{inputs.get('region') or region}:{account}:certificate/{_digest(name, length=36)}"
            domain = str(inputs.get("domainName"))
            fakes |= {"id": arn, "arn": arn, "domainValidationOptions": [{
                "domainName": domain, "resourceRecordName": f"_{_digest(domain)}.{domain}.",
                "resourceRecordType": "CNAME", "resourceRecordValue": f"_{_digest(domain, 'v')}.acm-validations.aws."}]}
        elif typ == "aws:cloudfront/originAccessControl:OriginAccessControl":
            fakes |= {"id": f"E{_digest(name, length=13).upper()}"}
        elif typ == "aws:wafv2/webAcl:WebAcl":
            # CLOUDFRONT ACLs are "global" in their ARN (and live in us-east-1); REGIONAL ones "regional".
            acl_id = f"{_digest(name, length=8)}-0000-0000-0000-{_digest(name, 'acl', length=12)}"
            acl_region = str(inputs.get("region") or region)
            scope = "global" if inputs.get("scope") == "CLOUDFRONT" else "regional"
            fakes |= {"id": acl_id, "arn": f"arn:aws:wafv2:{acl_region}:{account}:{scope}/webacl/{physical}/{acl_id}"}
        elif typ == "aws:mediaconvert/queue:Queue":
            fakes |= {"id": physical, "arn": f"arn:aws:mediaconvert:{region}:{account}:queues/{physical}"}
        elif typ == "aws:lambda/function:Function":
            arn = f"arn:aws:lambda:{region}:{account}:function:{physical}"
            fakes |= {"arn": arn, "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
                                              f"{arn}/invocations", "qualifiedArn": f"{arn}:$LATEST"}
        elif typ == "aws:iam/role:Role":
            fakes |= {"id": physical, "arn": f"arn:aws:iam::{account}:role/{physical}"}
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            fakes |= {"id": physical, "arn": f"arn:aws:logs:{region}:{account}:log-group:{physical}"}
        elif typ == "aws:cloudwatch/eventRule:EventRule":
            fakes |= {"id": physical, "arn": f"arn:aws:events:{region}:{account}:rule/{physical}"}
        elif typ == "aws:cognito/userPool:UserPool":
            pool_id = f"{region}_{_digest(name, length=9)}"
            fakes |= {"id": pool_id, "arn": f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}",
                      "endpoint": f"cognito-idp.{region}.amazonaws.com/{pool_id}"}
        elif typ == "aws:cognito/userPoolClient:UserPoolClient":
            fakes |= {"id": _digest(name, length=26)}
        elif typ == "aws:cognito/identityPool:IdentityPool":
            fakes |= {"id": f"{region}:{_digest(name, length=8)}-0000-0000-0000-000000000000"}
        elif typ == "aws:apigateway/restApi:RestApi":
            api_id = _digest(name)
            fakes |= {"id": api_id, "rootResourceId": _digest(name, "root"),
                      "executionArn": f"arn:aws:execute-api:{region}:{account}:{api_id}"}
        elif typ == "aws:apigatewayv2/api:Api":
            api_id = _digest(name)
            fakes |= {"id": api_id, "executionArn": f"arn:aws:execute-api:{region}:{account}:{api_id}",
                      "apiEndpoint": f"wss://{api_id}.execute-api.{region}.amazonaws.com"}
        elif typ == "aws:apigateway/stage:Stage":
            fakes |= {"invokeUrl": f"https://mock.execute-api.{region}.amazonaws.com/{inputs.get('stageName')}"}
        elif typ == "aws:ec2/vpc:Vpc":
            vpc_id = f"vpc-{_digest(name, length=17)}"
            fakes |= {"id": vpc_id, "arn": f"arn:aws:ec2:{region}:{account}:vpc/{vpc_id}"}
        elif typ == "aws:ec2/subnet:Subnet":
            subnet_id = f"subnet-{_digest(name, length=17)}"
            fakes |= {"id": subnet_id, "arn": f"arn:aws:ec2:{region}:{account}:subnet/{subnet_id}"}
        elif typ == "aws:ec2/securityGroup:SecurityGroup":
            group_id = f"sg-{_digest(name, length=17)}"
            fakes |= {"id": group_id, "arn": f"arn:aws:ec2:{region}:{account}:security-group/{group_id}"}
        elif typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            fakes |= {"id": f"vpce-{_digest(name, length=17)}"}
            if inputs.get("vpcEndpointType") == "Gateway":
                fakes["prefixListId"] = f"pl-{_digest(name, length=8)}"
        elif typ in _EC2_ID_PREFIXES:
            fakes |= {"id": f"{_EC2_ID_PREFIXES[typ]}-{_digest(name, length=17)}"}
        elif typ == "aws:ec2/eip:Eip":
            allocation = f"eipalloc-{_digest(name, length=17)}"
            fakes |= {"id": allocation, "allocationId": allocation}
        elif typ == "aws:rds/instance:Instance":
            identifier = str(inputs.get("identifier") or name)
            address = f"{identifier}.{_digest(name, length=12)}.{region}.rds.amazonaws.com"
            fakes |= {"id": f"db-{_digest(name, length=26).upper()}", "identifier": identifier,
                      "arn": f"arn:aws:rds:{region}:{account}:db:{identifier}", "address": address,
                      "endpoint": f"{address}:5432", "port": 5432}
            if inputs.get("manageMasterUserPassword"):
                secret = f"rds!db-{_digest(name, 'secret', length=36)}"
                fakes["masterUserSecrets"] = [{
                    "secretArn": f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}-{_digest(name, length=6)}",
                    "kmsKeyId": f"arn:aws:kms:{region}:{account}:key/aws-secretsmanager", "secretStatus": "active"}]
        elif typ == "aws:rds/proxy:Proxy":
            fakes |= {"id": physical, "arn": f"arn:aws:rds:{region}:{account}:db-proxy:prx-{_digest(name, length=17)}",
                      "endpoint": f"{physical}.proxy-{_digest(name, length=12)}.{region}.rds.amazonaws.com"}
        elif typ == "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup":
            fakes |= {"id": str(inputs.get("dbProxyName")), "name": "default"}
        elif typ == "aws:lambda/invocation:Invocation":
            fakes |= {"result": json.dumps({"migrated": True})}
        elif typ == "aws:lambda/eventSourceMapping:EventSourceMapping":
            fakes |= {"uuid": _digest(name, length=32)}
        elif typ == "pulumi:pulumi:StackReference":
            fakes = {"outputs": account_outputs(str(inputs.get("name", "")), region, account)}
        elif typ == "aws:secretsmanager/secret:Secret":
            fakes |= {"id": f"arn:aws:secretsmanager:{region}:{account}:secret:{physical}-{_digest(name, length=6)}",
                      "arn": f"arn:aws:secretsmanager:{region}:{account}:secret:{physical}-{_digest(name, length=6)}"}
        # AppConfig: ids of 7 lower-case letters and digits, as the service makes them.
        elif typ == "aws:appconfig/application:Application":
            app_id = _digest(name, length=7)
            fakes |= {"id": app_id, "arn": f"arn:aws:appconfig:{region}:{account}:application/{app_id}"}
        elif typ == "aws:appconfig/configurationProfile:ConfigurationProfile":
            profile_id = _digest(name, length=7)
            fakes |= {"configurationProfileId": profile_id, "id": f"{profile_id}:{inputs.get('applicationId')}",
                      "arn": f"arn:aws:appconfig:{region}:{account}:application/{inputs.get('applicationId')}"
                             f"/configurationprofile/{profile_id}"}
        elif typ == "aws:appconfig/environment:Environment":
            environment_id = _digest(name, length=7)
            fakes |= {"environmentId": environment_id, "id": f"{environment_id}:{inputs.get('applicationId')}",
                      "arn": f"arn:aws:appconfig:{region}:{account}:application/{inputs.get('applicationId')}"
                             f"/environment/{environment_id}"}
        elif typ == "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion":
            fakes |= {"versionNumber": 1}
        elif typ == "aws:appconfig/deploymentStrategy:DeploymentStrategy":
            fakes |= {"id": _digest(name, length=7)}
        elif typ == "aws:appconfig/deployment:Deployment":
            fakes |= {"deploymentNumber": 1}
        elif typ == "aws:opensearch/domain:Domain":
            domain = str(inputs.get("domainName") or name)
            fakes |= {"id": f"arn:aws:es:{region}:{account}:domain/{domain}", "domainName": domain,
                      "arn": f"arn:aws:es:{region}:{account}:domain/{domain}",
                      "endpoint": f"vpc-{domain}-{_digest(name, length=26)}.{region}.es.amazonaws.com"}
        elif typ == "random:index/randomPassword:RandomPassword":
            # Deterministic per name and as long as asked: what the program reads is ``result``.
            length = int(inputs.get("length", 16))
            digits = "".join(_digest(name, str(i), length=64) for i in range(length // 64 + 1))
            fakes = {"id": "none", "result": digits[:length], "bcryptHash": f"$2a$10${_digest(name, length=53)}"}
        return fakes


def account_outputs(stack_name: str, region: str, account: str) -> dict[str, Any]:
    """What ``pulumi up`` of the account stack ``stack_name`` exports (``stacks/account.py``), with mock ids."""
    prefix = f"social-{stack_name.rsplit('/', 1)[-1]}"
    subnets = [f"subnet-{_digest(prefix, str(i), length=17)}" for i in range(2)]
    group = f"sg-{_digest(prefix, 'functions', length=17)}"
    secret = f"rds!db-{_digest(prefix, 'secret', length=36)}"
    return {
        "apiGatewayAccount": f"{prefix}-apigateway-account",
        "mail": {"identityArn": f"arn:aws:ses:{region}:{account}:identity/example.org", "from": "no-reply@example.org"},
        "network": {
            "vpcId": f"vpc-{_digest(prefix, length=17)}",
            "privateSubnetIds": subnets,
            "privateSubnetArns": [f"arn:aws:ec2:{region}:{account}:subnet/{s}" for s in subnets],
            "functionsSecurityGroupId": group,
            "functionsSecurityGroupArn": f"arn:aws:ec2:{region}:{account}:security-group/{group}",
            "networkInterfacesArn": f"arn:aws:ec2:{region}:{account}:network-interface/*",
        },
        "database": {"host": f"{prefix}-shared-db.{_digest(prefix, length=12)}.{region}.rds.amazonaws.com",
                     "port": 5432, "adminSecretArn": f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}"},
        "search": {"endpoint": f"https://vpc-{prefix}-search-{_digest(prefix, 'search', length=26)}.{region}"
                               ".es.amazonaws.com",
                   "domainArn": f"arn:aws:es:{region}:{account}:domain/{prefix}-search"},
    }


def stack_config(stack: str, overrides: Mapping[str, Any] | None = None, root: Path = ROOT) -> dict[str, str]:
    """What ``pulumi`` would give the program: Pulumi.yaml's project config, then Pulumi.<stack>.yaml, then overrides.

    Keys without a namespace are the project's (``lambdaMemoryMb`` -> ``social:lambdaMemoryMb``).
    """
    config: dict[str, Any] = {}
    project_file = root / "Pulumi.yaml"
    if project_file.is_file():
        for key, value in (safe_load(project_file.read_text()).get("config") or {}).items():
            if isinstance(value, dict):
                value = value.get("value", value.get("default"))
            if value is not None:
                config[key if ":" in key else f"{PROJECT}:{key}"] = value
    stack_file = root / f"Pulumi.{stack}.yaml"
    if stack_file.is_file():
        config |= (safe_load(stack_file.read_text()) or {}).get("config") or {}
    for key, value in (overrides or {}).items():
        config[key if ":" in key else f"{PROJECT}:{key}"] = value
    return {key: _config_string(value) for key, value in config.items()}


def _config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


_RENDER_LOCK = threading.Lock()


def render(stack: str, overrides: Mapping[str, Any] | None = None, *, app: Chalice | None = None,
           manifest: Manifest | None = None, preview: bool = True) -> Rendering:
    """Run the real program for ``stack`` under mocks and return every resource it registered.

    Safe to call repeatedly in one process (each call resets Pulumi's settings, root stack and
    config); calls are serialised because Pulumi's runtime state is process-global.
    """
    from stacks.program import run  # imported late: the program reads config when it runs

    config = stack_config(stack, overrides)
    region = config.get("aws:region", "us-east-1")
    mocks = RecordingMocks(region=region)
    exports: dict[str, Any] = {}
    warnings: list[str] = []
    with _RENDER_LOCK:
        pulumi.runtime.set_all_config(config)
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview)
        original_warn = pulumi.log.warn

        def capture_warning(msg: str, resource: pulumi.Resource | None = None, stream_id: int | None = None,
                            ephemeral: bool | None = None) -> None:
            warnings.append(msg)

        pulumi.log.warn = capture_warning  # the mock engine swallows logs; keep them for the caller
        try:
            def program() -> pulumi.Output[Any]:
                root = run(app=app, manifest=manifest)
                outputs = root.outputs if isinstance(root, Account) else root.exports()
                return pulumi.Output.from_input(outputs).apply(exports.update)

            # pulumi.runtime.test waits until every registration and output has settled.
            runner = cast(Callable[[Callable[[], Any]], Callable[[], None]], pulumi.runtime.test)
            runner(program)()
        finally:
            pulumi.log.warn = original_warn
    return Rendering(stack=stack, resources=list(mocks.resources), exports=exports, warnings=warnings)
