/**
 * The page's copy of the grading is the domain's own code: the board serves, as `connection_risk.mjs`, the source
 * of lib/domain/connection_risk.ts's self-contained functions as this runtime compiled them, so the page and the
 * scanner cannot grade differently.
 */
import { connectionRisk, RISK_GRADES, worstGrade } from "../domain/connection_risk.ts";

export const CONNECTION_RISK_MODULE = [
  "// Served by the board from lib/domain/connection_risk.ts.",
  `export const RISK_GRADES = Object.freeze(${JSON.stringify(RISK_GRADES)});`,
  `export const connectionRisk = ${connectionRisk.toString()};`,
  `export const worstGrade = ${worstGrade.toString()};`,
  "",
].join("\n");
