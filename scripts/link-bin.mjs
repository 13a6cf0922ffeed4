// Puts the `rnnkit` command of this clone in node_modules/.bin, so that
// `npx rnnkit …` in the clone runs the build in dist/ at once. Without it,
// npx takes the package's own name for one to install: it links the clone
// and runs `prepare` (a full rebuild) again, ten seconds of silence.
// Run by `npm run prepare` (so by `npm ci` and `npm install`) after the build.

import { chmodSync, existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(root, 'package.json'), 'utf8')));
const binDir = join(root, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
for (const [name, target] of Object.entries(pkg.bin ?? {})) {
  const link = join(binDir, name);
  const to = join(root, target);
  if (!existsSync(to)) throw new Error(`link-bin: ${target} is missing; run the build first`);
  chmodSync(to, 0o755);
  try {
    if (lstatSync(link)) unlinkSync(link);
  } catch {
    // no link yet
  }
  symlinkSync(relative(binDir, to), link);
}
