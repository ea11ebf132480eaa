/** One `-name=value` (or `-name value`, or bare boolean `-name`) from the command line. */
export interface ParsedFlag {
  name: string;
  value: string;
}

/**
 * Splits Go-style command-line flags: `-name=value`, `--name=value`, `-name value`, and bare `-name`
 * for flags that `known` says take no value. Throws on positional arguments and unknown flags, so a
 * typo never silently leaves a default in place.
 */
export function parseArgs(argv: readonly string[], known: (name: string) => 'bool' | 'value' | undefined,
  suggest: (name: string) => string = () => ''): ParsedFlag[] {
  const out: ParsedFlag[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (m === null || arg === '-' || arg === '--') throw new Error(`unexpected argument ${JSON.stringify(arg)}: flags look like -name=value`);
    const name = m[1];
    const kind = known(name);
    if (kind === undefined) throw new Error(`flag provided but not defined: -${name}${suggest(name)} (see -help)`);
    if (m[2] !== undefined) {
      out.push({ name, value: m[2] });
    } else if (kind === 'bool') {
      out.push({ name, value: 'true' });
    } else {
      if (i + 1 >= argv.length) throw new Error(`flag needs an argument: -${name}`);
      out.push({ name, value: argv[++i] });
    }
  }
  return out;
}

/**
 * Replaces `${VAR}` and `${VAR:default}` with environment values (Cortex `-config.expand-env`).
 * A variable that is unset and has no default becomes the empty string.
 */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g, (_m, name: string, def: string | undefined) =>
    env[name] ?? def ?? '');
}
