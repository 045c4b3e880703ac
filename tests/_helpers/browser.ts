/** A real headless Chromium (Debian's, driven by playwright-core) for the board's tests. */
import { type Browser, chromium, type Page } from "playwright-core";
import { CHROMIUM_ARGS, ensureChromium } from "../../tools/browser/chromium.ts";

export const WALL = { width: 1920, height: 1080 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** Runs `test` with a fresh browser, closed afterwards. */
export async function withBrowser<T>(test: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({ executablePath: ensureChromium(), args: [...CHROMIUM_ARGS] });
  try {
    return await test(browser);
  } finally {
    await browser.close();
  }
}

/** A page at `viewport` whose console errors, failed requests and requests to other origins are recorded. */
export async function openPage(browser: Browser, url: string, viewport: { width: number; height: number } = WALL) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  const origin = new URL(url).origin;
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("request", (request) => {
    if (new URL(request.url()).origin !== origin) problems.push(`request to another origin: ${request.url()}`);
  });
  await page.goto(url);
  return { page, problems, close: () => context.close() };
}

/** The text of every element `selector` matches. */
export const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();
