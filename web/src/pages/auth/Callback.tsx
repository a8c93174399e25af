/** Where Cognito's hosted pages return: exchange the code (with the PKCE verifier) for tokens, then go home. */
import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { session, type Tokens } from "../../auth/session";
import { ErrorNotice, Loading } from "../../components/States";
import { loadConfig } from "../../config";
import { callbackUrl, PKCE_KEY } from "./SocialButtons";

export default function Callback() {
  const navigate = useNavigate();
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    // Drop the code from the address bar and history at once.
    window.history.replaceState(null, "", "/auth/callback");
    const stored = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "{}") as { verifier?: string; state?: string };
    sessionStorage.removeItem(PKCE_KEY);
    void (async () => {
      try {
        if (params.get("error")) throw new Error(params.get("error_description") ?? "Sign-in was cancelled.");
        if (!params.get("code") || !stored.verifier || params.get("state") !== stored.state) {
          throw new Error("This sign-in link is not valid any more. Start again.");
        }
        const config = await loadConfig();
        const response = await fetch(new URL("/oauth2/token", config.hosted_domain!).toString(), {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "authorization_code",
            client_id: config.client_id!,
            code: params.get("code")!,
            redirect_uri: callbackUrl(),
            code_verifier: stored.verifier,
          }),
        });
        if (!response.ok) throw new Error("The sign-in could not be completed. Try again.");
        session.signIn((await response.json()) as Tokens);
        navigate("/", { replace: true });
      } catch (caught) {
        setError(caught as Error);
      }
    })();
  }, [navigate]);

  if (!error) return <Loading label="Signing you in…" />;
  return (
    <main className="auth-page" id="main">
      <h1>Sign-in failed</h1>
      <ErrorNotice error={error} />
      <Link to="/signin">Back to sign in</Link>
    </main>
  );
}
