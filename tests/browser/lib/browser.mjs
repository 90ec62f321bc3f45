// Chromium for the browser tests, and the checks made on every page a test
// visits: axe-core against WCAG 2.0, 2.1 and 2.2 A and AA, reflow at the
// page's width, no Content-Security-Policy violation, and a full-page
// screenshot kept as an artefact.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { kKnownProblems } from '../known-problems.mjs';
import { repositoryRoot } from './suite.mjs';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// axe-core 4.14 has no rule tagged wcag22a; the tag is listed so that any
// rule a later release adds runs too.
export const kAxeTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

// Returns the folder for screenshots and axe results: PP_BROWSER_ARTEFACTS,
// or browser-artefacts/ in the build folder.
export function artefactsRoot() {
  if (process.env.PP_BROWSER_ARTEFACTS) return path.resolve(process.env.PP_BROWSER_ARTEFACTS);
  return path.resolve(repositoryRoot, process.env.PP_BUILD_DIR ?? 'build', 'browser-artefacts');
}

// Starts Debian's Chromium, headless. Playwright downloads no browser.
export function launchBrowser() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
}

// One browser context (cookies, width, JavaScript on or off) and its page,
// with the checks every visited page goes through.
export class Visit {
  // `name` names the artefact folder. `width` is the viewport width in CSS
  // pixels. `javaScript` false turns scripts off in the whole context.
  static async open(browser, { name, width, javaScript }) {
    const context = await browser.newContext({
      viewport: { width, height: 800 },
      javaScriptEnabled: javaScript,
    });
    // A page that does not respond within 15 seconds is a failure, not a hang.
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    return new Visit(context, page, { name, width, javaScript });
  }

  constructor(context, page, { name, width, javaScript }) {
    this.context = context;
    this.page = page;
    this.width = width;
    this.javaScript = javaScript;
    this.folder = path.join(artefactsRoot(), name);
    rmSync(this.folder, { recursive: true, force: true });
    mkdirSync(this.folder, { recursive: true });
    this.checked = [];
    this.problems = [];
    this.lastStatus = null;
    this.consoleErrors = [];

    // The status of the last document the main frame loaded, after redirects.
    page.on('response', (response) => {
      const request = response.request();
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
        this.lastStatus = response.status();
      }
    });
    page.on('console', (message) => {
      if (message.type() === 'error') this.consoleErrors.push(message.text());
    });
  }

  // Says where the page is, for a failure's message: its address, the
  // status of the last document and its main heading.
  async describe() {
    const heading = await this.page.locator('h1').first()
      .textContent({ timeout: 1_000 }).catch(() => '(none)');
    return `page: ${this.page.url()}, status ${this.lastStatus}, heading "${heading?.trim()}"`;
  }

  // Loads `url` and returns its HTTP status.
  async goto(url) {
    const response = await this.page.goto(url);
    return response.status();
  }

  // Runs `action`, which starts a navigation, and waits until the new
  // document has loaded. Returns its HTTP status.
  async navigate(action) {
    await Promise.all([this.page.waitForEvent('load'), action()]);
    return this.lastStatus;
  }

  // Checks the page now shown, under `label`: axe, reflow, CSP violations
  // and a screenshot. Problems are collected, and assertClean() fails the
  // test with all of them, so that one run lists every page's problems.
  async check(label) {
    const page = this.page;
    const index = String(this.checked.length + 1).padStart(2, '0');
    const file = `${index}-${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
    const url = new URL(page.url());
    const where = `${label} (${url.pathname})`;

    await page.screenshot({ path: path.join(this.folder, `${file}.png`), fullPage: true });

    const results = await this.#runAxe();
    for (const violation of results.violations) {
      this.problems.push(`${where}: axe ${violation.id} (${violation.impact}): ${violation.help}` +
        ` at ${violation.targets.join(', ')} - ${violation.helpUrl}`);
    }

    // WCAG 1.4.10: content fits the width without scrolling sideways.
    const overflow = await page.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) {
      this.problems.push(`${where}: scrolls sideways by ${overflow} px at ${this.width} px wide`);
    }

    for (const text of this.consoleErrors.splice(0)) {
      if (/Content Security Policy/i.test(text)) this.problems.push(`${where}: ${text}`);
    }

    this.checked.push({ label, path: url.pathname, screenshot: `${file}.png`,
      violations: results.violations, incomplete: results.incomplete });
  }

  // Runs axe-core on the page as it is. axe is evaluated over the DevTools
  // protocol, so the page's Content-Security-Policy does not block it.
  async #runAxe() {
    return axeResults(this.javaScript ? this.page : await this.#scriptedCopy());
  }

  // Returns a page with scripts on that shows the same document as the
  // page, which has scripts off: axe needs timers, and timers never fire
  // where scripts are off. The copy loads the page's current HTML and the
  // same style sheets from the server. Its script requests are blocked, so
  // it renders what a browser without JavaScript renders.
  async #scriptedCopy() {
    if (!this.copy) {
      const context = await this.context.browser().newContext({
        viewport: { width: this.width, height: 800 },
        javaScriptEnabled: true,
      });
      this.copy = { context, page: await context.newPage() };
    }
    const html = await this.page.content();
    const copy = this.copy.page;
    await copy.unrouteAll();
    await copy.route('**/*', (route) => {
      const request = route.request();
      if (request.isNavigationRequest()) {
        return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
      }
      if (request.resourceType() === 'script') return route.abort();
      return route.continue();
    });
    await copy.goto(this.page.url());
    return copy;
  }

  // Records a problem found outside check(), such as by keyboard input.
  report(problem) {
    if (!this.problems.includes(problem)) this.problems.push(problem);
  }

  // Fails when any checked page had a problem that kKnownProblems does not
  // list, naming every such problem. Prints the known ones.
  assertClean() {
    const unknown = [];
    for (const problem of this.problems) {
      const known = kKnownProblems.find(({ pattern }) => pattern.test(problem));
      if (known) console.log(`known problem: ${problem} (${known.why})`);
      else unknown.push(problem);
    }
    assert.deepEqual(unknown, [], `problems on the pages checked in ${this.folder}`);
  }

  // Writes the pages checked, with their axe results, next to the screenshots.
  async close() {
    writeFileSync(path.join(this.folder, 'checked-pages.json'),
      JSON.stringify({ width: this.width, javaScript: this.javaScript, pages: this.checked,
        problems: this.problems }, null, 2));
    await this.copy?.context.close();
    await this.context.close();
  }
}

async function axeResults(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async (tags) => {
    const outcome = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return {
      violations: outcome.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        helpUrl: violation.helpUrl,
        targets: violation.nodes.map((node) => node.target.join(' ')),
      })),
      incomplete: outcome.incomplete.map((item) => item.id),
    };
  }, kAxeTags);
}
