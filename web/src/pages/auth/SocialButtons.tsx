/**
 * "Continue with Google / Facebook": Cognito's hosted pages with the authorization-code flow and PKCE.
 * The verifier stays in sessionStorage; the code comes back to /auth/callback, never a token in a URL.
 */
import { useEffect, useState } from "react";
import { loadConfig, type AppConfig } from "../../config";

export const PKCE_KEY = "social.pkce";

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function callbackUrl(): string {
  return `${window.location.origin}/auth/callback`;
}

async function start(config: AppConfig, provider: string): Promise<void> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const authorize = new URL("/oauth2/authorize", config.hosted_domain!);
  authorize.search = new URLSearchParams({
    identity_provider: provider,
    response_type: "code",
    client_id: config.client_id!,
    redirect_uri: callbackUrl(),
    scope: "openid email profile",
    code_challenge_method: "S256",
    code_challenge: challenge,
    state,
  }).toString();
  window.location.assign(authorize.toString());
}

export function SocialButtons() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  useEffect(() => void loadConfig().then(setConfig), []);
  if (!config?.hosted_domain || !config.client_id || config.identity_providers.length === 0) return null;
  return (
    <div className="social-sign-in">
      {config.identity_providers.map((provider) => (
        <button key={provider} type="button" className="secondary" onClick={() => void start(config, provider)}>
          Continue with {provider}
        </button>
      ))}
    </div>
  );
}
