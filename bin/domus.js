#!/usr/bin/env node
// The `domus` command: runs the compiled JavaScript in dist/, which `npm install` builds (after
// changing the sources: `npm run build`; `npm run dev` serves the sources through tsx instead).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('domus is not built: run "npm run build" (npm install does it)\n');
  process.exit(1);
}
await import(main.href);
