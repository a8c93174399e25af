/**
 * Create an account, confirm it with the emailed code where the stack asks for one, and sign in.
 * The local platform and preview stacks confirm at once: the code step only appears when sign-in says so.
 */
import { useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate } from "react-router-dom";
import { ApiError } from "../../api/client";
import { confirm, register, signIn } from "../../auth/account";
import { useSession } from "../../auth/useSession";
import { Field } from "../../components/Field";
import { ErrorNotice } from "../../components/States";
import { Title } from "../../components/Title";
import { SocialButtons } from "./SocialButtons";

const USERNAME = /^[a-z0-9_]{3,30}$/;

export default function SignUp() {
  const navigate = useNavigate();
  const signedIn = useSession();
  const [form, setForm] = useState({ username: "", email: "", password: "", display_name: "" });
  const [code, setCode] = useState("");
  const [step, setStep] = useState<"details" | "confirm">("details");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (signedIn) return <Navigate to="/" replace />;

  const set = (name: keyof typeof form) => (event: { target: { value: string } }) =>
    setForm({ ...form, [name]: event.target.value });
  const usernameProblem =
    form.username && !USERNAME.test(form.username) ? "3 to 30 lowercase letters, digits or underscores." : null;

  async function finish() {
    const answer = await signIn(form.username, form.password);
    navigate(answer.kind === "signed_in" ? "/" : "/signin", { replace: true });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (usernameProblem) return;
    setBusy(true);
    setError(null);
    try {
      if (step === "confirm") {
        await confirm(form.username, code.trim());
        await finish();
        return;
      }
      await register({ ...form, display_name: form.display_name || undefined });
      try {
        await finish();
      } catch (caught) {
        if (caught instanceof ApiError && caught.code === "user_not_confirmed") setStep("confirm");
        else throw caught;
      }
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-page" id="main">
      <Title text={step === "confirm" ? "Confirm your email" : "Create your account"} />
      <form onSubmit={submit} className="stack">
        {step === "confirm" ? (
          <>
            <p>We emailed a code to {form.email}. Enter it to finish.</p>
            <Field
              label="Confirmation code"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              autoFocus
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </>
        ) : (
          <>
            <Field
              label="Username"
              autoComplete="username"
              autoCapitalize="none"
              required
              minLength={3}
              maxLength={30}
              hint="3 to 30 lowercase letters, digits or underscores."
              error={usernameProblem}
              value={form.username}
              onChange={(e) => setForm({ ...form, username: e.target.value.toLowerCase() })}
            />
            <Field label="Display name" autoComplete="name" maxLength={50} value={form.display_name} onChange={set("display_name")} />
            <Field label="Email" type="email" autoComplete="email" required value={form.email} onChange={set("email")} />
            <Field
              label="Password"
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              hint="At least 8 characters, with upper and lower case letters, a digit and a symbol."
              value={form.password}
              onChange={set("password")}
            />
          </>
        )}
        {error !== null && <ErrorNotice error={error} />}
        <button type="submit" disabled={busy}>
          {busy ? "One moment…" : step === "confirm" ? "Confirm" : "Create account"}
        </button>
      </form>
      <SocialButtons />
      <p>
        Already have an account? <Link to="/signin">Sign in</Link>
      </p>
    </main>
  );
}
