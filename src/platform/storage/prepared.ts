/**
 * Queries of the hot paths, built and compiled once instead of on every request: Kysely builds
 * and compiles each query anew, which costs about as much as running these small ones.
 *
 * `prepared(db, build)` calls `build` once with stand-ins for its arguments and compiles what it
 * returns; each `run(...args)` sends the same SQL with the arguments in the stand-ins' places.
 * The stand-ins are strings, so an argument may only be used where a bound value goes (a
 * `where` value, an inserted value), never as a column name or in a computed expression.
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.js';

const STAND_IN = /^\u0000domus-argument-(\d+)\u0000$/;
const standIn = (index: number) => `\u0000domus-argument-${index}\u0000`;

export interface PreparedQuery<Args extends unknown[], Row> {
  run(...args: Args): Promise<Row[]>;
}

export function prepared<Args extends unknown[], Row>(
  db: Kysely<Database>,
  arity: Args['length'],
  build: (db: Kysely<Database>, ...args: Args) => Compilable<Row>,
): PreparedQuery<Args, Row> {
  let compiled: { query: CompiledQuery<Row>; slots: (number | undefined)[] } | undefined;
  const compile = () => {
    const standIns = Array.from({ length: arity }, (_, i) => standIn(i)) as Args;
    const query = build(db, ...standIns).compile();
    const slots = query.parameters.map((value) => {
      const match = typeof value === 'string' ? STAND_IN.exec(value) : null;
      return match ? Number(match[1]) : undefined;
    });
    const used = new Set(slots.filter((slot) => slot !== undefined));
    if (used.size !== arity) throw new Error(`prepared query uses ${used.size} of its ${arity} arguments as values`);
    return { query, slots };
  };
  return {
    async run(...args) {
      compiled ??= compile();
      const { query, slots } = compiled;
      const parameters = slots.map((slot, i) => (slot === undefined ? query.parameters[i] : args[slot]));
      return (await db.executeQuery<Row>({ ...query, parameters })).rows;
    },
  };
}
