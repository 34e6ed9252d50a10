import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CompactSign, compactDecrypt, compactVerify, importJWK } from 'jose';
import { decodeJws, importP256PublicJwk, signEs256, verifyEs256 } from './es256.js';
import { jweEncrypterFor } from './jwe.js';
import { newP256KeyPair } from './p256.js';
import { SealError, Sealer } from './sealing.js';

const pair = () => newP256KeyPair();

describe('sealing under the master key', () => {
  const sealer = new Sealer(randomBytes(32));

  it('opens what it sealed, with the same label', () => {
    const sealed = sealer.seal(Buffer.from('secret key bytes'), 'domain-key:1:1');
    assert.equal(sealer.open(sealed, 'domain-key:1:1').toString(), 'secret key bytes');
    assert.equal(sealed.includes(Buffer.from('secret key bytes').toString('base64url')), false);
  });

  it('refuses another label, another key, or a changed byte', () => {
    const sealed = sealer.seal(Buffer.from('x'), 'a');
    assert.throws(() => sealer.open(sealed, 'b'), SealError);
    assert.throws(() => new Sealer(randomBytes(32)).open(sealed, 'a'), SealError);
    const tampered = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.slice(-1)}`;
    assert.notEqual(tampered, sealed);
    assert.throws(() => sealer.open(tampered, 'a'), SealError);
  });

  it('needs a 32-byte master key', () => {
    assert.throws(() => new Sealer(randomBytes(16)), SealError);
  });
});

describe('ES256 compact JWS', () => {
  it('verifies its own signatures and jose verifies them too', async () => {
    const { privateKey, publicKey } = pair();
    const token = signEs256({ typ: 'x' }, { a: 1 }, privateKey);
    const decoded = decodeJws(token);
    assert.ok(decoded);
    assert.equal(verifyEs256(decoded, publicKey), true);
    const { payload } = await compactVerify(token, publicKey);
    assert.deepEqual(JSON.parse(Buffer.from(payload).toString()), { a: 1 });
  });

  it('verifies jose signatures', async () => {
    const { privateKey, publicKey } = pair();
    const token = await new CompactSign(Buffer.from('{"b":2}')).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const decoded = decodeJws(token);
    assert.ok(decoded);
    assert.equal(verifyEs256(decoded, publicKey), true);
  });

  it('refuses another key, another algorithm and malformed input', () => {
    const { privateKey } = pair();
    const token = signEs256({}, { a: 1 }, privateKey);
    const decoded = decodeJws(token);
    assert.ok(decoded);
    assert.equal(verifyEs256(decoded, pair().publicKey), false);
    assert.equal(verifyEs256({ ...decoded, header: { alg: 'none' } }, pair().publicKey), false);
    for (const bad of ['', 'a.b', 'a.b.c.d', '!!.e30.', 'e30.W10.', `${token}x`.replace('.', '.!')]) {
      assert.equal(decodeJws(bad), null, bad);
    }
  });

  it('imports only public P-256 JWKs', () => {
    const { publicKey, privateKey } = pair();
    assert.ok(importP256PublicJwk(publicKey.export({ format: 'jwk' })));
    assert.equal(importP256PublicJwk(privateKey.export({ format: 'jwk' })), null);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    assert.equal(importP256PublicJwk(rsa), null);
    assert.equal(importP256PublicJwk({ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }), null);
  });
});

describe('JWE ECDH-ES+A256KW / A256GCM', () => {
  it('is decrypted by jose, each JWE of one answer on its own', async () => {
    const machine = pair();
    const encrypter = jweEncrypterFor(machine.publicKey);
    const first = encrypter.encrypt(Buffer.from('key one'), 'pkcs8');
    const second = encrypter.encrypt(Buffer.from('key two'), 'pkcs8');
    for (const [jwe, text] of [
      [first, 'key one'],
      [second, 'key two'],
    ] as const) {
      const { plaintext, protectedHeader } = await compactDecrypt(jwe, machine.privateKey);
      assert.equal(Buffer.from(plaintext).toString(), text);
      assert.equal(protectedHeader.alg, 'ECDH-ES+A256KW');
      assert.equal(protectedHeader.enc, 'A256GCM');
      assert.equal(protectedHeader.cty, 'pkcs8');
    }
  });

  it('cannot be decrypted by another machine', async () => {
    const jwe = jweEncrypterFor(pair().publicKey).encrypt(Buffer.from('x'), 'pkcs8');
    const stranger = await importJWK(pair().privateKey.export({ format: 'jwk' }), 'ECDH-ES+A256KW');
    await assert.rejects(compactDecrypt(jwe, stranger));
  });
});
