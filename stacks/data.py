"""Data: one DynamoDB table per declared ``Table``, its schema read from the PynamoDB model.

Usage::

    data = Data("social-dev-data", DataArgs(settings, MANIFEST.tables), opts)
    data.tables["users"].name, data.tables["users"].stream_arn, data.schemas["users"].hash_key
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Table
from stacks.schema import TableSchema, check_ttl_attribute, table_schema
from stacks.settings import StackSettings


@dataclass(frozen=True)
class DataArgs:
    """The environment and the declared tables."""

    settings: StackSettings
    tables: tuple[Table, ...]


class Data(pulumi.ComponentResource):
    """On-demand tables with the models' keys and indexes; PITR, KMS and deletion protection per environment."""

    tables: dict[str, aws.dynamodb.Table]
    schemas: dict[str, TableSchema]

    def __init__(self, name: str, args: DataArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:data:Data", name, None, opts)
        settings = args.settings
        namer = settings.namer
        self.tables = {}
        self.schemas = {}
        for declared in args.tables:
            schema = table_schema(declared.model)
            if declared.ttl_attribute:
                check_ttl_attribute(declared.model, declared.ttl_attribute)
            self.schemas[declared.name] = schema
            self.tables[declared.name] = aws.dynamodb.Table(
                namer.name(f"{declared.name}-table"),
                name=namer.name(declared.name, 255),
                # On demand: no capacity to size, and an idle preview costs nothing.
                billing_mode="PAY_PER_REQUEST",
                hash_key=schema.hash_key,
                range_key=schema.range_key,
                attributes=[aws.dynamodb.TableAttributeArgs(name=n, type=t) for n, t in schema.attributes],
                global_secondary_indexes=[
                    aws.dynamodb.TableGlobalSecondaryIndexArgs(
                        name=index.name,
                        key_schemas=[
                            aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=key, key_type=kind)
                            for key, kind in ((index.hash_key, "HASH"), (index.range_key, "RANGE")) if key
                        ],
                        projection_type=index.projection_type,
                        non_key_attributes=list(index.non_key_attributes) or None,
                    )
                    for index in schema.global_indexes
                ] or None,
                local_secondary_indexes=[
                    aws.dynamodb.TableLocalSecondaryIndexArgs(
                        name=index.name, range_key=index.range_key or "", projection_type=index.projection_type,
                        non_key_attributes=list(index.non_key_attributes) or None)
                    for index in schema.local_indexes
                ] or None,
                stream_enabled=declared.stream is not None,
                stream_view_type=declared.stream,
                ttl=(aws.dynamodb.TableTtlArgs(attribute_name=declared.ttl_attribute, enabled=True)
                     if declared.ttl_attribute else None),
                point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(
                    enabled=settings.point_in_time_recovery),
                # Disabled means DynamoDB's own key (free); enabled means the AWS-managed KMS key (auditable).
                server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                    enabled=settings.table_kms_encryption),
                deletion_protection_enabled=settings.deletion_protection,
                tags=namer.tags(component="data", table=declared.name),
                opts=pulumi.ResourceOptions(parent=self, protect=settings.deletion_protection),
            )
        self.register_outputs({
            "tableNames": {logical: table.name for logical, table in self.tables.items()},
        })
