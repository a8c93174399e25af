"""Cost models, one per priced resource type: the resources of that type in, monthly charges out.

A model reads only the rendered inputs (through ``Inventory``) and the load; every price comes from the
table. What a model cannot price (an instance class the table lacks) it returns as ``Unpriced``, never
as zero. ``MODELS`` maps the names ``tools/prices.toml`` uses under ``[types]`` to the models.

Usage::

    charges = MODELS["nat_gateway"](Context(inventory, LAUNCH, PriceTable.load()), nat_gateways)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tools.pricing.inventory import Inventory, Resource, arn_name, physical_name
from tools.pricing.load import GB, HOURS_PER_MONTH, SECONDS_PER_MONTH, Load
from tools.pricing.table import PriceTable

# vCPUs per RDS instance class (RDS Proxy bills on the target's vCPUs, at least 2).
RDS_VCPUS = {"db.t4g.micro": 2, "db.t4g.small": 2, "db.t4g.medium": 2, "db.t4g.large": 2,
             "db.t4g.xlarge": 4, "db.t4g.2xlarge": 8}
PROXY_MINIMUM_VCPUS = 2
PERFORMANCE_INSIGHTS_FREE_DAYS = 7
DEFAULT_COGNITO_TIER = "ESSENTIALS"  # what AWS gives a pool whose userPoolTier is unset


@dataclass(frozen=True)
class Charge:
    """A monthly amount for one kind of resource (or a service it causes, e.g. X-Ray traces)."""

    kind: str
    count: int
    usd: float
    basis: str


@dataclass(frozen=True)
class Unpriced:
    """Something the table cannot price: reported, never counted as zero."""

    kind: str
    count: int
    reason: str


@dataclass(frozen=True)
class Context:
    inventory: Inventory
    load: Load
    prices: PriceTable


Model = Callable[[Context, Sequence[Resource]], list[Charge | Unpriced]]


def _million(value: float) -> str:
    return f"{value / 1e6:.2f}M"


def lambda_function(ctx: Context, functions: Sequence[Resource]) -> list[Charge | Unpriced]:
    inv, load, prices = ctx.inventory, ctx.load, ctx.prices
    requests = gb_seconds = 0.0
    usd = 0.0
    traced = 0.0
    architectures: set[str] = set()
    for function in functions:
        invocations = inv.invocations(function, load)
        memory_gb = float(function.inputs.get("memorySize") or 128) / 1024
        # Lambda's default when a function names none. The load model's durations are the same on both: the
        # handlers wait on DynamoDB, SQS and PostgreSQL far more than they compute (media is billed under
        # MediaConvert, images are small); measure on Graviton before trusting a CPU-bound figure.
        architecture = (function.inputs.get("architectures") or ["x86_64"])[0]
        architectures.add(architecture)
        seconds = invocations.duration_seconds(load) * memory_gb
        requests += invocations.total
        gb_seconds += seconds
        usd += prices.cost("lambda_requests", invocations.total)
        usd += prices.cost(f"lambda_gb_seconds_{architecture}", seconds)
        if (function.inputs.get("tracingConfig") or {}).get("mode") == "Active":
            by = invocations.by_trigger
            traced += sum(count for trigger, count in by.items() if trigger != "api")
    memories = sorted({int(float(f.inputs.get("memorySize") or 128)) for f in functions})
    charges: list[Charge | Unpriced] = [Charge(
        "lambda:Function", len(functions), usd,
        f"{_million(requests)} invocations, {gb_seconds:,.0f} GB-s at {'/'.join(map(str, memories))} MB "
        f"on {'/'.join(sorted(architectures))}")]
    traced += _traced_api_requests(ctx)
    if traced:
        charges.append(_xray(ctx, traced))
    return charges


def _traced_api_requests(ctx: Context) -> float:
    inv = ctx.inventory
    stage_traced = any(s.inputs.get("xrayTracingEnabled") for s in inv.of_type("aws:apigateway/stage:Stage"))
    function_traced = any((inv.functions[n].inputs.get("tracingConfig") or {}).get("mode") == "Active"
                          for n in inv.api_functions)
    return inv.api_requests(ctx.load) if (stage_traced or function_traced) and inv.api_functions else 0.0


def _xray(ctx: Context, traced: float) -> Charge:
    """X-Ray's default sampling rule: a reservoir of 1 trace a second, then 5% of the rest."""
    load = ctx.load
    active_seconds = SECONDS_PER_MONTH * load.active_hours_per_day / 24
    reservoir = min(traced, load.xray_reservoir_per_second * active_seconds)
    recorded = reservoir + load.xray_sample_rate * (traced - reservoir)
    scanned = recorded * load.xray_scanned_fraction
    usd = ctx.prices.cost("xray_traces_recorded", recorded) + ctx.prices.cost("xray_traces_scanned", scanned)
    return Charge("xray:traces", 1, usd, f"{_million(recorded)} traces recorded of {_million(traced)} traced requests")


