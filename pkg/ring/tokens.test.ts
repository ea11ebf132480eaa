import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTokensFile, pickTokens, storeTokensFile } from './tokens.js';

describe('tokens', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'myelin-tokens-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('picks distinct sorted tokens, skipping taken ones and repeats', () => {
    const taken = new Set([0, 2 ** 31]);
    const seq = [0, 0.5, 0.75, 0.75, 0.25];
    let i = 0;
    assert.deepEqual(pickTokens(2, taken, () => seq[i++]), [2 ** 30, 3 * 2 ** 30]);
    assert.equal(i, 5); // 0 and 0.5 were taken, the second 0.75 repeated the first
  });

  it('round-trips the tokens file; a missing file means no tokens', async () => {
    const path = join(dir, 'tokens');
    assert.deepEqual(await loadTokensFile(path), []);
    await storeTokensFile(path, [5, 1, 3]);
    assert.deepEqual(await loadTokensFile(path), [1, 3, 5]);
  });

  const bad: Record<string, string> = {
    'not JSON': 'tokens: 1',
    'no tokens field': '{"toks":[1]}',
    'negative token': '{"tokens":[-1]}',
    'token above 2^32': '{"tokens":[4294967296]}',
  };
  for (const [name, text] of Object.entries(bad)) {
    it(`rejects a tokens file with ${name}`, async () => {
      const path = join(dir, name.replace(/\W/g, '_'));
      await writeFile(path, text);
      await assert.rejects(loadTokensFile(path));
    });
  }
});
