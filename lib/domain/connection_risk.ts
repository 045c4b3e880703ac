/**
 * The risk that a transfer bag misses its connection. Its slack is the next flight's departure minus the arriving
 * flight's arrival minus the minimum connection time: the minutes the transfer can lose and still make it.
 * Grades, most urgent first: `critical` (slack below 0), `hot` (below HOT_SLACK_SECONDS), `warm` (below
 * WARM_SLACK_SECONDS), else `ok`.
 *
 * This is the one place grades are computed: the scanner's `connection_risk_bags` gauge, the board's server and,
 * through lib/board/page_modules.ts, the board's page all run these functions. connectionRisk and worstGrade are
 * self-contained (they use nothing outside their own body) because the board serves their source to the browser.
 */

/** The grades, most urgent first. */
export const RISK_GRADES = ["critical", "hot", "warm", "ok"] as const;

export type RiskGrade = (typeof RISK_GRADES)[number];

/** MIN_CONNECTION_SECONDS, HOT_SLACK_SECONDS and WARM_SLACK_SECONDS. */
export interface RiskThresholds {
  readonly minConnectionSeconds: number;
  readonly hotSlackSeconds: number;
  readonly warmSlackSeconds: number;
}

export interface ConnectionRisk {
  /** Seconds the connection can lose and still be made; negative when it cannot be. */
  readonly slackSeconds: number;
  readonly grade: RiskGrade;
}

/**
 * The risk of a bag arriving at `arrivalTime` whose work value is `nextDeparture`, or null when that value is a
 * code (final destination, unknown itinerary or next flight…): only a bag with a next departure has a connection.
 */
export function connectionRisk(
  arrivalTime: number,
  nextDeparture: number,
  thresholds: RiskThresholds,
): ConnectionRisk | null {
  if (!(nextDeparture > 0)) return null;
  const slackSeconds = nextDeparture - arrivalTime - thresholds.minConnectionSeconds;
  const grade = slackSeconds < 0
    ? "critical"
    : slackSeconds < thresholds.hotSlackSeconds
    ? "hot"
    : slackSeconds < thresholds.warmSlackSeconds
    ? "warm"
    : "ok";
  return { slackSeconds, grade };
}

/** The most urgent of `grades` (`ok` when there are none). */
export function worstGrade(grades: Iterable<RiskGrade>): RiskGrade {
  const order = ["critical", "hot", "warm", "ok"];
  let worst = 3;
  for (const grade of grades) worst = Math.min(worst, order.indexOf(grade));
  return order[worst] as RiskGrade;
}

/** Bags by grade for a flight arriving at `arrivalTime` whose bags have these work values (codes not counted). */
export function countGrades(
  arrivalTime: number,
  values: Iterable<number>,
  thresholds: RiskThresholds,
): Record<RiskGrade, number> {
  const counts = { critical: 0, hot: 0, warm: 0, ok: 0 };
  for (const value of values) {
    const risk = connectionRisk(arrivalTime, value, thresholds);
    if (risk) counts[risk.grade] += 1;
  }
  return counts;
}
