/**
 * The repository points nowhere outside itself: no tracked file (but
 * package-lock.json, which npm writes) names the maths notes it was once
 * written from, or a path above the repository; every `docs/maths.md §N`
 * citation names a section that docs/maths.md has; every relative link in
 * a Markdown file leads to a file in the repository.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What may not appear. Built from pieces so that this file does not match
 * itself: a path into the sibling folder the notes lived in, and the notes'
 * name with or without a section sign.
 */
const FORBIDDEN: readonly { readonly what: string; readonly re: RegExp }[] = [
  { what: 'a path to the shared folder above the repository', re: new RegExp(['\\.\\.', 'shared'].join('/')) },
  { what: 'a section of the old maths notes', re: new RegExp(['SPEC', ' §'].join('')) },
  { what: 'the old maths notes by file name', re: new RegExp(['SPEC', '\\.md'].join('')) },
];

/** The forbidden references in one text, as `line N: what`. */
function outsideReferences(text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const f of FORBIDDEN) if (f.re.test(line)) found.push(`line ${i + 1}: ${f.what}`);
  });
  return found;
}

/** Tracked files (git ls-files), or, outside a git checkout, every file but dependencies and build output. */
function trackedFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (git.status === 0 && git.stdout.length > 0) return git.stdout.split('\0').filter((f) => f !== '');
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (['node_modules', 'dist', '.git', 'runs'].includes(name)) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(ROOT, full));
    }
  };
  walk(ROOT);
  return out;
}

test('the check finds each forbidden reference (and nothing in ordinary text)', () => {
  const sample = ['see docs/maths.md §4', 'see ' + ['..', 'shared', 'notes.md'].join('/'), 'as in ' + 'SPEC' + ' §5', 'from ' + 'SPEC' + '.md'].join('\n');
  assert.deepEqual(outsideReferences(sample), [
    'line 2: a path to the shared folder above the repository',
    'line 3: a section of the old maths notes',
    'line 4: the old maths notes by file name',
  ]);
  assert.deepEqual(outsideReferences('paramSpecs, inspect, the spec of a worker'), []);
});

test('no tracked file points outside the repository', () => {
  const files = trackedFiles().filter((f) => f !== 'package-lock.json' && existsSync(join(ROOT, f)));
  assert.ok(files.length > 50 && files.includes('README.md') && files.includes('docs/maths.md'), `found ${files.length} files under ${ROOT}`);
  const problems: string[] = [];
  for (const f of files) {
    const bytes = readFileSync(join(ROOT, f));
    if (bytes.includes(0)) continue; // binary
    for (const p of outsideReferences(bytes.toString('utf8'))) problems.push(`${f} ${p}`);
  }
  assert.deepEqual(problems, []);
});

test('every docs/maths.md §N citation names a section docs/maths.md has', () => {
  const maths = readFileSync(join(ROOT, 'docs/maths.md'), 'utf8');
  const sections = new Set([...maths.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1])));
  assert.deepEqual([...sections], [1, 2, 3, 4, 5, 6, 7]);
  const problems: string[] = [];
  let citations = 0;
  for (const f of trackedFiles()) {
    if (!/\.(ts|js|md|html|json)$/.test(f) || f === 'package-lock.json' || !existsSync(join(ROOT, f))) continue;
    const text = readFileSync(join(ROOT, f), 'utf8');
    for (const m of text.matchAll(/docs\/maths\.md §(\d+)/g)) {
      citations++;
      if (!sections.has(Number(m[1]))) problems.push(`${f}: §${m[1]}`);
    }
  }
  assert.ok(citations > 20, `found ${citations} citations`);
  assert.deepEqual(problems, []);
});

test('every relative link in a Markdown file leads to a file in the repository', () => {
  const problems: string[] = [];
  for (const f of trackedFiles().filter((name) => name.endsWith('.md'))) {
    const text = readFileSync(join(ROOT, f), 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)\s]*)?\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const full = resolve(ROOT, dirname(f), target);
      if (relative(ROOT, full).startsWith('..') || !existsSync(full)) problems.push(`${f}: ${target}`);
    }
  }
  assert.deepEqual(problems, []);
});
