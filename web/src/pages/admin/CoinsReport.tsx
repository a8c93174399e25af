/**
 * "Coins report": issued, redeemed and outstanding coins per UTC day over a chosen period, as a table, and
 * the same range as a CSV file (the route answers CSV to `format=csv`).
 */
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api } from "../../api/client";
import { keys } from "../../api/keys";
import type { CoinReport } from "../../api/types";
import { Empty, Loading } from "../../components/States";
import { AdminError } from "./AdminError";

const PERIODS = [7, 30, 90] as const;
const number = new Intl.NumberFormat();
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

/** The report's range: the last `days` UTC days, today included. */
function range(days: number): { from: string; to: string } {
  const today = new Date();
  const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (days - 1)));
  return { from: first.toISOString().slice(0, 10), to: today.toISOString().slice(0, 10) };
}

function saveFile(text: string, name: string) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once started; free the object URL after the click is handled.
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

export function CoinsReport() {
  const periodId = useId();
  const [days, setDays] = useState<number>(30);
  const { from, to } = range(days);
  const report = useQuery({
    queryKey: keys.coinReport(days),
    queryFn: ({ signal }) => api.get<CoinReport>("/admin/reports/coins", { from, to }, signal),
    // Changing the period keeps the old table on screen (marked busy) instead of flashing a spinner.
    placeholderData: keepPreviousData,
  });
  const download = useMutation({
    mutationFn: () => api.text("/admin/reports/coins", { from, to, format: "csv" }),
    onSuccess: (csv) => saveFile(csv, `coins-${from}-${to}.csv`),
  });

  return (
    <section aria-labelledby="coins-report-heading" className="stack">
      <h2 id="coins-report-heading">Coins report</h2>
      <div className="row report-controls">
        <div className="field">
          <label htmlFor={periodId}>Period</label>
          <select id={periodId} value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {PERIODS.map((n) => (
              <option key={n} value={n}>
                Last {n} days
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="secondary" disabled={download.isPending} onClick={() => download.mutate()}>
          Download CSV
        </button>
      </div>
      {download.isError && <AdminError error={download.error} />}
      {report.isPending ? (
        <Loading label="Loading the report…" />
      ) : report.isError ? (
        <AdminError error={report.error} retry={() => void report.refetch()} />
      ) : report.data.days.length === 0 ? (
        <Empty>No coins moved in this period.</Empty>
      ) : (
        <div className="table-scroll" role="region" aria-label="Coins report table" tabIndex={0}>
          <table className="report" aria-busy={report.isPlaceholderData}>
            <caption>
              Coins per UTC day, newest first, {dayFormat.format(new Date(report.data.days[0]!.day))} to{" "}
              {dayFormat.format(new Date(report.data.days.at(-1)!.day))}
            </caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Issued</th>
                <th scope="col">Redeemed</th>
                <th scope="col">Outstanding</th>
              </tr>
            </thead>
            <tbody>
              {[...report.data.days].reverse().map((day) => (
                <tr key={day.day}>
                  <th scope="row">
                    <time dateTime={day.day}>{dayFormat.format(new Date(day.day))}</time>
                  </th>
                  <td>{number.format(day.issued)}</td>
                  <td>{number.format(day.redeemed)}</td>
                  <td>{number.format(day.outstanding)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
