/**
 * The mutations that break fuzz cases (support/fuzz.ts). Every case gets at least one mutation
 * its endpoint must refuse (`refuses`), applied last so nothing undoes it, and up to two more of
 * any kind (some are noise: changes an endpoint may take); so every case must be answered
 * ≥ 400, in its wire format's error shape, changing nothing.
 */

import { storableText } from '../../src/platform/text.js';
import {
  accepted,
  between,
  type Draft,
  hasBody,
  insertAt,
  type JsonType,
  type Mutation,
  parsedBody,
  pick,
  type Rng,
  serialize,
  setField,
  stringFields,
  type Template,
} from './fuzz-cases.js';

// '%%', not a bare '%': inserted before two hex digits a bare '%' makes a valid escape.
const ENCODED_BAD = ['%c3%28', '%zz', '%%', '%e2%82', '%ED%A0%80', '%C0%AF', '%ff', '%F8%88%80%80%80', '%c3'];
const OTHER_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'text/html',
  'application/json-patch+json',
  'application/x-www-form-urlencoded',
  'application/json',
  'application/jose',
  'garbage',
  '',
  null,
];
const UNICODE = ['ñandú', '😀', '\u202e', 'e\u0301', '\uffff', '\ufeff', '𝒳', 'a'.repeat(300), ' ', '<script>', "'"];
const WRONG_VALUES: [JsonType, unknown][] = [
  ['integer', 12345],
  ['integer', -1],
  ['string', '7'],
  ['string', 'true'],
  ['boolean', true],
  ['null', null],
  ['array', []],
  ['array', ['x']],
  ['object', {}],
  ['object', { a: 1 }],
  ['string', ''],
];

