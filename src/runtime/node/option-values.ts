/** The options `parseArgs` is given: which take a value, and their one-letter forms. */
export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/**
 * `argv` with each option that takes a value joined to the argument after it (`--opt VALUE`
 * as `--opt=VALUE`), as getopt takes a required argument. node:util's parseArgs would read a
 * value that starts with "-" as another option and refuse the command, and a key's kid is
 * base64url: one in 64 starts with "-". After `--` nothing is an option, so nothing is joined.
 */
export function joinOptionValues(argv: readonly string[], options: OptionSpec): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (spec.short) takesValue.add(`-${spec.short}`);
  }
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      joined.push(...argv.slice(i));
      break;
    }
    const value = argv[i + 1];
    if (takesValue.has(arg) && value !== undefined) {
      joined.push(`${arg.startsWith('--') ? arg : `--${longName(arg, options)}`}=${value}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

function longName(short: string, options: OptionSpec): string {
  return Object.entries(options).find(([, spec]) => `-${spec.short}` === short)![0];
}
