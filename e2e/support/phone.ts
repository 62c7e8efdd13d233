/**
 * The phone project (playwright.config.ts, 390×844): what a spec needs to run at both sizes, and
 * the check every phone page must pass — nothing scrolls the page sideways and every tap target
 * is at least 40 px each way.
 */
import { expect, test, type BrowserContextOptions, type Locator, type Page } from "@playwright/test";

export const PHONE_PROJECT = "phone";
export const MIN_TAP = 40;

export const isPhone = () => test.info().project.name === PHONE_PROJECT;

/**
 * Context options for a new browser context: the phone project's device (viewport, touch,
 * mobile) on the phone, else `desktop` (e.g. a wide viewport for the review).
 */
export function contextOptions(desktop: BrowserContextOptions = {}): BrowserContextOptions {
  if (!isPhone()) return desktop;
  const use = test.info().project.use;
  return { viewport: use.viewport, isMobile: use.isMobile, hasTouch: use.hasTouch, deviceScaleFactor: use.deviceScaleFactor };
}

/**
 * On the phone: the page does not scroll sideways, and every visible control (links, buttons,
 * fields, tabs, summaries; a checkbox or radio by its label) is at least 40×40 px. The one
 * exception is the per-line quote button inside a diff's code (one per code line; a 40 px line
 * would make a diff unreadable on a phone). No-op on the desktop project.
 */
export async function expectPhoneFriendly(page: Page, where: string): Promise<void> {
  if (!isPhone()) return;
  const report = await page.evaluate((min) => {
    const de = document.documentElement;
    const small: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>("a[href], button, input:not([type=hidden]), select, textarea, summary, [role=tab]")) {
      if (el.closest(".visually-hidden, .skip-link, .diff-quote")) continue;
      const style = getComputedStyle(el);
      if (style.visibility === "hidden" || style.display === "none") continue;
      let target: HTMLElement = el;
      if (el.matches("input[type=checkbox], input[type=radio]")) {
        const label = el.closest("label") ?? (el.id ? document.querySelector<HTMLElement>(`label[for="${CSS.escape(el.id)}"]`) : null);
        if (label) target = label;
      }
      const r = target.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered
      if (r.width < min - 0.5 || r.height < min - 0.5) {
        const id = el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : "";
        small.push(`${el.tagName.toLowerCase()}${id} "${(el.textContent ?? "").trim().slice(0, 30)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
      }
    }
    return { scrollWidth: de.scrollWidth, clientWidth: de.clientWidth, bodyScroll: document.body.scrollWidth, small };
  }, MIN_TAP);
  expect(report.scrollWidth, `${where}: the page scrolls sideways`).toBeLessThanOrEqual(report.clientWidth);
  expect(report.bodyScroll, `${where}: the body is wider than the screen`).toBeLessThanOrEqual(report.clientWidth);
  expect(report.small, `${where}: tap targets under ${MIN_TAP} px`).toEqual([]);
}

/** On a phone the review's file tree is a drawer: open it before using the tree (no-op on the desktop). */
export async function openFileDrawer(page: Page): Promise<void> {
  if (!isPhone()) return;
  const drawer = page.getByTestId("files-drawer");
  if ((await drawer.getAttribute("data-open")) !== "true") await page.getByTestId("files-drawer-toggle").click();
  await expect(drawer).toHaveAttribute("data-open", "true");
  await expect(drawer).toBeVisible();
}

export async function closeFileDrawer(page: Page): Promise<void> {
  if (!isPhone()) return;
  if ((await page.getByTestId("files-drawer").getAttribute("data-open")) === "true") await page.getByTestId("files-drawer-close").click();
  await expect(page.getByTestId("files-drawer")).toHaveAttribute("data-open", "false");
}

/**
 * Keyboard reach, at both sizes: press Tab (from wherever the focus is) until `target` has the
 * focus, failing after `max` presses — a control the keyboard cannot reach fails here.
 */
export async function tabTo(page: Page, target: Locator, max = 120): Promise<void> {
  await expect(target).toBeVisible();
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120) ?? "nothing");
  throw new Error(`${max} presses of Tab did not reach ${target}; the focus is on ${at}`);
}