export const MUTATIONS: Mutation[] = [
  {
    name: 'nul-in-path',
    refuses: () => true,
    applies: (_t, d) => d.segments.length > 0,
    apply(d, rng) {
      const i = d.params.length > 0 && rng() < 0.8 ? pick(rng, d.params) : between(rng, 0, d.segments.length - 1);
      d.segments[i] = insertAt(rng, d.segments[i] ?? '', '%00');
    },
  },
  {
    name: 'nul-in-query',
    refuses: () => true,
    applies: () => true,
    apply(d, rng) {
      if (d.query.length > 0 && rng() < 0.7) {
        const i = between(rng, 0, d.query.length - 1);
        d.query[i] = insertAt(rng, d.query[i] ?? '', '%00');
      } else d.query.push(pick(rng, ['x=%00', 'q=a%00b', '%00=1', 'state=%00']));
    },
  },
  {
    name: 'bad-escape',
    refuses: () => true,
    applies: () => true,
    apply(d, rng) {
      const bad = pick(rng, ENCODED_BAD);
      if (rng() < 0.6 && d.segments.length > 0) {
        const i = d.params.length > 0 && rng() < 0.8 ? pick(rng, d.params) : between(rng, 0, d.segments.length - 1);
        d.segments[i] = insertAt(rng, d.segments[i] ?? '', bad);
      } else d.query.push(`${pick(rng, ['x', 'state', 'code', 'q', 'redirectUrl'])}=${bad}`);
    },
  },
  {
    name: 'long-param',
    refuses: () => true,
    applies: (_t, d) => d.params.length > 0,
    apply(d, rng) {
      const filler = pick(rng, ['a', 'Z', '9', '-', '%41', '%C3%A9']);
      d.segments[pick(rng, d.params)] = filler.repeat(Math.ceil(between(rng, 2100, 5500) / filler.length));
    },
  },
  {
    name: 'content-type',
    refuses: (t) => parsedBody(t) && t.area !== 'demo',
    applies: (_t, d) => hasBody(d),
    apply(d, rng) {
      const type = pick(
        rng,
        OTHER_TYPES.filter((c) => c === null || !accepted(d).test(c)),
      );
      d.contentType = type;
    },
  },
  {
    name: 'add-body',
    refuses: (t) => t.bodyless === true,
    applies: (t) => t.bodyless === true,
    apply(d, rng) {
      // Types no route without a body parses (JSON and forms would parse, and be ignored).
      d.text = pick(rng, ['x', '{}', 'a=b', '\u0000']);
      d.contentType = pick(rng, ['text/plain', 'application/xml', 'application/octet-stream', null]);
    },
  },
  {
    name: 'nul-in-body',
    refuses: (t) => parsedBody(t) && t.area !== 'demo',
    applies: (_t, d) => stringFields(d).length > 0 || d.body.kind === 'json',
    apply(d, rng) {
      const fields = stringFields(d);
      const bad = d.body.kind === 'json' ? pick(rng, ['\u0000', '\ud800', '\udfff', 'a\u0000b']) : '\u0000';
      if (fields.length === 0 || (d.body.kind === 'json' && rng() < 0.2)) {
        setField(d, pick(rng, ['extra\u0000', 'x']), bad);
        return;
      }
      const name = pick(rng, fields);
      const current = d.body.kind === 'json' ? String(d.body.value[name]) : '';
      const broken = insertAt(rng, current, bad);
      // A lone surrogate inserted next to one an earlier mutation put there can make a valid pair.
      setField(d, name, storableText(broken) ? `${broken}\u0000` : broken);
    },
  },
  {
    name: 'json-type',
    refuses: () => true,
    applies: (_t, d) => d.body.kind === 'json' && Object.keys(d.body.types).length > 0,
    apply(d, rng) {
      if (d.body.kind !== 'json') return;
      const name = pick(rng, Object.keys(d.body.types));
      const allowed = d.body.types[name] ?? [];
      const [, value] = pick(
        rng,
        WRONG_VALUES.filter(([type]) => !allowed.includes(type)),
      );
      d.body.value[name] = structuredClone(value);
    },
  },
  {
    name: 'json-syntax',
    refuses: () => true,
    applies: (_t, d) => d.body.kind === 'json',
    apply(d, rng) {
      const json = JSON.stringify((d.body as { value: unknown }).value);
      d.text = pick(rng, [
        json.slice(0, between(rng, 0, json.length - 1)),
        `${json}}`,
        '{"a":}',
        '[1,',
        '',
        'null',
        '"text"',
        '[]',
        '{"__proto__":{"polluted":1}}',
        '{"constructor":{"prototype":{"polluted":1}}}',
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        `{"a":${'1'.repeat(400)}}`,
        Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('latin1'),
      ]);
    },
  },
  {
    name: 'drop-field',
    refuses: () => true,
    applies: (_t, d) => (d.body.kind === 'json' || d.body.kind === 'form') && d.body.required.length > 0,
    apply(d, rng) {
      if (d.body.kind === 'json') delete d.body.value[pick(rng, d.body.required)];
      if (d.body.kind === 'form') {
        const name = pick(rng, d.body.required);
        d.body.pairs = d.body.pairs.filter(([n]) => n !== name);
      }
    },
  },
  {
    name: 'auth',
    refuses: (t) => t.auth !== undefined,
    applies: (t) => t.auth !== undefined,
    apply(d, rng) {
      const current = d.headers.authorization ?? '';
      const choice = between(rng, 0, 5);
      if (choice === 0) delete d.headers.authorization;
      else if (choice === 1) d.headers.authorization = 'Bearer ';
      else if (choice === 2) d.headers.authorization = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
      else if (choice === 3) d.headers.authorization = `${current.slice(0, -2)}${current.endsWith('AA') ? 'BB' : 'AA'}`;
      else if (choice === 4) d.headers.authorization = `Bearer ${'x'.repeat(between(rng, 1, 3000))}`;
      else d.headers.authorization = current.replace('Bearer ', 'Token ');
    },
  },
  {
    name: 'device-garbage',
    refuses: (t) => t.device === true,
    applies: (t) => t.device === true,
    apply(d, rng) {
      const b64 = (text: string) => Buffer.from(text).toString('base64');
      if (rng() < 0.5) {
        d.headers['ap-device-identifier'] = pick(rng, [
          '',
          'fingerprint',
          'fingerprint !!!',
          'print YWJj',
          `fingerprint ${'A'.repeat(1200)}`,
          'fingerprint =',
        ]);
      } else {
        d.headers['x-device-info'] = pick(rng, [
          '',
          'not base64!',
          b64('not json'),
          b64('[]'),
          b64('{"model":"TV"}'),
          b64('{"model":"T\\u0000V","version":"1","osName":"a","osVersion":"1","connectionType":"LAN"}'),
          b64('{"model":"\\ud800","version":"1","osName":"a","osVersion":"1","connectionType":"LAN"}'),
          b64(`{"model":"${'x'.repeat(600)}","version":"1","osName":"a","osVersion":"1","connectionType":"LAN"}`),
          'A'.repeat(9000),
        ]);
      }
    },
  },
  {
    name: 'redirect-elsewhere',
    refuses: (t) => t.redirect !== undefined,
    applies: (t) => t.redirect !== undefined,
    apply(d, rng, t) {
      const bad = pick(rng, [
        'https://evil.example/',
        '//evil.example/',
        '/relative',
        'javascript:alert(1)//localhost',
        'http://localhost.evil.example/',
        'http://user:pass@localhost/',
        'ftp://localhost/',
      ]);
      const name = t.redirect ?? '';
      if (d.body.kind === 'form') setField(d, name, bad);
      else {
        d.query = d.query.filter((pair) => !pair.startsWith(`${name}=`));
        d.query.push(`${name}=${encodeURIComponent(bad)}`);
      }
    },
  },
  {
    name: 'jws-tamper',
    refuses: (t) => t.area === 'domain',
    applies: (_t, d) => d.body.kind === 'jose',
    apply(d, rng) {
      const jws = serialize(d).body ?? '';
      const parts = jws.split('.');
      const choice = between(rng, 0, 7);
      if (choice === 0) {
        const i = between(rng, 0, 2);
        const part = parts[i] ?? '';
        const at = between(rng, 0, Math.max(0, part.length - 1));
        parts[i] = part.slice(0, at) + (part[at] === 'A' ? 'B' : 'A') + part.slice(at + 1);
        d.text = parts.join('.');
      } else if (choice === 1) d.text = parts.slice(0, 2).join('.');
      else if (choice === 2) d.text = `${jws}.extra`;
      else if (choice === 3) d.text = pick(rng, ['', ' ', 'a.b.c', '...', '{"ver":5}', 'x'.repeat(70_000)]);
      else if (choice === 4) d.text = `${parts[0]}.${parts[1]}.${Buffer.from('sig').toString('base64url')}`;
      else if (choice === 5 && d.body.kind === 'jose') d.body.header = { ...d.body.header, crit: ['exp'] };
      else if (choice === 6 && d.body.kind === 'jose') d.body.header = { ...d.body.header, typ: 'JWT' };
      else d.text = `${parts[0]}.${parts[1]}.${parts[2]}=`;
    },
  },
  {
    name: 'jose-field',
    refuses: (t) => t.area === 'domain',
    applies: (_t, d) => d.body.kind === 'jose',
    apply(d, rng) {
      if (d.body.kind !== 'jose') return;
      const payload = d.body.payload;
      const indiv = 'components' in payload;
      const fields = indiv ? ['components', 'mid', 'iat'] : ['ver', 'op', 'mt', 'mid', 'iat'];
      const field = pick(rng, fields);
      const values: Record<string, unknown[]> = {
        ver: ['5', 4, null, 5.5, [5]],
        // The other operation than the path's (not than the payload's: an earlier mutation may have flipped it).
        op: ['x', '', null, 1, d.segments.includes('dereg') ? 'join' : 'leave'],
        mt: ['', 'a.b.c', 'x'.repeat(9000), 1, `${String(payload.mt)}\u0000`],
        mid: ['short', 'x'.repeat(65), 'a b c d e f g h i j', `${'m'.repeat(20)}\u0000`, 1234567890123456, null],
        iat: ['now', -1, 1e12, 1.5, null, Math.floor(Date.now() / 1000) - 100_000],
        components: [[], ['x'], 'x', [1, 2, 3], Array.from({ length: 17 }, () => 'A'.repeat(43)), ['\u0000', 'a', 'b']],
      };
      payload[field] = structuredClone(pick(rng, values[field] ?? [null]));
    },
  },
  {
    name: 'patch-method',
    refuses: () => true,
    applies: () => true,
    apply(d) {
      d.method = 'PATCH';
    },
  },
  // Noise: changes that need not be refused.
  {
    name: 'extra-header',
    refuses: () => false,
    applies: () => true,
    apply(d, rng) {
      const [name, value] = pick(rng, [
        ['accept', 'application/xml'],
        ['accept', '*/*;q=0.1'],
        ['origin', 'https://evil.example'],
        ['x-forwarded-for', '203.0.113.9'],
        ['x-request-id', '../../etc/passwd'],
        ['x-request-id', 'x'.repeat(300)],
        ['content-encoding', 'gzip'],
        ['accept-language', 'é'],
        ['x-fuzz', 'café'],
        ['cookie', '_session=abc; _session.sig=def'],
      ] as const);
      d.headers[name] = value;
    },
  },
  {
    name: 'extra-query',
    refuses: () => false,
    applies: () => true,
    apply(d, rng) {
      d.query.push(pick(rng, ['foo=bar', 'a=%F0%9F%98%80', 'x', '=', '&&', 'redirectUrl=', 'limit=3']));
    },
  },
  {
    name: 'unicode-value',
    refuses: () => false,
    applies: (_t, d) => stringFields(d).length > 0,
    apply(d, rng) {
      setField(d, pick(rng, stringFields(d)), pick(rng, UNICODE));
    },
  },
  {
    name: 'head',
    refuses: () => false,
    applies: (_t, d) => d.method === 'GET',
    apply(d) {
      d.method = 'HEAD';
    },
  },
];

const refusing = (t: Template, d: Draft) => MUTATIONS.filter((m) => m.refuses(t) && m.applies(t, d));

/** One case: the template's draft with up to two mutations of any kind, then one it must refuse. */
export function mutate(t: Template, rng: Rng): { draft: Draft; mutations: string[] } {
  const draft = t.draft();
  const mutations: string[] = [];
  for (let i = between(rng, 0, 2); i > 0; i--) {
    const mutation = pick(
      rng,
      MUTATIONS.filter((m) => m.applies(t, draft)),
    );
    mutation.apply(draft, rng, t);
    mutations.push(mutation.name);
  }
  const last = pick(rng, refusing(t, draft));
  last.apply(draft, rng, t);
  mutations.push(last.name);
  return { draft, mutations };
}
