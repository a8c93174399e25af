/** One post: author, time, text with its #tags and @mentions linked, media, like and comment counts. */
import { Link } from "react-router-dom";
import type { Post } from "../api/types";
import { Avatar } from "./Avatar";
import { RelativeTime } from "./RelativeTime";
import { RichText } from "./RichText";

export function PostCard({ post }: { post: Post }) {
  return (
    <article className="post" aria-labelledby={`post-${post.id}-author`}>
      <header className="post-header">
        <Link to={`/u/${post.author}`} className="post-author" id={`post-${post.id}-author`}>
          <Avatar username={post.author} src={post.author_avatar} />
          <span>
            <strong>{post.author_display_name || post.author}</strong> <span className="muted">@{post.author}</span>
          </span>
        </Link>
        <Link to={`/posts/${post.id}`} className="muted">
          <RelativeTime iso={post.created_at} />
        </Link>
      </header>
      <RichText text={post.content} />
      <footer className="post-actions muted">
        <span>{post.likes_count} likes</span>
        <Link to={`/posts/${post.id}`}>{post.comments_count} comments</Link>
      </footer>
    </article>
  );
}
