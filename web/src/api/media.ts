/**
 * Uploading a photo or video: ask the API for a presigned form, send the bytes straight to S3 with progress,
 * then wait until the pipeline says `ready` (or `failed`, with its code).
 *
 *   const media = await upload(file, { onProgress: (p) => setProgress(p) });  // p in [0, 1]
 *   await describeMedia(media.id, "A cat on a sofa");
 */
import { api, ApiError, idempotencyKey } from "./client";
import type { CreatedMedia, Media } from "./types";

export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif"];
export const VIDEO_TYPES = ["video/mp4", "video/quicktime", "video/webm"];
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const MAX_VIDEO_BYTES = 200 * 1024 * 1024;
export const MAX_ALT_TEXT = 1500;

export interface UploadOptions {
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/** A problem with the file the person chose, found before anything is sent; null when it can go. */
export function fileProblem(file: File): string | null {
  const video = VIDEO_TYPES.includes(file.type);
  if (!video && !IMAGE_TYPES.includes(file.type)) {
    return "That kind of file isn't supported. Use JPEG, PNG, GIF, WebP, HEIC, MP4, MOV or WebM.";
  }
  if (file.size === 0) return "That file is empty.";
  const limit = video ? MAX_VIDEO_BYTES : MAX_IMAGE_BYTES;
  if (file.size > limit) return `That file is too large: ${video ? "videos" : "photos"} can be up to ${limit / 1024 / 1024} MB.`;
  return null;
}

function send(form: CreatedMedia["upload"], file: File, options: UploadOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    // XMLHttpRequest, not fetch: only it reports upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open(form.method, form.url);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) options.onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new ApiError(xhr.status, "upload_failed", "The upload was refused. Try again."));
    xhr.onerror = () => reject(new ApiError(0, "network_error", "The upload was interrupted. Try again."));
    xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
    options.signal?.addEventListener("abort", () => xhr.abort());
    if (form.method.toUpperCase() === "POST") {
      const body = new FormData();
      for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
      body.append("file", file); // S3 takes the file as the last field
      xhr.send(body);
    } else {
      for (const [name, value] of Object.entries(form.fields)) xhr.setRequestHeader(name, value);
      xhr.send(file);
    }
  });
}

/** Wait until the media is processed: polls with a growing interval, up to `timeoutMs`. */
export async function waitUntilProcessed(id: string, timeoutMs = 120_000, signal?: AbortSignal): Promise<Media> {
  const deadline = Date.now() + timeoutMs;
  let wait = 400;
  for (;;) {
    const media = await api.get<Media>(`/media/${id}`, undefined, signal);
    if (media.status === "ready") return media;
    if (media.status === "failed") {
      throw new ApiError(422, media.failure ?? "invalid_media", "That file couldn't be processed.");
    }
    if (Date.now() > deadline) throw new ApiError(0, "processing_timeout", "Processing is taking too long. Try again later.");
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 1.5, 3000);
  }
}

/** Upload a file and wait until it is ready to attach to a post or a profile. */
export async function upload(file: File, options: UploadOptions = {}): Promise<Media> {
  const problem = fileProblem(file);
  if (problem) throw new ApiError(422, "invalid_file", problem);
  const created = await api.post<CreatedMedia>("/media", { content_type: file.type, size: file.size }, {
    idempotencyKey: idempotencyKey(),
  });
  await send(created.upload, file, options);
  options.onProgress?.(1);
  return waitUntilProcessed(created.id, undefined, options.signal);
}

export function describeMedia(id: string, description: string): Promise<Media> {
  return api.patch<Media>(`/media/${id}`, { description });
}