def rest_api(ctx: Context, apis: Sequence[Resource]) -> list[Charge | Unpriced]:
    requests = ctx.inventory.api_requests(ctx.load) if ctx.inventory.api_functions else 0.0
    out_gb = requests * ctx.load.response_bytes_per_api_request / GB
    return [Charge("apigateway:RestApi", len(apis), ctx.prices.cost("apigateway_rest_requests", requests),
                   f"{_million(requests)} requests"),
            Charge("data transfer out", 1, ctx.prices.cost("data_transfer_out_gb", out_gb),
                   f"{out_gb:,.1f} GB of API responses")]


def websocket_api(ctx: Context, apis: Sequence[Resource]) -> list[Charge | Unpriced]:
    load = ctx.load
    messages = load.per_month(load.websocket_messages_per_dau)
    minutes = load.per_month(load.websocket_minutes_per_dau)
    usd = (ctx.prices.cost("apigateway_websocket_messages", messages)
           + ctx.prices.cost("apigateway_websocket_connection_minutes", minutes))
    return [Charge("apigatewayv2:Api", len(apis), usd,
                   f"{_million(messages)} messages, {_million(minutes)} connection-minutes")]


def dynamodb_table(ctx: Context, tables: Sequence[Resource]) -> list[Charge | Unpriced]:
    inv, load, prices = ctx.inventory, ctx.load, ctx.prices
    charges: list[Charge | Unpriced] = []
    provisioned = [t for t in tables if t.inputs.get("billingMode", "PROVISIONED") != "PAY_PER_REQUEST"]
    if provisioned:
        charges.append(Unpriced("dynamodb:Table (provisioned)", len(provisioned),
                                "provisioned capacity is not in the price table"))
    on_demand = [t for t in tables if t not in provisioned]
    write_units = sum(inv.table_writes(physical_name(t), load) for t in on_demand) * load.write_units_per_item
    read_units = (inv.api_requests(load) * load.read_units_per_api_request
                  + inv.events_handled(load) * load.read_units_per_event) if on_demand else 0.0
    storage = sum(inv.table_gb(t, load) for t in on_demand)
    pitr = sum(inv.table_gb(t, load) for t in on_demand if (t.inputs.get("pointInTimeRecovery") or {}).get("enabled"))
    usd = (prices.cost("dynamodb_write_request_units", write_units)
           + prices.cost("dynamodb_read_request_units", read_units)
           + prices.cost("dynamodb_storage_gb_month", storage) + prices.cost("dynamodb_pitr_gb_month", pitr))
    streams = sum(1 for t in on_demand if t.inputs.get("streamEnabled"))
    charges.append(Charge("dynamodb:Table", len(tables), usd,
                          f"{_million(write_units)} WRU, {_million(read_units)} RRU, {storage:.2f} GB "
                          f"({pitr:.2f} GB with PITR); {streams} streams read by Lambda (free)"))
    # Tables encrypted with the AWS-managed key (no kmsKeyArn): no key fee, but DynamoDB calls KMS.
    managed = [t for t in tables if (t.inputs.get("serverSideEncryption") or {}).get("enabled")
               and not (t.inputs.get("serverSideEncryption") or {}).get("kmsKeyArn")]
    if managed:
        requests = load.kms_requests_per_encrypted_table * len(managed) if load.busy else 0.0
        charges.append(Charge("kms:requests", len(managed), prices.cost("kms_requests", requests),
                              f"{requests:,.0f} requests, {len(managed)} tables on the AWS-managed key (no key fee)"))
    return charges


