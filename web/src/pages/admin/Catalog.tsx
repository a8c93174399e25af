/**
 * The catalog as admins manage it: every reward on offer with "Edit" (an inline form sending only what
 * changed, PATCH /admin/rewards/{id}) and "Remove" (active: false, after a confirmation; the API lists only
 * active rewards, so a removed one leaves this list too).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api } from "../../api/client";
import { keys } from "../../api/keys";
import type { Reward, RewardChange } from "../../api/types";
import { CATALOG_PAGE } from "../../components/coins/wallet";
import { Coins } from "../../components/Coins";
import { ConfirmDialog } from "../../components/Dialog";
import { PagedList } from "../../components/PagedList";
import { AdminError } from "./AdminError";
import { check, RewardFields, type DraftErrors, type RewardDraft } from "./rewardForm";

const number = new Intl.NumberFormat();

export function Catalog() {
  return (
    <section aria-labelledby="catalog-heading" className="stack">
      <h2 id="catalog-heading">Catalog</h2>
      <PagedList<Reward>
        queryKey={keys.rewards}
        path="/rewards"
        pageSize={CATALOG_PAGE}
        label="Catalog"
        empty="The catalog is empty. Add the first reward above."
        render={(reward) => <CatalogItem reward={reward} />}
      />
    </section>
  );
}

function useChangeReward(reward: Reward, onDone: () => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (change: Partial<RewardChange>) =>
      api.patch<Reward>(`/admin/rewards/${encodeURIComponent(reward.id)}`, change),
    onSuccess: () => {
      onDone();
      void client.invalidateQueries({ queryKey: keys.rewards });
    },
  });
}

function CatalogItem({ reward }: { reward: Reward }) {
  const nameId = useId();
  const [editing, setEditing] = useState(false);
  const [removing, setRemoving] = useState(false);
  const remove = useChangeReward(reward, () => setRemoving(false));
  const editButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);

  // Closing the inline form puts focus back on this reward's "Edit" (the form, and its focus, are gone).
  useEffect(() => {
    if (wasEditing.current && !editing) editButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  if (editing) return <EditReward reward={reward} onClose={() => setEditing(false)} />;
  return (
    <div className="card catalog-item">
      <div className="catalog-facts">
        <strong id={nameId}>{reward.name}</strong>
        <span>
          <Coins amount={reward.cost} /> · <span className="muted">{number.format(reward.stock)} in stock</span>
        </span>
      </div>
      <div className="row">
        {/* The button is named "Edit"; its description says which reward. */}
        <button
          ref={editButton}
          type="button"
          className="secondary"
          aria-describedby={nameId}
          onClick={() => setEditing(true)}
        >
          Edit
        </button>
        <button type="button" className="secondary" aria-describedby={nameId} onClick={() => setRemoving(true)}>
          Remove
        </button>
      </div>
      <ConfirmDialog
        open={removing}
        title={`Remove ${reward.name}?`}
        confirmLabel="Remove"
        tone="danger"
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => remove.mutate({ active: false })}
        onClose={() => {
          setRemoving(false);
          remove.reset();
        }}
      >
        <p>It leaves the catalog: people can't redeem it any more. Orders already placed stay as they are.</p>
      </ConfirmDialog>
    </div>
  );
}

function EditReward({ reward, onClose }: { reward: Reward; onClose: () => void }) {
  const headingId = useId();
  const [draft, setDraft] = useState<RewardDraft>({
    name: reward.name,
    cost: String(reward.cost),
    stock: String(reward.stock),
  });
  const [errors, setErrors] = useState<DraftErrors>({});
  const save = useChangeReward(reward, onClose);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => form.current?.querySelector("input")?.focus(), []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = check(draft);
    if ("errors" in checked) return setErrors(checked.errors);
    setErrors({});
    const { name, cost, stock } = checked.values;
    const change: Partial<RewardChange> = {
      ...(name !== reward.name && { name }),
      ...(cost !== reward.cost && { cost }),
      ...(stock !== reward.stock && { stock }),
    };
    if (Object.keys(change).length === 0) return onClose();
    save.mutate(change);
  };

  return (
    <form ref={form} className="card stack" aria-labelledby={headingId} noValidate onSubmit={submit}>
      <h3 id={headingId}>Edit {reward.name}</h3>
      <RewardFields draft={draft} errors={errors} disabled={save.isPending} onChange={setDraft} />
      {save.isError && <AdminError error={save.error} />}
      <div className="row">
        <button type="submit" disabled={save.isPending}>
          Save changes
        </button>
        <button type="button" className="secondary" disabled={save.isPending} onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
