"""Videos: a transcoder makes an H.264 MP4 (at most 720p) and a JPEG poster; its completion event says how it went.

In AWS, ``MediaConvertTranscoder`` submits an Elemental MediaConvert job whose settings are built
here (the provider has no job templates) and MediaConvert reports through an EventBridge event.
On the local platform ``LocalTranscoder`` does the same work with PyAV (FFmpeg in its wheels) and
calls back with an event of the same shape, so one parser, ``outcome_of``, reads both:

    use_transcoder(LocalTranscoder(on_event=handle_media_convert_event))
    job_id = transcoder().submit(media_id="01H...", source_bucket="uploads", source_key="uploads/u/01H...",
                                 destination_bucket="media", destination_prefix="media/01H.../")
    ...
    outcome = outcome_of(event)  # JobOutcome(status="ready", video_key="media/01H.../video.mp4", ...)

Both adapters write ``<prefix>video.mp4`` and ``<prefix>poster.0000000.jpg`` (MediaConvert names a
frame capture ``<name>.<7-digit index>.jpg``), fitting the video inside 1280 x 720 whichever way it
is turned, keeping its aspect and never upscaling (MediaConvert's FIT_NO_UPSCALE).

boto3 and PyAV are imported inside the functions that use them: the API's routes import this module.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from chalicelib.core.declarations import aws_region

log = logging.getLogger(__name__)

MAX_WIDTH = 1280
MAX_HEIGHT = 720
VIDEO_NAME = "video"
POSTER_NAME = "poster"
EVENT_SOURCE = "aws.mediaconvert"
EVENT_DETAIL_TYPE = "MediaConvert Job State Change"
# MediaConvert's error codes 1000-1999 are about the input (it cannot be opened, probed or decoded;
# https://docs.aws.amazon.com/mediaconvert/latest/ug/mediaconvert_error_codes.html), 3000-3999
# about S3 and permissions: only the first are the upload's fault.
INPUT_ERROR_CODES = range(1000, 2000)
LOCAL_INPUT_ERROR = 1010  # "File access error": cannot open, probe or decode the input


class Transcoder(Protocol):
    def submit(self, *, media_id: str, source_bucket: str, source_key: str, destination_bucket: str,
               destination_prefix: str) -> str:
        """Start a job for one uploaded video; its id. The outcome arrives later as an event."""
        ...


@dataclass(frozen=True)
class JobOutcome:
    """What a finished job means for its media row: ``ready`` with keys and dimensions, or ``failed``.

    ``failure`` is the row's failure code: ``corrupt`` when the input could not be read or decoded,
    ``transcode_failed`` for anything else (permissions, the service).
    """

    media_id: str
    job_id: str
    status: Literal["ready", "failed"]
    failure: str | None
    video_key: str | None
    poster_key: str | None
    width: int | None
    height: int | None
    duration_ms: int | None


def outcome_of(event: dict[str, Any]) -> JobOutcome | None:
    """A "MediaConvert Job State Change" event's outcome; None for other states and other events.

    >>> outcome_of({"source": "aws.mediaconvert", "detail-type": "MediaConvert Job State Change",
    ...             "detail": {"status": "PROGRESSING", "jobId": "1", "userMetadata": {"media_id": "m"}}}) is None
    True
    """
    if event.get("source") != EVENT_SOURCE or event.get("detail-type") != EVENT_DETAIL_TYPE:
        return None
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return None
    metadata = detail.get("userMetadata") or {}
    media_id = metadata.get("media_id") if isinstance(metadata, dict) else None
    status = detail.get("status")
    if not isinstance(media_id, str) or status not in ("COMPLETE", "ERROR"):
        return None
    job_id = str(detail.get("jobId", ""))
    if status == "ERROR":
        code = detail.get("errorCode")
        failure = "corrupt" if isinstance(code, int) and code in INPUT_ERROR_CODES else "transcode_failed"
        log.info("transcode %s of %s failed: %s %s", job_id, media_id, code, detail.get("errorMessage"))
        return JobOutcome(media_id, job_id, "failed", failure, None, None, None, None, None)
    video_key = poster_key = None
    width = height = duration_ms = None
    for group in detail.get("outputGroupDetails") or []:
        for output in group.get("outputDetails") or []:
            for path in output.get("outputFilePaths") or []:
                key = _key_of(path)
                if key.endswith(".mp4"):
                    video_key = key
                    video = output.get("videoDetails") or {}
                    width, height = video.get("widthInPx"), video.get("heightInPx")
                    duration_ms = output.get("durationInMs")
                elif key.endswith((".jpg", ".jpeg")):
                    poster_key = key
    if video_key is None:
        return JobOutcome(media_id, job_id, "failed", "transcode_failed", None, None, None, None, None)
    return JobOutcome(media_id, job_id, "ready", None, video_key, poster_key, width, height, duration_ms)


def _key_of(s3_url: str) -> str:
    """``s3://bucket/a/b.mp4`` -> ``a/b.mp4``."""
    return s3_url.removeprefix("s3://").partition("/")[2]


