/**
 * Typed errors. Every error the library throws on purpose is a
 * {@link RecurrentError}; its `code` tells scripts what went wrong and its
 * message tells a person what to do about it.
 */

/** Base class of every error `rnnkit` throws deliberately. */
export class RecurrentError extends Error {
  /** A stable, machine-readable code, e.g. `"SHAPE"`, `"OPTION"`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An array or matrix has the wrong length or dimensions. */
export class ShapeError extends RecurrentError {
  constructor(message: string) {
    super('SHAPE', message);
  }
}

/** An option is unknown, missing, of the wrong type or out of range. */
export class OptionError extends RecurrentError {
  constructor(message: string) {
    super('OPTION', message);
  }
}

/** Training produced NaN or Inf, or otherwise cannot continue. */
export class TrainingError extends RecurrentError {
  constructor(message: string) {
    super('TRAINING', message);
  }
}

/** A model or checkpoint file is corrupt, truncated or of an unknown format. */
export class FormatError extends RecurrentError {
  constructor(message: string) {
    super('FORMAT', message);
  }
}

/** Throws a {@link ShapeError} unless `actual === expected`. */
export function expectLength(name: string, actual: number, expected: number, shape: string): void {
  if (actual !== expected) {
    throw new ShapeError(`${name} has ${actual} elements, expected ${expected} (${shape})`);
  }
}

/** Throws an {@link OptionError} unless `value` is a positive integer. */
export function expectPositiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new OptionError(`${name} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

/** Throws an {@link OptionError} unless `value` is a finite number in [min, max]. */
export function expectNumber(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = min === -Infinity && max === Infinity ? 'a finite number' : `a number in [${min}, ${max}]`;
    throw new OptionError(`${name} must be ${range}, got ${describe(value)}`);
  }
  return value;
}

/** Throws an {@link OptionError} unless `value` is one of `choices`. */
export function expectChoice<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new OptionError(`${name} must be one of ${choices.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

/** Throws an {@link OptionError} naming any key of `options` not in `known`. */
export function rejectUnknownKeys(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new OptionError(`unknown ${what} option "${key}"; known options: ${known.join(', ')}`);
    }
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}

/**
 * A value that cannot be trusted: NaN or ±Infinity in the data or the
 * parameters, a mask entry other than 0 or 1. The message names where it is.
 */
export class ValueError extends RecurrentError {
  constructor(message: string) {
    super('VALUE', message);
  }
}
