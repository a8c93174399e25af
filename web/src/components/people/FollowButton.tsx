/** "Follow" / "Unfollow" (the text says the state), with the API's refusal shown beside it. */
import { describe } from "../../api/errors";
import { useFollow } from "./useFollow";

interface Props {
  username: string;
  following: boolean;
  /** A longer accessible name where many buttons share a page ("Follow @bob"); the visible text stays short. */
  named?: boolean;
}

export function FollowButton({ username, following: initial, named = false }: Props) {
  const { following, toggle, pending, error } = useFollow(username, initial);
  const text = following ? "Unfollow" : "Follow";
  return (
    <span className="follow">
      <button
        type="button"
        className={following ? "secondary" : undefined}
        onClick={toggle}
        disabled={pending}
        aria-label={named ? `${text} @${username}` : undefined}
      >
        {text}
      </button>
      {error && (
        <small className="field-error" role="alert">
          {describe(error)}
        </small>
      )}
    </span>
  );
}
