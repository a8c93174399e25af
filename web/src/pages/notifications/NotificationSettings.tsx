/**
 * Notification settings (/settings/notifications): a table of switches, one per kind of notification and
 * channel. Each switch saves at once (optimistically, undone if the API refuses).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client";
import { describe } from "../../api/errors";
import { keys } from "../../api/keys";
import type { Preferences } from "../../api/types";
import { ErrorNotice, Loading } from "../../components/States";
import { Title } from "../../components/Title";

type Kind = keyof Preferences["types"];
type Channel = keyof Preferences["types"][Kind];

const KINDS: [Kind, string][] = [
  ["like", "Likes"],
  ["comment", "Comments"],
  ["follow", "New followers"],
  ["mention", "Mentions"],
  ["message", "Messages"],
  ["coins", "Coins earned"],
  ["order", "Orders"],
];
const CHANNELS: [Channel, string][] = [
  ["in_app", "In the app"],
  ["realtime", "Live"],
  ["email", "Email"],
  ["push", "Push"],
];

interface Change {
  kind?: Kind;
  channel?: Channel;
  digest?: boolean;
  on: boolean;
}

function apply(preferences: Preferences, change: Change): Preferences {
  if (change.digest !== undefined) return { ...preferences, digest: change.on };
  const kind = change.kind!;
  const channel = change.channel!;
  return {
    ...preferences,
    types: { ...preferences.types, [kind]: { ...preferences.types[kind], [channel]: change.on } },
  };
}

function useChange() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (change: Change) =>
      api.patch<Preferences>(
        "/notifications/preferences",
        change.digest !== undefined
          ? { digest: change.on }
          : { types: { [change.kind!]: { [change.channel!]: change.on } } },
      ),
    onMutate: async (change) => {
      await client.cancelQueries({ queryKey: keys.preferences });
      const previous = client.getQueryData<Preferences>(keys.preferences);
      if (previous) client.setQueryData(keys.preferences, apply(previous, change));
      return { previous };
    },
    onError: (_error, _change, context) => {
      if (context?.previous) client.setQueryData(keys.preferences, context.previous);
    },
    onSuccess: (preferences) => client.setQueryData(keys.preferences, preferences),
  });
}

function Switch({ label, checked, onChange }: { label: string; checked: boolean; onChange: (on: boolean) => void }) {
  return (
    <label className="pref-switch">
      <input type="checkbox" role="switch" checked={checked} onChange={(event) => onChange(event.target.checked)} />
      <span className="pref-track" aria-hidden="true" />
      <span className="visually-hidden">{label}</span>
    </label>
  );
}

export default function NotificationSettings() {
  const preferences = useQuery({
    queryKey: keys.preferences,
    queryFn: ({ signal }) => api.get<Preferences>("/notifications/preferences", undefined, signal),
  });
  const change = useChange();

  return (
    <div className="stack">
      <Title text="Notification settings" />
      {preferences.isPending && <Loading />}
      {preferences.isError && <ErrorNotice error={preferences.error} retry={() => void preferences.refetch()} />}
      {preferences.data && (
        <>
          <div className="pref-scroll">
            <table className="pref-table">
              <caption>What notifies you, and where</caption>
              <thead>
                <tr>
                  <th scope="col">Notification</th>
                  {CHANNELS.map(([channel, name]) => (
                    <th scope="col" key={channel}>
                      {name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {KINDS.map(([kind, name]) => (
                  <tr key={kind}>
                    <th scope="row">{name}</th>
                    {CHANNELS.map(([channel, channelName]) => (
                      <td key={channel}>
                        <Switch
                          label={`${name}: ${channelName}`}
                          checked={preferences.data.types[kind][channel]}
                          onChange={(on) => change.mutate({ kind, channel, on })}
                        />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="row">
            <label className="pref-switch">
              <input
                type="checkbox"
                role="switch"
                checked={preferences.data.digest}
                onChange={(event) => change.mutate({ digest: true, on: event.target.checked })}
              />
              <span className="pref-track" aria-hidden="true" />
              <span>Daily email digest</span>
            </label>
          </div>
          <p className="muted">
            “In the app” is this list of notifications; “Live” updates an open app at once; email and push reach
            you elsewhere.
          </p>
          <div aria-live="polite">{change.isError && <p className="notice error">{describe(change.error)}</p>}</div>
        </>
      )}
    </div>
  );
}