def sqs_queue(ctx: Context, queues: Sequence[Resource]) -> list[Charge | Unpriced]:
    inv, load = ctx.inventory, ctx.load
    consumed = inv.consumed_queues()
    requests = {"sqs_standard_requests": 0.0, "sqs_fifo_requests": 0.0}
    for queue in queues:
        name = physical_name(queue)
        fifo = queue.inputs.get("fifoQueue") or name.endswith(".fifo")
        kind = "sqs_fifo_requests" if fifo else "sqs_standard_requests"
        requests[kind] += inv.queue_messages(name, load) * load.sqs_requests_per_message
        if name in consumed:
            requests[kind] += load.sqs_idle_poll_requests_per_consumed_queue
    usd = sum(ctx.prices.cost(key, count) for key, count in requests.items())
    return [Charge("sqs:Queue", len(queues), usd,
                   f"{_million(sum(requests.values()))} requests ({len(consumed & {physical_name(q) for q in queues})} "
                   "queues long-polled by Lambda)")]


def sns_topic(ctx: Context, topics: Sequence[Resource]) -> list[Charge | Unpriced]:
    load = ctx.load
    fanout = ctx.inventory.fanout_topics() & {physical_name(t) for t in topics}
    publishes = len(fanout) * load.per_month(load.writes_per_dau) * load.sns_publishes_per_event
    return [Charge("sns:Topic", len(topics), ctx.prices.cost("sns_publishes", publishes),
                   f"{_million(publishes)} publishes; deliveries to SQS/Lambda free")]


def alarm_metrics(alarm: Resource) -> int:
    """How many metrics an alarm is billed for: one, or each metric its metric math reads (not the expressions)."""
    queries = alarm.inputs.get("metricQueries") or []
    return sum(1 for q in queries if q.get("metric")) or 1


def metric_alarm(ctx: Context, alarms: Sequence[Resource]) -> list[Charge | Unpriced]:
    # CloudWatch bills an alarm per metric it watches: a metric math alarm over ten metrics is ten alarm-metrics.
    high = sum(alarm_metrics(a) for a in alarms if float(a.inputs.get("period") or 60) < 60)
    standard = sum(alarm_metrics(a) for a in alarms) - high
    usd = (ctx.prices.cost("cloudwatch_standard_alarm_month", standard)
           + ctx.prices.cost("cloudwatch_high_resolution_alarm_month", high))
    charges: list[Charge | Unpriced] = [Charge("cloudwatch:MetricAlarm", len(alarms), usd,
                                               f"{standard} standard, {high} high-resolution alarm-metrics")]
    custom = {(a.inputs.get("namespace"), a.inputs.get("metricName"),
               str(sorted((a.inputs.get("dimensions") or {}).items())))
              for a in alarms if not str(a.inputs.get("namespace") or "AWS/").startswith("AWS/")}
    if custom:
        charges.append(Charge("cloudwatch:custom metrics", len(custom),
                              ctx.prices.cost("cloudwatch_custom_metric_month", len(custom)),
                              f"{len(custom)} custom metrics the alarms watch"))
    return charges


def composite_alarm(ctx: Context, alarms: Sequence[Resource]) -> list[Charge | Unpriced]:
    return [Charge("cloudwatch:CompositeAlarm", len(alarms), ctx.prices.cost("cloudwatch_composite_alarm_month",
                                                                            len(alarms)),
                   f"{len(alarms)} composite alarms")]


def dashboard(ctx: Context, dashboards: Sequence[Resource]) -> list[Charge | Unpriced]:
    return [Charge("cloudwatch:Dashboard", len(dashboards), ctx.prices.cost("cloudwatch_dashboard_month",
                                                                           len(dashboards)),
                   f"{len(dashboards)} dashboards (the account's 3 free ones not subtracted)")]


