/** The stages a chaos run goes through, in order, and the actions scenarios hook on them. */

/** Every stage of a run, in the order the run reaches them. */
export const STAGES = [
  "started",
  "produced1",
  "consumed1",
  "scanned1",
  "mirrored1",
  "produced2",
  "consumed2",
  "scanned2",
  "mirrored2",
  "verified",
] as const;
/** One stage of a run. */
export type Stage = typeof STAGES[number];

/** Which stage a run has reached, and the actions waiting for the next ones. */
export class RunStages {
  private stage = -1;
  private readonly hooks = new Map<Stage, (() => Promise<void>)[]>();

  /** `log` receives a line for every stage reached. */
  constructor(private readonly log: (message: string) => void) {}

  /** Whether the run has reached `stage`. */
  reached(stage: Stage): boolean {
    return this.stage >= STAGES.indexOf(stage);
  }

  /** Runs `action` when the run reaches `stage`, before it goes on; resolves with its result. */
  at<T>(stage: Stage, action: () => Promise<T>): Promise<T> {
    const done = Promise.withResolvers<T>();
    const list = this.hooks.get(stage) ?? [];
    list.push(async () => {
      try {
        done.resolve(await action());
      } catch (error) {
        done.reject(error);
        throw error;
      }
    });
    this.hooks.set(stage, list);
    return done.promise;
  }

  /** Marks `stage` reached and runs the actions hooked on it, one after the other. */
  async advance(stage: Stage): Promise<void> {
    this.stage = STAGES.indexOf(stage);
    this.log(`stage ${stage}`);
    for (const hook of this.hooks.get(stage) ?? []) await hook();
  }
}
