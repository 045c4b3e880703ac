/**
 * The browser of the board's tests: Debian's `chromium`, installed with apt-get when missing and running as root
 * (never a browser download: playwright-core drives it through `executablePath`), with the flags it needs to run
 * headless as root on a closed network.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { onPath } from "../processes.ts";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * No sandbox (root has none), no GPU, and none of the background traffic (updates, sync, QUIC probes) that stalls
 * it on a network that reaches nothing outside.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/** Makes sure Chromium is installed (apt-get as root); throws saying how to install it otherwise. */
export function ensureChromium(log: (line: string) => void = console.error): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() !== 0 || !onPath("apt-get")) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}. Install Debian's package (sudo apt-get install chromium) ` +
        "and retry; the board's browser tests drive it with playwright-core.",
    );
  }
  log("test: installing chromium with apt-get…");
  const result = spawnSync("sh", [
    "-c",
    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium",
  ], { encoding: "utf8" });
  if (result.status !== 0 || !existsSync(CHROMIUM_PATH)) {
    throw new Error(`apt-get could not install chromium: ${result.stderr || result.stdout}`);
  }
  return CHROMIUM_PATH;
}
