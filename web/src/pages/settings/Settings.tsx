/** Settings: where each kind of setting lives, and signing out of this device. */
import { useState } from "react";
import { Link } from "react-router-dom";
import { signOut } from "../../auth/account";
import { useSession } from "../../auth/useSession";
import { Title } from "../../components/Title";

const SECTIONS = [
  { to: "/settings/profile", name: "Edit profile", about: "Your display name, bio and photo." },
  { to: "/settings/notifications", name: "Notification settings", about: "What you're told about, and how." },
  { to: "/settings/security", name: "Two-factor sign-in", about: "A code from an authenticator app at sign-in." },
];

export default function Settings() {
  const user = useSession();
  const [leaving, setLeaving] = useState(false);
  return (
    <>
      <Title text="Settings" />
      <div className="stack">
        <ul className="list settings-list">
          {SECTIONS.map((section) => (
            <li key={section.to} className="card">
              <Link to={section.to}>{section.name}</Link>
              <p className="muted">{section.about}</p>
            </li>
          ))}
        </ul>
        <section aria-labelledby="session-heading" className="card stack coins-card">
          <h2 id="session-heading">This device</h2>
          {user && <p className="muted">You're signed in as @{user.username}.</p>}
          <div>
            {/* Not "Sign out": the navigation already has a button with that name on every page. */}
            <button
              type="button"
              className="secondary"
              disabled={leaving}
              onClick={() => {
                setLeaving(true);
                void signOut();
              }}
            >
              Log out of this device
            </button>
          </div>
        </section>
      </div>
    </>
  );
}
