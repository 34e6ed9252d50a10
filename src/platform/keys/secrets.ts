/**
 * Secrets the server generates for itself on first start (master key, admin token), kept in
 * the data directory with owner-only permissions unless configuration provides them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';

/** File names in the data directory. */
export const MASTER_KEY_FILE = 'master.key';
export const ADMIN_TOKEN_FILE = 'admin-token';

export interface Secrets {
  masterKey: Buffer;
  adminToken: string;
  /** Files created now, so the caller can say so once. */
  generated: { adminTokenFile?: string; masterKeyFile?: string };
}

export function loadSecrets(config: Config): Secrets {
  const generated: Secrets['generated'] = {};
  let masterKey = config.masterKey;
  if (!masterKey) {
    const file = path.join(config.dataDir, MASTER_KEY_FILE);
    const [value, created] = readOrCreate(file, () => randomBytes(32).toString('base64'));
    masterKey = Buffer.from(value, 'base64');
    if (masterKey.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    if (created) generated.masterKeyFile = file;
  }
  let adminToken = config.adminToken;
  if (!adminToken) {
    const file = path.join(config.dataDir, ADMIN_TOKEN_FILE);
    const [value, created] = readOrCreate(file, () => randomBytes(24).toString('base64url'));
    adminToken = value;
    if (created) generated.adminTokenFile = file;
  }
  return { masterKey, adminToken, generated };
}

/** Reads a one-line secret file, creating it (mode 0600, never overwriting) when absent. */
function readOrCreate(file: string, make: () => string): [string, boolean] {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, `${make()}\n`, { flag: 'wx', mode: 0o600 });
    return [fs.readFileSync(file, 'utf8').trim(), true];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return [fs.readFileSync(file, 'utf8').trim(), false];
  }
}
