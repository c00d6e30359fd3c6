import { readFileSync } from 'node:fs';

/** One instruction of a Dockerfile, continuation lines joined, keyword upper-cased. */
export interface Instruction {
  readonly keyword: string;
  /** Everything after the keyword, as written (flags included). */
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly name: string;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

/**
 * Enough of the Dockerfile grammar for our own file: comments, parser directives, backslash
 * continuations, `FROM image AS name`. Anything fancier (heredocs, escape directives) is
 * refused rather than misread, so the tests never check a file they did not understand.
 */
export function parseDockerfile(text: string): Stage[] {
  const stages: { name: string; image: string; instructions: Instruction[] }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let logical = lines[i]!.trim();
    if (logical === '' || logical.startsWith('#')) continue;
    while (logical.endsWith('\\')) {
      logical = logical.slice(0, -1).trimEnd();
      // Comment lines inside a continuation are dropped, as Docker does.
      do i++;
      while (i < lines.length && lines[i]!.trim().startsWith('#'));
      if (i >= lines.length) throw new Error(`line ${start + 1}: continuation runs off the end`);
      logical += ` ${lines[i]!.trim()}`;
    }
    if (logical.includes('<<')) throw new Error(`line ${start + 1}: heredocs are not understood here`);
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(logical) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args, line: start + 1 };
    if (instruction.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!m) throw new Error(`line ${start + 1}: cannot read FROM ${args}`);
      stages.push({ image: m[1]!, name: m[2] ?? String(stages.length), instructions: [] });
    } else if (instruction.keyword === 'ARG' && stages.length === 0) {
      continue; // a global ARG, used by FROM lines
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`line ${start + 1}: ${keyword} before the first FROM`);
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

export function readDockerfile(path: string): Stage[] {
  return parseDockerfile(readFileSync(path, 'utf8'));
}

/** `--flag=value` options at the start of COPY/HEALTHCHECK arguments, and what follows them. */
export function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([a-z-]+)=(\S+)\s+/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    flags[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** COPY [--from=stage] src... dest, in its shell form (what our Dockerfile uses). */
export function parseCopy(args: string): { from?: string; sources: string[]; dest: string } {
  const { flags, rest } = splitFlags(args);
  const parts = rest.split(/\s+/);
  if (parts.length < 2 || rest.startsWith('['))
    throw new Error(`COPY ${args}: only the shell form with a source and a destination is understood`);
  const dest = parts.pop()!;
  return { ...(flags.from ? { from: flags.from } : {}), sources: parts, dest };
}

/** ENV k=v [k=v ...] (unquoted values, as ours are). */
export function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of args.split(/\s+/)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(pair);
    if (!m || /["']/.test(pair)) throw new Error(`ENV ${args}: only unquoted k=v pairs are understood`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** The JSON array of an exec-form CMD (or HEALTHCHECK ... CMD); a shell form is refused. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) throw new Error(`not an exec form: ${args}`);
  return parsed;
}

export function lastOf(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}

export function allOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}