def log_group(ctx: Context, groups: Sequence[Resource]) -> list[Charge | Unpriced]:
    inv, load = ctx.inventory, ctx.load
    access_logs = {arn_name(str((s.inputs.get("accessLogSettings") or {}).get("destinationArn", "")))
                   for s in inv.of_type("aws:apigateway/stage:Stage")}
    lambda_groups = {str((f.inputs.get("loggingConfig") or {}).get("logGroup") or f"/aws/lambda/{n}"): f
                     for n, f in inv.functions.items()}
    ingested = stored = 0.0
    for group in groups:
        name = physical_name(group)
        if name in lambda_groups:
            monthly = inv.invocations(lambda_groups[name], load).total * load.log_bytes_per_invocation / GB
        elif name in access_logs:
            monthly = (inv.api_requests(load) if inv.api_functions else 0.0) * load.access_log_bytes_per_request / GB
        elif name.startswith("/aws/rds/"):
            groups_of_instance = sum(1 for g in groups if physical_name(g).startswith(name.rsplit("/", 1)[0] + "/"))
            monthly = load.database_log_gb_per_month / max(groups_of_instance, 1)
        else:
            monthly = 0.0
        retention = group.inputs.get("retentionInDays")
        months = float(retention) / 30.4 if retention else load.log_months_without_retention
        ingested += monthly
        stored += monthly * load.log_stored_fraction * months
    usd = (ctx.prices.cost("cloudwatch_logs_ingestion_gb", ingested)
           + ctx.prices.cost("cloudwatch_logs_storage_gb_month", stored))
    return [Charge("cloudwatch:LogGroup", len(groups), usd,
                   f"{ingested:.2f} GB ingested, {stored:.2f} GB stored (compressed)")]


def user_pool(ctx: Context, pools: Sequence[Resource]) -> list[Charge | Unpriced]:
    usd = 0.0
    tiers = []
    mau = ctx.load.monthly_active_users
    for pool in pools:
        tier = str(pool.inputs.get("userPoolTier") or DEFAULT_COGNITO_TIER).upper()
        tiers.append(tier)
        usd += ctx.prices.cost(f"cognito_{tier.lower()}_mau", mau / len(pools))
    free = ctx.prices.price(f"cognito_{tiers[0].lower()}_mau").free_per_month if tiers else 0
    return [Charge("cognito:UserPool", len(pools), usd,
                   f"{mau:,.0f} MAU on {'/'.join(sorted(set(tiers)))} ({free:,.0f} free applied)")]


def _rds_class_price(ctx: Context, instance_class: str) -> str | None:
    key = f"rds_postgres_{instance_class.replace('.', '_')}_hour"
    return key if key in ctx.prices.prices else None


def rds_instance(ctx: Context, instances: Sequence[Resource]) -> list[Charge | Unpriced]:
    load, prices = ctx.load, ctx.prices
    charges: list[Charge | Unpriced] = []
    usd = 0.0
    described = []
    secrets = 0
    for instance in instances:
        inputs = instance.inputs
        instance_class = str(inputs.get("instanceClass"))
        key = _rds_class_price(ctx, instance_class)
        if inputs.get("engine") != "postgres" or key is None:
            charges.append(Unpriced("rds:Instance", 1, f"{inputs.get('engine')} {instance_class} is not in the table"))
            continue
        copies = 2 if inputs.get("multiAz") else 1
        allocated = float(inputs.get("allocatedStorage") or 20)
        storage = str(inputs.get("storageType") or "gp2")
        usd += prices.cost(key, HOURS_PER_MONTH * copies)
        usd += prices.cost(f"rds_{storage}_storage_gb_month", allocated * copies)
        # Backups: the data plus each retained day's changes; free up to the provisioned storage.
        coin_events = load.event_rate(("post.created", "like.created", "comment.created"))
        data_gb = load.per_month(coin_events) * load.ledger_rows_per_event * load.ledger_row_bytes / GB
        retention = float(inputs.get("backupRetentionPeriod") or 1)
        backup = data_gb * (1 + load.backup_daily_change_fraction * retention)
        usd += prices.cost("rds_backup_storage_gb_month", max(0.0, backup - allocated))
        described.append(f"{instance_class}{' Multi-AZ' if copies == 2 else ''} {allocated:.0f} GB {storage}, "
                         f"{backup:.2f} GB backups")
        if inputs.get("performanceInsightsEnabled"):
            days = float(inputs.get("performanceInsightsRetentionPeriod") or PERFORMANCE_INSIGHTS_FREE_DAYS)
            if days > PERFORMANCE_INSIGHTS_FREE_DAYS:
                charges.append(Unpriced("rds:Performance Insights", 1, f"{days:.0f} days of retention"))
        if inputs.get("manageMasterUserPassword"):
            secrets += 1
    if described:
        charges.append(Charge("rds:Instance", len(instances), usd, "; ".join(described)))
    if secrets:
        calls = load.secret_calls_per_secret * secrets if load.busy else 0.0
        charges.append(Charge("secretsmanager:Secret (RDS-managed)", secrets,
                              prices.cost("secretsmanager_secret_month", secrets)
                              + prices.cost("secretsmanager_api_calls", calls),
                              "the master password RDS keeps in Secrets Manager"))
    return charges


