/**
 * The app's routes. Sign-in pages and the home feed are in the first download; every other page is its own
 * chunk, fetched when first visited (the initial JavaScript stays small: `make bench` prints its size).
 */
import { lazy, Suspense, type ReactNode } from "react";
import { createBrowserRouter, Navigate, RouterProvider, useLocation } from "react-router-dom";
import { useSession } from "./auth/useSession";
import { Layout } from "./components/Layout";
import { RouteError } from "./components/RouteError";
import { Loading } from "./components/States";
import { Title } from "./components/Title";
import Home from "./pages/feed/Home";
import SignIn from "./pages/auth/SignIn";

const SignUp = lazy(() => import("./pages/auth/SignUp"));
const Callback = lazy(() => import("./pages/auth/Callback"));
const PostPage = lazy(() => import("./pages/posts/PostPage"));
const TagPage = lazy(() => import("./pages/tags/TagPage"));
const Explore = lazy(() => import("./pages/tags/Explore"));
const Profile = lazy(() => import("./pages/people/Profile"));
const FollowList = lazy(() => import("./pages/people/FollowList"));
const EditProfile = lazy(() => import("./pages/people/EditProfile"));
const Search = lazy(() => import("./pages/search/Search"));
const Notifications = lazy(() => import("./pages/notifications/Notifications"));
const NotificationSettings = lazy(() => import("./pages/notifications/NotificationSettings"));
const Messages = lazy(() => import("./pages/messages/Messages"));
const Wallet = lazy(() => import("./pages/wallet/Wallet"));
const Rewards = lazy(() => import("./pages/rewards/Rewards"));
const Orders = lazy(() => import("./pages/rewards/Orders"));
const Admin = lazy(() => import("./pages/admin/Admin"));
const Settings = lazy(() => import("./pages/settings/Settings"));
const Security = lazy(() => import("./pages/settings/Security"));

function RequireAuth({ children }: { children: ReactNode }) {
  const user = useSession();
  const location = useLocation();
  if (!user) return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  return children;
}

function Page({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

function NotFound() {
  return (
    <>
      <Title text="Page not found" />
      <p>There is nothing here. Check the address or go back home.</p>
    </>
  );
}

const router = createBrowserRouter([
  { path: "/signin", element: <SignIn />, errorElement: <RouteError /> },
  { path: "/signup", element: <Page><SignUp /></Page>, errorElement: <RouteError /> },
  { path: "/auth/callback", element: <Page><Callback /></Page>, errorElement: <RouteError /> },
  {
    errorElement: <RouteError />,
    element: (
      <RequireAuth>
        <Layout />
      </RequireAuth>
    ),
    children: [
      {
        // Inside the layout: a page that fails keeps the navigation around its message.
        errorElement: <RouteError />,
        children: [
          { index: true, element: <Home /> },
          { path: "posts/:postId", element: <Page><PostPage /></Page> },
          { path: "tags/:tag", element: <Page><TagPage /></Page> },
          { path: "explore", element: <Page><Explore /></Page> },
          { path: "u/:username", element: <Page><Profile /></Page> },
          { path: "u/:username/followers", element: <Page><FollowList which="followers" /></Page> },
          { path: "u/:username/following", element: <Page><FollowList which="following" /></Page> },
          { path: "search", element: <Page><Search /></Page> },
          { path: "notifications", element: <Page><Notifications /></Page> },
          { path: "messages", element: <Page><Messages /></Page> },
          { path: "messages/:username", element: <Page><Messages /></Page> },
          { path: "wallet", element: <Page><Wallet /></Page> },
          { path: "rewards", element: <Page><Rewards /></Page> },
          { path: "orders", element: <Page><Orders /></Page> },
          { path: "admin", element: <Page><Admin /></Page> },
          { path: "settings", element: <Page><Settings /></Page> },
          { path: "settings/profile", element: <Page><EditProfile /></Page> },
          { path: "settings/notifications", element: <Page><NotificationSettings /></Page> },
          { path: "settings/security", element: <Page><Security /></Page> },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
  },
]);

export function App() {
  return <RouterProvider router={router} />;
}
