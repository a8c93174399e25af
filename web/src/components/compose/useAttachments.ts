/**
 * The files attached to a post being written: each one uploads as soon as it is chosen (progress, then the
 * wait for processing), has a local preview (an object URL, revoked when it goes) and its own alt text.
 * Up to four photos, or one video on its own.
 *
 *   const { attachments, add, remove, setAlt, ready, clear } = useAttachments();
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { describe } from "../../api/errors";
import { fileProblem, upload, VIDEO_TYPES } from "../../api/media";
import type { Media } from "../../api/types";

export const MAX_PHOTOS = 4;

export interface Attachment {
  key: string;
  file: File;
  kind: "image" | "video";
  preview: string;
  /** 0..1 of the bytes sent; processing follows. */
  progress: number;
  state: "uploading" | "processing" | "ready" | "failed";
  media?: Media;
  error?: string;
  alt: string;
}

export function useAttachments() {
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const controllers = useRef(new Map<string, AbortController>());
  const current = useRef(attachments);
  current.current = attachments;

  const change = useCallback((key: string, patch: Partial<Attachment>) => {
    setAttachments((list) => list.map((item) => (item.key === key ? { ...item, ...patch } : item)));
  }, []);

  const start = useCallback(
    (item: Attachment) => {
      const controller = new AbortController();
      controllers.current.set(item.key, controller);
      upload(item.file, {
        signal: controller.signal,
        onProgress: (fraction) =>
          change(item.key, fraction >= 1 ? { progress: 1, state: "processing" } : { progress: fraction }),
      })
        .then((media) => change(item.key, { media, state: "ready", progress: 1 }))
        .catch((error: unknown) => {
          if ((error as Error).name === "AbortError") return;
          change(item.key, { state: "failed", error: describe(error) });
        })
        .finally(() => controllers.current.delete(item.key));
    },
    [change],
  );

  /** Attach the chosen files, refusing what breaks the rules (with a sentence saying why). */
  const add = useCallback(
    (files: Iterable<File>) => {
      const chosen = Array.from(files);
      if (chosen.length === 0) return;
      const existing = current.current;
      const videos = chosen.filter((file) => VIDEO_TYPES.includes(file.type));
      let message: string | null = null;
      if (videos.length > 0 && (chosen.length > 1 || existing.length > 0)) {
        message = "A video goes on its own: attach one video, or up to four photos.";
      } else if (existing.some((item) => item.kind === "video")) {
        message = "A video goes on its own: remove it to attach photos.";
      } else if (existing.length + chosen.length > MAX_PHOTOS) {
        message = `You can attach up to ${MAX_PHOTOS} photos.`;
      }
      const accepted: Attachment[] = [];
      if (!message) {
        for (const file of chosen) {
          const fault = fileProblem(file);
          if (fault) {
            message = `${file.name}: ${fault}`;
            continue;
          }
          accepted.push({
            key: crypto.randomUUID(),
            file,
            kind: VIDEO_TYPES.includes(file.type) ? "video" : "image",
            preview: URL.createObjectURL(file),
            progress: 0,
            state: "uploading",
            alt: "",
          });
        }
      }
      setProblem(message);
      if (accepted.length === 0) return;
      setAttachments((list) => [...list, ...accepted]);
      accepted.forEach(start);
    },
    [start],
  );

  const remove = useCallback((key: string) => {
    controllers.current.get(key)?.abort();
    const item = current.current.find((candidate) => candidate.key === key);
    if (item) URL.revokeObjectURL(item.preview);
    setAttachments((list) => list.filter((candidate) => candidate.key !== key));
    setProblem(null);
  }, []);

  const retry = useCallback(
    (key: string) => {
      const item = current.current.find((candidate) => candidate.key === key);
      if (!item) return;
      const again = { ...item, state: "uploading" as const, progress: 0, error: undefined };
      change(key, again);
      start(again);
    },
    [change, start],
  );

  const setAlt = useCallback((key: string, alt: string) => change(key, { alt }), [change]);

  /** After posting: the media belong to the post now; only the previews go. */
  const clear = useCallback(() => {
    current.current.forEach((item) => URL.revokeObjectURL(item.preview));
    setAttachments([]);
    setProblem(null);
  }, []);

  useEffect(
    () => () => {
      // Leaving the page: stop uploads nobody will post and free the previews.
      controllers.current.forEach((controller) => controller.abort());
      current.current.forEach((item) => URL.revokeObjectURL(item.preview));
    },
    [],
  );

  const ready = attachments.every((item) => item.state === "ready");
  return { attachments, problem, add, remove, retry, setAlt, clear, ready };
}
