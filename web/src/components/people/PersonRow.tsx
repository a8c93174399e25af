/** One person in a list: picture, names, the start of their bio and a follow button (not for oneself). */
import { Link } from "react-router-dom";
import type { Profile } from "../../api/types";
import { useSession } from "../../auth/useSession";
import { Avatar } from "../Avatar";
import { FollowButton } from "./FollowButton";

export function PersonRow({ person }: { person: Profile }) {
  const me = useSession()?.username;
  return (
    <div className="person card">
      <Link to={`/u/${person.username}`} className="person-link">
        <Avatar username={person.username} src={person.avatar} size={44} />
        <span className="person-names">
          <strong>{person.display_name || person.username}</strong>
          <span className="muted">@{person.username}</span>
          {person.follows_you && <span className="follows-you">Follows you</span>}
        </span>
      </Link>
      {person.bio && <p className="person-bio muted">{person.bio}</p>}
      {me && me !== person.username && (
        <div className="person-action">
          <FollowButton username={person.username} following={person.following} named />
        </div>
      )}
    </div>
  );
}