def _prefix(destination_prefix: str) -> str:
    if not destination_prefix or destination_prefix.endswith("/"):
        return destination_prefix
    return destination_prefix + "/"


def job_settings(*, source_bucket: str, source_key: str, destination_bucket: str,
                 destination_prefix: str) -> dict[str, Any]:
    """MediaConvert job settings: one H.264/AAC MP4 fitting 1280 x 720, and one JPEG frame capture."""
    destination = f"s3://{destination_bucket}/{_prefix(destination_prefix)}"
    fit = {"Width": MAX_WIDTH, "Height": MAX_HEIGHT, "ScalingBehavior": "FIT_NO_UPSCALE"}
    return {
        "TimecodeConfig": {"Source": "ZEROBASED"},
        "Inputs": [{
            "FileInput": f"s3://{source_bucket}/{source_key}",
            "TimecodeSource": "ZEROBASED",
            "VideoSelector": {"Rotate": "AUTO"},  # phones record turned and say so in metadata
            "AudioSelectors": {"Audio Selector 1": {"DefaultSelection": "DEFAULT"}},
        }],
        "OutputGroups": [
            {
                "Name": "Video",
                "OutputGroupSettings": {
                    "Type": "FILE_GROUP_SETTINGS",
                    "FileGroupSettings": {"Destination": destination + VIDEO_NAME},
                },
                "Outputs": [{
                    "ContainerSettings": {
                        "Container": "MP4",
                        "Mp4Settings": {"MoovPlacement": "PROGRESSIVE_DOWNLOAD"},  # plays while downloading
                    },
                    "VideoDescription": {
                        **fit,
                        "CodecSettings": {
                            "Codec": "H_264",
                            "H264Settings": {
                                "RateControlMode": "QVBR",
                                "QvbrSettings": {"QvbrQualityLevel": 7},
                                "MaxBitrate": 5_000_000,
                                "CodecProfile": "HIGH",
                                "CodecLevel": "AUTO",
                                "SceneChangeDetect": "TRANSITION_DETECTION",
                                "FramerateControl": "INITIALIZE_FROM_SOURCE",
                            },
                        },
                    },
                    "AudioDescriptions": [{
                        "AudioSourceName": "Audio Selector 1",
                        "CodecSettings": {
                            "Codec": "AAC",
                            "AacSettings": {"Bitrate": 128_000, "CodingMode": "CODING_MODE_2_0", "SampleRate": 48_000},
                        },
                    }],
                }],
            },
            {
                "Name": "Poster",
                "OutputGroupSettings": {
                    "Type": "FILE_GROUP_SETTINGS",
                    "FileGroupSettings": {"Destination": destination + POSTER_NAME},
                },
                "Outputs": [{
                    "ContainerSettings": {"Container": "RAW"},
                    "VideoDescription": {
                        **fit,
                        "CodecSettings": {
                            "Codec": "FRAME_CAPTURE",
                            "FrameCaptureSettings": {
                                "FramerateNumerator": 1, "FramerateDenominator": 1, "MaxCaptures": 1, "Quality": 80,
                            },
                        },
                    },
                }],
            },
        ],
    }


