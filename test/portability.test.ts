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

/** Node's globals, as whole words: `ArrayBuffer.isView` is the platform's, `Buffer.from` is Node's. */
const NODE_GLOBALS = [/\bprocess\./, /\bBuffer\./, /\brequire\(/, /\b__dirname\b/, /\b__filename\b/];

test('the Node globals are found as whole words only', () => {
  const found = (text: string): boolean => NODE_GLOBALS.some((w) => w.test(text));
  assert.deepEqual(['Buffer.from(x)', 'x = process.env', 'require("fs")', '__dirname', 'ArrayBuffer.isView(t)', 'new SharedArrayBuffer(8)'].map(found), [true, true, true, true, false, false]);
});

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
    for (const word of NODE_GLOBALS) {
      if (word.test(text)) problems.push(`${relative(SRC, file)} uses ${word.source.replace(/\\b|\\/g, '')}`);
    }
  }
  assert.deepEqual(problems, []);
});
