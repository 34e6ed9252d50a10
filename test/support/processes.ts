/**
 * The `domus` command as child processes, for black-box tests: one-shot commands and whole
 * servers. Every child is tracked from the moment it is spawned, so a test's `after` can stop
 * them all even when starting one of them failed half-way, and the test process kills any
 * left over when it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type AdminCall, adminClient } from './admin-client.js';
import { NO_RATE_LIMITS } from './limits.js';

const BIN = fileURLToPath(new URL('../../bin/domus.js', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVING = [/"url":"(https?:\/\/[^"]+)"/, /^Domus (https?:\/\/\S+)$/m];
const STOP_GRACE_MS = 10_000;
const KEPT_OUTPUT = 64 * 1024;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The parent's environment without its DOMUS_* settings and the test runner's marker, plus `env`. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([name]) => !name.startsWith('DOMUS_') && name !== 'NODE_TEST_CONTEXT',
  );
  return { ...Object.fromEntries(inherited), ...env };
}

function spawnDomus(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

function collect(stream: NodeJS.ReadableStream | null, onText?: (all: string) => void): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-KEPT_OUTPUT);
    onText?.(text);
  });
  return () => text;
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `domus <args>` to its end (asynchronously, so an in-process test server keeps answering). */
export function runDomus(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  const child = spawnDomus(args, env);
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout: stdout(), stderr: stderr() }));
  });
}

/**
 * The environment of `domus serve` processes that share the database at `databaseUrl` under a
 * test's load: one fresh master key and admin token, any free port, errors-only logs, no demo
 * data, no rate limits. Spread it and add a DOMUS_DATA_DIR per process.
 */
export function loadTestEnv(databaseUrl: string): Record<string, string> {
  return {
    DOMUS_DATABASE_URL: databaseUrl,
    DOMUS_MASTER_KEY: randomBytes(32).toString('base64'),
    DOMUS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    DOMUS_PORT: '0',
    DOMUS_LOG_LEVEL: 'error',
    DOMUS_DEMO: 'false',
    ...NO_RATE_LIMITS,
  };
}

export interface DomusProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  admin: AdminCall;
  /** SIGTERM, then SIGKILL if it has not exited after a grace period; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `domus serve` with `env` (which should set DOMUS_PORT=0 and DOMUS_ADMIN_TOKEN) and
 * resolves once it prints the URL it serves on; rejects with its output if it exits first.
 */
export function startDomusServer(env: Record<string, string>): Promise<DomusProcess> {
  const child = spawnDomus(['serve'], env);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let settled = false;
    const stderr = collect(child.stderr);
    const stdout = collect(child.stdout, (text) => {
      const url = SERVING.map((pattern) => pattern.exec(text)?.[1]).find(Boolean);
      if (!url || settled) return;
      settled = true;
      resolve(serverProcess(child, url, env.DOMUS_ADMIN_TOKEN ?? '', exited, output));
    });
    const output = () => `stdout:\n${stdout()}\nstderr:\n${stderr()}`;
    child.once('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    child.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`domus serve exited (${code ?? signal}) before serving\n${output()}`));
      settled = true;
    });
  });
}

function serverProcess(
  child: ChildProcess,
  url: string,
  adminToken: string,
  exited: Promise<number | null>,
  output: () => string,
): DomusProcess {
  return {
    child,
    url,
    output,
    admin: adminClient(url, adminToken),
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await exited;
    } finally {
      clearTimeout(force);
    }
  }
  return exited;
}

/** Stops every child this test file started that is still running (for `after` hooks). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      return exited.finally(() => clearTimeout(force));
    }),
  );
}
