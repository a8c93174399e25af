/** A hashtag's posts (/tags/:tag), newest first, with infinite scroll. */
import { Link, useParams } from "react-router-dom";
import { keys } from "../../api/keys";
import type { Post } from "../../api/types";
import { PagedList } from "../../components/PagedList";
import { PostCard } from "../../components/PostCard";
import { Title } from "../../components/Title";
import { SearchAwareError } from "./SearchOff";

const renderPost = (post: Post) => <PostCard post={post} />;
const renderError = (error: unknown, retry: () => void) => <SearchAwareError error={error} retry={retry} />;

export default function TagPage() {
  const { tag: raw = "" } = useParams();
  const tag = raw.replace(/^#/, "").toLowerCase();
  return (
    <>
      <Title text={`#${tag}`} actions={<Link to="/explore">Trending tags</Link>} />
      <PagedList<Post>
        key={tag}
        queryKey={keys.tagPosts(tag)}
        path={`/tags/${encodeURIComponent(tag)}/posts`}
        label={`Posts tagged #${tag}`}
        render={renderPost}
        renderError={renderError}
        empty={<p>No posts with #{tag} yet. Use it in a post and yours will be the first.</p>}
      />
    </>
  );
}
