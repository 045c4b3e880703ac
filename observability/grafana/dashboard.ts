/**
 * The "Application Metrics" Grafana dashboard, defined as rows of panels and rendered to the JSON that
 * Grafana provisions. Edit the panels here, then regenerate the committed file:
 *   deno run observability/grafana/dashboard.ts > observability/grafana/dashboards/baggage-router.json
 * (tests/observability/dashboard_test.ts fails while the two differ).
 */
import type { PanelSpec, RowSpec } from "./panel_spec.ts";
import { OPERATIONS_ROWS } from "./rows_operations.ts";
import { PIPELINE_ROWS } from "./rows_pipeline.ts";

/** Every row of the dashboard, top to bottom. */
export const PANEL_ROWS: readonly RowSpec[] = [...PIPELINE_ROWS, ...OPERATIONS_ROWS];

/** The uid of the provisioned Prometheus data source (grafana/provisioning/datasources/prometheus.yml). */
export const DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;

const HEIGHT = { stat: 4, bargauge: 8, timeseries: 8 } as const;
const WIDTH = { bargauge: 8, timeseries: 8 } as const;

/** Every panel query of the dashboard, with the panel it belongs to. */
export function dashboardQueries(): { panel: string; expr: string }[] {
  return PANEL_ROWS.flatMap((row) =>
    row.panels.flatMap((panel) => panel.queries.map(({ expr }) => ({ panel: `${row.title} / ${panel.title}`, expr })))
  );
}

/** The dashboard JSON model (Grafana schema 39). */
export function buildDashboard() {
  let id = 0;
  let y = 0;
  const panels: Record<string, unknown>[] = [];
  for (const row of PANEL_ROWS) {
    panels.push({
      id: ++id,
      type: "row",
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    // The row's stats side by side on one line, sharing its width; the graphs below, in order.
    const stats = row.panels.filter((panel) => panel.kind === "stat");
    const statWidth = Math.max(4, Math.floor(24 / Math.max(stats.length, 1)));
    let x = 0;
    let lineHeight = 0;
    for (const panel of [...stats, ...row.panels.filter((panel) => panel.kind !== "stat")]) {
      const w = panel.kind === "stat" ? statWidth : panel.width ?? WIDTH[panel.kind];
      const h = HEIGHT[panel.kind];
      if (x + w > 24 || (x > 0 && panel.kind !== "stat" && panels.at(-1)?.type === "stat")) {
        x = 0;
        y += lineHeight;
        lineHeight = 0;
      }
      panels.push(renderPanel(panel, ++id, { h, w, x, y }));
      x += w;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  return {
    uid: "baggage-router",
    title: "Application Metrics",
    description:
      "Baggage Router: test data produced, flights and bags consumed into Redis, arriving-flight work, latencies, errors, lag, Redis and the work stream.",
    tags: ["baggage-router"],
    timezone: "utc",
    editable: true,
    graphTooltip: 1,
    refresh: "10s",
    schemaVersion: 39,
    version: 1,
    time: { from: "now-1h", to: "now" },
    timepicker: {},
    annotations: { list: [] },
    templating: { list: [] },
    links: [],
    panels,
  };
}

function renderPanel(panel: PanelSpec, id: number, gridPos: { h: number; w: number; x: number; y: number }) {
  const targets = panel.queries.map((query, index) => ({
    refId: String.fromCharCode(65 + index),
    datasource: DATASOURCE,
    expr: query.expr,
    legendFormat: query.legend ?? "__auto",
    range: true,
    instant: false,
  }));
  const thresholds = {
    mode: "absolute",
    steps: [
      { color: "green", value: null },
      ...(panel.redAbove === undefined ? [] : [{ color: "red", value: panel.redAbove }]),
    ],
  };
  const defaults = {
    unit: panel.unit ?? "short",
    decimals: panel.decimals,
    min: panel.kind === "stat" ? undefined : 0,
    thresholds,
  };
  return {
    id,
    type: panel.kind,
    title: panel.title,
    description: panel.description,
    datasource: DATASOURCE,
    gridPos,
    targets,
    fieldConfig: { defaults: dropUndefined(defaults), overrides: [] },
    options: panelOptions(panel),
  };
}

function panelOptions(panel: PanelSpec) {
  const reduceOptions = { calcs: ["lastNotNull"], fields: "", values: false };
  switch (panel.kind) {
    case "stat":
      return {
        reduceOptions,
        colorMode: panel.redAbove === undefined ? "none" : "value",
        graphMode: panel.unit === "dateTimeAsIso" ? "none" : "area",
        justifyMode: "auto",
        textMode: "value",
        orientation: "auto",
      };
    case "bargauge":
      return { reduceOptions, displayMode: "gradient", orientation: "horizontal", showUnfilled: true };
    case "timeseries":
      return {
        legend: { displayMode: "list", placement: "bottom", showLegend: true },
        tooltip: { mode: "multi", sort: "desc" },
      };
  }
}

function dropUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

if (import.meta.main) console.log(JSON.stringify(buildDashboard(), null, 2));
