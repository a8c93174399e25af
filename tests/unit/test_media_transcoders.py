"""Transcoders: MediaConvert's requests against its service model, the local adapter end to end on moto."""

from __future__ import annotations

import copy
import io
from typing import Any

import boto3
import pytest
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber
from moto import mock_aws
from PIL import Image

from chalicelib.media import transcoders
from chalicelib.media.transcoders import (
    JobOutcome,
    LocalTranscoder,
    MediaConvertTranscoder,
    job_settings,
    outcome_of,
    output_size,
    transcoder,
    use_transcoder,
)
from tests import media_samples

ROLE = "arn:aws:iam::111122223333:role/video-transcoder"
QUEUE = "arn:aws:mediaconvert:us-east-1:111122223333:queues/video"
WHERE = {"source_bucket": "uploads", "source_key": "uploads/alice/01HMEDIA", "destination_bucket": "media",
         "destination_prefix": "media/01HMEDIA/"}


def media_convert() -> Any:
    return boto3.client("mediaconvert", region_name="us-east-1")


def test_create_job_request_is_valid_for_the_service_model(monkeypatch):
    monkeypatch.setenv("VIDEO_TRANSCODER_ROLE_ARN", ROLE)
    monkeypatch.setenv("VIDEO_TRANSCODER_QUEUE_ARN", QUEUE)
    client = media_convert()
    with Stubber(client) as stub:  # validates the request's parameters against botocore's model
        stub.add_response("create_job", {"Job": {"Id": "1671476818694-phptj0", "Role": ROLE, "Settings": {}}}, {
            "Role": ROLE,
            "Queue": QUEUE,
            "UserMetadata": {"media_id": "01HMEDIA"},
            "StatusUpdateInterval": "SECONDS_60",
            "Settings": job_settings(**WHERE),
        })
        job_id = MediaConvertTranscoder(client=client).submit(media_id="01HMEDIA", **WHERE)
        stub.assert_no_pending_responses()
    assert job_id == "1671476818694-phptj0"


def test_the_stubber_would_catch_a_malformed_job():
    settings = job_settings(**WHERE)
    broken = copy.deepcopy(settings)
    broken["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["Width"] = "1280"  # a string, not an integer
    client = media_convert()
    with Stubber(client) as stub, pytest.raises(ParamValidationError):
        stub.add_response("create_job", {"Job": {"Id": "x", "Role": ROLE, "Settings": {}}})
        client.create_job(Role=ROLE, Settings=broken)


def test_job_makes_an_h264_mp4_within_720p_and_a_jpeg_poster():
    settings = job_settings(**WHERE)
    assert settings["Inputs"][0]["FileInput"] == "s3://uploads/uploads/alice/01HMEDIA"
    video_group, poster_group = settings["OutputGroups"]
    assert video_group["OutputGroupSettings"]["FileGroupSettings"]["Destination"] == "s3://media/media/01HMEDIA/video"
    video = video_group["Outputs"][0]
    assert video["ContainerSettings"]["Container"] == "MP4"
    assert video["VideoDescription"]["CodecSettings"]["Codec"] == "H_264"
    assert (video["VideoDescription"]["Width"], video["VideoDescription"]["Height"]) == (1280, 720)
    assert video["VideoDescription"]["ScalingBehavior"] == "FIT_NO_UPSCALE"  # keeps aspect, never upscales
    assert video["AudioDescriptions"][0]["CodecSettings"]["Codec"] == "AAC"
    poster = poster_group["Outputs"][0]
    assert poster["VideoDescription"]["CodecSettings"]["Codec"] == "FRAME_CAPTURE"
    assert poster["VideoDescription"]["CodecSettings"]["FrameCaptureSettings"]["MaxCaptures"] == 1
    assert poster_group["OutputGroupSettings"]["FileGroupSettings"]["Destination"] == "s3://media/media/01HMEDIA/poster"


def complete_event(media_id: str = "01HMEDIA") -> dict[str, Any]:
    """MediaConvert's documented COMPLETE event, trimmed (ev_status_complete in its user guide)."""
    return {
        "version": "0", "id": "1234abcd-12ab-34cd-56ef-1234567890ab", "detail-type": "MediaConvert Job State Change",
        "source": "aws.mediaconvert", "account": "111122223333", "time": "2022-12-19T19:07:12Z",
        "region": "us-east-1", "resources": ["arn:aws:mediaconvert:us-east-1:111122223333:jobs/1671476818694-phptj0"],
        "detail": {
            "timestamp": 1671476832124, "accountId": "111122223333", "queue": QUEUE,
            "jobId": "1671476818694-phptj0", "status": "COMPLETE", "userMetadata": {"media_id": media_id},
            "warnings": [{"code": 0, "count": 1}],
            "outputGroupDetails": [
                {"outputDetails": [{"outputFilePaths": ["s3://media/media/01HMEDIA/video.mp4"], "durationInMs": 30041,
                                    "videoDetails": {"widthInPx": 1280, "heightInPx": 720, "qvbrAvgQuality": 7.38}}],
                 "type": "FILE_GROUP"},
                {"outputDetails": [{"outputFilePaths": ["s3://media/media/01HMEDIA/poster.0000000.jpg"],
                                    "durationInMs": 30041, "videoDetails": {"widthInPx": 1280, "heightInPx": 720}}],
                 "type": "FILE_GROUP"},
            ],
        },
    }


def test_outcome_of_a_complete_event_is_ready_with_keys_and_dimensions():
    assert outcome_of(complete_event()) == JobOutcome(
        media_id="01HMEDIA", job_id="1671476818694-phptj0", status="ready", failure=None,
        video_key="media/01HMEDIA/video.mp4", poster_key="media/01HMEDIA/poster.0000000.jpg",
        width=1280, height=720, duration_ms=30041)


@pytest.mark.parametrize(("code", "failure"), [(1010, "corrupt"), (1040, "corrupt"), (3450, "transcode_failed")])
def test_outcome_of_an_error_event_is_failed(code, failure):
    event = complete_event()
    event["detail"] = {"timestamp": 1, "accountId": "111122223333", "queue": QUEUE, "jobId": "j", "status": "ERROR",
                       "errorCode": code, "errorMessage": "Failed probe/open", "userMetadata": {"media_id": "m"}}
    outcome = outcome_of(event)
    assert outcome is not None
    assert (outcome.status, outcome.failure, outcome.media_id, outcome.video_key) == ("failed", failure, "m", None)


@pytest.mark.parametrize("change", [
    lambda e: e["detail"].update(status="PROGRESSING"),
    lambda e: e["detail"].update(status="INPUT_INFORMATION"),
    lambda e: e["detail"].update(userMetadata={}),  # not one of ours
    lambda e: e.update(source="aws.s3"),
])
def test_other_events_have_no_outcome(change):
    event = complete_event()
    change(event)
    assert outcome_of(event) is None


def test_output_size_fits_720p_either_way_round_and_stays_even():
    assert output_size(1920, 1080) == (1280, 720)
    assert output_size(1080, 1920) == (404, 720)
    assert output_size(1440, 1080) == (960, 720)
    assert output_size(640, 360) == (640, 360)  # never upscaled
    assert output_size(321, 241) == (320, 240)


def test_local_transcode_turns_video_the_way_its_matrix_says(tmp_path):
    source = tmp_path / "turned.mp4"
    source.write_bytes(media_samples.turned_mp4())
    width, height, _ = transcoders.transcode_file(str(source), str(tmp_path / "out.mp4"), str(tmp_path / "poster.jpg"))
    assert (width, height) == (240, 320)  # stored landscape, shown portrait
    poster = Image.open(tmp_path / "poster.jpg").convert("RGB")
    assert poster.size == (240, 320)
    top, bottom = poster.getpixel((120, 5)), poster.getpixel((120, 314))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[2] > 200 and top[0] < 60  # the stored left (blue) half is on top once turned clockwise
    assert bottom[0] > 200 and bottom[2] < 60


def test_default_transcoder_is_media_convert_and_can_be_replaced():
    use_transcoder(None)
    assert isinstance(transcoder(), MediaConvertTranscoder)
    local = LocalTranscoder(on_event=lambda event: None)
    try:
        use_transcoder(local)
        assert transcoder() is local
    finally:
        use_transcoder(None)
        local.close()


@pytest.fixture
def buckets():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="uploads")
        s3.create_bucket(Bucket="media")
        yield s3


