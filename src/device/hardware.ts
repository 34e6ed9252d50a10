/**
 * The machine ID a device reports: base64url SHA-256 digests of hardware properties. The server
 * never sees the properties themselves. A simulated machine derives its digests from a seed, so
 * tests and demos can play several machines on one computer.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/** Digests of this computer's properties (at least four, at most sixteen). */
export function hardwareComponents(): string[] {
  const properties = [
    `platform:${os.platform()}/${os.arch()}`,
    `cpu:${os.cpus()[0]?.model ?? 'unknown'}x${os.cpus().length}`,
    `memory:${Math.round(os.totalmem() / 2 ** 30)}GiB`,
    `host:${os.hostname()}`,
  ];
  try {
    properties.push(`machine-id:${fs.readFileSync('/etc/machine-id', 'utf8').trim()}`);
  } catch {
    // Not every system has one; the other properties suffice.
  }
  const macs = Object.values(os.networkInterfaces())
    .flat()
    .filter((nic) => nic && !nic.internal && nic.mac !== '00:00:00:00:00:00')
    .map((nic) => `mac:${nic?.mac}`);
  properties.push(...[...new Set(macs)].sort());
  return properties.slice(0, 16).map(digest);
}

/** Six stable digests of a pretend machine called `seed`. */
export function simulatedComponents(seed: string): string[] {
  return Array.from({ length: 6 }, (_, i) => digest(`simulated:${seed}:${i}`));
}
