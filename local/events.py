"""Lambda event shapes, built from what moto hands the pump.

Each function turns one source's raw material (an SQS message as boto3 returns
it, an S3 notification body, an SNS envelope, a DynamoDB stream record) into
the record Lambda would put in the event, so the Chalice handlers see exactly
what they see on AWS.

Usage::

    event = sqs_event([sqs_record(message, queue_arn, "us-east-1")])
    event = s3_event(record)                      # one notification per invocation, like S3
    event = sns_event(sns_record(envelope, subscription_arn))
    event = dynamodb_event([dynamodb_record(raw, stream_arn, "us-east-1")])
    event = scheduled_event(rule_arn, "us-east-1", now)
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from local.aws import ACCOUNT_ID

Record = dict[str, Any]
Event = dict[str, Any]


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> Record:
    """One record of Lambda's SQS event, from a message as ``receive_message`` returns it."""
    attributes = {k: str(v) for k, v in (message.get("Attributes") or {}).items()}
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": attributes,
        "messageAttributes": {name: _sqs_attribute(value)
                              for name, value in (message.get("MessageAttributes") or {}).items()},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _sqs_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        raw = value["BinaryValue"]
        shaped["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else str(raw)
    return shaped


def sqs_event(records: Sequence[Record]) -> Event:
    return {"Records": list(records)}


def s3_records(body: str, region: str) -> list[Record]:
    """The records of one S3 notification delivered to SQS; ``[]`` for the ``s3:TestEvent``.

    moto omits a few fields S3 sends and encodes ``/`` in keys; both are put
    back as S3 would send them (keys stay URL-encoded, ``+`` for spaces).
    """
    document = json.loads(body)
    if document.get("Event") == "s3:TestEvent" or "Records" not in document:
        return []
    records: list[Record] = []
    for original in document["Records"]:
        record = json.loads(json.dumps(original))  # a deep copy
        record.setdefault("awsRegion", region)
        record.setdefault("userIdentity", {"principalId": "AWS:LOCAL"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault("responseElements", {"x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                                               "x-amz-id-2": uuid.uuid4().hex})
        s3 = record["s3"]
        bucket = s3["bucket"]
        bucket.setdefault("ownerIdentity", {"principalId": "LOCAL"})
        bucket.setdefault("arn", f"arn:aws:s3:::{bucket['name']}")
        obj = s3["object"]
        obj["key"] = quote_plus(unquote_plus(obj["key"]), safe="/")
        obj.setdefault("sequencer", uuid.uuid4().hex[:18].upper())
        records.append(record)
    return records


def s3_event(record: Record) -> Event:
    return {"Records": [record]}


def sns_record(envelope: Mapping[str, Any], subscription_arn: str) -> Record:
    """One record of Lambda's SNS event, from the JSON envelope SNS delivers to an SQS subscriber."""
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": str(envelope.get("SignatureVersion", "1")),
            "Timestamp": envelope.get("Timestamp", _iso_millis(datetime.now(UTC))),
            "Signature": envelope.get("Signature", ""),
            "SigningCertUrl": envelope.get("SigningCertURL", envelope.get("SigningCertUrl", "")),
            "MessageId": envelope["MessageId"],
            "Message": envelope["Message"],
            "MessageAttributes": dict(envelope.get("MessageAttributes") or {}),
            "Type": envelope.get("Type", "Notification"),
            "UnsubscribeUrl": envelope.get("UnsubscribeURL", envelope.get("UnsubscribeUrl", "")),
            "TopicArn": envelope["TopicArn"],
            "Subject": envelope.get("Subject"),
        },
    }


def sns_event(record: Record) -> Event:
    return {"Records": [record]}


def dynamodb_record(raw: Mapping[str, Any], stream_arn: str, region: str) -> Record:
    """One record of Lambda's DynamoDB stream event, from a ``get_records`` record.

    ``ApproximateCreationDateTime`` becomes epoch seconds (boto3 parses it to a
    datetime), and the record gains the ``eventSourceARN`` Lambda adds.
    """
    dynamodb = dict(raw["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    elif created is None:
        dynamodb["ApproximateCreationDateTime"] = float(int(datetime.now(UTC).timestamp()))
    return {
        "eventID": raw.get("eventID", uuid.uuid4().hex),
        "eventName": raw["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def dynamodb_event(records: Sequence[Record]) -> Event:
    return {"Records": list(records)}


def scheduled_event(rule_arn: str, region: str, time: datetime) -> Event:
    """The event EventBridge sends a schedule's target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def _iso_millis(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
