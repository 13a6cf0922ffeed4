/**
 * Every command of the CLI, in the order `rnnkit --help` lists them.
 * A new command is one file in this folder, its import and its entry here.
 */

import type { Command } from '../args.js';
import { lectureCommand } from './lecture.js';
import { gradcheckCommand } from './gradcheck.js';
import { trainCommand } from './train.js';
import { sampleCommand } from './sample.js';
import { forecastCommand } from './forecast.js';
import { classifyCommand } from './classify.js';
import { pronounceCommand } from './pronounce.js';
import { predictCommand } from './predict.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';

export const COMMANDS: readonly Command[] = [
  trainCommand,
  sampleCommand,
  forecastCommand,
  classifyCommand,
  pronounceCommand,
  predictCommand,
  lectureCommand,
  gradcheckCommand,
  exportCommand,
  importCommand,
];
