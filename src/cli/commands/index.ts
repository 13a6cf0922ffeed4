/**
 * Every command of the CLI, in the order `recurrent --help` lists them.
 * A new command is one file in this folder and one line here.
 */

import type { Command } from '../args.js';
import { lectureCommand } from './lecture.js';

export const COMMANDS: readonly Command[] = [
  lectureCommand,
];
