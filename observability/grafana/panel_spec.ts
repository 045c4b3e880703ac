/**
 * The shape of the dashboard's panels and helpers to write them briefly. The rows themselves are in
 * rows_pipeline.ts and rows_operations.ts; every query must return data while the pipeline runs
 * (tests/observability/prometheus_scrape_test.ts).
 */

/** One query of a panel; `legend` is Grafana's legend format. */
export interface Query {
  readonly expr: string;
  readonly legend?: string;
}

/** A panel: a stat (latest value), a time series or a bar gauge. */
export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly kind: "stat" | "timeseries" | "bargauge";
  readonly queries: readonly Query[];
  readonly unit?: string;
  readonly decimals?: number;
  readonly width?: number;
  /** Shows the value in red from this threshold on. */
  readonly redAbove?: number;
}

/** A dashboard row and its panels. */
export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

/** A query with an optional legend. */
export const q = (expr: string, legend?: string): Query => (legend === undefined ? { expr } : { expr, legend });
/** p50, p95 and p99 of a histogram over 5 minutes, summed over replicas. */
export const quantiles = (histogram: string, levels = [0.5, 0.95, 0.99]) =>
  levels.map((level) =>
    q(`histogram_quantile(${level}, sum by (le) (rate(${histogram}_bucket[5m])))`, `p${Math.round(level * 100)}`)
  );
/** A stat panel with the latest value of `expr`. */
export const total = (title: string, expr: string, description: string, unit = "short"): PanelSpec => ({
  title,
  description,
  kind: "stat",
  unit,
  queries: [q(expr)],
});
/** A time-series panel. */
export const series = (
  title: string,
  queries: Query[],
  description: string,
  unit = "short",
  width?: number,
): PanelSpec => ({
  title,
  description,
  kind: "timeseries",
  unit,
  queries,
  ...(width === undefined ? {} : { width }),
});
/** A time-series panel of a single query, `expr` with its `legend`. */
export const single = (
  title: string,
  expr: string,
  legend: string,
  description: string,
  unit = "short",
  width?: number,
): PanelSpec => series(title, [q(expr, legend)], description, unit, width);
/** A stat panel showing a Unix-seconds gauge as a date. */
export const latest = (title: string, gauge: string, description: string): PanelSpec => ({
  title,
  description,
  kind: "stat",
  unit: "dateTimeAsIso",
  queries: [q(`max(${gauge}) * 1000`)],
});
