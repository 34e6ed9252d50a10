/**
 * Start-up time and memory of `domus serve`, compiled (`node bin/domus.js serve`, what
 * `npm start` runs) next to the same sources run through tsx at run time (what `npm start` ran
 * before the build step), in alternating rounds of one run.
 *
 * Each round restarts the server on a data directory that an untimed first start initialised
 * (keys generated, migrations applied), so the figure is a restart's, not key generation's.
 * _Ready_ is spawn to the server's "Domus <url>" line (listening, every module mounted); RSS is
 * read from /proc at ready and again after a short load of cheap requests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY = /^Domus (http:\/\/\S+)$/m;
const START_TIMEOUT_MS = 60_000;
const REQUESTS_AFTER_READY = 2_000;

export interface StartupVariant {
  name: string;
  command: string;
  args: string[];
}

export const STARTUP_VARIANTS: readonly StartupVariant[] = [
  { name: 'compiled', command: 'node bin/domus.js serve', args: ['bin/domus.js', 'serve'] },
  {
    name: 'tsx at run time',
    command: 'node --import tsx src/cli/main.ts serve',
    args: ['--import', 'tsx', 'src/cli/main.ts', 'serve'],
  },
];

export interface StartupFigure {
  variant: StartupVariant;
  /** Spawn to ready, ms, one per round. */
  readyMs: number[];
  /** RSS at ready, MiB, one per round. */
  rssReadyMiB: number[];
  /** RSS after REQUESTS_AFTER_READY requests, MiB, one per round. */
  rssLoadedMiB: number[];
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return kib / 1024;
}

function serve(variant: StartupVariant, dataDir: string): Promise<{ child: ChildProcess; url: string; ms: number }> {
  const started = performance.now();
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DOMUS_')));
  const child = spawn(process.execPath, variant.args, {
    cwd: REPO_ROOT,
    env: { ...env, DOMUS_DATA_DIR: dataDir, DOMUS_HOST: '127.0.0.1', DOMUS_PORT: '0', DOMUS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${variant.command} did not start\n${output}`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const url = READY.exec(output)?.[1];
      if (!url) return;
      clearTimeout(timer);
      child.off('exit', exitedEarly);
      resolve({ child, url: url.replace('//localhost:', '//127.0.0.1:'), ms: performance.now() - started });
    });
    const exitedEarly = (code: number | null) =>
      fail(new Error(`${variant.command} exited (${code}) before serving\n${output}`));
    child.once('exit', exitedEarly);
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** `count` GETs of the Domain CA certificate, 8 at a time on keep-alive connections. */
async function load(url: string, count: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let sent = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      http
        .get(`${url}/flashaccess/domain-ca.pem`, { agent }, (response) => {
          response.resume();
          response.once('end', () =>
            response.statusCode === 200 ? resolve() : reject(new Error(`${response.statusCode}`)),
          );
        })
        .once('error', reject);
    });
  const worker = async () => {
    while (sent++ < count) await one();
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
}

export async function measureStartup(rounds: number, log: (line: string) => void): Promise<StartupFigure[]> {
  const figures = STARTUP_VARIANTS.map((variant) => ({
    variant,
    readyMs: [] as number[],
    rssReadyMiB: [] as number[],
    rssLoadedMiB: [] as number[],
  }));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-bench-startup-'));
  // A bound on the whole part, which also holds the event loop open between the children's lives.
  const deadline = setTimeout(
    () => {
      throw new Error('the start-up measurement did not finish in time');
    },
    rounds * 2 * START_TIMEOUT_MS,
  );
  try {
    const first = await serve(STARTUP_VARIANTS[0] as StartupVariant, dataDir);
    await stop(first.child);
    for (let round = 0; round < rounds; round++) {
      // Alternate which variant goes first, so neither always starts on a warmer page cache.
      const order = round % 2 ? [...figures].reverse() : figures;
      for (const figure of order) {
        const { child, url, ms } = await serve(figure.variant, dataDir);
        try {
          figure.readyMs.push(ms);
          figure.rssReadyMiB.push(rssMiB(child.pid as number));
          await load(url, REQUESTS_AFTER_READY);
          figure.rssLoadedMiB.push(rssMiB(child.pid as number));
        } finally {
          await stop(child);
        }
      }
      log(`start-up round ${round + 1}/${rounds}`);
    }
  } finally {
    clearTimeout(deadline);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return figures;
}
