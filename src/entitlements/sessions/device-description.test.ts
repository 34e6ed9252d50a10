import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDevice, parseVersion } from './device-description.js';

describe('device description', () => {
  it('reads versions as Adobe splits them', () => {
    assert.deepEqual(parseVersion('17.4'), { major: 17, minor: 4 });
    assert.deepEqual(parseVersion('60.0.3112'), { major: 60, minor: 0, patch: 3112 });
    assert.deepEqual(parseVersion('2.0.1-beta'), { major: 2, minor: 0, patch: 1, profile: 'beta' });
    assert.deepEqual(parseVersion('4800X'), { major: 4800, profile: 'X' });
    assert.deepEqual(parseVersion('r0q'), { profile: 'r0q' });
    assert.equal(parseVersion('  '), undefined);
  });

  it('keeps only well-typed keys and maps unknown hardware types to Unknown', () => {
    const device = describeDevice({
      type: 'Tablet',
      model: 'iPad',
      version: 7,
      osName: 'iOS',
      osVersion: '17.4',
      displayWidth: 2.5,
      displayHeight: 2_147_483_648,
      connectionType: '',
      connectionSecure: 'yes',
    });
    assert.deepEqual(device, {
      type: 'Tablet',
      model: 'iPad',
      hardware: { name: 'iPad' },
      operatingSystem: { name: 'iOS', version: { major: 17, minor: 4 } },
    });
    assert.equal(describeDevice({ primaryHardwareType: 'Toaster' }).type, 'Unknown');
    assert.deepEqual(describeDevice({}), { type: 'Unknown' });
  });
});
