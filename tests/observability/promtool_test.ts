/** The Prometheus configurations and alert rules, checked by Debian's promtool. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROCESSES } from "../../lib/processes.ts";
import {
  ALERT_RULES_FILE,
  ensurePrometheusInstalled,
  localServiceAddresses,
  scrapeConfig,
} from "../../tools/stack/prometheus_server.ts";
import { parseYaml, ROOT, run } from "./_tools.ts";

const promtoolMissing = (() => {
  try {
    ensurePrometheusInstalled();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
})();
if (promtoolMissing) console.warn(`promtool tests skipped: ${promtoolMissing}`);

interface ScrapeJob {
  job_name: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  dns_sd_configs?: { names: string[]; type: string; port: number }[];
  relabel_configs?: { target_label: string; replacement: string }[];
}

const composeConfig = async () =>
  await parseYaml(readFileSync(join(ROOT, "observability/prometheus.yml"), "utf8")) as {
    rule_files: string[];
    scrape_configs: ScrapeJob[];
  };

Deno.test({
  name: "promtool check config accepts observability/prometheus.yml and the rules it loads",
  ignore: promtoolMissing !== undefined,
  async fn() {
    const result = await run("promtool", ["check", "config", "observability/prometheus.yml"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /SUCCESS: 1 rule files found/);
    assert.match(result.stdout, /SUCCESS: 15 rules found/);
  },
});

Deno.test({
  name: "promtool check rules accepts observability/alerts.yml",
  ignore: promtoolMissing !== undefined,
  async fn() {
    const result = await run("promtool", ["check", "rules", "observability/alerts.yml"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  },
});

Deno.test({
  name: "promtool test rules: each alert fires on the series that should fire it, and no other does",
  ignore: promtoolMissing !== undefined,
  async fn() {
    const result = await run("promtool", ["test", "rules", "tests/observability/alerts_test.yml"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  },
});

Deno.test({
  name: "scrapeConfig() for the local stack passes promtool check config with the same rules file",
  ignore: promtoolMissing !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "prometheus-config-" });
    try {
      const file = join(dir, "prometheus.yml");
      await Deno.writeTextFile(
        file,
        scrapeConfig({
          intervalSeconds: 5,
          prometheusAddress: "127.0.0.1:9090",
          redisExporterAddress: "127.0.0.1:9121",
          services: localServiceAddresses(),
          rulesFile: ALERT_RULES_FILE,
        }),
      );
      const result = await run("promtool", ["check", "config", file]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /SUCCESS: 15 rules found/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the compose and local Prometheus configs have the same jobs, each worker found by DNS on its port", async () => {
  const compose = await composeConfig();
  assert.deepEqual(compose.rule_files, ["alerts.yml"]);
  const local = JSON.parse(scrapeConfig({
    intervalSeconds: 5,
    prometheusAddress: "127.0.0.1:9090",
    redisExporterAddress: "127.0.0.1:9121",
    services: localServiceAddresses(),
    rulesFile: ALERT_RULES_FILE,
  })) as { scrape_configs: ScrapeJob[] };
  const jobNames = (jobs: ScrapeJob[]) => jobs.map((job) => job.job_name).sort();
  assert.deepEqual(jobNames(compose.scrape_configs), jobNames(local.scrape_configs));
  for (const [service, { metricsPort: port }] of Object.entries(PROCESSES)) {
    const job = compose.scrape_configs.find((job) => job.job_name === service);
    assert.deepEqual(job?.dns_sd_configs?.map(({ names, type, port }) => ({ names, type, port })), [
      { names: [service], type: "A", port },
    ]);
    const localJob = local.scrape_configs.find((job) => job.job_name === service);
    assert.deepEqual(localJob?.static_configs?.[0]?.targets, [`localhost:${port}`]);
  }
  const composeTail = compose.scrape_configs.find((job) => job.job_name === "tail");
  assert.deepEqual(composeTail?.relabel_configs, [{ target_label: "optional", replacement: "true" }]);
  const localTail = local.scrape_configs.find((job) => job.job_name === "tail");
  assert.deepEqual(localTail?.static_configs?.[0]?.labels, { optional: "true" });
  const redis = compose.scrape_configs.find((job) => job.job_name === "redis");
  assert.deepEqual(redis?.static_configs?.[0]?.targets, ["redis-exporter:9121"]);
});
