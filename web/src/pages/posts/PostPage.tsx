/**
 * A post's page (/posts/:postId): the post itself (its author can edit or delete it here), then its
 * comments. A post that is gone gets a plain sentence, not an error.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, ApiError } from "../../api/client";
import { keys } from "../../api/keys";
import type { Post } from "../../api/types";
import { findPost } from "../../components/compose/postCache";
import { PostCard } from "../../components/PostCard";
import { ErrorNotice, Loading } from "../../components/States";
import { Title } from "../../components/Title";
import { CommentsSection } from "./Comments";

export default function PostPage() {
  const { postId = "" } = useParams();
  const client = useQueryClient();
  const navigate = useNavigate();
  const post = useQuery<Post>({
    queryKey: keys.post(postId),
    queryFn: ({ signal }) => api.get<Post>(`/posts/${encodeURIComponent(postId)}`, undefined, signal),
    // Show the copy the feed already has at once; it counts as stale, so the fresh one follows.
    initialData: () => findPost(client, postId),
    initialDataUpdatedAt: 0,
  });

  if (post.isPending) return <Loading />;
  if (post.isError) {
    const gone = post.error instanceof ApiError && (post.error.status === 404 || post.error.status === 400);
    if (gone) {
      return (
        <>
          <Title text="Post not found" />
          <div className="state empty stack">
            <p>This post was deleted or never existed.</p>
            <Link to="/" className="button secondary">
              Back to your feed
            </Link>
          </div>
        </>
      );
    }
    return (
      <>
        <Title text="Post" />
        <ErrorNotice error={post.error} retry={() => void post.refetch()} />
      </>
    );
  }
  return (
    <>
      <Title text="Post" />
      <PostCard post={post.data} onDeleted={() => navigate("/", { replace: true })} />
      <CommentsSection post={post.data} />
    </>
  );
}
