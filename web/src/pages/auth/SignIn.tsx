/** Sign in with username and password, then the authenticator code where the account has TOTP on. */
import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router-dom";
import { answerChallenge, signIn } from "../../auth/account";
import { session } from "../../auth/session";
import { useSession } from "../../auth/useSession";
import { Field } from "../../components/Field";
import { ErrorNotice } from "../../components/States";
import { Title } from "../../components/Title";
import { SocialButtons } from "./SocialButtons";

export default function SignIn() {
  const navigate = useNavigate();
  const location = useLocation();
  const signedIn = useSession();
  const from = (location.state as { from?: string } | null)?.from ?? "/";
  const [reason] = useState(() => session.takeEndReason());
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [challenge, setChallenge] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (signedIn) return <Navigate to={from} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (challenge) {
        await answerChallenge(username, challenge, code);
      } else {
        const answer = await signIn(username, password);
        if (answer.kind === "mfa") {
          setChallenge(answer.session);
          return;
        }
      }
      navigate(from, { replace: true });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-page" id="main">
      <Title text="Sign in" />
      {reason === "expired" && (
        <p className="notice" role="status">
          Your session has expired. Please sign in again.
        </p>
      )}
      <form onSubmit={submit} className="stack" noValidate={false}>
        {challenge ? (
          <Field
            label="Code from your authenticator app"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            autoFocus
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/\D/g, ""))}
          />
        ) : (
          <>
            <Field
              label="Username"
              autoComplete="username"
              autoCapitalize="none"
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
            <Field
              label="Password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </>
        )}
        {error !== null && <ErrorNotice error={error} />}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : challenge ? "Verify" : "Sign in"}
        </button>
      </form>
      <SocialButtons />
      <p>
        New here? <Link to="/signup">Create an account</Link>
      </p>
    </main>
  );
}
