/**
 * The core library must run wherever JavaScript runs: nothing under src/
 * except src/node/ and src/cli/ may import a Node built-in or touch
 * process, Buffer, require or __dirname.
 */

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const NODE_ONLY = new Set(['node', 'cli']);
const BUILTINS = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'url', 'crypto', 'stream', 'util', 'http', 'zlib', 'v8', 'module'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (dir === SRC && NODE_ONLY.has(name)) continue;
      out.push(...sources(full));
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

test('the core (src/ outside node/ and cli/) uses no Node-only API', () => {
  const files = sources(SRC);
  assert.ok(files.length > 10, `found ${files.length} source files under ${SRC}`);
  const importRe = /\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  const problems: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('node:') || BUILTINS.includes(spec)) problems.push(`${relative(SRC, file)} imports ${spec}`);
    }
    for (const word of ['process.', 'Buffer.', 'require(', '__dirname', '__filename']) {
      if (text.includes(word)) problems.push(`${relative(SRC, file)} uses ${word}`);
    }
  }
  assert.deepEqual(problems, []);
});
