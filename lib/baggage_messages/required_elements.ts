/**
 * The elements each message type needs, from RP 1745's mandatory elements, for what this parser reads:
 * - BSM: `.V` and a `.N`; an addition or change also `.F`, except for a terminating bag (source X), which has no
 *   outbound flight here and needs `.I` instead. A transfer BSM without `.I` is accepted: RP 1745's own minimal
 *   example (`.V/1TZRH`, `.F/SR101/18APR/JFK/F`, `.N/0085123456003`) is one.
 * - BTM: `.V` and a `.N`; an addition or change also `.I` and `.F` (transfer bags arrive on one, leave on the other).
 * - BPM: `.V` and a tag: a `.N`, or a `.B` naming the tag of the irregular bag it reports.
 * - BUM: a tag, in `.N` or `.B`.
 * - A deletion (DEL) of a BSM or BTM needs `.V` and the tags only: the tags say which bags go.
 */
import type { TypeBMessage } from "./type_b_message.ts";

/** What `message` lacks, the first of them (`BSM has no .F (outbound flight)`), or undefined. */
export function missingElement(message: TypeBMessage): string | undefined {
  const { type, version } = message;
  if (type !== "BUM" && version === undefined) return `${type} has no .V (version and source indicator)`;
  if (message.tags.length === 0) {
    return type === "BPM" || type === "BUM"
      ? `${type} has no tag (.N, or .B with a tag)`
      : `${type} has no .N (bag tag number)`;
  }
  if ((type !== "BSM" && type !== "BTM") || message.action === "delete") return undefined;
  if (type === "BTM") {
    if (message.inbound === undefined) return "BTM has no .I (inbound flight)";
    if (message.outbound === undefined) return "BTM has no .F (outbound flight)";
    return undefined;
  }
  if (version!.source !== "terminating") {
    return message.outbound === undefined ? "BSM has no .F (outbound flight)" : undefined;
  }
  return message.inbound === undefined ? "BSM has no .I (inbound flight), which a terminating bag needs" : undefined;
}
