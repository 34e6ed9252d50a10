/**
 * Servers under test as child processes, so the load generator never shares their event loop:
 * `domus serve` on a throw-away data directory, and a plain node:http hello server (the
 * machine-noise reference). Every child is tracked from spawn and killed when the benchmark
 * exits, however it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOMUS_BIN = path.join(REPO_ROOT, 'bin', 'domus.js');
const HELLO_SERVER = path.join(REPO_ROOT, 'bench', 'hello-server.ts');
const FASTIFY_SERVER = path.join(REPO_ROOT, 'bench', 'fastify-server.ts');
const FLOOR_SERVER = path.join(REPO_ROOT, 'bench', 'work-floor-server.ts');
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const KEPT_OUTPUT = 16 * 1024;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

export interface ChildServer {
  url: string;
  pid: number;
  output(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the child has exited. */
  stop(): Promise<void>;
}

export interface DomusServer extends ChildServer {
  adminToken: string;
  dataDir: string;
  // biome-ignore lint/suspicious/noExplicitAny: the benchmark reads arbitrary admin JSON answers
  admin(method: string, pathname: string): Promise<{ status: number; body: any }>;
}

/** The environment of a child: the parent's, without any DOMUS_* setting of the benchmark's shell. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('DOMUS_'));
  return { ...Object.fromEntries(inherited), ...env };
}

function start(args: string[], env: Record<string, string>, urlPattern: RegExp): Promise<ChildServer> {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));

  let text = '';
  const keep = (chunk: string) => {
    text = (text + chunk).slice(-KEPT_OUTPUT);
  };
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', keep);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
    }
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`child did not start in ${START_TIMEOUT_MS} ms\n${text}`)),
      START_TIMEOUT_MS,
    );
    child.stdout?.on('data', (chunk: string) => {
      keep(chunk);
      const url = urlPattern.exec(text)?.[1];
      if (!url || settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ url, pid: child.pid ?? -1, output: () => text, stop });
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`child exited (${code ?? signal}) before serving\n${text}`)));
  });
}

export interface DomusOptions {
  databaseUrl: string;
  /** Write a V8 CPU profile of the server into this directory when it stops. */
  cpuProfileDir?: string;
  /** More DOMUS_* settings of the child (DOMUS_DEMO, DOMUS_THROTTLE, DOMUS_MASTER_KEY, …). */
  env?: Record<string, string>;
}

/** Starts `node bin/domus.js serve` on a fresh data directory and any free port of 127.0.0.1. */
export async function startDomus(options: DomusOptions): Promise<DomusServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-bench-'));
  const adminToken = randomBytes(24).toString('base64url');
  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  let server: ChildServer;
  try {
    server = await start(
      [...nodeArgs, DOMUS_BIN, 'serve'],
      {
        DOMUS_DATA_DIR: dataDir,
        DOMUS_DATABASE_URL: options.databaseUrl,
        DOMUS_HOST: '127.0.0.1',
        DOMUS_PORT: '0',
        DOMUS_LOG_LEVEL: 'warn',
        DOMUS_ADMIN_TOKEN: adminToken,
        ...options.env,
      },
      /^Domus (http:\/\/\S+)$/m,
    );
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  // The server names itself http://localhost:<port>; the load goes to 127.0.0.1 only.
  const url = server.url.replace('//localhost:', '//127.0.0.1:');
  if (!url.startsWith('http://127.0.0.1:')) {
    await server.stop();
    throw new Error(`refusing to load a server that is not on 127.0.0.1: ${server.url}`);
  }
  return {
    ...server,
    url,
    adminToken,
    dataDir,
    async admin(method, pathname) {
      const response = await fetch(`${url}/admin/v1${pathname}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}` },
      });
      return { status: response.status, body: await response.json().catch(() => null) };
    },
    async stop() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the plain node:http hello server (bench/hello-server.ts). */
export function startHello(): Promise<ChildServer> {
  return start(['--import', 'tsx', HELLO_SERVER], {}, /^hello (http:\/\/127\.0\.0\.1:\d+)$/m);
}

/** Starts the trivial fastify route (bench/fastify-server.ts), the entitlement API's reference. */
export function startFastify(): Promise<ChildServer> {
  return start(['--import', 'tsx', FASTIFY_SERVER], {}, /^fastify (http:\/\/127\.0\.0\.1:\d+)$/m);
}

/** Starts the entitlement API's work floor (bench/work-floor-server.ts) with its BENCH_FLOOR settings. */
export function startWorkFloor(settings: object): Promise<ChildServer> {
  return start(
    ['--import', 'tsx', FLOOR_SERVER],
    { BENCH_FLOOR: JSON.stringify(settings) },
    /^floor (http:\/\/127\.0\.0\.1:\d+)$/m,
  );
}
