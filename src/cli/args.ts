/**
 * Command-line parsing for `rnnkit <command>`: each command declares its
 * options once (name, type, default, help), and from that declaration come
 * parsing, validation, and the `--help` text. Bad usage throws a
 * {@link UsageError}, which the entry point prints as one line with the
 * usage and exit code 2.
 */

/** Wrong usage: unknown command or option, missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a command. */
export interface OptionSpec {
  /** Long name without dashes, e.g. `"lr"` for `--lr`. */
  readonly name: string;
  readonly type: 'string' | 'number' | 'int' | 'boolean' | 'choice';
  /** For `choice`: the allowed values. */
  readonly choices?: readonly string[];
  /** Inclusive bounds for `number` and `int`. */
  readonly min?: number;
  readonly max?: number;
  /** True when the lower bound is exclusive (e.g. a learning rate > 0). */
  readonly exclusiveMin?: boolean;
  /** Default value when absent (undefined: absent stays absent). */
  readonly default?: string | number | boolean;
  /** Placeholder in the help, e.g. `"N"`. */
  readonly arg?: string;
  readonly help: string;
  /** One-letter alias, e.g. `"o"` for `-o`. */
  readonly short?: string;
}

/** A subcommand of the CLI. */
export interface Command {
  readonly name: string;
  /** One line for `rnnkit --help`. */
  readonly summary: string;
  /** Usage after `rnnkit <name>`, e.g. `"[options] <text-file>"`. */
  readonly usage: string;
  /** Longer text shown by `rnnkit <name> --help`. */
  readonly description?: string;
  readonly options: readonly OptionSpec[];
  /** How many positional arguments it takes: [min, max]. */
  readonly positionals?: readonly [number, number];
  /** Runs the command; resolves to the exit code. */
  run(args: ParsedArgs, io: CommandIO): Promise<number>;
}

/** Where a command writes: results to `out` (stdout), progress and logs to `err` (stderr). */
export interface CommandIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when stderr, where progress goes, is an interactive terminal (a live progress bar allowed). */
  readonly isTTY: boolean;
  /** Aborted on SIGINT/SIGTERM: long commands stop cleanly and save. */
  readonly signal: AbortSignal;
}

export interface ParsedArgs {
  readonly options: Record<string, string | number | boolean | undefined>;
  readonly positionals: string[];
  /** True for `--json`: print results as one JSON document. */
  readonly json: boolean;
}

/** Options every command accepts. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', type: 'boolean', help: 'print the result as JSON on stdout' },
  { name: 'help', type: 'boolean', short: 'h', help: 'show this help' },
];

/** Parses `argv` (after the command name) against a command's option specs. */
export function parseArgs(command: Command, argv: readonly string[]): ParsedArgs {
  const specs = [...command.options, ...COMMON_OPTIONS];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const options: Record<string, string | number | boolean | undefined> = {};
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (onlyPositionals || a === '-' || !a.startsWith('-')) {
      positionals.push(a);
      continue;
    }
    if (a === '--') {
      onlyPositionals = true;
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let spec: OptionSpec | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
      spec = byName.get(name);
      if (!spec && name.startsWith('no-')) {
        const neg = byName.get(name.slice(3));
        if (neg?.type === 'boolean' && inline === undefined) {
          options[neg.name] = false;
          continue;
        }
      }
    } else {
      name = a.slice(1);
      spec = byShort.get(name);
    }
    if (!spec) throw new UsageError(`unknown option ${a} for "${command.name}"`);
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`option --${spec.name} takes no value`);
      options[spec.name] = true;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`option --${spec.name} needs a value${spec.arg ? ` (${spec.arg})` : ''}`);
    options[spec.name] = convert(spec, raw);
  }
  for (const s of specs) if (options[s.name] === undefined && s.default !== undefined) options[s.name] = s.default;
  const [min, max] = command.positionals ?? [0, 0];
  if (!options.help) {
    if (positionals.length < min) throw new UsageError(`"${command.name}" needs ${min === max ? min : `at least ${min}`} argument${min === 1 ? '' : 's'}: ${command.usage}`);
    if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max]}" for "${command.name}"`);
  }
  return { options, positionals, json: options.json === true };
}

function convert(spec: OptionSpec, raw: string): string | number {
  const flag = `--${spec.name}`;
  switch (spec.type) {
    case 'string':
      return raw;
    case 'choice':
      if (!spec.choices!.includes(raw)) throw new UsageError(`${flag} must be one of ${spec.choices!.join(', ')}, got "${raw}"`);
      return raw;
    case 'number':
    case 'int': {
      const v = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) throw new UsageError(`${flag} must be a number, got "${raw}"`);
      if (spec.type === 'int' && !Number.isInteger(v)) throw new UsageError(`${flag} must be a whole number, got "${raw}"`);
      if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) {
        throw new UsageError(`${flag} must be ${spec.exclusiveMin ? 'greater than' : 'at least'} ${spec.min}, got ${raw}`);
      }
      if (spec.max !== undefined && v > spec.max) throw new UsageError(`${flag} must be at most ${spec.max}, got ${raw}`);
      return v;
    }
    default:
      return raw;
  }
}

/** The `--help` text of a command, generated from its option specs. */
export function commandHelp(command: Command): string {
  const lines = [`Usage: rnnkit ${command.name} ${command.usage}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  lines.push('', 'Options:');
  const specs = [...command.options, ...COMMON_OPTIONS];
  const left = specs.map((s) => {
    const short = s.short ? `-${s.short}, ` : '    ';
    const arg = s.type === 'boolean' ? '' : ` ${s.arg ?? (s.type === 'choice' ? s.choices!.join('|') : s.type === 'string' ? 'VALUE' : 'N')}`;
    return `  ${short}--${s.name}${arg}`;
  });
  const width = Math.min(34, Math.max(...left.map((l) => l.length)) + 2);
  specs.forEach((s, i) => {
    const def = s.default !== undefined && s.type !== 'boolean' ? ` (default ${s.default})` : '';
    const l = left[i]!;
    if (l.length >= width) lines.push(l, `${' '.repeat(width)}${s.help}${def}`);
    else lines.push(`${l.padEnd(width)}${s.help}${def}`);
  });
  return lines.join('\n');
}
