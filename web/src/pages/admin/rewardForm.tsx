/**
 * The fields of a reward (name, cost, stock) with the API's limits checked before sending, shared by
 * "Add a reward" and each reward's "Edit" form.
 */
import { Field } from "../../components/Field";

export interface RewardDraft {
  name: string;
  cost: string;
  stock: string;
}

export interface RewardValues {
  name: string;
  cost: number;
  stock: number;
}

const LIMIT = 1_000_000;

export type DraftErrors = Partial<Record<keyof RewardDraft, string>>;

/** The draft as the API's values, or what to fix (the same limits as NewReward on the server). */
export function check(draft: RewardDraft): { values: RewardValues } | { errors: DraftErrors } {
  const errors: DraftErrors = {};
  const name = draft.name.trim();
  if (!name) errors.name = "Give the reward a name.";
  else if (name.length > 100) errors.name = "Keep the name under 100 characters.";
  const cost = Number(draft.cost);
  if (draft.cost.trim() === "" || !Number.isInteger(cost) || cost < 1 || cost > LIMIT)
    errors.cost = "The cost is a whole number of coins, from 1 to 1,000,000.";
  const stock = Number(draft.stock);
  if (draft.stock.trim() === "" || !Number.isInteger(stock) || stock < 0 || stock > LIMIT)
    errors.stock = "The stock is a whole number, from 0 to 1,000,000.";
  return Object.keys(errors).length ? { errors } : { values: { name, cost, stock } };
}

interface Props {
  draft: RewardDraft;
  errors: DraftErrors;
  disabled: boolean;
  onChange: (draft: RewardDraft) => void;
}

export function RewardFields({ draft, errors, disabled, onChange }: Props) {
  return (
    <div className="reward-fields">
      <Field
        label="Name"
        value={draft.name}
        maxLength={100}
        required
        disabled={disabled}
        error={errors.name}
        onChange={(event) => onChange({ ...draft, name: event.target.value })}
      />
      <Field
        label="Cost"
        type="number"
        inputMode="numeric"
        min={1}
        max={LIMIT}
        step={1}
        required
        hint="In coins"
        disabled={disabled}
        error={errors.cost}
        value={draft.cost}
        onChange={(event) => onChange({ ...draft, cost: event.target.value })}
      />
      <Field
        label="Stock"
        type="number"
        inputMode="numeric"
        min={0}
        max={LIMIT}
        step={1}
        required
        hint="How many can be redeemed"
        disabled={disabled}
        error={errors.stock}
        value={draft.stock}
        onChange={(event) => onChange({ ...draft, stock: event.target.value })}
      />
    </div>
  );
}
