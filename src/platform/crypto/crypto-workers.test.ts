import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { compactDecrypt } from 'jose';
import { CryptoWorkers } from './crypto-workers.js';
import { type DecodedJws, decodeJws, es256SigningInput, p256PointOfJwk, signEs256 } from './es256.js';
import { newP256KeyPair } from './p256.js';

for (const size of [0, 1]) {
  describe(`crypto workers (${size === 0 ? 'in the event loop' : `${size} worker thread`})`, () => {
    const crypto = new CryptoWorkers(size);
    after(() => crypto.close());
    const signer = newP256KeyPair();
    const other = newP256KeyPair();
    const jwk = signer.publicKey.export({ format: 'jwk' }) as { x: string; y: string };
    const jws = decodeJws(signEs256({ typ: 'x' }, { a: 1 }, signer.privateKey));
    assert.ok(jws);

    it('checks signatures against keys and JWKs: valid, invalid or a bad key', async () => {
      const asJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } as const;
      const offCurve = { ...asJwk, y: Buffer.alloc(32, 7).toString('base64url') };
      const results = await crypto.verifyEs256([
        { jws, keys: [signer.publicKey] },
        { jws, keys: [asJwk] },
        { jws, keys: [other.publicKey, signer.publicKey] },
        { jws, keys: [other.publicKey] },
        { jws: { ...jws, signature: Buffer.alloc(64) }, keys: [asJwk] },
        { jws: { ...jws, header: { alg: 'none' } }, keys: [signer.publicKey] },
        { jws, keys: [offCurve] },
      ]);
      assert.deepEqual(results, ['valid', 'valid', 'valid', 'invalid', 'invalid', 'invalid', 'bad-key']);
    });

    it('encrypts JWEs to a point that the holder of the private key decrypts', async () => {
      const point = p256PointOfJwk(jwk);
      assert.ok(point);
      const jwes = await crypto.encryptJwes(point, [Buffer.from('one'), Buffer.from('two')], 'pkcs8');
      assert.equal(jwes.length, 2);
      const opened = await Promise.all(jwes.map((jwe) => compactDecrypt(jwe, signer.privateKey)));
      assert.deepEqual(
        opened.map((o) => Buffer.from(o.plaintext).toString()),
        ['one', 'two'],
      );
      assert.equal(opened[0]?.protectedHeader.cty, 'pkcs8');
    });

    it('signs ES256 with a key sent as PKCS#8, which each thread imports once', async () => {
      const key = { id: 'signer', pkcs8: signer.privatePkcs8 };
      const inputs = [es256SigningInput({ typ: 'x' }, { n: 1 }), es256SigningInput({ typ: 'x' }, { n: 2 })];
      const signatures = await crypto.signEs256(key, inputs);
      assert.equal(signatures.length, 2);
      const decoded = inputs.map((input, i) => decodeJws(`${input}.${signatures[i]}`));
      const checked = await crypto.verifyEs256(
        decoded.map((jws) => ({ jws: jws as DecodedJws, keys: [signer.publicKey] })),
      );
      assert.deepEqual(checked, ['valid', 'valid']);
      // The same id with other key bytes is another key: never signed with the one kept before.
      const [again] = await crypto.signEs256({ id: 'signer', pkcs8: other.privatePkcs8 }, [inputs[0] as string]);
      const jws = decodeJws(`${inputs[0]}.${again}`) as DecodedJws;
      assert.deepEqual(
        await crypto.verifyEs256([
          { jws, keys: [other.publicKey] },
          { jws, keys: [signer.publicKey] },
        ]),
        ['valid', 'invalid'],
      );
    });

    it('refuses a recipient point that is not on the curve', async () => {
      const bad = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]);
      await assert.rejects(crypto.encryptJwes(bad, [Buffer.from('x')], 'pkcs8'));
    });
  });
}
