/**
 * A blurhash drawn on a small canvas that CSS stretches over the image's box: a soft preview of the photo
 * while it downloads (decoding 32×32 pixels is instant; the browser's scaling does the blur).
 */
import { decode, isBlurhashValid } from "blurhash";
import { useEffect, useRef } from "react";

const SIZE = 32;

export function BlurhashCanvas({ hash, className = "blurhash" }: { hash: string; className?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext("2d");
    if (!element || !context || !isBlurhashValid(hash).result) return;
    const image = context.createImageData(SIZE, SIZE);
    image.data.set(decode(hash, SIZE, SIZE));
    context.putImageData(image, 0, 0);
  }, [hash]);
  return <canvas ref={canvas} className={className} width={SIZE} height={SIZE} aria-hidden="true" />;
}
