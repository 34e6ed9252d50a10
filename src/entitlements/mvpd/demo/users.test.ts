/** Demo users: the defaults of the README and DOMUS_DEMO_USERS_FILE. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../platform/config.js';
import { DemoUsers } from './users.js';

function file(content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-users-'));
  const name = path.join(dir, 'users.json');
  fs.writeFileSync(name, content);
  return name;
}

describe('demo users', () => {
  it('default to alice, bob and carol, password = user name', () => {
    const users = DemoUsers.load(undefined);
    assert.equal(users.builtIn, true);
    assert.deepEqual(
      users.list.map((u) => [u.user, u.userID, u.householdID, u.channels]),
      [
        ['alice', 'alice', 'household-1', ['DemoChannel']],
        ['bob', 'bob', 'household-1', ['DemoChannel']],
        ['carol', 'carol', 'household-2', []],
      ],
    );
    assert.equal(users.authenticate('alice', 'alice')?.userID, 'alice');
    assert.equal(users.authenticate('alice', 'bob'), undefined);
    assert.equal(users.authenticate('nobody', 'nobody'), undefined);
  });

  it('load from a file', () => {
    const users = DemoUsers.load(
      file(JSON.stringify([{ user: 'dave', password: 'pw', userID: 'u-4', householdID: 'h-9', channels: ['*'] }])),
    );
    assert.equal(users.builtIn, false);
    assert.deepEqual(users.authenticate('dave', 'pw')?.channels, ['*']);
    assert.equal(users.byUserID('u-4')?.user, 'dave');
  });

  it('refuse a bad file with the variable named', () => {
    for (const content of [
      'not json',
      '[]',
      '{}',
      JSON.stringify([{ user: 'a', password: 'a', userID: 'a' }]),
      JSON.stringify([{ user: 'a', password: 'a', userID: 'a', householdID: 'h', channels: 'x' }]),
      JSON.stringify([
        { user: 'a', password: 'a', userID: 'a', householdID: 'h' },
        { user: 'a', password: 'b', userID: 'b', householdID: 'h' },
      ]),
    ]) {
      assert.throws(
        () => DemoUsers.load(file(content)),
        (error: Error) => error instanceof ConfigError && error.message.includes('DOMUS_DEMO_USERS_FILE'),
        content,
      );
    }
  });
});
