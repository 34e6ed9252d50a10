/**
 * Queries of the hot paths, built and compiled once instead of on every request: Kysely builds
 * and compiles each query anew, which costs about as much as running these small ones.
 *
 * `prepared(db, build)` calls `build` once with stand-ins for its arguments and compiles what it
 * returns; each `run(...args)` sends the same SQL with the arguments in the stand-ins' places.
 * The stand-ins are strings, so an argument may only be used where a bound value goes (a
 * `where` value, an inserted value), never as a column name or in a computed expression.
 */
import { randomUUID } from 'node:crypto';
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Stand-ins no real value equals: a random prefix per process. */
const STAND_IN_PREFIX = `domus-argument-${randomUUID()}-`;

export interface PreparedQuery<Args extends unknown[], Row> {
  run(...args: Args): Promise<Row[]>;
  /** The same on another executor of the same database (a transaction, a reserved connection). */
  runOn(executor: Kysely<Database>, ...args: Args): Promise<Row[]>;
}

export function prepared<Args extends unknown[], Row>(
  db: Kysely<Database>,
  arity: Args['length'],
  build: (db: Kysely<Database>, ...args: Args) => Compilable<Row>,
): PreparedQuery<Args, Row> {
  let compiled: { query: CompiledQuery<Row>; slots: (number | undefined)[] } | undefined;
  const compile = () => {
    const standIns = Array.from({ length: arity }, (_, i) => `${STAND_IN_PREFIX}${i}`);
    const query = build(db, ...(standIns as Args)).compile();
    const slots = query.parameters.map((value) => {
      const index = standIns.indexOf(value as string);
      return index < 0 ? undefined : index;
    });
    const used = new Set(slots.filter((slot) => slot !== undefined));
    if (used.size !== arity) throw new Error(`prepared query uses ${used.size} of its ${arity} arguments as values`);
    return { query, slots };
  };
  const runOn = async (executor: Kysely<Database>, ...args: Args) => {
    compiled ??= compile();
    const { query, slots } = compiled;
    const parameters = slots.map((slot, i) => (slot === undefined ? query.parameters[i] : args[slot]));
    return (await executor.executeQuery<Row>({ ...query, parameters })).rows;
  };
  return { run: (...args) => runOn(db, ...args), runOn };
}
