"""Data at rest and the ways in: RDS, OpenSearch and DynamoDB encrypted and private, TLS-only; in prod,
protected against deletion and backed up (``Pulumi.prod.yaml``: deletionProtection, pointInTimeRecovery,
tableKmsEncryption, dbBackupRetentionDays 14).

DynamoDB always encrypts at rest (with an AWS-owned key by default, what dev and previews use, for free); prod
uses the AWS-managed KMS key, which CloudTrail can audit.
"""

from __future__ import annotations

from policy.rules.common import PROD, Props, environment, get, items, resource_rule

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_PROXY = "aws:rds/proxy:Proxy"
RDS_PARAMETERS = "aws:rds/parameterGroup:ParameterGroup"
SEARCH_DOMAIN = "aws:opensearch/domain:Domain"
TABLE = "aws:dynamodb/table:Table"
USER_POOL = "aws:cognito/userPool:UserPool"
MIN_PROD_BACKUP_DAYS = 7
TLS_1_2_POLICIES = ("Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10")


def _rds_encrypted_private(props: Props) -> list[str]:
    problems = []
    if props.get("storageEncrypted") is not True:
        problems.append("storage is not encrypted (storageEncrypted)")
    if props.get("publiclyAccessible") is True:
        problems.append("publicly accessible")
    return problems


def _database_tls(props: Props) -> list[str]:
    if "engineFamily" in props:  # a proxy
        return [] if props.get("requireTls") is True else ["the proxy accepts connections without TLS (requireTls)"]
    if not str(props.get("family", "")).startswith("postgres"):
        return []
    forced = [get(p, "value") for p in items(props.get("parameters")) if get(p, "name") == "rds.force_ssl"]
    return [] if forced and str(forced[-1]) == "1" else ["PostgreSQL accepts connections without TLS "
                                                         "(rds.force_ssl is not 1)"]


def _search_encrypted(props: Props) -> list[str]:
    problems = []
    if get(props, "encryptAtRest", "enabled") is not True:
        problems.append("not encrypted at rest (encryptAtRest)")
    if get(props, "nodeToNodeEncryption", "enabled") is not True:
        problems.append("traffic between nodes is not encrypted (nodeToNodeEncryption)")
    if get(props, "domainEndpointOptions", "enforceHttps") is not True:
        problems.append("accepts plain HTTP (domainEndpointOptions.enforceHttps)")
    if get(props, "domainEndpointOptions", "tlsSecurityPolicy") not in TLS_1_2_POLICIES:
        problems.append("accepts TLS below 1.2 (domainEndpointOptions.tlsSecurityPolicy)")
    return problems


def _rds_protected(props: Props) -> list[str]:
    problems = []
    if props.get("deletionProtection") is not True:
        problems.append("deletion protection is off")
    retention = props.get("backupRetentionPeriod")
    if not isinstance(retention, int | float) or retention < MIN_PROD_BACKUP_DAYS:
        problems.append(f"keeps {retention or 0} days of backups; prod keeps at least {MIN_PROD_BACKUP_DAYS}")
    if props.get("skipFinalSnapshot") is True:
        problems.append("skips the final snapshot on deletion")
    return problems


def _table_protected(props: Props) -> list[str]:
    problems = []
    if get(props, "pointInTimeRecovery", "enabled") is not True:
        problems.append("point-in-time recovery is off")
    if props.get("deletionProtectionEnabled") is not True:
        problems.append("deletion protection is off")
    if get(props, "serverSideEncryption", "enabled") is not True:
        problems.append("not encrypted with KMS (serverSideEncryption.enabled)")
    return problems


def _pool_protected(props: Props) -> list[str]:
    return [] if props.get("deletionProtection") == "ACTIVE" else ["deletion protection is not ACTIVE"]


def _prod() -> bool:
    return environment() == PROD


RDS_ENCRYPTED_PRIVATE = resource_rule(
    "rds-encrypted-and-private", "RDS instances encrypt their storage and are not publicly accessible.",
    (RDS_INSTANCE,), _rds_encrypted_private)
DATABASE_TLS_ONLY = resource_rule(
    "database-tls-only", "PostgreSQL (its parameter group) and RDS Proxy accept TLS connections only.",
    (RDS_PROXY, RDS_PARAMETERS), _database_tls)
OPENSEARCH_ENCRYPTED = resource_rule(
    "opensearch-encrypted", "OpenSearch domains encrypt at rest and between nodes, and accept HTTPS with TLS 1.2+ "
    "only.", (SEARCH_DOMAIN,), _search_encrypted)
RDS_PROD_PROTECTED = resource_rule(
    "rds-prod-protected", f"In prod, RDS instances have deletion protection, at least {MIN_PROD_BACKUP_DAYS} days "
    "of backups and a final snapshot.", (RDS_INSTANCE,), _rds_protected, applies=_prod)
DYNAMODB_PROD_PROTECTED = resource_rule(
    "dynamodb-prod-protected", "In prod, DynamoDB tables have point-in-time recovery, deletion protection and the "
    "KMS key.", (TABLE,), _table_protected, applies=_prod)
USER_POOL_PROD_PROTECTED = resource_rule(
    "user-pool-prod-protected", "In prod, the Cognito user pool has deletion protection.", (USER_POOL,),
    _pool_protected, applies=_prod)

POLICIES = (RDS_ENCRYPTED_PRIVATE, DATABASE_TLS_ONLY, OPENSEARCH_ENCRYPTED, RDS_PROD_PROTECTED,
            DYNAMODB_PROD_PROTECTED, USER_POOL_PROD_PROTECTED)
