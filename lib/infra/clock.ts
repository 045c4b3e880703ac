/** Time, injected wherever it decides something, so tests can set it. */

/** The current time in Unix seconds (fractional). */
export type Clock = () => number;

/** The machine's clock. */
export const systemClock: Clock = () => Date.now() / 1000;
