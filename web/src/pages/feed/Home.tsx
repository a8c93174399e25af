/**
 * The home feed: the composer on top, then posts of the people you follow and your own, newest first, with
 * infinite scroll. New posts pushed over the WebSocket wait behind a "Show N new posts" button.
 */
import { Link } from "react-router-dom";
import { keys } from "../../api/keys";
import type { Post } from "../../api/types";
import { Composer } from "../../components/compose/Composer";
import { PagedList } from "../../components/PagedList";
import { PostCard } from "../../components/PostCard";
import { Title } from "../../components/Title";
import { NewPostsBanner } from "./NewPostsBanner";

let marked = false;

/** The benchmark reads this mark: once per page load, after the feed's first page is on screen. */
function markFirstRender() {
  if (marked) return;
  marked = true;
  performance.mark("feed:first-render");
}

const renderPost = (post: Post) => <PostCard post={post} />;

export default function Home() {
  return (
    <>
      <Title text="Home" />
      <Composer />
      <h2 id="feed-top" className="visually-hidden" tabIndex={-1}>
        Your feed
      </h2>
      <NewPostsBanner />
      <PagedList<Post>
        queryKey={keys.feed}
        path="/feed"
        label="Your feed"
        render={renderPost}
        onFirstRender={markFirstRender}
        // Someone just followed (or was followed by) their first people: the backfill of those people's
        // posts is on its way (asynchronously), so an empty feed looks again every few seconds.
        pollWhileEmptyMs={4000}
        empty={
          <p>
            Your feed is empty. Write your first post above, or find people to follow in{" "}
            <Link to="/search">Search</Link> and <Link to="/explore">Explore</Link>.
          </p>
        }
      />
    </>
  );
}
