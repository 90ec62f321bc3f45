// The parent's whole journey in Chromium, against the real binaries. The
// parent registers, signs in with the emailed one-time password, changes it,
// and links to a child, with a mismatch first and then the security code.
// The school approves with schoolctl. Then come the home page, the child's
// page, the month view, the calendar feed, a payment through the sandbox
// provider, the account page and signing out. It runs four times: JavaScript
// on and off, at 320 and 1280 pixels wide, with a pointer and with the
// keyboard alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { artefactsRoot, launchBrowser, Visit } from './lib/browser.mjs';
import { fillDate, heading, Keyboard, Pointer } from './lib/input.mjs';
import { kSchoolName, londonDate, Suite } from './lib/suite.mjs';

// Each run is a different parent, because a child links to an account once.
const kParents = {
  karen: {
    forename: 'Karen', surname: 'Taylor', email: 'karen.taylor@example.net', postcode: 'PH3 2QY',
    gender: 'Female', birth: { day: '9', month: '3', year: '1984' },
    schoolEmail: 'karen.taylor72@example.com', pupilRef: '0700000001',
    child: { forename: 'Noah', surname: 'McDonald', stage: 'P3', postcode: 'PH3 2QY',
      birth: { day: '1', month: '10', year: '2020' } },
  },
  nadia: {
    forename: 'Nadia', surname: 'Ní Bhriain', email: 'nadia@example.org', postcode: 'PH2 1EW',
    gender: 'Prefer not to say', birth: { day: '21', month: '6', year: '1988' },
    schoolEmail: 'nadia.nibhriain3@example.com', pupilRef: '0700000002',
    child: { forename: 'Eòin', surname: 'Ní Bhriain', stage: 'P4', postcode: 'PH2 1EW',
      birth: { day: '12', month: '11', year: '2019' } },
  },
  agnieszka: {
    forename: 'Agnieszka', surname: 'Stewart', email: 'agnieszka@example.com',
    postcode: 'PH1 8NR', gender: 'Female', birth: { day: '2', month: '2', year: '1990' },
    schoolEmail: 'agnieszka.stewart88@example.org', pupilRef: '0700000003',
    child: { forename: 'Grace', surname: 'Stewart', stage: 'P4', postcode: 'PH1 8NR',
      birth: { day: '7', month: '12', year: '2019' } },
  },
  alasdair: {
    forename: 'Alasdair', surname: 'Campbell-Rennie', email: 'alasdair@example.net',
    postcode: 'KY13 9NH', gender: 'Male', birth: { day: '30', month: '11', year: '1979' },
    schoolEmail: 'alasdair.rennie59@example.net', pupilRef: '0700000004',
    child: { forename: 'Isla', surname: 'Campbell-Rennie', stage: 'P5', postcode: 'KY13 9NH',
      birth: { day: '5', month: '5', year: '2018' } },
  },
};

const kEvents = [
  { uid: 'book-week', summary: 'Book week', day: londonDate(0) },
  { uid: 'sports-day', summary: 'Sports day', day: londonDate(7) },
];

const suite = new Suite();
let browser;

before(async () => {
  console.log(`Screenshots and axe results: ${artefactsRoot()}`);
  await suite.start(kEvents);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  const unclean = await suite.stop();
  assert.deepEqual(unclean, [], 'every binary exits cleanly on SIGTERM');
});

const runs = [
  { name: 'journey-js-on-1280-pointer', parent: kParents.karen, width: 1280, javaScript: true,
    input: Pointer },
  { name: 'journey-js-off-320-keyboard', parent: kParents.nadia, width: 320, javaScript: false,
    input: Keyboard },
  { name: 'journey-js-on-320-keyboard', parent: kParents.agnieszka, width: 320, javaScript: true,
    input: Keyboard },
  { name: 'journey-js-off-1280-pointer', parent: kParents.alasdair, width: 1280,
    javaScript: false, input: Pointer },
];

for (const run of runs) {
  const label = `journey with JavaScript ${run.javaScript ? 'on' : 'off'}, ${run.width} px, ` +
    `${run.input.name === 'Keyboard' ? 'keyboard only' : 'pointer'}`;
  test(label, { timeout: 180_000 }, async () => {
    const visit = await Visit.open(browser, run);
    try {
      await walkJourney(visit, new run.input(visit.page, visit), run.parent);
    } catch (error) {
      error.message += `\n${await visit.describe()}\nservice logs:\n${suite.logs()}`;
      throw error;
    } finally {
      await visit.close();
    }
    visit.assertClean();
  });
}

