"""Integrations: the API Gateway usage plan that integration keys (``x-api-key``) are metered by.

The stack creates the plan on the REST API's stage, with each key's quota and throttle from config
(``integrationQuotaPerDay``, ``integrationRateLimit``, ``integrationBurstLimit``): API Gateway applies a plan's
quota and throttle to each of its keys separately ("throttling and quota limits apply to requests for
individual API keys that are aggregated across all API stages within a usage plan"). It creates no key:
keys are an admin's to make, one per integration.

What API Gateway meters (its guide, "Choose an API key source" and "Test usage plans"): the key is read from
the ``X-API-Key`` header (``apiKeySource`` HEADER, set on the REST API) and checked against the plans only on
methods marked ``apiKeyRequired``: the partner routes (``Router.route(api_key=True)``, in
``chalicelib/integrations/routes.py``); on any other method a key is ignored and the request is not counted.

Each plan is one the manifest declares (``UsagePlan``); the runtime finds it by its name (``usage_plan_name``,
in ``<NAME>_USAGE_PLAN``) because its id only exists after the API, which needs the functions. For the same
reason the functions holding a ``manage_keys()`` grant get it in a managed policy attached to their role, made here once
the plan exists (``stacks.policies.usage_plan_policy``), not in the policy they are created with.

Usage::

    plans = Integrations("social-dev-integrations", IntegrationsArgs(settings, api.rest_api.id, api.stage.stage_name,
                                                                     manifest.usage_plans, plan, functions.roles))
    plans.usage_plans["integrations"].id
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import UsagePlan
from stacks.appgraph import AppPlan, FunctionPlan
from stacks.naming import Namer
from stacks.policies import usage_plan_policy
from stacks.settings import StackSettings

QUOTA_PERIOD = "DAY"  # API Gateway's periods: DAY, WEEK, MONTH


@dataclass(frozen=True)
class IntegrationsArgs:
    """The environment and the REST API stage the plan meters."""

    settings: StackSettings
    rest_api_id: pulumi.Input[str]
    stage_name: pulumi.Input[str]
    plans: tuple[UsagePlan, ...] = ()  # the manifest's
    app_plan: AppPlan | None = None  # which functions manage keys (``manage_keys`` grants)
    roles: Mapping[str, aws.iam.Role] = field(default_factory=dict)  # the functions' roles, by planned name


def _policy_json(function: FunctionPlan, plans: Mapping[str, str]) -> str:
    return json.dumps(usage_plan_policy(function, plans))


def usage_plan_name(namer: Namer, plan: UsagePlan) -> str:
    """The physical name of a declared usage plan: what the runtime looks it up by."""
    return namer.name(plan.name, 255)


class Integrations(pulumi.ComponentResource):
    """Each declared usage plan on the API's stage (each key its own daily quota and throttle), and the grants of
    the functions that manage its keys."""

    usage_plans: dict[str, aws.apigateway.UsagePlan]

    def __init__(self, name: str, args: IntegrationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:integrations:Integrations", name, None, opts)
        self.usage_plans = {plan.name: self._plan(plan, args) for plan in args.plans}
        arns = {name: pulumi.Output.concat("arn:aws:apigateway:", args.settings.region, "::/usageplans/", plan.id)
                for name, plan in self.usage_plans.items()}
        for function in args.app_plan.functions if args.app_plan is not None else ():
            if not function.resources("usage_plan"):
                continue
            used = {p.name: arns[p.name] for p in function.resources("usage_plan")}
            # A managed policy, attached: the role's one inline policy is the function's own (stacks/functions.py).
            policy = aws.iam.Policy(
                args.settings.namer.name(f"{function.name}-usage-plans", 128),
                name=args.settings.namer.name(f"{function.name}-usage-plans", 128),
                description=f"{function.name}: manage the keys of its usage plans",
                policy=pulumi.Output.all(**used).apply(functools.partial(_policy_json, function)),
                tags=args.settings.namer.tags(component="integrations"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.iam.RolePolicyAttachment(
                args.settings.namer.name(f"{function.name}-usage-plans-attachment", 128),
                role=args.roles[function.name].name,
                policy_arn=policy.arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"usagePlanIds": {n: p.id for n, p in self.usage_plans.items()}})

    def _plan(self, plan: UsagePlan, args: IntegrationsArgs) -> aws.apigateway.UsagePlan:
        settings, namer = args.settings, args.settings.namer
        return aws.apigateway.UsagePlan(
            namer.name(plan.name),
            name=usage_plan_name(namer, plan),
            description="integration keys: each key's own quota and throttle",
            # The stage name is the stage's output: the plan waits for the stage to exist.
            api_stages=[aws.apigateway.UsagePlanApiStageArgs(api_id=args.rest_api_id, stage=args.stage_name)],
            quota_settings=aws.apigateway.UsagePlanQuotaSettingsArgs(limit=settings.integration_quota_per_day,
                                                                     period=QUOTA_PERIOD),
            throttle_settings=aws.apigateway.UsagePlanThrottleSettingsArgs(
                rate_limit=settings.integration_rate_limit, burst_limit=settings.integration_burst_limit),
            tags=namer.tags(component="integrations"),
            opts=pulumi.ResourceOptions(parent=self),
        )
