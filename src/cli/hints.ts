/**
 * The command a hint tells the user to type. The rule (README, "Commands"):
 * `rnnkit …` when this copy is installed globally (`npm install -g rnnkit`,
 * so `rnnkit` is on the PATH), `npx rnnkit …` everywhere else: in a clone
 * (`npm ci` links the clone's command into node_modules/.bin) and in a
 * project that depends on rnnkit, where npx finds it without a download.
 */

import { realpathSync } from 'node:fs';

/** `rnnkit` or `npx rnnkit`, for the copy of the CLI that is running. */
export function rnnkitCommand(script: string | undefined = process.argv[1]): string {
  let path = script ?? '';
  try {
    path = realpathSync(path);
  } catch {
    // keep the path as given
  }
  // npm's global folder: <prefix>/lib/node_modules on Unix, <prefix>\node_modules on Windows (prefix …\npm)
  const global = /[\\/]lib[\\/]node_modules[\\/]rnnkit[\\/]/.test(path) || /[\\/]npm[\\/]node_modules[\\/]rnnkit[\\/]/.test(path);
  return global ? 'rnnkit' : 'npx rnnkit';
}
