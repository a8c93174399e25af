/** Someone's profile (/u/:username): who they are, their counts, follow / message, then their posts. */
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { api, ApiError } from "../../api/client";
import { keys } from "../../api/keys";
import type { Post, Profile as ProfileData } from "../../api/types";
import { useSession } from "../../auth/useSession";
import { Avatar } from "../../components/Avatar";
import { PagedList } from "../../components/PagedList";
import { PostCard } from "../../components/PostCard";
import { RichText } from "../../components/RichText";
import { Empty, ErrorNotice, Loading } from "../../components/States";
import { Title } from "../../components/Title";
import { FollowButton } from "../../components/people/FollowButton";

const count = new Intl.NumberFormat();
const joined = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" });

function Counts({ profile }: { profile: ProfileData }) {
  const base = `/u/${profile.username}`;
  return (
    <ul className="profile-counts">
      <li>
        <strong>{count.format(profile.posts_count)}</strong> {profile.posts_count === 1 ? "post" : "posts"}
      </li>
      <li>
        <Link to={`${base}/followers`}>
          <strong>{count.format(profile.followers_count)}</strong>{" "}
          {profile.followers_count === 1 ? "follower" : "followers"}
        </Link>
      </li>
      <li>
        <Link to={`${base}/following`}>
          <strong>{count.format(profile.following_count)}</strong> following
        </Link>
      </li>
    </ul>
  );
}

function Actions({ profile }: { profile: ProfileData }) {
  const me = useSession()?.username;
  if (me === profile.username) {
    return (
      <Link to="/settings/profile" className="button secondary">
        Edit profile
      </Link>
    );
  }
  return (
    <div className="row">
      <FollowButton username={profile.username} following={profile.following} />
      <Link to={`/messages/${profile.username}`} className="button secondary">
        Message
      </Link>
    </div>
  );
}

function Header({ profile }: { profile: ProfileData }) {
  return (
    <section className="profile card" aria-label="About">
      <div className="profile-top">
        <Avatar username={profile.username} src={profile.avatar} size={88} />
        <Actions profile={profile} />
      </div>
      <Title text={profile.display_name || profile.username} />
      <p className="profile-handle muted">
        @{profile.username}
        {profile.follows_you && <span className="follows-you">Follows you</span>}
      </p>
      {profile.bio && <RichText text={profile.bio} className="profile-bio" />}
      <p className="muted profile-joined">
        Joined <time dateTime={profile.created_at}>{joined.format(new Date(profile.created_at))}</time>
      </p>
      <Counts profile={profile} />
    </section>
  );
}

export default function Profile() {
  const username = (useParams().username ?? "").toLowerCase();
  const profile = useQuery({
    queryKey: keys.user(username),
    queryFn: ({ signal }) => api.get<ProfileData>(`/users/${encodeURIComponent(username)}`, undefined, signal),
    retry: (failures, error) => !(error instanceof ApiError && error.status === 404) && failures < 2,
  });

  if (profile.isPending) return <Loading />;
  if (profile.isError) {
    if (profile.error instanceof ApiError && profile.error.status === 404) {
      return (
        <>
          <Title text="Profile not found" />
          <Empty>No one has that username.</Empty>
        </>
      );
    }
    return (
      <>
        <Title text="Profile" />
        <ErrorNotice error={profile.error} retry={() => void profile.refetch()} />
      </>
    );
  }
  return (
    <div className="stack">
      <Header profile={profile.data} />
      <section className="stack" aria-labelledby="profile-posts">
        <h2 id="profile-posts">Posts</h2>
        <PagedList<Post>
          queryKey={keys.userPosts(username)}
          path={`/users/${encodeURIComponent(username)}/posts`}
          render={(post) => <PostCard post={post} />}
          empty={`@${username} hasn't posted yet.`}
          label={`Posts by @${username}`}
        />
      </section>
    </div>
  );
}
