/**
 * "123 / 2000" under a text box; it turns to a warning near the limit and says how far over when past it.
 * Length counts code points, as the API does (an emoji is one character, not two UTF-16 units).
 */
export function length(text: string): number {
  return Array.from(text).length;
}

export function CharCount({ id, text, max }: { id: string; text: string; max: number }) {
  const used = length(text);
  const state = used > max ? "over" : used > max * 0.9 ? "near" : "";
  return (
    <small id={id} className={`char-count ${state}`}>
      {used > max ? `${used - max} characters too many` : `${used} / ${max}`}
    </small>
  );
}
