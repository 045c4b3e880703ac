/** The Grafana dashboard, its provisioning, and docs/dashboard.md that documents it. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildDashboard, DATASOURCE, PANEL_ROWS } from "../../observability/grafana/dashboard.ts";
import { parseYaml, ROOT } from "./_tools.ts";

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
// deno-lint-ignore no-explicit-any
type Json = any;
const committed = (): Json => JSON.parse(read("observability/grafana/dashboards/baggage-router.json"));

Deno.test("observability/grafana/dashboards/baggage-router.json is exactly what dashboard.ts builds", () => {
  assert.deepEqual(
    committed(),
    JSON.parse(JSON.stringify(buildDashboard())),
    "regenerate: deno run observability/grafana/dashboard.ts > observability/grafana/dashboards/baggage-router.json",
  );
});

Deno.test("buildDashboard() is 'Application Metrics' with the original's four rows first, then the operations rows", () => {
  const dashboard = buildDashboard();
  assert.equal(dashboard.title, "Application Metrics");
  assert.equal(dashboard.uid, "baggage-router");
  const rows = dashboard.panels.filter((panel) => panel.type === "row").map((panel) => panel.title);
  assert.deepEqual(rows, [
    "Bags/Flights Production",
    "Bags/Flights Consumption (consumed and upserted into Redis)",
    "Database Stats (stored records and Redis memory)",
    "FlightArrivalWork Production (as flights and as bag work items by outcome)",
    "Latencies",
    "Errors and dead letters",
    "Consumer lag (queue depth)",
    "Redis",
    "Bridge and work stream",
    "Board and connection risk",
    "Processes",
  ]);
});

Deno.test("buildDashboard() gives each original row totals, rate(…[1m]) and latest-timestamp panels", () => {
  const exprs = (rowIndex: number) => PANEL_ROWS[rowIndex]!.panels.flatMap((panel) => panel.queries.map((q) => q.expr));
  for (
    const [row, counters, timestamp] of [
      [0, ["produced_test_flights_total", "produced_test_bags_total"], "latest_produced_flight_arrival_timestamp"],
      [1, ["processed_flights_total", "processed_bags_total"], "latest_consumed_flight_arrival_timestamp"],
      [3, ["produced_arriving_flight_work_total", "bag_work_items_total"], "latest_work_arrival_timestamp"],
    ] as const
  ) {
    for (const counter of counters) {
      assert.ok(exprs(row).includes(`sum(${counter})`), `${counter} total in row ${row}`);
      assert.ok(exprs(row).some((expr) => expr.includes(`rate(${counter}[1m])`)), `${counter} rate in row ${row}`);
    }
    assert.ok(exprs(row).includes(`max(${timestamp}) * 1000`), `${timestamp} in row ${row}`);
  }
  assert.ok(exprs(3).includes("sum by (outcome) (rate(bag_work_items_total[1m]))"));
  assert.ok(exprs(2).includes("max(redis_stored_flights)") && exprs(2).includes("sum(redis_memory_used_bytes)"));
});

Deno.test("buildDashboard() panels use the Prometheus data source by uid and tile the 24-column grid without overlap", () => {
  const panels = committed().panels as Json[];
  assert.equal(new Set(panels.map((panel) => panel.id)).size, panels.length, "unique ids");
  const taken = new Set<string>();
  for (const panel of panels) {
    const { x, y, w, h } = panel.gridPos;
    assert.ok(x >= 0 && w > 0 && x + w <= 24, `${panel.title} fits the grid`);
    for (let row = y; row < y + h; row++) {
      for (let column = x; column < x + w; column++) {
        assert.ok(!taken.has(`${row}:${column}`), `${panel.title} overlaps another panel`);
        taken.add(`${row}:${column}`);
      }
    }
    if (panel.type === "row") continue;
    assert.deepEqual(panel.datasource, DATASOURCE, panel.title);
    assert.ok(panel.targets.length > 0, panel.title);
    for (const target of panel.targets) assert.deepEqual(target.datasource, DATASOURCE, panel.title);
  }
});

Deno.test("Grafana provisioning points at the compose Prometheus with the dashboard's uid, and loads the mounted dashboards", async () => {
  const datasources = await parseYaml(read("observability/grafana/provisioning/datasources/prometheus.yml")) as Json;
  assert.deepEqual(
    datasources.datasources.map(({ uid, type, url, isDefault }: Json) => ({ uid, type, url, isDefault })),
    [{ uid: DATASOURCE.uid, type: DATASOURCE.type, url: "http://prometheus:9090", isDefault: true }],
  );
  const providers = await parseYaml(read("observability/grafana/provisioning/dashboards/baggage-router.yml")) as Json;
  const path = providers.providers[0].options.path;
  const compose = await parseYaml(read("docker-compose.yml")) as Json;
  assert.ok(compose.services.grafana.volumes.includes(`./observability/grafana/dashboards:${path}:ro`));
  assert.ok(
    compose.services.grafana.volumes.includes("./observability/grafana/provisioning:/etc/grafana/provisioning:ro"),
  );
  assert.equal(
    compose.services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH,
    `${path}/baggage-router.json`,
  );
});

Deno.test("docs/dashboard.md documents every panel, every alert and the UIs", () => {
  const page = read("docs/dashboard.md");
  const cell = (text: string) => new RegExp(`^\\| ${text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} +\\|`, "m");
  for (const row of PANEL_ROWS) {
    assert.ok(page.includes(row.title), `row ${row.title}`);
    for (const panel of row.panels) assert.match(page, cell(panel.title), `panel ${panel.title}`);
  }
  for (const [, alert] of read("observability/alerts.yml").matchAll(/- alert: (\w+)/g)) {
    assert.match(page, cell(alert!), `alert ${alert}`);
  }
  for (const port of ["3000", "9090", "8081"]) assert.ok(page.includes(`localhost:${port}`), `UI on port ${port}`);
});
