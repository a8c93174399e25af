/**
 * Two-factor sign-in (TOTP): ask for a secret, add it to an authenticator app (by its otpauth link or typed
 * in), prove it with a first code. The API then signs every session out (so a thief's session ends too):
 * the person signs in again, this time with a code.
 *
 * No QR code: drawing one needs an encoder the app doesn't ship; the otpauth link opens the authenticator
 * on a phone, and the grouped secret is easy to type on another device.
 */
import { useMutation, type UseMutationResult } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { api } from "../../api/client";
import { describe } from "../../api/errors";
import type { TotpSecret } from "../../api/types";
import { signOut } from "../../auth/account";
import { Field } from "../../components/Field";
import { Title } from "../../components/Title";

/** "jbswy3dpehpk3pxp" → "JBSW Y3DP EHPK 3PXP": easier to read out and type (base32 ignores case). */
function groupsOfFour(secret: string): string {
  return (secret.replace(/\s+/g, "").toUpperCase().match(/.{1,4}/g) ?? []).join(" ");
}

export default function Security() {
  const start = useMutation({ mutationFn: () => api.post<TotpSecret>("/auth/mfa/totp") });
  const verify = useMutation({
    mutationFn: (code: string) => api.post<{ enabled: boolean }>("/auth/mfa/totp/verify", { code }),
  });

  return (
    <>
      <Title text="Two-factor sign-in" />
      <div className="stack">
        {verify.isSuccess ? (
          <Enabled />
        ) : start.data ? (
          <Enrol secret={start.data} verify={verify} />
        ) : (
          <section className="card stack coins-card" aria-labelledby="mfa-intro">
            <h2 id="mfa-intro">Protect your account with a code</h2>
            <p>
              After your password, we'll ask for a 6-digit code from an authenticator app on your phone (Google
              Authenticator, Authy, 1Password and others). Admins must turn this on.
            </p>
            {start.isError && (
              <p className="notice error" role="alert">
                {describe(start.error)}
              </p>
            )}
            <div>
              <button type="button" disabled={start.isPending} onClick={() => start.mutate()}>
                Set up two-factor sign-in
              </button>
            </div>
          </section>
        )}
      </div>
    </>
  );
}

interface EnrolProps {
  secret: TotpSecret;
  verify: UseMutationResult<{ enabled: boolean }, Error, string>;
}

function Enrol({ secret, verify }: EnrolProps) {
  const [code, setCode] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const digits = code.replace(/\s+/g, "");
    if (!/^[0-9]{6}$/.test(digits)) return setProblem("Enter the 6 digits your app shows.");
    setProblem(null);
    verify.mutate(digits);
  };
  const copy = () => {
    void navigator.clipboard?.writeText(secret.secret).then(() => setCopied(true), () => setCopied(false));
  };

  return (
    <section className="card stack coins-card" aria-labelledby="mfa-enrol">
      <h2 id="mfa-enrol" ref={heading} tabIndex={-1}>
        Add your account to the app
      </h2>
      <ol className="stack mfa-steps">
        <li>
          On this phone, <a href={secret.otpauth_uri}>open it in your authenticator app</a>. On another device,
          choose "enter a setup key" in the app and type this key (time-based):
          <p className="mfa-secret">
            <code>{groupsOfFour(secret.secret)}</code>{" "}
            <button type="button" className="link" onClick={copy}>
              Copy key
            </button>
            <span role="status" className="muted">
              {copied ? "Copied." : ""}
            </span>
          </p>
        </li>
        <li>
          <form className="stack" noValidate onSubmit={submit}>
            <Field
              label="Code from your authenticator app"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={7}
              hint="6 digits; a new one every 30 seconds."
              value={code}
              error={problem ?? (verify.isError ? describe(verify.error) : null)}
              disabled={verify.isPending}
              onChange={(event) => setCode(event.target.value)}
            />
            <div>
              <button type="submit" disabled={verify.isPending}>
                Turn on
              </button>
            </div>
          </form>
        </li>
      </ol>
    </section>
  );
}

function Enabled() {
  const note = useRef<HTMLDivElement>(null);
  useEffect(() => note.current?.focus(), []);
  return (
    <div ref={note} tabIndex={-1} className="notice success stack" role="status">
      <p>
        Two-factor sign-in is on. For your safety you've been signed out everywhere: sign in again with your
        password, then a code from your app.
      </p>
      <div>
        <button type="button" onClick={() => void signOut()}>
          Sign in again
        </button>
      </div>
    </div>
  );
}
