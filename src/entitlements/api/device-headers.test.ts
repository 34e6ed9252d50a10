import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassError } from '../errors.js';
import { decodeBase64, deviceHeaders, parseDeviceIdentifier, parseDeviceInfo } from './device-headers.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const info = (value: unknown) => b64(JSON.stringify(value));
const DEVICE = { model: 'iPhone', version: '15.2', osName: 'iOS', osVersion: '17.4', connectionType: 'WiFi' };

const refusedWith = (code: string) => (error: unknown) => error instanceof PassError && error.code === code;

describe('AP-Device-Identifier', () => {
  it('parses "fingerprint <base64>" into a canonical identifier', () => {
    const sample = 'fingerprint YmEyM2QxNDEtZDcxNS01NjFjLTk0ZjQtZTllNGM5NjZiMWVi';
    assert.deepEqual(parseDeviceIdentifier(sample), {
      type: 'fingerprint',
      identifier: 'YmEyM2QxNDEtZDcxNS01NjFjLTk0ZjQtZTllNGM5NjZiMWVi',
    });
    assert.equal(
      Buffer.from(parseDeviceIdentifier(sample).identifier, 'base64').toString(),
      'ba23d141-d715-561c-94f4-e9e4c966b1eb',
    );
    const bytes = Buffer.from([0xfb, 0xff, 0xfe]);
    const standard = parseDeviceIdentifier(`fingerprint ${bytes.toString('base64')}`);
    assert.deepEqual(parseDeviceIdentifier(`Fingerprint   ${bytes.toString('base64url')}`), standard);
    assert.deepEqual(parseDeviceIdentifier(`fingerprint ${b64('ab')}`), parseDeviceIdentifier('fingerprint YWI'));
  });

  it('refuses a missing or malformed header with invalid_header_device_identifier', () => {
    for (const header of [
      undefined,
      '',
      'fingerprint',
      'YmEy',
      'uuid YmEy',
      'fingerprint not*base64',
      'fingerprint YmEy YmEy',
      'fingerprint Y',
      'fingerprint YQ=',
      `fingerprint ${Buffer.alloc(513).toString('base64')}`,
      ['fingerprint YmEy', 'fingerprint YmEy'],
    ]) {
      assert.throws(
        () => parseDeviceIdentifier(header),
        refusedWith('invalid_header_device_identifier'),
        String(header),
      );
    }
  });
});

describe('X-Device-Info', () => {
  it('parses base64 JSON with the required keys and keeps the others', () => {
    const parsed = parseDeviceInfo(info({ ...DEVICE, primaryHardwareType: 'MobilePhone', displayWidth: 1170 }));
    assert.equal(parsed.model, 'iPhone');
    assert.equal(parsed.connectionType, 'WiFi');
    assert.equal(parsed.raw.displayWidth, 1170);
    assert.equal(parseDeviceInfo(Buffer.from(JSON.stringify(DEVICE)).toString('base64url')).osName, 'iOS');
  });

  it('refuses a missing or malformed header with invalid_header_device_info', () => {
    const { osVersion: _omitted, ...withoutOsVersion } = DEVICE;
    for (const header of [
      undefined,
      '',
      'not base64!',
      b64('not json'),
      info([DEVICE]),
      info(null),
      info('iPhone'),
      info(withoutOsVersion),
      info({ ...DEVICE, model: '' }),
      info({ ...DEVICE, version: 2 }),
      info({ ...DEVICE, connectionType: 'x'.repeat(513) }),
      'A'.repeat(8200),
      [info(DEVICE), info(DEVICE)],
    ]) {
      assert.throws(
        () => parseDeviceInfo(header),
        refusedWith('invalid_header_device_info'),
        String(header).slice(0, 40),
      );
    }
  });

  it('names the missing keys in the details', () => {
    assert.throws(
      () => parseDeviceInfo(info({ model: 'x' })),
      (error: PassError) =>
        error.details === 'X-Device-Info lacks non-empty string values for: version, osName, osVersion, connectionType',
    );
  });
});

describe('device headers of a request', () => {
  it('checks optional headers only when present and requires both when asked', () => {
    assert.deepEqual(deviceHeaders({}, false), { identifier: undefined, info: undefined });
    assert.equal(deviceHeaders({ 'x-device-info': info(DEVICE) }, false).info?.model, 'iPhone');
    assert.throws(() => deviceHeaders({ 'x-device-info': 'bad!' }, false), refusedWith('invalid_header_device_info'));
    assert.throws(
      () => deviceHeaders({ 'x-device-info': info(DEVICE) }, true),
      refusedWith('invalid_header_device_identifier'),
    );
  });

  it('decodes both base64 alphabets, with or without padding, and nothing else', () => {
    assert.equal(decodeBase64('YWJj')?.toString(), 'abc');
    assert.equal(decodeBase64('YWI')?.toString(), 'ab');
    assert.equal(decodeBase64('YWI=')?.toString(), 'ab');
    assert.equal(decodeBase64('-_8')?.toString('hex'), 'fbff');
    assert.equal(decodeBase64('YWI=='), null);
    assert.equal(decodeBase64('Y'), null);
    assert.equal(decodeBase64('YW J'), null);
    assert.equal(decodeBase64(''), null);
  });
});
