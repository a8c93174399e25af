"""Feature flags in AppConfig: the application and profile holding the repository's flags document, and its rollout.

Two components because the functions sit between them: the functions need the application's and profile's
ids (their grant and variables), and prod's rollout watches an alarm on a function. So ``FeatureFlags``
comes before the functions and ``FlagsRollout`` (environment, strategy, deployment) after the alarms. The
functions name the environment by its name (StartConfigurationSession takes an id or a name for each
identifier) and their grant covers ``environment/*`` of this stack's own application, which has only one.

The document is validated here (``chalicelib.flags.validation``), so a bad one fails ``make plan`` and
``pulumi preview`` with a message naming the bad flag, before anything is deployed.

Usage::

    flags = FeatureFlags(namer.name("flags"), FeatureFlagsArgs(settings), opts)
    ...functions get flags.values() (variables) and flags.read_arn (their grant)...
    FlagsRollout(namer.name("flags-rollout"), FlagsRolloutArgs(settings, flags, [api_errors_alarm.arn]), opts)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from chalicelib.core.environment_build import FlagsValues
from chalicelib.flags.document import DOCUMENT_PATH, load
from chalicelib.flags.validation import validate
from stacks.settings import StackSettings

# AppConfig's native feature-flags profile type: AppConfig checks each hosted version against its schema.
FEATURE_FLAGS_TYPE = "AWS.AppConfig.FeatureFlags"
ENVIRONMENT_LOGICAL = "flags"  # the environment's name is the stack's name for it: social-<stack>-flags

_ASSUME_APPCONFIG = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "appconfig.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})
# AppConfig reads the monitored alarms' state with this role; DescribeAlarms has no resource-level permissions.
_DESCRIBE_ALARMS = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "ReadAlarms", "Effect": "Allow", "Action": ["cloudwatch:DescribeAlarms"], "Resource": "*"}],
})


@dataclass(frozen=True)
class FeatureFlagsArgs:
    """The environment; its ``flags_document`` (default: the repository's, shipped in chalicelib/flags/)."""

    settings: StackSettings

    @property
    def document_path(self) -> Path:
        return Path(self.settings.flags_document) if self.settings.flags_document else DOCUMENT_PATH


class FeatureFlags(pulumi.ComponentResource):
    """The stack's AppConfig application, its feature-flags profile and the document as a hosted version."""

    application: aws.appconfig.Application
    profile: aws.appconfig.ConfigurationProfile
    version: aws.appconfig.HostedConfigurationVersion
    environment_name: str
    read_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FeatureFlagsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:flags:FeatureFlags", name, None, opts)
        document = load(args.document_path)
        validate(document)  # raises FlagsDocumentError naming the bad flag: the plan fails, not the deploy
        namer = args.settings.namer
        child = pulumi.ResourceOptions(parent=self)
        tags = namer.tags(component="flags")
        self.application = aws.appconfig.Application(
            namer.name("flags-app"), name=namer.name("flags"), description="the platform's feature flags",
            tags=tags, opts=child)
        self.profile = aws.appconfig.ConfigurationProfile(
            namer.name("flags-profile"),
            application_id=self.application.id,
            name=namer.name("flags"),
            description="runtime/chalicelib/flags/flags.json",
            location_uri="hosted",
            type=FEATURE_FLAGS_TYPE,
            tags=tags,
            opts=child,
        )
        self.version = aws.appconfig.HostedConfigurationVersion(
            namer.name("flags-version"),
            application_id=self.application.id,
            configuration_profile_id=self.profile.configuration_profile_id,
            content=json.dumps(document, sort_keys=True),
            content_type="application/json",
            description="from the repository's flags document",
            opts=child,
        )
        self.environment_name = namer.name(ENVIRONMENT_LOGICAL)
        # StartConfigurationSession and GetLatestConfiguration act on the "configuration" resource:
        # application/<id>/environment/<id>/configuration/<profile id> (the service authorization reference).
        self.read_arn = pulumi.Output.concat(self.application.arn, "/environment/*/configuration/",
                                             self.profile.configuration_profile_id)
        self.register_outputs({"applicationId": self.application.id,
                               "profileId": self.profile.configuration_profile_id,
                               "versionNumber": self.version.version_number})

    def values(self) -> FlagsValues[pulumi.Input[str]]:
        """The runtime's AppConfig identifiers (APPCONFIG_APPLICATION, _ENVIRONMENT, _PROFILE)."""
        return FlagsValues[pulumi.Input[str]](application=self.application.id, environment=self.environment_name,
                                              profile=self.profile.configuration_profile_id)


@dataclass(frozen=True)
class FlagsRolloutArgs:
    """The environment, the flags, and the alarms that roll a gradual deployment back (at most 5)."""

    settings: StackSettings
    flags: FeatureFlags
    rollback_alarms: Sequence[pulumi.Input[str]] = field(default_factory=tuple)


class FlagsRollout(pulumi.ComponentResource):
    """The stack's AppConfig environment, its deployment strategy and the deployment of the hosted version.

    All at once where ``flagsRolloutMinutes`` is 0 (dev, previews); otherwise linear over that many minutes
    and a bake, with the environment monitoring the alarms: one going off rolls the deployment back.
    """

    environment: aws.appconfig.Environment
    strategy: aws.appconfig.DeploymentStrategy
    deployment: aws.appconfig.Deployment
    monitor_role: aws.iam.Role | None

    def __init__(self, name: str, args: FlagsRolloutArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:flags:FlagsRollout", name, None, opts)
        settings, flags = args.settings, args.flags
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        tags = namer.tags(component="flags")
        gradual = settings.flags_rollout_minutes > 0
        if gradual and not 1 <= len(args.rollback_alarms) <= 5:  # AppConfig: at most 5 monitors per environment
            raise ValueError(f"a gradual flags rollout needs 1 to 5 alarms to roll back on, "
                             f"not {len(args.rollback_alarms)}")
        monitors: list[aws.appconfig.EnvironmentMonitorArgs] = []
        self.monitor_role = None
        if gradual:
            self.monitor_role = aws.iam.Role(
                namer.name("flags-monitor-role"), name=namer.global_name("flags-monitor-role", 64),
                description="lets AppConfig read the alarms that roll a flags deployment back",
                assume_role_policy=_ASSUME_APPCONFIG, tags=tags, opts=child)
            aws.iam.RolePolicy(namer.name("flags-monitor-policy"), name=namer.name("flags-monitor-read-alarms"),
                               role=self.monitor_role.id, policy=_DESCRIBE_ALARMS, opts=child)
            monitors = [aws.appconfig.EnvironmentMonitorArgs(alarm_arn=arn, alarm_role_arn=self.monitor_role.arn)
                        for arn in args.rollback_alarms]
        self.environment = aws.appconfig.Environment(
            namer.name("flags-environment"),
            application_id=flags.application.id,
            name=flags.environment_name,
            description=f"the {settings.stack} stack's functions",
            monitors=monitors or None,
            tags=tags,
            opts=child,
        )
        strategy: Mapping[str, Any] = (
            {"deployment_duration_in_minutes": settings.flags_rollout_minutes, "growth_factor": 20.0,
             "growth_type": "LINEAR", "final_bake_time_in_minutes": settings.flags_bake_minutes}
            if gradual else
            {"deployment_duration_in_minutes": 0, "growth_factor": 100.0, "growth_type": "LINEAR",
             "final_bake_time_in_minutes": settings.flags_bake_minutes})
        self.strategy = aws.appconfig.DeploymentStrategy(
            namer.name("flags-strategy"),
            name=namer.name("flags-gradual" if gradual else "flags-all-at-once"),
            description=(f"20% steps over {settings.flags_rollout_minutes} min, then {settings.flags_bake_minutes} "
                         "min of bake; an alarm rolls back" if gradual else "every function at once"),
            replicate_to="NONE",
            tags=tags,
            opts=child,
            **strategy,
        )
        self.deployment = aws.appconfig.Deployment(
            namer.name("flags-deployment"),
            application_id=flags.application.id,
            configuration_profile_id=flags.profile.configuration_profile_id,
            configuration_version=flags.version.version_number.apply(str),
            deployment_strategy_id=self.strategy.id,
            environment_id=self.environment.environment_id,
            description="the repository's flags document",
            tags=tags,
            opts=child,
        )
        self.register_outputs({"environmentId": self.environment.environment_id,
                               "strategyId": self.strategy.id, "deploymentNumber": self.deployment.deployment_number})