def rds_proxy(ctx: Context, proxies: Sequence[Resource]) -> list[Charge | Unpriced]:
    inv = ctx.inventory
    instances = {str(i.inputs.get("identifier") or i.name): i for i in inv.of_type("aws:rds/instance:Instance")}
    targets = {str(t.inputs.get("dbProxyName")): str(t.inputs.get("dbInstanceIdentifier"))
               for t in inv.of_type("aws:rds/proxyTarget:ProxyTarget")}
    usd = 0.0
    vcpus_total = 0
    charges: list[Charge | Unpriced] = []
    for proxy in proxies:
        target = instances.get(targets.get(physical_name(proxy), ""))
        instance_class = str(target.inputs.get("instanceClass")) if target else None
        if instance_class is not None and instance_class not in RDS_VCPUS:
            charges.append(Unpriced("rds:Proxy", 1, f"vCPUs of {instance_class} unknown"))
            continue
        # The primary's vCPUs (a Multi-AZ standby is not a proxy target); no target here: the minimum.
        vcpus = max(PROXY_MINIMUM_VCPUS, RDS_VCPUS.get(instance_class or "", 0))
        vcpus_total += vcpus
        usd += ctx.prices.cost("rds_proxy_vcpu_hour", vcpus * HOURS_PER_MONTH)
    if vcpus_total:
        charges.append(Charge("rds:Proxy", len(proxies), usd,
                              f"{vcpus_total} vCPUs billed (the primary's, minimum 2 each)"))
    return charges


def _vpc_service_gb(ctx: Context) -> float:
    inv, load = ctx.inventory, ctx.load
    invocations = sum(inv.invocations(f, load).total for f in inv.vpc_functions)
    return invocations * load.vpc_service_bytes_per_invocation / GB


def _interface_endpoints(inv: Inventory) -> list[Resource]:
    return [e for e in inv.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs.get("vpcEndpointType") == "Interface"]


def nat_gateway(ctx: Context, gateways: Sequence[Resource]) -> list[Charge | Unpriced]:
    through_endpoints = ctx.load.endpoint_share_of_vpc_bytes if _interface_endpoints(ctx.inventory) else 0.0
    processed = _vpc_service_gb(ctx) * (1 - through_endpoints)
    usd = (ctx.prices.cost("nat_gateway_hour", HOURS_PER_MONTH * len(gateways))
           + ctx.prices.cost("nat_gateway_gb", processed))
    return [Charge("ec2:NatGateway", len(gateways), usd, f"{len(gateways)} x {HOURS_PER_MONTH:.0f} h, "
                   f"{processed:.2f} GB processed")]


def vpc_endpoint(ctx: Context, endpoints: Sequence[Resource]) -> list[Charge | Unpriced]:
    interface = [e for e in endpoints if e.inputs.get("vpcEndpointType") == "Interface"]
    eni_hours = sum(len(e.inputs.get("subnetIds") or []) for e in interface) * HOURS_PER_MONTH
    processed = _vpc_service_gb(ctx) * ctx.load.endpoint_share_of_vpc_bytes if interface else 0.0
    usd = (ctx.prices.cost("vpc_interface_endpoint_az_hour", eni_hours)
           + ctx.prices.cost("vpc_interface_endpoint_gb", processed))
    zones = sorted({len(e.inputs.get("subnetIds") or []) for e in interface})
    return [Charge("ec2:VpcEndpoint", len(endpoints), usd,
                   f"{len(interface)} interface in {'/'.join(map(str, zones)) or 0} AZ(s), "
                   f"{len(endpoints) - len(interface)} gateway (free); {processed:.2f} GB processed")]


