// Fails when docs/configuration-reference.md differs from what the config tables render now
// (Cortex's `check-doc`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bool, duration, int, oneOf, section, string, stringList } from '../pkg/flagext/index.js';
import { referencePath, regenerateCommand, renderConfigReference, renderMyelinReference } from './config-reference.js';

const repoRoot = new URL('../../', import.meta.url);

test(`${referencePath} matches the config tables`, () => {
  const committed = readFileSync(new URL(referencePath, repoRoot), 'utf8');
  const fresh = renderMyelinReference();
  if (committed === fresh) return;
  const a = committed.split('\n');
  const b = fresh.split('\n');
  const line = a.findIndex((l, i) => l !== b[i]);
  assert.fail(
    `${referencePath} is stale: regenerate it with \`${regenerateCommand}\`\n` +
      `first difference at line ${line + 1}:\n  committed: ${a[line] ?? '(end of file)'}\n  generated: ${b[line] ?? '(end of file)'}`,
  );
});

test('the reference shows every option with its path, flag, type and default', () => {
  const spec = section({
    name: string({ flag: 'top.name', default: 'box-7', help: 'Instance name.' }),
    outer: section({
      level: oneOf(['', 'gzip'], { flag: 'outer.level', default: '', help: 'A | B.' }),
      inner: section({
        password: string({ flag: 'outer.inner.password', default: '', secret: true, help: 'Password.' }),
        period: duration({ default: '90s', help: 'YAML-only period.', category: 'advanced' }),
      }),
      tags: stringList({ flag: 'outer.tags', default: ['x', 'y'], help: 'Tags.' }),
    }, { yaml: 'outer_renamed' }),
    retries: int({ flag: 'retries', default: 3, help: 'Retries.' }),
    on: bool({ flag: 'on', default: false, help: 'On.' }),
  });
  const text = renderConfigReference(spec, { hostname: 'box-7' });
  const rows = text.split('\n').filter((l) => l.startsWith('| `') || l.startsWith('#'));
  assert.deepEqual(rows, [
    '# Configuration reference',
    '## Top level',
    '| `name` | string | `-top.name` | `<hostname>` | Instance name. |',
    '| `retries` | int | `-retries` | `3` | Retries. |',
    '| `on` | boolean | `-on` | `false` | On. |',
    '## `outer_renamed`',
    '| `level` | one of `""`, `gzip` | `-outer.level` | `""` | A \\| B. |',
    '| `tags` | list of strings | `-outer.tags` | `[x, y]` | Tags. |',
    '### `outer_renamed.inner`',
    '| `password` | string | `-outer.inner.password` | `""` | Password. **secret**: shown as `********` by `GET /config` |',
    '| `period` | duration | YAML only | `1m30s` | YAML-only period. *advanced* |',
  ]);
  assert.match(text, /^- \[`outer_renamed`\]\(#outer_renamed\)$/m);
  assert.match(text, /7 options/);

  // With -help's list of basic flags, the others are marked advanced, as -help-all marks them.
  const listed = renderConfigReference(spec, { hostname: 'box-7', basicFlags: new Set(['retries']) });
  assert.match(listed, /^\| `retries` \| int \| `-retries` \| `3` \| Retries\. \|$/m);
  assert.match(listed, /^\| `on` \| boolean \| `-on` \| `false` \| On\. \*advanced\* \|$/m);
});
