/** A person's picture, or their initial on a colour derived from the username when they have none. */
interface Props {
  username: string;
  src?: string | null;
  size?: number;
  /** Empty when the name is shown beside it (screen readers would read it twice). */
  alt?: string;
}

function hue(username: string): number {
  let hash = 0;
  for (const char of username) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return hash;
}

export function Avatar({ username, src, size = 40, alt = "" }: Props) {
  const dimension = { width: size, height: size };
  if (src) return <img className="avatar" src={src} alt={alt} {...dimension} loading="lazy" decoding="async" />;
  return (
    <span
      className="avatar initial"
      role={alt ? "img" : undefined}
      aria-label={alt || undefined}
      aria-hidden={alt ? undefined : true}
      ref={(element) => {
        // CSSOM, not a style attribute: the CSP allows no inline styles.
        if (element) {
          element.style.width = element.style.height = `${size}px`;
          element.style.fontSize = `${Math.round(size / 2.4)}px`;
          element.style.backgroundColor = `hsl(${hue(username)} 55% 45%)`;
        }
      }}
    >
      {username.charAt(0).toUpperCase()}
    </span>
  );
}
