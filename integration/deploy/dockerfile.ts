// A reader for the few Dockerfile instructions deploy-manifests.test.ts checks: stages, their
// instructions with line continuations joined, and the exec-form (JSON) arguments.

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  /** The base image, with global ARG defaults substituted. */
  from: string;
  /** The `AS name`, or the stage's index as a string. */
  name: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages. Throws on an instruction before the first FROM (other than ARG). */
export function parseDockerfile(text: string): Stage[] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ').split('\n');
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (m === null) throw new Error(`Dockerfile: cannot read line ${JSON.stringify(line)}`);
    const op = m[1].toUpperCase();
    const args = m[2].trim();
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (from === null) throw new Error(`Dockerfile: cannot read FROM ${args}`);
      const image = from[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => globalArgs.get(a ?? b ?? '') ?? '');
      stages.push({ from: image, name: from[2] ?? String(stages.length), instructions: [] });
    } else if (stages.length === 0) {
      if (op !== 'ARG') throw new Error(`Dockerfile: ${op} before the first FROM`);
      const [name, value = ''] = args.split('=', 2);
      globalArgs.set(name, value);
    } else {
      stages[stages.length - 1].instructions.push({ op, args });
    }
  }
  return stages;
}

/** The arguments of an exec-form instruction (`CMD ["a", "b"]`); throws on the shell form. */
export function execForm(ins: Instruction): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(ins.args);
  } catch {
    throw new Error(`${ins.op} must use the exec form (a JSON array), got ${ins.args}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`${ins.op}: expected an array of strings`);
  return parsed;
}

/** The last instruction `op` of a stage, or undefined. */
export function last(stage: Stage, op: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.op === op).at(-1);
}
