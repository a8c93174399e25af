/**
 * User text as React nodes: #hashtags, @mentions and http(s) links become links, everything else stays text
 * (React escapes it: no HTML from users ever reaches the DOM).
 */
import { Fragment, type ReactNode } from "react";
import { Link } from "react-router-dom";

const TOKEN = /(#[\p{L}\p{N}_]+|@[a-z0-9_]{3,30}|https?:\/\/[^\s<]+[^\s<.,:;"')\]!?])/giu;

export function RichText({ text, className = "post-text" }: { text: string; className?: string }) {
  const nodes: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const token = match[0];
    const index = match.index ?? 0;
    if (index > last) nodes.push(text.slice(last, index));
    if (token.startsWith("#")) {
      nodes.push(<Link key={index} to={`/tags/${encodeURIComponent(token.slice(1).toLowerCase())}`}>{token}</Link>);
    } else if (token.startsWith("@")) {
      nodes.push(<Link key={index} to={`/u/${token.slice(1).toLowerCase()}`}>{token}</Link>);
    } else {
      nodes.push(
        <a key={index} href={token} target="_blank" rel="noopener noreferrer nofollow ugc">
          {token}
        </a>,
      );
    }
    last = index + token.length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return (
    <p className={className}>
      {nodes.map((node, i) => (
        <Fragment key={i}>{node}</Fragment>
      ))}
    </p>
  );
}
