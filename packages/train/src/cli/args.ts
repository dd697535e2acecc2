/**
 * Command-line parsing for `pnpm train` and `pnpm predict`: `--name value` / `--name=value` /
 * boolean `--flag`, validated against a declaration table, with errors that name the flag and
 * what was expected. No dependencies.
 */

export type FlagKind = 'string' | 'int' | 'number' | 'boolean' | 'list';

export interface FlagSpec {
  kind: FlagKind;
  help: string;
  /** Allowed values (for strings and list items). */
  choices?: readonly string[];
  min?: number;
  max?: number;
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;
export type ParsedFlags = Record<string, string | number | boolean | string[]>;

export class UsageError extends Error {}

/** Parses argv against the table; unknown flags and bad values throw a UsageError. */
export function parseFlags(argv: readonly string[], table: FlagTable): ParsedFlags {
  const out: ParsedFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}" (flags start with --)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const spec = table[name];
    if (!spec) {
      const near = Object.keys(table).filter((k) => k.startsWith(name.slice(0, 3)));
      throw new UsageError(`unknown flag --${name}${near.length ? ` (did you mean ${near.map((k) => `--${k}`).join(', ')}?)` : ''}`);
    }
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (spec.kind === 'boolean') {
      if (value !== undefined && value !== 'true' && value !== 'false') throw new UsageError(`--${name} takes no value (or =true/=false), got "${value}"`);
      out[name] = value !== 'false';
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value (${spec.help})`);
    }
    out[name] = convert(name, value, spec);
  }
  return out;
}

function convert(name: string, value: string, spec: FlagSpec): string | number | string[] {
  switch (spec.kind) {
    case 'int': {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${value}"`);
      if (spec.min !== undefined && n < spec.min) throw new UsageError(`--${name} must be at least ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new UsageError(`--${name} must be at most ${spec.max}, got ${n}`);
      return n;
    }
    case 'number': {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
      if (spec.min !== undefined && n < spec.min) throw new UsageError(`--${name} must be at least ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new UsageError(`--${name} must be at most ${spec.max}, got ${n}`);
      return n;
    }
    case 'list': {
      const items = value.split(',').map((s) => s.trim()).filter(Boolean);
      if (items.length === 0) throw new UsageError(`--${name} needs at least one value`);
      for (const item of items) {
        if (spec.choices && !spec.choices.includes(item)) throw new UsageError(`--${name}: "${item}" is not one of ${spec.choices.join(', ')}`);
      }
      return items;
    }
    default:
      if (spec.choices && !spec.choices.includes(value)) throw new UsageError(`--${name}: "${value}" is not one of ${spec.choices.join(', ')}`);
      return value;
  }
}

/** A help text listing every flag. */
export function usage(command: string, summary: string, table: FlagTable): string {
  const lines = [`usage: ${command} [flags]`, '', summary, '', 'flags:'];
  const width = Math.max(...Object.keys(table).map((k) => k.length)) + 4;
  for (const [name, spec] of Object.entries(table)) {
    const arg = spec.kind === 'boolean' ? '' : spec.choices ? ` <${spec.choices.join('|')}>` : ` <${spec.kind}>`;
    lines.push(`  --${name.padEnd(width - 2)}${spec.help}${arg ? `  (${arg.trim()})` : ''}`);
  }
  return lines.join('\n');
}
