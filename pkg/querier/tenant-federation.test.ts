import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels, MatchType, Matcher } from '../model/labels/index.js';
import { ValueType } from '../storage/index.js';
import { Head } from '../tsdb/index.js';
import { federatedQueryable } from './tenant-federation.js';

async function headWith(series: Record<string, string>[]): Promise<Head> {
  const h = await Head.open();
  const app = h.appender();
  for (const [i, rec] of series.entries()) app.append(0, Labels.fromRecord(rec), 1000, i);
  await app.commit();
  return h;
}

test('a federated read labels series with __tenant_id__ and picks tenants by matcher', async () => {
  const heads = new Map([
    ['a', await headWith([{ __name__: 'up', job: 'x' }])],
    ['b', await headWith([{ __name__: 'up', job: 'y' }, { __name__: 'up', job: 'z', __tenant_id__: 'inner' }])],
  ]);
  const fq = federatedQueryable(['a', 'b'], (t) => heads.get(t) as Head);
  const q = await fq.querier(0, 2000);
  const dump = async (...ms: Matcher[]) => {
    const set = q.select({ start: 0, end: 2000, step: 0, func: '', range: 0, sortSeries: true }, ...ms);
    const out: string[] = [];
    while (await set.next()) {
      const it = set.at().iterator();
      assert.equal(it.next(), ValueType.Float);
      out.push(set.at().labels.toString());
    }
    return out;
  };
  assert.deepEqual(await dump(new Matcher(MatchType.Equal, '__name__', 'up')), [
    'up{__tenant_id__="a", job="x"}',
    'up{__tenant_id__="b", job="y"}',
    'up{__tenant_id__="b", job="z", original___tenant_id__="inner"}',
  ]);
  assert.deepEqual(await dump(new Matcher(MatchType.Equal, '__tenant_id__', 'a')), ['up{__tenant_id__="a", job="x"}']);
  assert.deepEqual(await dump(new Matcher(MatchType.Equal, 'original___tenant_id__', 'inner')), ['up{__tenant_id__="b", job="z", original___tenant_id__="inner"}']);
  assert.deepEqual(await q.labelValues('__tenant_id__', { limit: 0 }), ['a', 'b']);
  assert.deepEqual(await q.labelValues('__tenant_id__', { limit: 0 }, new Matcher(MatchType.NotEqual, '__tenant_id__', 'a')), ['b']);
  assert.deepEqual(await q.labelNames({ limit: 0 }), ['__name__', '__tenant_id__', 'job', 'original___tenant_id__']);
  assert.deepEqual(await q.labelValues('job', { limit: 0 }), ['x', 'y', 'z']);
  await q.close();
});
