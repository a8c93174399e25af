"""Integrations: the API Gateway usage plan that integration keys (``x-api-key``) are metered by.

The stack creates the plan on the REST API's stage, with each key's quota and throttle from config
(``integrationQuotaPerDay``, ``integrationRateLimit``, ``integrationBurstLimit``): API Gateway applies a plan's
quota and throttle to each of its keys separately ("throttling and quota limits apply to requests for
individual API keys that are aggregated across all API stages within a usage plan"). It creates no key:
keys are an admin's to make, one per integration.

What API Gateway meters (its guide, "Choose an API key source" and "Test usage plans"): the key is read from
the ``X-API-Key`` header (``apiKeySource`` HEADER, set on the REST API) and checked against the plans only on
methods marked ``apiKeyRequired``; on any other method a key is ignored and the request is not counted.
No route of the contract requires a key today (users call with their Cognito token alone), so in AWS this plan
meters nothing until integration routes are marked so.

Usage::

    plan = Integrations("social-dev-integrations", IntegrationsArgs(settings, api.rest_api.id, api.stage.stage_name))
    plan.usage_plan.id
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stacks.settings import StackSettings

QUOTA_PERIOD = "DAY"  # API Gateway's periods: DAY, WEEK, MONTH


@dataclass(frozen=True)
class IntegrationsArgs:
    """The environment and the REST API stage the plan meters."""

    settings: StackSettings
    rest_api_id: pulumi.Input[str]
    stage_name: pulumi.Input[str]


class Integrations(pulumi.ComponentResource):
    """One usage plan on the API's stage: each integration key's own daily quota and throttle."""

    usage_plan: aws.apigateway.UsagePlan

    def __init__(self, name: str, args: IntegrationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:integrations:Integrations", name, None, opts)
        settings, namer = args.settings, args.settings.namer
        self.usage_plan = aws.apigateway.UsagePlan(
            namer.name("integrations"),
            name=namer.name("integrations", 255),
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
        self.register_outputs({"usagePlanId": self.usage_plan.id})