class MediaConvertTranscoder:
    """Submits MediaConvert jobs, running as the stack's role in the stack's queue.

    MediaConvert now takes requests at its regional endpoint, so no DescribeEndpoints call.
    """

    def __init__(self, *, client: Any = None, role_arn: str | None = None, queue_arn: str | None = None) -> None:
        self._client = client
        self._role_arn = role_arn
        self._queue_arn = queue_arn

    def submit(self, *, media_id: str, source_bucket: str, source_key: str, destination_bucket: str,
               destination_prefix: str) -> str:
        from chalicelib.resources import VIDEO

        if self._client is None:
            import boto3

            self._client = boto3.client("mediaconvert", region_name=aws_region())
        response = self._client.create_job(
            Role=self._role_arn or os.environ[VIDEO.env_var],
            Queue=self._queue_arn or os.environ[VIDEO.queue_env_var],
            UserMetadata={"media_id": media_id},
            StatusUpdateInterval="SECONDS_60",
            Settings=job_settings(source_bucket=source_bucket, source_key=source_key,
                                  destination_bucket=destination_bucket, destination_prefix=destination_prefix),
        )
        return str(response["Job"]["Id"])


class LocalTranscoder:
    """MediaConvert's work done here with PyAV, reporting through ``on_event`` with MediaConvert's event.

    Jobs run one at a time on a background thread (``submit`` returns at once, as MediaConvert's
    does); ``wait()`` blocks until every submitted job has reported, ``close()`` also stops the thread.
    """

    def __init__(self, on_event: Callable[[dict[str, Any]], None], *, s3: Any = None,
                 account: str = "000000000000") -> None:
        self._on_event = on_event
        self._s3 = s3
        self._account = account
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-transcoder")
        self._jobs: list[Future[None]] = []
        self._lock = threading.Lock()

    def submit(self, *, media_id: str, source_bucket: str, source_key: str, destination_bucket: str,
               destination_prefix: str) -> str:
        job_id = f"{int(time.time() * 1000)}-{secrets.token_hex(3)}"  # MediaConvert's id shape
        future = self._executor.submit(self._run, job_id, media_id, source_bucket, source_key,
                                       destination_bucket, _prefix(destination_prefix))
        with self._lock:
            self._jobs = [job for job in self._jobs if not job.done()] + [future]
        return job_id

    def wait(self, timeout: float | None = None) -> None:
        """Block until every job submitted so far has called ``on_event``."""
        with self._lock:
            jobs = list(self._jobs)
        for job in jobs:
            job.result(timeout=timeout)

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    def _run(self, job_id: str, media_id: str, source_bucket: str, source_key: str,
             destination_bucket: str, prefix: str) -> None:
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3", region_name=aws_region())
        workdir = tempfile.mkdtemp(prefix="transcode-")
        try:
            source = os.path.join(workdir, "source")
            video_path, poster_path = os.path.join(workdir, "video.mp4"), os.path.join(workdir, "poster.jpg")
            self._s3.download_file(source_bucket, source_key, source)
            try:
                width, height, duration_ms = transcode_file(source, video_path, poster_path)
            except Exception as error:  # FFmpeg's errors for undecodable input, or no video in it
                event = self._event(job_id, media_id, "ERROR", errorCode=LOCAL_INPUT_ERROR,
                                    errorMessage=f"Failed probe/open: {type(error).__name__}: {error}")
            else:
                video_key, poster_key = f"{prefix}{VIDEO_NAME}.mp4", f"{prefix}{POSTER_NAME}.0000000.jpg"
                self._s3.upload_file(video_path, destination_bucket, video_key, ExtraArgs={"ContentType": "video/mp4"})
                self._s3.upload_file(poster_path, destination_bucket, poster_key,
                                     ExtraArgs={"ContentType": "image/jpeg"})
                details = {"durationInMs": duration_ms, "videoDetails": {"widthInPx": width, "heightInPx": height}}
                event = self._event(job_id, media_id, "COMPLETE", outputGroupDetails=[
                    {"outputDetails": [{"outputFilePaths": [f"s3://{destination_bucket}/{key}"], **details}],
                     "type": "FILE_GROUP"}
                    for key in (video_key, poster_key)
                ])
        except Exception as error:  # S3 itself failed: MediaConvert reports those as 3xxx errors
            log.exception("local transcode %s of %s failed", job_id, media_id)
            event = self._event(job_id, media_id, "ERROR", errorCode=3450, errorMessage=str(error))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        try:
            self._on_event(event)
        except Exception:  # the handler's failure is its own; the transcoder goes on with the next job
            log.exception("the transcoder's event handler failed for %s", media_id)

    def _event(self, job_id: str, media_id: str, status: str, **detail: Any) -> dict[str, Any]:
        """An event shaped as MediaConvert's (https://docs.aws.amazon.com/mediaconvert/latest/ug/ev_status_complete.html)."""
        region, now = aws_region(), datetime.now(UTC)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": EVENT_DETAIL_TYPE,
            "source": EVENT_SOURCE,
            "account": self._account,
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [f"arn:aws:mediaconvert:{region}:{self._account}:jobs/{job_id}"],
            "detail": {
                "timestamp": int(now.timestamp() * 1000),
                "accountId": self._account,
                "queue": f"arn:aws:mediaconvert:{region}:{self._account}:queues/Default",
                "jobId": job_id,
                "status": status,
                "userMetadata": {"media_id": media_id},
                **detail,
            },
        }


