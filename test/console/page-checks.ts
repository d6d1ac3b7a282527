/**
 * Checks the console's browser tests run on a page as it is: what axe-core (WCAG 2.1 A and AA, and
 * its best practices) finds, live regions that would read out a list or JSON at every change, and
 * what scrolls sideways.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation { id: string; help: string; nodes: { target: unknown[] }[] }

/** Live regions (read out as they change) that hold a list or a JSON block: a screen reader would read it all, at every change. */
function chattyLiveRegions(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]')]
    .filter((region) => region.querySelector('ol, ul, pre'))
    .map((region) => `live region ${region.outerHTML.slice(0, 80)} holds a list or a JSON block`));
}

/** axe-core's violations on the page as it is now: "rule: help (selectors)". */
async function violations(page: Page): Promise<string[]> {
  // Evaluated over DevTools, not as a page script: the console's Content-Security-Policy stays as served.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })).violations;
  });
  return found.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.slice(0, 3).map((node) => JSON.stringify(node.target)).join(', ')})`);
}

/** What axe-core and chattyLiveRegions find on the page as it is now. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return [...await violations(page), ...await chattyLiveRegions(page)];
}

/** What scrolls sideways: the page, and each table frame wider inside than out. */
export function sideways(page: Page) {
  return page.evaluate(() => {
    const scrolling = document.scrollingElement!;
    const frames = [...document.querySelectorAll('.table-wrap')].filter((frame) => frame.scrollWidth > frame.clientWidth)
      .map((frame) => `${frame.scrollWidth} > ${frame.clientWidth}`);
    return { page: { scrollWidth: scrolling.scrollWidth, clientWidth: scrolling.clientWidth }, frames };
  });
}

