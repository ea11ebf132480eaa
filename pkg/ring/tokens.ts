// Token picking and the tokens file (dskit ring/tokens.go): the file keeps an instance's tokens
// across restarts so its series stay where they are. Format: {"tokens":[1,2,3]}.
import { readFile, rename, writeFile } from 'node:fs/promises';

/** `n` random uint32 tokens, distinct from each other and from `taken`, sorted. */
export function pickTokens(n: number, taken: ReadonlySet<number>, random: () => number): number[] {
  const out = new Set<number>();
  while (out.size < n) {
    const t = Math.floor(random() * 2 ** 32) >>> 0;
    if (!taken.has(t)) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/** The tokens in `path`, or [] when the file does not exist. Throws when it is not a tokens file. */
export async function loadTokensFile(path: string): Promise<number[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`read tokens file ${path}`, { cause: err });
  }
  const doc = JSON.parse(text) as { tokens?: unknown };
  if (!Array.isArray(doc.tokens) || !doc.tokens.every((t) => Number.isInteger(t) && t >= 0 && t < 2 ** 32)) {
    throw new Error(`tokens file ${path}: expected {"tokens":[uint32, ...]}`);
  }
  return (doc.tokens as number[]).slice().sort((a, b) => a - b);
}

/** Writes the file atomically (temporary file, then rename). */
export async function storeTokensFile(path: string, tokens: readonly number[]): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify({ tokens }));
  await rename(tmp, path);
}
