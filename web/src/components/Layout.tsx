/**
 * The frame of every signed-in page: a skip link, the navigation (with the live unread badge) and the page.
 * On a phone the navigation is a bar at the bottom; on wider screens a column on the left.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { NavLink, Outlet } from "react-router-dom";
import { api } from "../api/client";
import { Icon } from "./Icon";
import { keys } from "../api/keys";
import { signOut } from "../auth/account";
import { useIsAdmin, useSession } from "../auth/useSession";
import { realtime } from "../realtime/socket";

function UnreadBadge() {
  const unread = useQuery({
    queryKey: keys.unread,
    queryFn: ({ signal }) => api.get<{ count: number }>("/notifications/unread_count", undefined, signal),
    refetchInterval: 60_000, // the WebSocket is the fast path; this catches up after a missed push
  });
  const count = unread.data?.count ?? 0;
  if (count === 0) return null;
  return (
    <span className="badge" data-testid="unread-badge">
      {count > 99 ? "99+" : count}
      <span className="visually-hidden"> unread</span>
    </span>
  );
}

export function Layout() {
  const user = useSession();
  const admin = useIsAdmin();
  const client = useQueryClient();

  useEffect(() => {
    realtime.start();
    const offs = [
      realtime.on("notification", () => {
        void client.invalidateQueries({ queryKey: keys.unread });
        void client.invalidateQueries({ queryKey: keys.notifications, exact: true });
        void client.invalidateQueries({ queryKey: keys.wallet });
      }),
      realtime.on("message", () => void client.invalidateQueries({ queryKey: keys.conversations })),
    ];
    return () => offs.forEach((off) => off());
  }, [client]);

  const link = ({ isActive }: { isActive: boolean }) => (isActive ? "nav-link active" : "nav-link");
  // In the side navigation on wide screens only (on a phone they are in the top bar or on Settings).
  const wide = ({ isActive }: { isActive: boolean }) => `${link({ isActive })} wide-only`;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {/* On a phone the bottom bar holds the everyday places; the rest is up here (hidden on wide screens,
          where the side navigation has room for all of them). */}
      <header className="topbar">
        <NavLink to="/" className="brand">
          Social
        </NavLink>
        <span className="topbar-links">
          <NavLink to="/explore" className={link}>
            <Icon name="explore" /> <span className="nav-label">Explore</span>
          </NavLink>
          <NavLink to="/wallet" className={link}>
            <Icon name="coin" /> <span className="nav-label">Wallet</span>
          </NavLink>
          <NavLink to="/settings" className={link}>
            <Icon name="settings" /> <span className="nav-label">Settings</span>
          </NavLink>
        </span>
      </header>
      <nav className="nav" aria-label="Main">
        <NavLink to="/" end className={link}>
          <Icon name="home" /> <span className="nav-label">Home</span>
        </NavLink>
        <NavLink to="/search" className={link}>
          <Icon name="search" /> <span className="nav-label">Search</span>
        </NavLink>
        <NavLink to="/explore" className={wide}>
          <Icon name="explore" /> <span className="nav-label">Explore</span>
        </NavLink>
        <NavLink to="/notifications" className={link}>
          <Icon name="bell" /> <span className="nav-label">Notifications</span>
          <UnreadBadge />
        </NavLink>
        <NavLink to="/messages" className={link}>
          <Icon name="mail" /> <span className="nav-label">Messages</span>
        </NavLink>
        <NavLink to="/wallet" className={wide}>
          <Icon name="coin" /> <span className="nav-label">Wallet</span>
        </NavLink>
        <NavLink to="/rewards" className={link}>
          <Icon name="gift" /> <span className="nav-label">Rewards</span>
        </NavLink>
        {user && (
          <NavLink to={`/u/${user.username}`} className={link}>
            <Icon name="user" /> <span className="nav-label">Profile</span>
          </NavLink>
        )}
        {admin && (
          <NavLink to="/admin" className={link}>
            <Icon name="shield" /> <span className="nav-label">Admin</span>
          </NavLink>
        )}
        <NavLink to="/settings" className={wide}>
          <Icon name="settings" /> <span className="nav-label">Settings</span>
        </NavLink>
        <button type="button" className="nav-link wide-only sign-out" onClick={() => void signOut()}>
          <Icon name="signout" /> <span className="nav-label">Sign out</span>
        </button>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
