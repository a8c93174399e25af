/**
 * Explore (/explore): the hashtags used by the most people in the last 24 hours, each with how many people
 * used it and a small line of the last week, linking to the tag's page.
 */
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api } from "../../api/client";
import { keys } from "../../api/keys";
import type { TrendingTag, TrendingTags } from "../../api/types";

type TrendDay = TrendingTag["history"][number];
import { Empty, Loading } from "../../components/States";
import { Title } from "../../components/Title";
import { SearchAwareError } from "./SearchOff";

const WIDTH = 80;
const HEIGHT = 24;

/** The week's people per day as an SVG line (attributes, not styles: the CSP allows no inline styles). */
function Sparkline({ history }: { history: TrendDay[] }) {
  if (history.length < 2) return null;
  const days = [...history].sort((a, b) => (a.day < b.day ? -1 : 1));
  const top = Math.max(1, ...days.map((day) => day.people));
  const points = days
    .map((day, i) => `${((i / (days.length - 1)) * WIDTH).toFixed(1)},${(HEIGHT - 2 - (day.people / top) * (HEIGHT - 4)).toFixed(1)}`)
    .join(" ");
  return (
    <svg className="sparkline" width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} aria-hidden="true">
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
    </svg>
  );
}

export default function Explore() {
  const trends = useQuery({
    queryKey: keys.trends,
    queryFn: ({ signal }) => api.get<TrendingTags>("/trends/tags", { limit: 20 }, signal),
  });
  return (
    <>
      <Title text="Explore" />
      <h2>Trending hashtags</h2>
      {trends.isPending ? (
        <Loading />
      ) : trends.isError ? (
        <SearchAwareError error={trends.error} retry={() => void trends.refetch()} />
      ) : trends.data.items.length === 0 ? (
        <Empty>Nothing is trending yet. Posts with #hashtags from the last 24 hours show up here.</Empty>
      ) : (
        <ol className="list trends">
          {trends.data.items.map((trend, index) => (
            <li key={trend.tag} className="card trend">
              <span className="trend-rank muted" aria-hidden="true">
                {index + 1}
              </span>
              <span className="trend-main">
                <Link to={`/tags/${encodeURIComponent(trend.tag)}`} className="trend-tag">
                  #{trend.tag}
                </Link>
                <span className="muted">
                  {trend.people} {trend.people === 1 ? "person" : "people"} in the last 24 hours
                </span>
              </span>
              <Sparkline history={trend.history} />
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
