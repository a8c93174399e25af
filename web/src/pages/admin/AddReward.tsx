/** "Add a reward": POST /admin/rewards, then the catalog (everyone's) shows it. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../../api/client";
import { keys } from "../../api/keys";
import type { NewReward, Reward } from "../../api/types";
import { AdminError } from "./AdminError";
import { check, RewardFields, type DraftErrors, type RewardDraft } from "./rewardForm";

const EMPTY: RewardDraft = { name: "", cost: "", stock: "" };

export function AddReward() {
  const client = useQueryClient();
  const [draft, setDraft] = useState<RewardDraft>(EMPTY);
  const [errors, setErrors] = useState<DraftErrors>({});
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: (body: NewReward) => api.post<Reward>("/admin/rewards", body),
    onSuccess: (reward) => {
      setAdded(reward.name);
      setDraft(EMPTY);
      void client.invalidateQueries({ queryKey: keys.rewards });
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setAdded(null);
    const checked = check(draft);
    if ("errors" in checked) return setErrors(checked.errors);
    setErrors({});
    add.mutate(checked.values);
  };

  return (
    <section aria-labelledby="add-reward-heading" className="card stack coins-card">
      <h2 id="add-reward-heading">Add a reward</h2>
      <form className="stack" aria-labelledby="add-reward-heading" noValidate onSubmit={submit}>
        <RewardFields draft={draft} errors={errors} disabled={add.isPending} onChange={setDraft} />
        {add.isError && <AdminError error={add.error} />}
        <div role="status">{added && <p className="notice success">Added {added} to the catalog.</p>}</div>
        <div className="row">
          <button type="submit" disabled={add.isPending}>
            Add reward
          </button>
        </div>
      </form>
    </section>
  );
}
