/**
 * What a person sees when a page fails to render or a chunk fails to load (a new deploy replaced it): a
 * message and a way on, never a blank page.
 */
import { isRouteErrorResponse, Link, useRouteError } from "react-router-dom";
import { describe } from "../api/errors";

export function RouteError() {
  const error = useRouteError();
  const chunkMissing = error instanceof TypeError && /dynamically imported module|Importing a module/i.test(error.message);
  const message = isRouteErrorResponse(error)
    ? error.status === 404
      ? "There is nothing here. Check the address or go back home."
      : error.statusText
    : chunkMissing
      ? "A new version of the app is available. Reload to get it."
      : describe(error);
  return (
    <main className="auth-page" id="main">
      <h1>Something went wrong</h1>
      <p className="notice error" role="alert">
        {message}
      </p>
      <div className="row">
        <button type="button" onClick={() => window.location.reload()}>
          Reload
        </button>
        <Link to="/">Go home</Link>
      </div>
    </main>
  );
}
