/** Edit one's own profile (/settings/profile): display name, bio, and a new profile photo. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { api } from "../../api/client";
import { keys } from "../../api/keys";
import { IMAGE_TYPES, upload } from "../../api/media";
import type { Profile, ProfileChange } from "../../api/types";
import { Avatar } from "../../components/Avatar";
import { Field } from "../../components/Field";
import { ErrorNotice, Loading } from "../../components/States";
import { Title } from "../../components/Title";

const MAX_BIO = 160;
const MAX_NAME = 50;

/** Save a change and put the answer where every page reads the profile from. */
function useSaveProfile() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (change: Partial<ProfileChange>) => api.patch<Profile>("/users/me", change),
    onSuccess: (profile) => {
      client.setQueryData(keys.me, profile);
      client.setQueryData(keys.user(profile.username), (old: Profile | undefined) => ({ ...old, ...profile }));
      void client.invalidateQueries({ queryKey: keys.userPosts(profile.username) });
      void client.invalidateQueries({ queryKey: keys.feed });
    },
  });
}

function PhotoForm({ profile }: { profile: Profile }) {
  const save = useSaveProfile();
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const inputId = useId();

  async function choose(file: File | undefined) {
    if (!file) return;
    setError(null);
    setDone(false);
    setProgress(0);
    try {
      const media = await upload(file, { onProgress: setProgress });
      await save.mutateAsync({ avatar_media_id: media.id });
      setDone(true);
    } catch (failure) {
      setError(failure);
    } finally {
      setProgress(null);
    }
  }

  const busy = progress !== null;
  return (
    <section className="card stack" aria-labelledby={`${inputId}-title`}>
      <h2 id={`${inputId}-title`}>Profile photo</h2>
      <div className="row">
        <Avatar username={profile.username} src={profile.avatar} size={72} alt="Your current profile photo" />
        <div className="field">
          <label htmlFor={inputId}>Choose a new photo</label>
          <input
            id={inputId}
            type="file"
            accept={IMAGE_TYPES.join(",")}
            disabled={busy}
            onChange={(event) => {
              void choose(event.target.files?.[0]);
              event.target.value = "";
            }}
          />
        </div>
      </div>
      {busy && (
        <div className="field">
          <label htmlFor={`${inputId}-progress`}>Uploading photo</label>
          <progress id={`${inputId}-progress`} max={1} value={progress ?? 0}>
            {Math.round((progress ?? 0) * 100)}%
          </progress>
        </div>
      )}
      <div aria-live="polite">
        {done && <p className="notice success">Your photo is updated.</p>}
      </div>
      {error !== null && <ErrorNotice error={error} />}
    </section>
  );
}

function DetailsForm({ profile }: { profile: Profile }) {
  const save = useSaveProfile();
  const [name, setName] = useState(profile.display_name);
  const [bio, setBio] = useState(profile.bio);
  const [saved, setSaved] = useState(false);
  const bioId = useId();
  useEffect(() => setSaved(false), [name, bio]);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ display_name: name.trim(), bio }, { onSuccess: () => setSaved(true) });
  }

  const bioLeft = MAX_BIO - bio.length;
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby={`${bioId}-title`}>
      <h2 id={`${bioId}-title`}>About you</h2>
      <Field
        label="Display name"
        value={name}
        maxLength={MAX_NAME}
        required
        autoComplete="name"
        onChange={(event) => setName(event.target.value)}
      />
      <div className="field">
        <label htmlFor={bioId}>Bio</label>
        <textarea
          id={bioId}
          value={bio}
          maxLength={MAX_BIO}
          aria-describedby={`${bioId}-left`}
          onChange={(event) => setBio(event.target.value)}
        />
        <small id={`${bioId}-left`} className="muted">
          {bioLeft} characters left
        </small>
      </div>
      <div className="row">
        <button type="submit" disabled={save.isPending || !name.trim()}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
        <Link to={`/u/${profile.username}`}>See how others see you</Link>
      </div>
      <div aria-live="polite">{saved && <p className="notice success">Saved.</p>}</div>
      {save.isError && <ErrorNotice error={save.error} />}
    </form>
  );
}

export default function EditProfile() {
  const me = useQuery({
    queryKey: keys.me,
    queryFn: ({ signal }) => api.get<Profile>("/users/me", undefined, signal),
  });
  return (
    <div className="stack edit-profile">
      <Title text="Edit profile" />
      {me.isPending && <Loading />}
      {me.isError && <ErrorNotice error={me.error} retry={() => void me.refetch()} />}
      {me.data && (
        <>
          <PhotoForm profile={me.data} />
          <DetailsForm profile={me.data} />
        </>
      )}
    </div>
  );
}
