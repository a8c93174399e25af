/** Who follows someone, or whom they follow (/u/:username/followers and /following). */
import { Link, useParams } from "react-router-dom";
import { keys } from "../../api/keys";
import type { Profile } from "../../api/types";
import { PagedList } from "../../components/PagedList";
import { Title } from "../../components/Title";
import { PersonRow } from "../../components/people/PersonRow";

export default function FollowList({ which }: { which: "followers" | "following" }) {
  const username = (useParams().username ?? "").toLowerCase();
  const followers = which === "followers";
  const title = followers ? `People following @${username}` : `People @${username} follows`;
  return (
    <div className="stack">
      <Link to={`/u/${username}`} className="people-back">
        <span aria-hidden="true">← </span>Back to @{username}
      </Link>
      <Title text={title} />
      <nav className="row follow-tabs" aria-label="Follow lists">
        <Link to={`/u/${username}/followers`} aria-current={followers ? "page" : undefined}>
          Followers
        </Link>
        <Link to={`/u/${username}/following`} aria-current={followers ? undefined : "page"}>
          Following
        </Link>
      </nav>
      <PagedList<Profile>
        key={which}
        queryKey={followers ? keys.followers(username) : keys.following(username)}
        path={`/users/${encodeURIComponent(username)}/${which}`}
        itemKey={(person) => person.username}
        render={(person) => <PersonRow person={person} />}
        empty={followers ? `No one follows @${username} yet.` : `@${username} doesn't follow anyone yet.`}
        label={followers ? "Followers" : "Following"}
      />
    </div>
  );
}
