/**
 * Where a server's time went: summarizes V8 CPU profiles (`npm run bench -- --profile` writes
 * them to bench/results/profiles/) by self time per function and by inclusive time per
 * function of the project's sources. The profile spans the server's whole life; `from` and `to`
 * (seconds since its start) narrow it to one phase, which the busy-time timeline helps to find.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=25] [from-s] [to-s]
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, fromArg, toArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const fromUs = Number(fromArg ?? 0) * 1e6;
const toUs = toArg === undefined ? Number.POSITIVE_INFINITY : Number(toArg) * 1e6;
const selfUs = new Map<number, number>();
/** Per second since the start: [busy µs, idle µs]. */
const timeline = new Map<number, [number, number]>();
let clockUs = 0;
profile.samples.forEach((id, i) => {
  const deltaUs = profile.timeDeltas[i] ?? 0;
  clockUs += deltaUs;
  const second = timeline.get(Math.floor(clockUs / 1e6)) ?? [0, 0];
  second[byId.get(id)?.callFrame.functionName === '(idle)' ? 1 : 0] += deltaUs;
  timeline.set(Math.floor(clockUs / 1e6), second);
  if (clockUs < fromUs || clockUs > toUs) return;
  selfUs.set(id, (selfUs.get(id) ?? 0) + deltaUs);
});
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

const label = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/').replace(/^node:/, 'node:');
  return `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
};

/** Where a frame's code lives: a package, a node: area, a project file, or V8's bookkeeping. */
const area = (node: ProfileNode) => {
  const url = node.callFrame.url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const internal = /^node:internal\/([^/]+)/.exec(url)?.[1];
  if (internal) return `node:${internal}`;
  if (url.startsWith('node:')) return url;
  const project = /\/((?:src|bench|test)\/.*)$/.exec(url)?.[1];
  if (project) return project;
  return url ? 'other' : `${node.callFrame.functionName || 'native'}`;
};

const self = new Map<string, number>();
const areas = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  self.set(label(node), (self.get(label(node)) ?? 0) + us);
  areas.set(area(node), (areas.get(area(node)) ?? 0) + us);
  // Count each project function once per stack, however deep its recursion.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at);
    if (!frame?.callFrame.url.includes('/src/')) continue;
    const name = label(frame);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}

const print = (title: string, values: Map<string, number>) => {
  process.stdout.write(`\n${title} (of ${(totalUs / 1e6).toFixed(2)} s sampled)\n`);
  for (const [name, us] of [...values].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * us) / totalUs).toFixed(1).padStart(6)} %  ${name}\n`);
  }
};
process.stdout.write('Busy share of each second since the start\n');
process.stdout.write(
  `${[...timeline].map(([second, [busy, idle]]) => `${second}s ${Math.round((100 * busy) / (busy + idle || 1))}%`).join('  ')}\n`,
);
print('Self time by area', areas);
print('Self time', self);
print('Inclusive time, project sources', inclusive);
