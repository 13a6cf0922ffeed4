/**
 * Nothing in src/ reads Math.random: every random draw goes through the
 * seeded Rng of src/core/rng.ts, so a seed reproduces a run exactly.
 * The sources are parsed (TypeScript's own parser), so comments and strings
 * that mention Math.random do not count, and `Math.random`, `Math['random']`,
 * `Math?.random` and `const { random } = Math` all do.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** "line:column" of every read of Math.random in a TypeScript source text. */
function mathRandomReads(text: string, file = 'source.ts'): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const isMath = (e: ts.Node): boolean => ts.isIdentifier(e) && e.text === 'Math';
  const at = (n: ts.Node): string => {
    const { line, character } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
    return `${line + 1}:${character + 1}`;
  };
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && isMath(n.expression) && n.name.text === 'random') found.push(at(n));
    if (ts.isElementAccessExpression(n) && isMath(n.expression) && ts.isStringLiteralLike(n.argumentExpression) && n.argumentExpression.text === 'random') found.push(at(n));
    if (ts.isVariableDeclaration(n) && n.initializer && isMath(n.initializer) && ts.isObjectBindingPattern(n.name)
      && n.name.elements.some((el) => ((el.propertyName ?? el.name) as ts.Node).getText(sf) === 'random')) found.push(at(n));
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

test('the detector: finds each way of reading Math.random, and ignores comments and strings', () => {
  assert.deepEqual(mathRandomReads('const a = Math.random();'), ['1:11']);
  assert.deepEqual(mathRandomReads('const f = Math["random"];\nconst g = Math?.random;'), ['1:11', '2:11']);
  assert.deepEqual(mathRandomReads('const { random } = Math;\nconst { random: r } = Math;'), ['1:7', '2:7']);
  assert.deepEqual(mathRandomReads('// Math.random\n/* Math.random() */\nconst s = "Math.random()";\nconst t = `Math.random ${1}`;\nconst u = rng.random();'), []);
});

test('no file in src/ reads Math.random', () => {
  const files = sourceFiles(SRC);
  assert.ok(files.length > 50, `found only ${files.length} source files under ${SRC}`);
  const offenders = files.flatMap((f) => mathRandomReads(fs.readFileSync(f, 'utf8'), f).map((p) => `${path.relative(SRC, f)}:${p}`));
  assert.deepEqual(offenders, [], `Math.random is read at ${offenders.join(', ')}; draw from the seeded Rng (src/core/rng.ts) instead`);
});
