import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Labels } from '../model/labels/index.js';
import { Engine } from './engine.js';
import { MemoryStorage } from './promqltest/memory-storage.js';

// a{x="1"} and a{x="2"} exist from 0 to 10m; b{x="1",y="1"} from 0 to 2m and b{x="1",y="2"} from 8m:
// with the left-open 5m lookback, b{y="1"} is visible until 6m, so the two never meet at one step.
function db(): MemoryStorage {
  const m = new MemoryStorage();
  for (let t = 0; t <= 600_000; t += 60_000) {
    m.append(Labels.fromRecord({ __name__: 'a', x: '1' }), t, 1);
    m.append(Labels.fromRecord({ __name__: 'a', x: '2' }), t, 2);
    if (t <= 120_000) m.append(Labels.fromRecord({ __name__: 'b', x: '1', y: '1' }), t, 10);
    if (t >= 480_000) m.append(Labels.fromRecord({ __name__: 'b', x: '1', y: '2' }), t, 20);
  }
  return m;
}

const cases: Record<string, { q: string; start: number; end: number; want?: string; error?: string }> = {
  'right-hand series sharing a signature at different steps are fine': {
    q: 'a + on(x) b',
    start: 0,
    end: 600_000,
    want: '{x="1"}: 0:11 60:11 120:11 180:11 240:11 300:11 360:11 480:21 540:21 600:21',
  },
  'right-hand duplicates at one step': {
    q: 'a + on(x) (b or b offset 2m)',
    start: 0,
    end: 600_000,
    error:
      'found duplicate series for the match group {x="1"} on the right hand-side of the operation: [{__name__="b", x="1", y="2"}, {__name__="b", x="1", y="1"}];many-to-many matching not allowed: matching labels must be unique on one side',
  },
  'left-hand series sharing a signature at different steps are fine': {
    q: 'b + on(x) a',
    start: 0,
    end: 600_000,
    want: '{x="1"}: 0:11 60:11 120:11 180:11 240:11 300:11 360:11 480:21 540:21 600:21',
  },
  'left-hand duplicates at one step': {
    q: '(b or b offset 2m) + on(x) a',
    start: 0,
    end: 600_000,
    error: 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
  },
  'comparison filters keep the left value and name': {
    q: 'a > ignoring(y) (a * 0 + 1.5)',
    start: 0,
    end: 60_000,
    want: 'a{x="2"}: 0:2 60:2',
  },
};

function render(m: Array<{ metric: Labels; ts: number[]; fs: number[] }>): string {
  return m.map((s) => `${s.metric.toString()}: ${s.ts.map((t, i) => `${t / 1000}:${s.fs[i]}`).join(' ')}`).join('\n');
}

test('vector matching', async (t) => {
  const engine = new Engine();
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, async () => {
      const run = engine.rangeQuery(db(), c.q, c.start, c.end, 60_000);
      if (c.error !== undefined) {
        await assert.rejects(run, { message: c.error });
        return;
      }
      const res = await run;
      assert.equal(res.value.type, 'matrix');
      if (res.value.type === 'matrix') assert.equal(render(res.value.matrix), c.want);
    });
  }
});
