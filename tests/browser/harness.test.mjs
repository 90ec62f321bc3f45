// The page checks themselves: a page with known defects must be reported,
// with scripts on and off, so that a clean journey means clean pages and not
// a check that never ran. The page is served by Playwright's router, so no
// request leaves the browser.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, Visit } from './lib/browser.mjs';
import { Keyboard } from './lib/input.mjs';

const kDefectivePage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Defects</title></head>
<body><main><h1>Defects</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<form><input type="text" name="unlabelled"></form>
<div style="width: 600px">Too wide for a phone</div>
</main></body></html>`;

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

for (const javaScript of [true, false]) {
  test(`checks report defects with JavaScript ${javaScript ? 'on' : 'off'}`, async () => {
    const visit = await Visit.open(browser, {
      name: `harness-js-${javaScript ? 'on' : 'off'}`, width: 320, javaScript,
    });
    try {
      await visit.page.route('http://127.0.0.1:9/defects', (route) =>
        route.fulfill({ contentType: 'text/html; charset=utf-8', body: kDefectivePage }));
      await visit.goto('http://127.0.0.1:9/defects');
      await visit.check('defects');
    } finally {
      await visit.close();
    }
    const problems = visit.problems.join('\n');
    assert.match(problems, /axe image-alt /);
    assert.match(problems, /axe label /);
    assert.match(problems, /scrolls sideways by \d+ px at 320 px wide/);
    assert.throws(() => visit.assertClean(), /problems on the pages checked/);
  });
}

test('keyboard reports a focus without indicator', async () => {
  const visit = await Visit.open(browser, { name: 'harness-focus', width: 1280, javaScript: true });
  try {
    await visit.page.route('http://127.0.0.1:9/focus', (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: '<!DOCTYPE html><html lang="en"><title>Focus</title><main><h1>Focus</h1>' +
        '<button>Shows its focus</button><button style="outline: none">Hides its focus</button>' +
        '</main></html>',
    }));
    await visit.goto('http://127.0.0.1:9/focus');
    const keyboard = new Keyboard(visit.page, visit);
    await keyboard.focus(visit.page.getByRole('button', { name: 'Shows its focus' }));
    assert.deepEqual(visit.problems, []);
    await keyboard.focus(visit.page.getByRole('button', { name: 'Hides its focus' }));
  } finally {
    await visit.close();
  }
  assert.equal(visit.problems.length, 1);
  assert.match(visit.problems[0], /Hides its focus.* no visible focus indicator/);
});
