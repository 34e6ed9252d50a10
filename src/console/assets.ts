/**
 * The console's built files (`npm run build` puts them in dist/console-web/, from console/),
 * read once at start: a handful of small files, served from memory. Without a build, the
 * console answers 503 and says how to build it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_BUILD_DIR = fileURLToPath(new URL('../../dist/console-web/', import.meta.url));

export interface Asset {
  body: Buffer;
  contentType: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export interface ConsoleAssets {
  /** The single page every console path answers with. */
  index: Buffer;
  /** Content-hashed files under assets/, by file name. */
  files: Map<string, Asset>;
}

/** The built console, or null when it was not built. */
export function loadConsoleAssets(dir = CONSOLE_BUILD_DIR): ConsoleAssets | null {
  const indexPath = path.join(dir, 'index.html');
  if (!fs.existsSync(indexPath)) return null;
  const files = new Map<string, Asset>();
  const assetDir = path.join(dir, 'assets');
  for (const name of fs.existsSync(assetDir) ? fs.readdirSync(assetDir) : []) {
    const contentType = TYPES[path.extname(name)];
    if (contentType) files.set(name, { body: fs.readFileSync(path.join(assetDir, name)), contentType });
  }
  return { index: fs.readFileSync(indexPath), files };
}