def public_ipv4(ctx: Context, addresses: Sequence[Resource]) -> list[Charge | Unpriced]:
    hours = len(addresses) * HOURS_PER_MONTH
    return [Charge("ec2:Eip", len(addresses), ctx.prices.cost("public_ipv4_hour", hours),
                   f"{len(addresses)} public IPv4 addresses")]


def secret(ctx: Context, secrets: Sequence[Resource]) -> list[Charge | Unpriced]:
    inv, load = ctx.inventory, ctx.load
    calls = 0.0
    for item in secrets:
        name = physical_name(item)
        readers = [f for f in inv.functions.values() if name in str(f.inputs.get("environment") or "")]
        cold_starts = sum(inv.invocations(f, load).total for f in readers) * load.cold_start_fraction
        calls += cold_starts + (load.secret_calls_per_secret if load.busy else 0.0)
    usd = (ctx.prices.cost("secretsmanager_secret_month", len(secrets))
           + ctx.prices.cost("secretsmanager_api_calls", calls))
    return [Charge("secretsmanager:Secret", len(secrets), usd, f"{len(secrets)} secrets, {calls:,.0f} API calls")]


def kms_key(ctx: Context, keys: Sequence[Resource]) -> list[Charge | Unpriced]:
    return [Charge("kms:Key", len(keys), ctx.prices.cost("kms_customer_managed_key_month", len(keys)),
                   f"{len(keys)} customer managed keys")]


def s3_bucket(ctx: Context, buckets: Sequence[Resource]) -> list[Charge | Unpriced]:
    load = ctx.load
    uploads = load.per_month(load.uploads_per_dau)
    stored_gb = uploads * load.upload_bytes / GB
    usd = (ctx.prices.cost("s3_standard_storage_gb_month", stored_gb) + ctx.prices.cost("s3_put_requests", uploads)
           + ctx.prices.cost("s3_get_requests", uploads * load.reads_per_upload))
    return [Charge("s3:Bucket", len(buckets), usd, f"{uploads:,.0f} uploads, {stored_gb:.1f} GB stored")]


def waf_web_acl(ctx: Context, acls: Sequence[Resource]) -> list[Charge | Unpriced]:
    rules = sum(len(a.inputs.get("rules") or []) for a in acls)
    # Every API request passes each ACL once (the edge one, then the stage's); a managed rule group is one rule.
    requests = ctx.inventory.api_requests(ctx.load) * len(acls)
    usd = (ctx.prices.cost("waf_web_acl_month", len(acls)) + ctx.prices.cost("waf_rule_month", rules)
           + ctx.prices.cost("waf_requests", requests))
    return [Charge("wafv2:WebAcl", len(acls), usd, f"{rules} rules, {_million(requests)} requests inspected")]


def cloudfront_distribution(ctx: Context, distributions: Sequence[Resource]) -> list[Charge | Unpriced]:
    """A distribution in front of a bucket (origin access control) serves media views; any other the API.

    The web client's distribution (``stacks/web.py``) has the API among its origins: it carries every API
    request (the app's page loads are a few per user a day, and its hashed assets are cached by the browser).
    """
    load = ctx.load
    media = [d for d in distributions if all(o.get("originAccessControlId") for o in d.inputs.get("origins") or [])]
    charges: list[Charge | Unpriced] = []
    if media:
        # Every media distribution shares the views of the uploads (one bucket of media in practice).
        requests = load.per_month(load.uploads_per_dau) * load.reads_per_upload
        out_gb = requests * load.served_bytes_per_read / GB
        usd = ctx.prices.cost("cloudfront_https_requests", requests) + ctx.prices.cost("cloudfront_data_out_gb", out_gb)
        charges.append(Charge("cloudfront:Distribution (media)", len(media), usd,
                              f"{_million(requests)} media views, {out_gb:.1f} GB out"))
    others = len(distributions) - len(media)
    if others:
        requests = ctx.inventory.api_requests(load)
        out_gb = requests * load.response_bytes_per_api_request / GB
        usd = ctx.prices.cost("cloudfront_https_requests", requests) + ctx.prices.cost("cloudfront_data_out_gb", out_gb)
        charges.append(Charge("cloudfront:Distribution", others, usd,
                              f"{_million(requests)} requests, {out_gb:.1f} GB out"))
    return charges