async function fillChild(input, page, child, birth) {
  await input.fill(page.getByLabel(/child's first name/i), child.forename);
  await input.fill(page.getByLabel(/child's last name/i), child.surname);
  await fillDate(input, page, /child's date of birth/i, birth);
  await input.choose(page.getByLabel(/year group|stage/i), child.stage);
  await input.fill(page.getByLabel(/postcode/i), child.postcode);
}

// The first Tab reaches the skip link, and after Enter the next Tab lands
// in the page's main content, past the header's links.
async function skipToMain(page) {
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: /skip to main content/i });
  assert.ok(await skip.evaluate((element) => element === document.activeElement),
    'the first Tab reaches "Skip to main content"');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  assert.ok(await page.getByRole('main').evaluate((main) => main.contains(document.activeElement)),
    'after the skip link, Tab goes into the main content');
}

async function walkJourney(visit, input, parent) {
  const page = visit.page;
  const seen = new Set();

  // A new parent arrives and registers.
  assert.equal(await visit.goto(`${suite.baseUrl}/`), 200);
  await visit.check('welcome');
  if (input instanceof Keyboard) await skipToMain(page);
  await visit.navigate(() => input.activate(
    page.getByRole('main').getByRole('link', { name: /create an account|register/i })));
  await assert.doesNotReject(heading(page).filter({ hasText: /create an account/i }).waitFor());
  await visit.check('register');

  await input.fill(page.getByLabel('First name'), parent.forename);
  await input.fill(page.getByLabel('Last name'), parent.surname);
  await input.fill(page.getByLabel(/email address/i), parent.email);
  await input.fill(page.getByLabel(/postcode/i), parent.postcode);
  await input.choose(page.getByLabel('Gender'), parent.gender);
  await fillDate(input, page, /date of birth/i, parent.birth);
  assert.equal(await visit.navigate(() => input.activate(
    page.getByRole('button', { name: /create (an )?account/i }))), 200);
  assert.match(await heading(page).textContent(), /sign in/i);
  await assert.doesNotReject(
    page.getByRole('status').filter({ hasText: /account has been created/i }).waitFor());
  await visit.check('sign in after registering');

  // The one-time password from the email signs in, and must be changed.
  const oneTimePassword =
    await suite.findInOutbox(parent.email, /One-time password:\s*(?:<strong>)?([^\s<]+)/, seen);
  await input.fill(page.getByLabel(/email address|username/i), parent.email);
  await input.fill(page.getByLabel('Password', { exact: true }), oneTimePassword);
  await visit.navigate(() => input.activate(page.getByRole('button', { name: 'Sign in' })));
  assert.equal(new URL(page.url()).pathname, '/change-password');
  await visit.check('change password');

  await input.fill(page.getByLabel(/one-time password/i), oneTimePassword);
  await input.fill(page.getByLabel(/new password/i), 'a long new passphrase for school');
  await visit.navigate(() => input.activate(
    page.getByRole('button', { name: /change (your )?password/i })));
  assert.equal(new URL(page.url()).pathname, '/');
  await assert.doesNotReject(page.getByRole('heading', { name: /your children/i }).first().waitFor());
  await visit.check('home before linking');

  // Linking: details that do not match first, then the right ones.
  await visit.navigate(() => input.activate(
    page.getByRole('main').getByRole('link', { name: /^link (to )?a child$/i })));
  await visit.check('link a child');
  const wrongBirth = { ...parent.child.birth, day: String(Number(parent.child.birth.day) + 1) };
  await fillChild(input, page, parent.child, wrongBirth);
  assert.equal(await visit.navigate(() => input.activate(
    page.getByRole('button', { name: 'Continue' }))), 422);
  assert.match(await page.getByRole('alert').textContent(), /did not match the school/i);
  assert.equal(await page.getByLabel(/child's first name/i).inputValue(), parent.child.forename);
  await visit.check('link details did not match');

  await fillChild(input, page, parent.child, parent.child.birth);
  await visit.navigate(() => input.activate(page.getByRole('button', { name: 'Continue' })));
  assert.equal(new URL(page.url()).pathname, '/link/code');
  await visit.check('choose where the code goes');

  // The code goes to the email address the school holds, not the account's.
  await input.check(page.getByRole('radio', { name: /email/i }));
  await visit.navigate(() => input.activate(page.getByRole('button', { name: /send the code/i })));
  await visit.check('enter the security code');
  await assert.doesNotReject(
    page.getByRole('heading', { name: /not received a code|did not get the code/i }).waitFor());
  assert.equal(await page.getByLabel(/security code/i).getAttribute('autocomplete'),
    'one-time-code');
  const code = await suite.findInOutbox(parent.schoolEmail,
    /Security code:\s*(?:<strong>)?([0-9]{6})/, seen);
  await input.fill(page.getByLabel(/security code/i), code);
  await visit.navigate(() => input.activate(page.getByRole('button', { name: 'Confirm' })));
  await assert.doesNotReject(
    page.getByRole('status').filter({ hasText: /sent to the school/i }).waitFor());
  await visit.check('home with the request pending');

  // The school approves, and the home page shows the child and the events.
  suite.approvePending(parent.pupilRef);
  assert.equal(await visit.goto(`${suite.baseUrl}/`), 200);
  const childName = `${parent.child.forename} ${parent.child.surname}`;
  const childLink = page.getByRole('link', { name: childName });
  await assert.doesNotReject(childLink.waitFor());
  const main = page.getByRole('main');
  await assert.doesNotReject(main.getByText('Sports day').waitFor());
  await visit.check('home with the child');

  await visit.navigate(() => input.activate(childLink));
  assert.equal(await heading(page).textContent(), childName);
  await assert.doesNotReject(main.getByText(kSchoolName).first().waitFor());
  await visit.check('child');

  // The month view marks today, which has the school's Book week.
  await visit.navigate(() => input.activate(
    page.getByRole('link', { name: /calendar by month/i })));
  const table = page.getByRole('table');
  await assert.doesNotReject(table.waitFor());
  assert.match(await page.locator('[aria-current="date"]').textContent(), /Book week/);
  await visit.check('month view');

  // The feed: a new address, which a calendar app fetches without cookies.
  await visit.navigate(() => input.activate(
    page.getByRole('navigation').getByRole('link', { name: 'Home' })));
  await visit.navigate(() => input.activate(
    page.getByRole('button', { name: /create a calendar address|get a new address/i })));
  const subscribe = page.getByRole('link', { name: /subscribe/i });
  const webcal = await subscribe.getAttribute('href');
  assert.match(webcal, /^webcal:\/\/127\.0\.0\.1:\d+\/calendar\/[A-Za-z0-9_-]+\.ics$/);
  await visit.check('home with the calendar feed');
  const feed = await fetch(webcal.replace(/^webcal:/, 'http:'));
  assert.equal(feed.status, 200);
  assert.equal(feed.headers.get('content-type'), 'text/calendar; charset=utf-8');
  assert.match(await feed.text(), /^SUMMARY:.*Sports day\r$/m);

  // Payments: the hand-off reaches the sandbox provider, which sends the
  // parent back to the receipts. Without scripts the parent continues by hand.
  const payForTrips = main.getByRole('listitem').filter({ hasText: childName })
    .getByRole('button', { name: /trips/i });
  if (visit.javaScript) {
    const atProvider = page.waitForURL((url) => url.href.startsWith(suite.providerUrl));
    await input.activate(payForTrips);
    await atProvider;
    await page.waitForLoadState('load');
  } else {
    await visit.navigate(() => input.activate(payForTrips));
    await visit.check('hand-off to the payment provider');
    await visit.navigate(() => input.activate(
      page.getByRole('button', { name: /continue to the payment provider/i })));
  }
  assert.ok(page.url().startsWith(suite.providerUrl), `at ${page.url()}`);
  await visit.check('sandbox payment provider');
  await visit.navigate(() => input.activate(page.getByRole('button', { name: /pay/i })));
  assert.equal(new URL(page.url()).pathname, '/services/payments/receipts');
  await assert.doesNotReject(main.getByText(/completed \(paid\)/i).waitFor());
  await visit.check('payment receipts');

  // The account page lists the sign-in.
  await visit.navigate(() => input.activate(
    page.getByRole('navigation').getByRole('link', { name: /your account/i })));
  await assert.doesNotReject(page.getByRole('table').getByText('Signed in').first().waitFor());
  const messages = page.getByRole('heading', { name: /messages we have sent you/i });
  await assert.doesNotReject(messages.waitFor());
  await assert.doesNotReject(page.getByRole('main').getByRole('term')
    .filter({ hasText: /one-time password/i }).first().waitFor());
  await visit.check('account');

  // A message choice is saved and shown again.
  const firstChoice = page.getByRole('group').first();
  const textMessage = firstChoice.getByRole('radio', { name: /^text message$/i });
  await input.check(textMessage);
  await visit.navigate(() => input.activate(
    page.getByRole('button', { name: /save message choices/i })));
  await assert.doesNotReject(page.getByRole('status').first().waitFor());
  assert.ok(await page.getByRole('group').first()
    .getByRole('radio', { name: /^text message$/i }).isChecked());
  await visit.check('account with message choices saved');

  // Removing the link, after a confirmation, takes the child off the home page.
  await visit.navigate(() => input.activate(
    page.getByRole('navigation').getByRole('link', { name: 'Home' })));
  await visit.navigate(() => input.activate(page.getByRole('link', { name: childName })));
  await visit.navigate(() => input.activate(
    page.getByRole('link', { name: new RegExp(`remove ${parent.child.forename}`, 'i') })));
  await visit.check('remove the child');
  await visit.navigate(() => input.activate(
    page.getByRole('button', { name: new RegExp(`yes, remove ${parent.child.forename}`, 'i') })));
  await assert.doesNotReject(page.getByRole('heading', { name: /your children/i }).first().waitFor());
  assert.equal(await page.getByRole('link', { name: childName }).count(), 0);
  await visit.check('home after removing the child');

  // Signing out ends the session: the receipts page sends to sign-in.
  await visit.navigate(() => input.activate(page.getByRole('button', { name: /sign out/i })));
  assert.equal(await page.getByRole('link', { name: childName }).count(), 0);
  await visit.check('signed out');
  await visit.goto(`${suite.baseUrl}/services/payments/receipts`);
  assert.equal(new URL(page.url()).pathname, '/sign-in');
}
