/**
 * Follow or unfollow someone with instant feedback: the button and the cached profile change at once and
 * go back if the API refuses; the API's answer (the true follower count) then replaces the guess.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api } from "../../api/client";
import { keys } from "../../api/keys";
import type { FollowState, Profile } from "../../api/types";
import { useSession } from "../../auth/useSession";

export function useFollow(username: string, initial: boolean) {
  const client = useQueryClient();
  const me = useSession()?.username;
  const [following, setFollowing] = useState(initial);
  useEffect(() => setFollowing(initial), [initial]);

  const mutation = useMutation({
    mutationFn: (follow: boolean) => {
      const path = `/users/${encodeURIComponent(username)}/follow`;
      return follow ? api.put<FollowState>(path) : api.del<FollowState>(path);
    },
    onMutate: async (follow) => {
      setFollowing(follow);
      await client.cancelQueries({ queryKey: keys.user(username) });
      const previous = client.getQueryData<Profile>(keys.user(username));
      if (previous && previous.following !== follow) {
        const delta = follow ? 1 : -1;
        client.setQueryData<Profile>(keys.user(username), {
          ...previous,
          following: follow,
          followers_count: Math.max(0, previous.followers_count + delta),
        });
      }
      return { previous };
    },
    onError: (_error, follow, context) => {
      setFollowing(!follow);
      if (context?.previous) client.setQueryData(keys.user(username), context.previous);
    },
    onSuccess: (state) => {
      setFollowing(state.following);
      client.setQueryData<Profile>(keys.user(username), (profile) =>
        profile && { ...profile, following: state.following, followers_count: state.followers_count },
      );
    },
    onSettled: () => {
      void client.invalidateQueries({ queryKey: keys.followers(username) });
      void client.invalidateQueries({ queryKey: keys.feed });
      void client.invalidateQueries({ queryKey: keys.me });
      if (me) {
        void client.invalidateQueries({ queryKey: keys.user(me) });
        void client.invalidateQueries({ queryKey: keys.following(me) });
      }
    },
  });

  return { following, toggle: () => mutation.mutate(!following), pending: mutation.isPending, error: mutation.error };
}
