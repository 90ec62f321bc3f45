// Starts the real Parents Portal binaries for a browser test: each on a free
// loopback port with its own folder under one temporary directory, the way
// tests/suite.cc does for journey_test. Every process started here is
// stopped by stop(), and killed when the Node process exits early.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync,
  writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

export const kSchool = '5300011';
export const kSchoolName = 'Tayside Primary School';
const kCallbackSecret = 'browser-test-sandbox-callback-secret-0123456789';

// Processes of every suite in this Node process, killed on an early exit.
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(128 + os.constants.signals[signal]);
  });
}

// Returns the folder of the built binaries: PP_BIN_DIR, or bin/ under
// PP_BUILD_DIR (default build/) of this repository.
export function binaryDir() {
  if (process.env.PP_BIN_DIR) return path.resolve(process.env.PP_BIN_DIR);
  return path.resolve(repositoryRoot, process.env.PP_BUILD_DIR ?? 'build', 'bin');
}

// Returns a loopback port that was free a moment ago.
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// Returns the date `days` from today in Europe/London as YYYY-MM-DD.
export function londonDate(days = 0) {
  const when = new Date(Date.now() + days * 24 * 3600 * 1000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(when);
}

// Returns an iCalendar document with one all-day event per entry of
// `events` ({ uid, summary, day: YYYY-MM-DD }).
export function calendarDocument(events) {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Parents Portal browser tests//EN'];
  for (const event of events) {
    const start = event.day.replaceAll('-', '');
    const next = new Date(`${event.day}T12:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    const end = next.toISOString().slice(0, 10).replaceAll('-', '');
    lines.push('BEGIN:VEVENT', `UID:${event.uid}@browser.test`, 'DTSTAMP:20260101T000000Z',
      `DTSTART;VALUE=DATE:${start}`, `DTEND;VALUE=DATE:${end}`, `SUMMARY:${event.summary}`,
      'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.join('\r\n') + '\r\n';
}

export class Suite {
  constructor() {
    this.dir = null;
    this.ports = {};
    this.processes = [];
    this.schoolToken = null;
  }

  // Starts the six binaries and the sandbox payment provider, then issues
  // the school's token and loads the roster in fixtures/ and `events`, if any.
  async start(events) {
    const bin = binaryDir();
    for (const name of ['gateway', 'schoolctl', 'payments-sandbox']) {
      if (!existsSync(path.join(bin, name))) {
        throw new Error(`${path.join(bin, name)} is missing: build the binaries first ` +
          '(cmake --build build), or set PP_BIN_DIR to the folder that holds them');
      }
    }
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'pp-browser-'));
    for (const name of ['identity', 'link-verification', 'notification', 'calendar',
      'payments-handoff', 'gateway', 'payments-sandbox']) {
      this.ports[name] = await freePort();
    }

    const grpc = async (name) => [`--grpc_address=${this.address(name)}`,
      `--metrics_address=127.0.0.1:${await freePort()}`, `--data_dir=${this.dataDir(name)}`];
    const identity = `--identity_address=${this.address('identity')}`;
    const notification = `--notification_address=${this.address('notification')}`;
    const link = `--link_address=${this.address('link-verification')}`;
    const calendar = `--calendar_address=${this.address('calendar')}`;
    const provider = this.address('payments-sandbox');
    const portal = this.baseUrl;

    // One provider, the sandbox, for the school and both services.
    const providersFile = path.join(this.dir, 'payments-providers.json');
    writeFileSync(providersFile, JSON.stringify({
      providers: [{
        id: 'sandbox', display_name: 'Sandbox payments', handoff_url: `http://${provider}/pay`,
        audience: `http://${provider}`, callback_secret: kCallbackSecret, schools: [kSchool],
        services: ['school-meals', 'trips'],
      }],
    }));

    await this.#launch('notification', await grpc('notification'));
    await this.#launch('identity', [...await grpc('identity'), notification,
      '--password_hash_cost=fast']);
    await this.#launch('link-verification', [...await grpc('link-verification'), identity,
      notification, calendar]);
    await this.#launch('calendar', [...await grpc('calendar'), identity]);
    await this.#launch('payments-handoff', [...await grpc('payments-handoff'),
      `--providers_file=${providersFile}`, `--issuer=${portal}`, link]);
    await this.#launch('gateway', [`--http_address=${this.address('gateway')}`,
      `--metrics_address=127.0.0.1:${await freePort()}`, identity, link, calendar, notification,
      `--payments_address=${this.address('payments-handoff')}`]);
    await this.#launch('payments-sandbox', [`--http_address=${provider}`,
      `--providers_file=${providersFile}`, `--issuer=${portal}`,
      `--jwks_url=${portal}/.well-known/jwks.json`,
      `--callback_url=${portal}/services/payments/callback`,
      `--return_url=${portal}/services/payments/receipts`]);

    // The school gets its token and loads its roster, and its calendar when
    // the suite has events: a calendar without events is rejected.
    const issued = this.schoolctl(['admin', 'issue-token', '--school', kSchool,
      '--operator_token_file', path.join(this.dataDir('identity'), 'operator-token')]);
    this.schoolToken = issued.split('\n')[0].trim();
    this.schoolctl(['--school', kSchool, 'sync-roster', path.join(fixturesDir, 'pupils.csv'),
      path.join(fixturesDir, 'contacts.csv')]);
    if (events.length > 0) {
      const calendarFile = path.join(this.dir, 'calendar.ics');
      writeFileSync(calendarFile, calendarDocument(events));
      this.schoolctl(['--school', kSchool, 'import-calendar', calendarFile]);
    }
  }

  get baseUrl() {
    return `http://${this.address('gateway')}`;
  }

  get providerUrl() {
    return `http://${this.address('payments-sandbox')}`;
  }

  address(name) {
    return `127.0.0.1:${this.ports[name]}`;
  }

  dataDir(name) {
    return path.join(this.dir, name);
  }

  // Runs schoolctl against this suite with the school's token and returns
  // its standard output. Throws with the output when it exits non-zero.
  schoolctl(args) {
    const result = spawnSync(path.join(binaryDir(), 'schoolctl'), [
      `--identity_address=${this.address('identity')}`, `--link_address=${this.address('link-verification')}`,
      `--calendar_address=${this.address('calendar')}`, ...args,
    ], {
      encoding: 'utf8',
      env: { ...process.env, ...(this.schoolToken ? { PP_TOKEN: this.schoolToken } : {}) },
    });
    if (result.status !== 0) {
      throw new Error(`schoolctl ${args.join(' ')} exited with ${result.status}:\n` +
        `${result.stdout}${result.stderr}`);
    }
    return result.stdout;
  }

  // Approves the school's one pending request for `pupilRef` and returns its id.
  approvePending(pupilRef) {
    const pending = this.schoolctl(['--school', kSchool, 'requests', '--state', 'pending']);
    const line = pending.split('\n').find((row) => row.includes(pupilRef));
    if (!line) throw new Error(`no pending request for ${pupilRef}; schoolctl printed:\n${pending}`);
    const id = line.split('\t')[0];
    this.schoolctl(['--school', kSchool, 'decide', id, 'approve']);
    return id;
  }

  // Returns the first capture of `pattern` in an outbox message to
  // `recipient` whose file and capture `seen` does not hold yet, waiting up
  // to 10 seconds because notification delivers in the background. Adds
  // both to `seen`, so that a second code to the same address is a new
  // code, even when a message is delivered twice.
  async findInOutbox(recipient, pattern, seen = new Set()) {
    const outbox = path.join(this.dataDir('notification'), 'outbox');
    const deadline = Date.now() + 10_000;
    do {
      if (existsSync(outbox)) {
        for (const name of readdirSync(outbox).sort()) {
          if (seen.has(name)) continue;
          const text = readFileSync(path.join(outbox, name), 'utf8');
          if (!text.toLowerCase().includes(recipient.toLowerCase())) continue;
          const match = text.match(pattern);
          if (match && !seen.has(`capture:${match[1]}`)) {
            seen.add(name);
            seen.add(`capture:${match[1]}`);
            return match[1];
          }
        }
      }
      await sleep(50);
    } while (Date.now() < deadline);
    throw new Error(`no message to ${recipient} matching ${pattern} arrived in ${outbox}`);
  }

  // Stops one binary with SIGTERM, as when a service goes down, and returns
  // its exit status. stop() still counts it among the unclean ones if the
  // status is not 0.
  async stopBinary(name) {
    const { child, exited } = this.processes.find((process) => process.name === name);
    child.kill('SIGTERM');
    return exited;
  }

  // Returns the binaries that have ended and why, then the last lines of
  // each log; a binary that has ended shows its whole log.
  logs() {
    const ended = this.processes.filter(({ ending }) => ending !== null)
      .map(({ name, ending }) => `${name}: ${ending}`);
    const tails = this.processes.map(({ name, log, ending }) => {
      const lines = (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n');
      return `--- ${name}\n${(ending === null ? lines.slice(-15) : lines).join('\n')}`;
    });
    // Errors and warnings first, as a failure's report may be cut short.
    const problems = this.processes.flatMap(({ name, log }) =>
      (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n')
        .filter((line) => / level=(error|warning) |\*\*\* SIG/.test(line))
        .map((line) => `${name}: ${line}`));
    return [`ended: ${ended.length ? ended.join(', ') : 'none'}`,
      `errors and warnings: ${problems.length ? '' : 'none'}`, ...problems.slice(-12),
      ...tails].join('\n');
  }

  // Stops every binary in reverse order of start (SIGTERM, then SIGKILL
  // after 15 seconds) and removes the temporary directory. Returns the
  // binaries that did not exit with status 0, each named with how it ended.
  async stop() {
    for (const { child } of this.processes) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
    const unclean = [];
    for (const entry of [...this.processes].reverse()) {
      const { name, child, exited } = entry;
      const alreadyEnded = entry.ending;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, 15_000);
      const code = await exited;
      clearTimeout(timer);
      running.delete(child);
      if (code !== 0) {
        const ending = timedOut ? 'still running 15 s after SIGTERM' : entry.ending;
        unclean.push(`${name} (${alreadyEnded ? `${ending} before the stop` : ending})`);
      }
    }
    this.processes = [];
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    return unclean;
  }

  async #launch(name, args) {
    const log = path.join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a', 0o600);
    const child = spawn(path.join(binaryDir(), name), args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    running.add(child);
    const entry = { name, child, log, ending: null };
    entry.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        entry.ending = code === null ? `killed by ${signal}` : `exit code ${code}`;
        resolve(code);
      });
      child.once('error', (error) => {
        entry.ending = `not started: ${error.message}`;
        resolve(-1);
      });
    });
    this.processes.push(entry);

    const port = this.ports[name];
    const deadline = Date.now() + 30_000;
    while (!(await canConnect(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${name} did not start listening on port ${port}:\n${this.logs()}`);
      }
      await sleep(50);
    }
  }
}
