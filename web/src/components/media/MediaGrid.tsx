/**
 * A post's photos (1 to 4, in a grid) or its video. Photos load the `medium` variant with `small` in the
 * srcset, carry their width and height (no layout shift) and sit on their blurhash until they arrive; the
 * alt text is the author's description (empty, not missing, when there is none).
 */
import { useState } from "react";
import type { Media, MediaVariant } from "../../api/types";
import { BlurhashCanvas } from "./BlurhashCanvas";

function srcSet(media: Media): string | undefined {
  const entries = (["small", "medium"] as const)
    .map((name) => media.variants[name])
    .filter((variant): variant is MediaVariant => Boolean(variant?.width))
    .map((variant) => `${variant.url} ${variant.width}w`);
  return entries.length > 1 ? entries.join(", ") : undefined;
}

function Photo({ media, count }: { media: Media; count: number }) {
  const [loaded, setLoaded] = useState(false);
  const shown = media.variants.medium ?? media.variants.original ?? media.variants.small;
  if (!shown) return null;
  const width = shown.width ?? media.width ?? undefined;
  const height = shown.height ?? media.height ?? undefined;
  // One photo spans the column; in a grid each takes about half of it.
  const sizes = count === 1 ? "(max-width: 720px) 100vw, 640px" : "(max-width: 720px) 50vw, 320px";
  return (
    <div className={`media-cell${loaded ? " loaded" : ""}`}>
      {media.blurhash && !loaded && <BlurhashCanvas hash={media.blurhash} />}
      <img
        src={shown.url}
        srcSet={srcSet(media)}
        sizes={sizes}
        width={width}
        height={height}
        alt={media.description ?? ""}
        loading="lazy"
        decoding="async"
        onLoad={() => setLoaded(true)}
      />
    </div>
  );
}

function Video({ media }: { media: Media }) {
  const source = media.variants.original;
  if (!source) return null;
  const poster = media.variants.poster;
  return (
    <div className="media-cell video">
      <video
        src={source.url}
        poster={poster?.url}
        width={source.width ?? media.width ?? undefined}
        height={source.height ?? media.height ?? undefined}
        controls
        playsInline
        preload="metadata"
        aria-label={media.description || "Video"}
      />
    </div>
  );
}

export function MediaGrid({ media }: { media: Media[] }) {
  const ready = media.filter((item) => item.status === "ready");
  if (ready.length === 0) return null;
  const video = ready.find((item) => item.type === "video");
  if (video) {
    return (
      <div className="media-grid count-1">
        <Video media={video} />
      </div>
    );
  }
  const photos = ready.slice(0, 4);
  return (
    <div className={`media-grid count-${photos.length}`}>
      {photos.map((item) => (
        <Photo key={item.id} media={item} count={photos.length} />
      ))}
    </div>
  );
}
