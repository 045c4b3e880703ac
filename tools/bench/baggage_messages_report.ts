/** The baggage-messages stage in the bench's output (issue 16): its rows below its rate, and its targets. */
import type { BaggageMessagesStage } from "./baggage_messages.ts";

/** Issue 16's goals: BSMs applied a second, absolute and against the JSON bag consumption of the same run. */
export const BSM_GOAL_PER_SECOND = 50_000;
export const BSM_GOAL_RATIO = 0.7;

/** A goal of the issue and whether a run met it. */
export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly met: boolean;
}

const int = (value: number) => Math.round(value).toLocaleString("en-US");

/** Each process's rate, what was sent, and Redis' memory per bag. */
export function baggageMessagesRows(stage: BaggageMessagesStage): string[][] {
  const rows = stage.processes.map((process) => [
    `  ${process.name}`,
    process.perSecond === undefined
      ? `${int(process.processed)} BSMs (rate not measured: consumed before the others joined)`
      : `${int(process.perSecond)} BSMs/s`,
    "",
    "",
  ]);
  const { sent, empty, seconds } = stage.produced;
  rows.push(
    [
      "  BSMs sent",
      int(sent),
      `the JSON path's bags less ${int(empty)} empty ones; produced in ${seconds.toFixed(1)} s`,
      "",
    ],
    ["  Redis per BSM (its bag, manifest entries, flights)", `${stage.redisBytesPerBag.toFixed(1)} B`, "", ""],
  );
  return rows;
}

/** The stage's two targets. */
export function baggageMessagesTargets(stage: BaggageMessagesStage): Target[] {
  const json = stage.ceiling?.perSecond ?? Infinity;
  return [
    {
      name: "baggage messages",
      goal: `>= ${int(BSM_GOAL_PER_SECOND)} BSMs/s`,
      met: stage.perSecond >= BSM_GOAL_PER_SECOND,
    },
    {
      name: "baggage messages vs JSON bag consumption",
      goal: `>= ${BSM_GOAL_RATIO.toFixed(2)}`,
      met: stage.perSecond >= BSM_GOAL_RATIO * json,
    },
  ];
}