def mediaconvert_queue(ctx: Context, queues: Sequence[Resource]) -> list[Charge | Unpriced]:
    """On-demand queues cost nothing idle; the jobs cost per output minute (a 720p rendition and a poster)."""
    load = ctx.load
    minutes = load.per_month(load.uploads_per_dau) * load.video_share_of_uploads * load.video_minutes
    usd = ctx.prices.cost("mediaconvert_basic_hd_minutes", minutes)
    return [Charge("mediaconvert:Queue", len(queues), usd, f"{minutes:,.0f} output minutes (on demand)")]


def event_rule(ctx: Context, rules: Sequence[Resource]) -> list[Charge | Unpriced]:
    scheduled = sum(1 for r in rules if r.inputs.get("scheduleExpression"))
    custom_bus = [r for r in rules if r.inputs.get("eventBusName") not in (None, "default")]
    charges: list[Charge | Unpriced] = [Charge("cloudwatch:EventRule", len(rules), 0.0,
                                               f"{scheduled} scheduled, rest on the default bus: free")]
    if custom_bus:
        charges.append(Unpriced("cloudwatch:EventRule (custom bus)", len(custom_bus),
                                "events on a custom bus: the load model has no rate for them"))
    return charges


def opensearch_domain(ctx: Context, domains: Sequence[Resource]) -> list[Charge | Unpriced]:
    """Data nodes and dedicated masters by the hour, and each data node's gp3 volume; requests are free."""
    prices = ctx.prices
    charges: list[Charge | Unpriced] = []
    usd = 0.0
    described = []
    for domain in domains:
        cluster = domain.inputs.get("clusterConfig") or {}
        nodes = int(cluster.get("instanceCount") or 1)
        node_type = str(cluster.get("instanceType"))
        masters = int(cluster.get("dedicatedMasterCount") or 0) if cluster.get("dedicatedMasterEnabled") else 0
        master_type = str(cluster.get("dedicatedMasterType"))
        keys = {t: f"opensearch_{t.replace('.', '_')}_hour" for t in (node_type, master_type)}
        missing = [t for t in ((node_type,) + ((master_type,) if masters else ())) if keys[t] not in prices.prices]
        if missing:
            charges.append(Unpriced("opensearch:Domain", 1, f"{', '.join(missing)} not in the table"))
            continue
        volume = float((domain.inputs.get("ebsOptions") or {}).get("volumeSize") or 10)
        usd += prices.cost(keys[node_type], HOURS_PER_MONTH * nodes)
        usd += prices.cost(keys[master_type], HOURS_PER_MONTH * masters) if masters else 0.0
        usd += prices.cost("opensearch_gp3_storage_gb_month", volume * nodes)
        described.append(f"{nodes} x {node_type}" + (f" + {masters} x {master_type} masters" if masters else "")
                         + f", {volume:.0f} GB gp3 each")
    if described:
        charges.append(Charge("opensearch:Domain", len(described), usd, "; ".join(described)))
    return charges


MODELS: dict[str, Model] = {
    "lambda_function": lambda_function, "rest_api": rest_api, "websocket_api": websocket_api,
    "dynamodb_table": dynamodb_table, "sqs_queue": sqs_queue, "sns_topic": sns_topic, "metric_alarm": metric_alarm,
    "composite_alarm": composite_alarm, "dashboard": dashboard,
    "log_group": log_group, "user_pool": user_pool, "rds_instance": rds_instance, "rds_proxy": rds_proxy,
    "nat_gateway": nat_gateway, "vpc_endpoint": vpc_endpoint, "public_ipv4": public_ipv4, "secret": secret,
    "kms_key": kms_key, "s3_bucket": s3_bucket, "waf_web_acl": waf_web_acl,
    "cloudfront_distribution": cloudfront_distribution, "event_rule": event_rule,
    "mediaconvert_queue": mediaconvert_queue, "opensearch_domain": opensearch_domain,
}
