/**
 * An admin action's failure. `mfa_required` (admins must use two-factor sign-in in production) links to
 * the page that turns it on; anything else is the usual sentence with an optional retry.
 */
import { Link } from "react-router-dom";
import { ApiError } from "../../api/client";
import { describe } from "../../api/errors";
import { ErrorNotice } from "../../components/States";

export function AdminError({ error, retry }: { error: unknown; retry?: () => void }) {
  if (error instanceof ApiError && error.code === "mfa_required") {
    return (
      <div className="notice error" role="alert">
        <span>{describe(error)}</span> <Link to="/settings/security">Turn on two-factor sign-in</Link>
      </div>
    );
  }
  return <ErrorNotice error={error} retry={retry} />;
}