def run_local(s3: Any, source: bytes) -> tuple[dict[str, Any], str]:
    s3.put_object(Bucket="uploads", Key=WHERE["source_key"], Body=source)
    events: list[dict[str, Any]] = []
    local = LocalTranscoder(on_event=events.append, s3=s3)
    try:
        job_id = local.submit(media_id="01HMEDIA", **WHERE)
        local.wait(timeout=120)
    finally:
        local.close()
    assert len(events) == 1
    return events[0], job_id


def test_local_transcoder_makes_a_720p_mp4_and_a_poster_and_reports_like_media_convert(buckets):
    import av

    event, job_id = run_local(buckets, media_samples.mp4(seconds=2.0, width=1440, height=1080))
    outcome = outcome_of(event)
    assert outcome is not None
    assert (outcome.status, outcome.media_id, outcome.job_id) == ("ready", "01HMEDIA", job_id)
    assert (outcome.width, outcome.height) == (960, 720)
    assert outcome.duration_ms is not None and 1900 <= outcome.duration_ms <= 2200
    assert outcome.video_key == "media/01HMEDIA/video.mp4"
    assert outcome.poster_key == "media/01HMEDIA/poster.0000000.jpg"

    video = buckets.get_object(Bucket="media", Key=outcome.video_key)
    assert video["ContentType"] == "video/mp4"
    with av.open(io.BytesIO(video["Body"].read())) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (960, 720)
        assert container.streams.audio[0].codec_context.name == "aac"
    poster = buckets.get_object(Bucket="media", Key=outcome.poster_key)
    assert poster["ContentType"] == "image/jpeg"
    image = Image.open(io.BytesIO(poster["Body"].read()))
    assert (image.format, image.size) == ("JPEG", (960, 720))


def test_local_transcoder_reports_garbage_as_a_failed_job(buckets):
    event, _ = run_local(buckets, b"\x00\x00\x00\x18ftypmp42" + bytes(5000))
    assert event["detail"]["status"] == "ERROR" and event["detail"]["errorMessage"]
    outcome = outcome_of(event)
    assert outcome is not None
    assert (outcome.status, outcome.failure) == ("failed", "corrupt")
    assert buckets.list_objects_v2(Bucket="media").get("KeyCount") == 0


def test_local_transcoder_survives_its_handler_failing(buckets):
    buckets.put_object(Bucket="uploads", Key=WHERE["source_key"], Body=b"garbage")
    seen: list[str] = []

    def handler(event: dict[str, Any]) -> None:
        seen.append(event["detail"]["status"])
        raise RuntimeError("the handler is broken")

    local = LocalTranscoder(on_event=handler, s3=buckets)
    try:
        local.submit(media_id="a", **WHERE)
        local.submit(media_id="b", **WHERE)
        local.wait(timeout=60)
    finally:
        local.close()
    assert seen == ["ERROR", "ERROR"]

