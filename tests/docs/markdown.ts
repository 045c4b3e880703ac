/** Just enough Markdown for the docs test: tables, code spans, links, headings and their anchors. */

/** A Markdown table: its header cells and its rows of cells, with the line each starts on. */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly line: number;
}

const cellsOf = (line: string) =>
  line.trim().replace(/^\|/, "").replace(/\|$/, "").split(/(?<!\\)\|/).map((cell) => cell.trim());

/** The lines of `markdown` outside fenced code blocks (the others are blank, so line numbers stay). */
export function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split("\n").map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line;
  });
}

/** The lines inside fenced code blocks. */
export function fencedLines(markdown: string): string[] {
  const prose = proseLines(markdown);
  return markdown.split("\n").filter((line, i) => prose[i] === "" && line !== "" && !/^\s*```/.test(line));
}

/** Every table of `markdown`. */
export function tables(markdown: string): Table[] {
  const lines = proseLines(markdown);
  const found: Table[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith("|") || !/^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1]!)) continue;
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith("|"); j++) rows.push(cellsOf(lines[j]!));
    found.push({ header: cellsOf(lines[i]!), rows, line: i + 1 });
    i = j;
  }
  return found;
}

/** The contents of the inline code spans of `text` (single backticks), outside fenced blocks. */
export function codeSpans(markdown: string): string[] {
  return proseLines(markdown).flatMap((line) => [...line.matchAll(/`([^`]+)`/g)].map((match) => match[1]!));
}

/** The targets of the inline links `[text](target)` outside code. */
export function linkTargets(markdown: string): string[] {
  return proseLines(markdown)
    .map((line) => line.replace(/`[^`]*`/g, ""))
    .flatMap((line) => [...line.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1]!));
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .replace(/`/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of every heading of `markdown`, repeated headings numbered as GitHub does (`-1`, `-2`). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const anchor = anchorOf(heading);
    const count = seen.get(anchor) ?? 0;
    seen.set(anchor, count + 1);
    result.add(count === 0 ? anchor : `${anchor}-${count}`);
  }
  return result;
}

/** The text of the section under the heading `title` (any level), up to the next heading of the same or a higher level. */
export function section(markdown: string, title: string): string {
  const lines = markdown.split("\n");
  const prose = proseLines(markdown);
  const start = prose.findIndex((line) => new RegExp(`^(#+)\\s+${title}\\s*$`).test(line));
  if (start < 0) throw new Error(`no section "${title}"`);
  const level = /^#+/.exec(prose[start]!)![0].length;
  const end = prose.findIndex((line, i) => i > start && /^#+\s/.test(line) && /^#+/.exec(line)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}
