// npm run mutate -- <folder>: runs StrykerJS with stryker.<folder>.conf.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const folders = readdirSync('.').map((f) => /^stryker\.(.+)\.conf\.mjs$/.exec(f)?.[1]).filter(Boolean);
const folder = process.argv[2];
if (!folder || !folders.includes(folder)) {
  console.error(`usage: npm run mutate -- <folder>   (configured: ${folders.join(', ')})`);
  process.exit(2);
}
if (!existsSync('src/kernels/generated/binaries.ts')) {
  console.error('src/kernels/generated/binaries.ts is missing: run `npm run build` first');
  process.exit(1);
}
const run = spawnSync('npx', ['stryker', 'run', `stryker.${folder}.conf.mjs`, ...process.argv.slice(3)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
