// The example configs under configs/ must load: they are documentation that a test keeps true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../pkg/flagext/index.js';
import { myelinConfig } from '../pkg/myelin/index.js';
import { parseRuntimeConfig } from '../pkg/runtime-config/index.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(new URL(p, `file://${repoRoot}`), 'utf8');

test('every example config under configs/ loads', () => {
  const files = readdirSync(`${repoRoot}configs`).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.includes('single-process.yaml'));
  for (const f of files) {
    if (f === 'runtime.yaml') continue;
    const res = loadConfig(myelinConfig, [`-config.file=configs/${f}`], { env: {}, readFile: read });
    assert.equal(res.kind, 'config', f);
    if (res.kind !== 'config') continue;
    if (res.config.runtimeConfig.file !== '') {
      const rc = parseRuntimeConfig(read(res.config.runtimeConfig.file), res.config.limits);
      assert.ok(rc.overrides.size > 0, `${res.config.runtimeConfig.file} has overrides`);
    }
  }
});
