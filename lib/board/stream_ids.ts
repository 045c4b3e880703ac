/** Redis Stream entry ids (`<ms>-<seq>`), which the board also uses as its event ids. */

const STREAM_ID = /^(\d{1,16})-(\d{1,16})$/;

/** Whether `text` is a stream entry id. */
export const isStreamId = (text: string) => STREAM_ID.test(text);

/** Negative, zero or positive as `a` is before, the same as or after `b` (both stream ids). */
export function compareStreamIds(a: string, b: string): number {
  const [, aMs, aSeq] = STREAM_ID.exec(a) ?? [];
  const [, bMs, bSeq] = STREAM_ID.exec(b) ?? [];
  return Number(aMs) - Number(bMs) || Number(aSeq) - Number(bSeq);
}

/** When the bridge wrote the entry, in Unix milliseconds. */
export const streamIdMs = (id: string) => Number(id.slice(0, id.indexOf("-")));
