// The pages around the journey, in Chromium against the real binaries:
// forms sent back with errors, the forgotten username and password pages
// with the emails they send, and the page-not-found page, signed out and
// signed in. It runs twice: JavaScript on at 1280 pixels with a pointer,
// and JavaScript off at 320 pixels with the keyboard alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, Visit } from './lib/browser.mjs';
import { fillDate, heading, Keyboard, Pointer } from './lib/input.mjs';
import { Suite } from './lib/suite.mjs';

const suite = new Suite();
let browser;

before(async () => {
  await suite.start([]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  const unclean = await suite.stop();
  assert.deepEqual(unclean, [], 'every binary exits cleanly on SIGTERM');
});

const runs = [
  { name: 'pages-js-on-1280-pointer', email: 'ailsa.brown@example.net', width: 1280,
    javaScript: true, input: Pointer },
  { name: 'pages-js-off-320-keyboard', email: 'ailsa.b@example.org', width: 320,
    javaScript: false, input: Keyboard },
];

for (const run of runs) {
  const label = `other pages with JavaScript ${run.javaScript ? 'on' : 'off'}, ${run.width} px, ` +
    `${run.input.name === 'Keyboard' ? 'keyboard only' : 'pointer'}`;
  test(label, { timeout: 180_000 }, async () => {
    const visit = await Visit.open(browser, run);
    try {
      await walkPages(visit, new run.input(visit.page, visit), {
        forename: 'Ailsa', surname: 'Brown', email: run.email, postcode: 'PH3 1HU',
        gender: 'Female', birth: { day: '14', month: '8', year: '1986' },
      });
    } catch (error) {
      error.message += `\n${await visit.describe()}\nservice logs:\n${suite.logs()}`;
      throw error;
    } finally {
      await visit.close();
    }
    visit.assertClean();
  });
}

// Last, because it stops identity. Signing in while identity is down shows
// the service-unavailable page, which tells the parent what to do.
test('service unavailable page at both widths', { timeout: 120_000 }, async () => {
  assert.equal(await suite.stopBinary('identity'), 0);
  for (const run of runs) {
    const visit = await Visit.open(browser, { ...run, name: `${run.name}-unavailable` });
    try {
      const page = visit.page;
      const input = new run.input(page, visit);
      assert.equal(await visit.goto(`${suite.baseUrl}/sign-in`), 200);
      await input.fill(page.getByLabel(/email address|username/i), run.email);
      await input.fill(page.getByLabel('Password', { exact: true }), 'any password at all');
      const unavailable = page.waitForResponse((response) => response.request().method() === 'POST');
      assert.equal(await visit.navigate(() => input.activate(
        page.getByRole('button', { name: 'Sign in' }))), 503);
      assert.equal((await unavailable).headers()['retry-after'], '120');
      assert.match(await page.getByRole('main').textContent(), /try again/i);
      await visit.check('service unavailable');
    } finally {
      await visit.close();
    }
    visit.assertClean();
  }
});

async function fillAccount(input, page, parent, fields) {
  if (fields.includes('username')) {
    await input.fill(page.getByLabel(/username/i), parent.email);
  }
  await input.fill(page.getByLabel(/^email address/i), parent.email);
  await input.fill(page.getByLabel(/postcode/i), parent.postcode);
  if (fields.includes('gender')) await input.choose(page.getByLabel('Gender'), parent.gender);
  await fillDate(input, page, /date of birth/i, parent.birth);
}

async function signIn(visit, input, parent, password) {
  const page = visit.page;
  await input.fill(page.getByLabel(/email address|username/i), parent.email);
  await input.fill(page.getByLabel('Password', { exact: true }), password);
  return visit.navigate(() => input.activate(page.getByRole('button', { name: 'Sign in' })));
}

async function walkPages(visit, input, parent) {
  const page = visit.page;
  const main = page.getByRole('main');
  const seen = new Set();

  // An address with no page.
  assert.equal(await visit.goto(`${suite.baseUrl}/no-such-page`), 404);
  assert.match(await heading(page).textContent(), /page not found/i);
  await visit.check('page not found');

  // An empty registration comes back with an error, the fields still there.
  assert.equal(await visit.goto(`${suite.baseUrl}/register`), 200);
  assert.equal(await visit.navigate(() => input.activate(
    page.getByRole('button', { name: /create (an )?account/i }))), 422);
  await assert.doesNotReject(page.getByRole('alert').waitFor());
  await assert.doesNotReject(page.getByLabel('First name').waitFor());
  await visit.check('register with errors');

  // Each error links to its field, and the fields carry autocomplete hints.
  const errorLinks = page.getByRole('alert').getByRole('link');
  assert.ok(await errorLinks.count() >= 5, 'the summary links each missing field');
  const target = new URL(await errorLinks.first().getAttribute('href'), page.url()).hash;
  await input.activate(errorLinks.first());
  await page.waitForURL((url) => url.hash === target);
  assert.ok(await page.locator(target).evaluate((element) =>
    element.matches('input, select, textarea, fieldset')), `${target} is a form field`);
  const autocomplete = async (field) => field.getAttribute('autocomplete');
  assert.equal(await autocomplete(page.getByLabel('First name')), 'given-name');
  assert.equal(await autocomplete(page.getByLabel(/^email address/i)), 'email');
  assert.equal(await autocomplete(page.getByLabel(/postcode/i)), 'postal-code');
  const birth = page.getByRole('group', { name: /date of birth/i });
  assert.equal(await autocomplete(birth.getByLabel('Day')), 'bday-day');
  assert.equal(await autocomplete(birth.getByLabel('Month')), 'bday-month');
  assert.equal(await autocomplete(birth.getByLabel('Year')), 'bday-year');
  // The missing date marks each of its inputs as invalid, like a text field.
  for (const part of ['Day', 'Month', 'Year']) {
    assert.equal(await birth.getByLabel(part).getAttribute('aria-invalid'), 'true',
      `the ${part} input of a missing date is marked invalid`);
  }
  assert.equal(await page.getByLabel('First name').getAttribute('aria-invalid'), 'true');

  // A form with several mistakes names them all at once, in the order of the
  // form: the empty last name, found by the gateway, then the email address
  // and the postcode, found by identity.
  await input.fill(page.getByLabel('First name'), parent.forename);
  await fillAccount(input, page, { ...parent, email: 'not an address', postcode: 'nowhere' },
    ['gender']);
  assert.equal(await visit.navigate(() => input.activate(
    page.getByRole('button', { name: /create (an )?account/i }))), 422);
  const named = await page.getByRole('alert').getByRole('link').allTextContents();
  assert.equal(named.length, 3, `three errors in ${JSON.stringify(named)}`);
  assert.match(named[0], /last name/i);
  assert.match(named[1], /^email address is not a valid email address/i);
  assert.match(named[2], /^home postcode is not a UK postcode/i);
  assert.equal(await page.getByLabel(/postcode/i).getAttribute('aria-invalid'), 'true');
  await visit.check('register with several mistakes');

  // Register, then sign in with a wrong password: the error keeps the username.
  await input.fill(page.getByLabel('First name'), parent.forename);
  await input.fill(page.getByLabel('Last name'), parent.surname);
  await fillAccount(input, page, parent, ['gender']);
  await visit.navigate(() => input.activate(
    page.getByRole('button', { name: /create (an )?account/i })));
  assert.equal(new URL(page.url()).pathname, '/sign-in');
  const firstPassword =
    await suite.findInOutbox(parent.email, /One-time password:\s*(?:<strong>)?([^\s<]+)/, seen);
  assert.equal(await signIn(visit, input, parent, 'not the password'), 401);
  assert.match(await page.getByRole('alert').textContent(), /\S/);
  assert.equal(await page.getByLabel(/email address|username/i).inputValue(), parent.email);
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
  await visit.check('sign in failed');

  // The right one-time password, a new password, and signing out.
  await signIn(visit, input, parent, firstPassword);
  await input.fill(page.getByLabel(/one-time password/i), firstPassword);
  await input.fill(page.getByLabel(/new password/i), 'a first passphrase of mine');
  await visit.navigate(() => input.activate(
    page.getByRole('button', { name: /change (your )?password/i })));
  assert.equal(new URL(page.url()).pathname, '/');
  // The navigation marks the page shown, and only that one.
  const navigation = page.getByRole('navigation', { name: 'Your portal' });
  assert.equal(await navigation.getByRole('link', { name: 'Home' }).getAttribute('aria-current'),
    'page');
  assert.equal(await navigation.locator('[aria-current]').count(), 1);

  // The help with linking, for details that do not match or a missing code.
  assert.equal(await visit.goto(`${suite.baseUrl}/help/linking`), 200);
  await assert.doesNotReject(
    page.getByRole('heading', { name: /if your details do not match/i }).waitFor());
  await visit.check('help with linking');

  // A child that is not linked is a page that does not exist.
  assert.equal(await visit.goto(`${suite.baseUrl}/children/not-a-child`), 404);
  await visit.check('child not found');
  await visit.goto(`${suite.baseUrl}/`);
  await visit.navigate(() => input.activate(page.getByRole('button', { name: /sign out/i })));

  // Forgotten username: the email names it.
  await visit.goto(`${suite.baseUrl}/sign-in`);
  await visit.navigate(() => input.activate(
    main.getByRole('link', { name: /forgotten your username/i })));
  assert.match(await heading(page).textContent(), /username/i);
  await visit.check('forgotten username');
  await fillAccount(input, page, parent, ['gender']);
  await visit.navigate(() => input.activate(page.getByRole('button', { name: /send/i })));
  await assert.doesNotReject(
    page.getByRole('status').filter({ hasText: /if these details match/i }).waitFor());
  await visit.check('forgotten username sent');
  const username = await suite.findInOutbox(parent.email,
    /username is\b[^@\n]*?([^\s:<>]+@[^\s<>]*[^\s<>.])/, seen);
  assert.equal(username, parent.email);

  // Forgotten password: a new one-time password signs in and must be changed.
  await visit.navigate(() => input.activate(main.getByRole('link', { name: /back to sign in/i })));
  await visit.navigate(() => input.activate(
    main.getByRole('link', { name: /forgotten your password/i })));
  assert.match(await heading(page).textContent(), /password/i);
  await visit.check('forgotten password');
  await fillAccount(input, page, parent, ['username']);
  await visit.navigate(() => input.activate(page.getByRole('button', { name: /send/i })));
  await assert.doesNotReject(
    page.getByRole('status').filter({ hasText: /if these details match/i }).waitFor());
  await visit.check('forgotten password sent');
  const resetPassword =
    await suite.findInOutbox(parent.email, /One-time password:\s*(?:<strong>)?([^\s<]+)/, seen);
  assert.notEqual(resetPassword, firstPassword);

  await visit.navigate(() => input.activate(main.getByRole('link', { name: /back to sign in/i })));
  await signIn(visit, input, parent, resetPassword);
  assert.equal(new URL(page.url()).pathname, '/change-password');
  await visit.check('change password after a reset');
  await input.fill(page.getByLabel(/one-time password/i), resetPassword);
  await input.fill(page.getByLabel(/new password/i), 'a second passphrase of mine');
  await visit.navigate(() => input.activate(
    page.getByRole('button', { name: /change (your )?password/i })));
  await assert.doesNotReject(page.getByRole('heading', { name: /your children/i }).first().waitFor());
}
