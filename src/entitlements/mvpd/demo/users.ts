/**
 * The demo identity provider's users (README, "Sign in with a demo MVPD"), the same at every
 * built-in MVPD: the three defaults, or the list in DOMUS_DEMO_USERS_FILE.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { ConfigError } from '../../../platform/config.js';

export interface DemoUser {
  /** Login name. */
  user: string;
  password: string;
  userID: string;
  householdID: string;
  /** Entitled resources (`*` = all). */
  channels: string[];
}

/** alice, bob and carol of the README; each password is the user name. */
export const DEFAULT_DEMO_USERS: readonly DemoUser[] = [
  { user: 'alice', password: 'alice', userID: 'alice', householdID: 'household-1', channels: ['DemoChannel'] },
  { user: 'bob', password: 'bob', userID: 'bob', householdID: 'household-1', channels: ['DemoChannel'] },
  { user: 'carol', password: 'carol', userID: 'carol', householdID: 'household-2', channels: [] },
];

export class DemoUsers {
  readonly #byUser: Map<string, DemoUser>;
  readonly #byUserID: Map<string, DemoUser>;

  /** `builtIn` = the default users, whose passwords the login page may show. */
  constructor(
    users: readonly DemoUser[],
    readonly builtIn = false,
  ) {
    this.#byUser = new Map(users.map((u) => [u.user, u]));
    this.#byUserID = new Map(users.map((u) => [u.userID, u]));
  }

  static defaults(): DemoUsers {
    return new DemoUsers(DEFAULT_DEMO_USERS, true);
  }

  /** The users of `file` (DOMUS_DEMO_USERS_FILE), or the defaults when no file is given. */
  static load(file: string | undefined): DemoUsers {
    if (!file) return DemoUsers.defaults();
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(`DOMUS_DEMO_USERS_FILE: cannot read ${file}: ${(error as Error).message}`);
    }
    return new DemoUsers(parseDemoUsers(parsed, file));
  }

  get list(): DemoUser[] {
    return [...this.#byUser.values()];
  }

  byUserID(userID: string): DemoUser | undefined {
    return this.#byUserID.get(userID);
  }

  /** The user with this login name and password, or undefined (in time independent of the password). */
  authenticate(user: string, password: string): DemoUser | undefined {
    const found = this.#byUser.get(user);
    const expected = digest(found?.password ?? '\0no such user');
    const matches = timingSafeEqual(expected, digest(password));
    return found && matches ? found : undefined;
  }
}

/** Checks the shape of a users file; every message names the file and the entry. */
export function parseDemoUsers(parsed: unknown, source: string): DemoUser[] {
  const fail = (message: string): never => {
    throw new ConfigError(`DOMUS_DEMO_USERS_FILE ${source}: ${message}`);
  };
  if (!Array.isArray(parsed) || parsed.length === 0) fail('must hold a non-empty JSON array of users');
  const users: DemoUser[] = [];
  const names = new Set<string>();
  const ids = new Set<string>();
  for (const [index, entry] of (parsed as unknown[]).entries()) {
    const at = `entry ${index}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(`${at} is not an object`);
    const e = entry as Record<string, unknown>;
    for (const field of ['user', 'password', 'userID', 'householdID'] as const) {
      if (typeof e[field] !== 'string' || e[field] === '') fail(`${at} needs a non-empty string "${field}"`);
    }
    const channels = e.channels ?? [];
    if (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string' && c !== '')) {
      fail(`${at} "channels" must be an array of non-empty strings`);
    }
    const user: DemoUser = {
      user: e.user as string,
      password: e.password as string,
      userID: e.userID as string,
      householdID: e.householdID as string,
      channels: channels as string[],
    };
    if (names.has(user.user)) fail(`user "${user.user}" is listed twice`);
    if (ids.has(user.userID)) fail(`userID "${user.userID}" is listed twice`);
    names.add(user.user);
    ids.add(user.userID);
    users.push(user);
  }
  return users;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
