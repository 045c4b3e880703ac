/** The chaos report: one row per run (the fault-free one first), printed as a table, and as JSON for tests. */
import type { RunOutcome } from "./pipeline.ts";
import type { Comparison } from "./state.ts";

export interface ReportRow {
  readonly scenario: string;
  readonly passed: boolean;
  readonly faults: number;
  /** Longest time to recover over the run's faults, in seconds. */
  readonly recoverySeconds: number;
  readonly runSeconds: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly wrong: number;
  readonly workMessages: number;
  readonly streamEntries: number;
  readonly peakRssMb: number;
  readonly retries: number;
  readonly unexpectedExits: number;
  /** Per-fault recovery times, differences found, and why it failed. */
  readonly notes: readonly string[];
}

/** A row from a finished run and its comparison with the fault-free run. */
export function reportRow(
  scenario: string,
  outcome: RunOutcome,
  comparison: Comparison,
  maxRssMb: number,
  extraProblems: readonly string[] = [],
): ReportRow {
  const peakRssMb = Math.max(0, ...outcome.peakRssMb.values());
  const injected = outcome.faults.filter((fault) => !fault.skipped);
  const problems = [...extraProblems];
  if (peakRssMb > maxRssMb) problems.push(`a worker reached ${peakRssMb} MiB, over CHAOS_MAX_RSS_MB=${maxRssMb}`);
  const notes = [
    ...outcome.faults.map((fault) =>
      fault.skipped ? fault.what : `${fault.what}: recovered in ${fault.recoverySeconds.toFixed(1)} s`
    ),
    `peak RSS MiB: ${[...outcome.peakRssMb].map(([role, mb]) => `${role} ${mb}`).join(", ")}`,
    ...outcome.unexpectedExits.map((exit) => `unexpected exit (restarted): ${exit.slice(0, 300)}`),
    ...comparison.examples,
    ...problems,
  ];
  return {
    scenario,
    passed: comparison.lost + comparison.duplicated + comparison.wrong === 0 && problems.length === 0,
    faults: injected.length,
    recoverySeconds: Math.max(0, ...injected.map((fault) => fault.recoverySeconds)),
    runSeconds: outcome.seconds,
    lost: comparison.lost,
    duplicated: comparison.duplicated,
    wrong: comparison.wrong,
    workMessages: outcome.state.workMessages,
    streamEntries: outcome.state.streamEntries,
    peakRssMb,
    retries: outcome.retries,
    unexpectedExits: outcome.unexpectedExits.length,
    notes,
  };
}

/** A row for a run that did not finish. */
export function failedRow(scenario: string, error: unknown): ReportRow {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return {
    scenario,
    passed: false,
    faults: 0,
    recoverySeconds: NaN,
    runSeconds: NaN,
    lost: NaN,
    duplicated: NaN,
    wrong: NaN,
    workMessages: NaN,
    streamEntries: NaN,
    peakRssMb: NaN,
    retries: NaN,
    unexpectedExits: NaN,
    notes: [`did not finish: ${message.slice(0, 4000)}`],
  };
}

const COLUMNS: [string, (row: ReportRow) => string][] = [
  ["scenario", (row) => row.scenario],
  ["faults", (row) => String(row.faults)],
  ["recover s (max)", (row) => (row.faults ? row.recoverySeconds.toFixed(1) : "-")],
  ["run s", (row) => row.runSeconds.toFixed(0)],
  ["lost", (row) => String(row.lost)],
  ["duplicated", (row) => String(row.duplicated)],
  ["wrong", (row) => String(row.wrong)],
  ["work msgs", (row) => String(row.workMessages)],
  ["stream entries", (row) => String(row.streamEntries)],
  ["peak RSS MiB", (row) => String(row.peakRssMb)],
  ["retries", (row) => String(row.retries)],
  ["crashes", (row) => String(row.unexpectedExits)],
  ["result", (row) => (row.passed ? "PASS" : "FAIL")],
];

/** The rows as a Markdown table followed by each row's notes. */
export function formatReport(rows: readonly ReportRow[]): string {
  const cells = rows.map((row) => COLUMNS.map(([, cell]) => cell(row)));
  const widths = COLUMNS.map(([title], i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) => `| ${values.map((value, i) => value.padEnd(widths[i]!)).join(" | ")} |`;
  const table = [
    line(COLUMNS.map(([title]) => title)),
    `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`,
    ...cells.map(line),
  ];
  const notes = rows.flatMap((row) => [`\n${row.scenario}:`, ...row.notes.map((note) => `  - ${note}`)]);
  return [...table, ...notes].join("\n");
}
