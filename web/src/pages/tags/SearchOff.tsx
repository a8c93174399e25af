/** Hashtags and trends live on search: when a flag turns it off (403 search_disabled), say so kindly. */
import { Link } from "react-router-dom";
import { ApiError } from "../../api/client";
import { ErrorNotice } from "../../components/States";

export function isSearchOff(error: unknown): boolean {
  return error instanceof ApiError && error.code === "search_disabled";
}

export function SearchAwareError({ error, retry }: { error: unknown; retry: () => void }) {
  if (isSearchOff(error)) {
    return (
      <div className="state empty stack">
        <p>Hashtags and trends are switched off for now, as part of search. Your feed still works.</p>
        <Link to="/" className="button secondary">
          Back to your feed
        </Link>
      </div>
    );
  }
  return <ErrorNotice error={error} retry={retry} />;
}
