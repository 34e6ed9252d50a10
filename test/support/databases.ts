/**
 * The databases every storage test runs on: SQLite always, PostgreSQL when
 * DOMUS_TEST_DATABASE_URL names a server (each use gets a fresh throw-away database there).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DatabaseTarget } from '../../src/platform/config.js';

export interface TestDatabase {
  target: DatabaseTarget;
  /** DOMUS_DATABASE_URL spelling of the target, for child processes. */
  url: string;
  drop(): Promise<void>;
}

export interface DatabaseKind {
  name: 'sqlite' | 'postgres';
  create(): Promise<TestDatabase>;
}

export const POSTGRES_URL = process.env.DOMUS_TEST_DATABASE_URL;

export function testDatabases(): DatabaseKind[] {
  const kinds: DatabaseKind[] = [{ name: 'sqlite', create: createSqlite }];
  if (POSTGRES_URL) kinds.push({ name: 'postgres', create: () => createPostgres(POSTGRES_URL) });
  return kinds;
}

export async function createSqlite(): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-db-'));
  const file = path.join(dir, 'test.sqlite');
  return {
    target: { kind: 'sqlite', file },
    url: `sqlite:${file}`,
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export async function createPostgres(serverUrl: string): Promise<TestDatabase> {
  const name = `domus_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    target: { kind: 'postgres', url: url.href },
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