def output_size(width: int, height: int) -> tuple[int, int]:
    """Fit inside 1280 x 720 keeping the aspect, never upscale, even sides (H.264 4:2:0 needs them).

    >>> output_size(1920, 1080), output_size(1080, 1920), output_size(640, 360)
    ((1280, 720), (404, 720), (640, 360))
    """
    scale = min(1.0, MAX_WIDTH / width, MAX_HEIGHT / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def transcode_file(source: str, video_path: str, poster_path: str) -> tuple[int, int, int]:
    """Transcode ``source`` to an H.264/AAC MP4 and a JPEG of its first frame; (width, height, duration ms)."""
    import av

    rotation = _rotation(source)
    with av.open(source) as container:
        if not container.streams.video:
            raise ValueError("no video stream")
        video_in = container.streams.video[0]
        video_in.thread_type = "AUTO"
        audio_in = container.streams.audio[0] if container.streams.audio else None
        stored = (video_in.codec_context.width, video_in.codec_context.height)
        turned = rotation % 180 != 0
        width, height = output_size(*(stored[::-1] if turned else stored))
        rate = video_in.average_rate or 30
        with av.open(video_path, mode="w", format="mp4", options={"movflags": "+faststart"}) as output:
            video_out = output.add_stream("libx264", rate=rate)
            video_out.width, video_out.height, video_out.pix_fmt = width, height, "yuv420p"
            video_out.options = {"preset": "veryfast", "crf": "23"}
            audio_out = resampler = None
            if audio_in is not None:
                audio_out = output.add_stream("aac", rate=48_000)
                audio_out.layout = "stereo"
                audio_out.bit_rate = 128_000
                resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48_000)
            streams = [s for s in (video_in, audio_in) if s is not None]
            frames = 0
            for packet in container.demux(*streams):
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        if rotation:  # phones record turned and say so in a display matrix
                            upright = frame.to_image().rotate(rotation, expand=True)  # type: ignore[no-untyped-call]
                            rebuilt = av.VideoFrame.from_image(upright)  # type: ignore[no-untyped-call]
                            rebuilt.pts, rebuilt.time_base = frame.pts, frame.time_base
                            frame = rebuilt
                        scaled = frame.reformat(width=width, height=height, format="yuv420p")
                        if frames == 0:
                            scaled.to_image().save(poster_path, format="JPEG", quality=85)
                        frames += 1
                        output.mux(video_out.encode(scaled))
                    elif isinstance(frame, av.AudioFrame) and resampler is not None and audio_out is not None:
                        for resampled in resampler.resample(frame):
                            output.mux(audio_out.encode(resampled))
            if frames == 0:
                raise ValueError("no decodable video frame")
            output.mux(video_out.encode(None))
            if audio_out is not None and resampler is not None:
                for resampled in resampler.resample(None):
                    output.mux(audio_out.encode(resampled))
                output.mux(audio_out.encode(None))
    with av.open(video_path) as done:
        duration_ms = round((done.duration or 0) / 1000)  # the container's duration is in microseconds
    return width, height, duration_ms


def _rotation(source: str) -> int:
    """Degrees counter-clockwise the first frame's display matrix turns it (PyAV's ``VideoFrame.rotation``)."""
    import av

    with av.open(source) as container:
        if not container.streams.video:
            return 0
        for frame in container.decode(video=0):
            return round(frame.rotation) % 360
    return 0


_transcoder: Transcoder | None = None


def use_transcoder(t: Transcoder | None) -> None:
    """Serve ``transcoder()`` from ``t`` (the local platform's LocalTranscoder, a test's fake); None resets."""
    global _transcoder
    _transcoder = t


def transcoder() -> Transcoder:
    """The transcoder in use: MediaConvert unless one was injected."""
    global _transcoder
    if _transcoder is None:
        _transcoder = MediaConvertTranscoder()
    return _transcoder
