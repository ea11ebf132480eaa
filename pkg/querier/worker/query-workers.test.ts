import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiOp } from '../../api/prometheus/index.js';
import type { ApiRequest } from '../../api/prometheus/index.js';
import { withPartialResponseDefault } from './query-workers.js';

const req = (tenant: string, params: ApiRequest['params'] = { query: 'up' }): ApiRequest => ({ op: ApiOp.Query, tenant, params, labelName: '', now: 0 });
const allows = (tenant: string) => tenant !== 'strict';

test('partial_response: the request\'s own value wins; without one, the tenants\' default when every tenant allows it', async (t) => {
  const cases: Record<string, { req: ApiRequest; want: string | undefined }> = {
    'tenant default on': { req: req('lenient'), want: 'true' },
    'tenant default off': { req: req('strict'), want: undefined },
    'federated: one tenant does not allow it': { req: req('lenient|strict'), want: undefined },
    'the request says false': { req: req('lenient', { query: 'up', partial_response: 'false' }), want: 'false' },
    'the request says true': { req: req('strict', { query: 'up', partial_response: 'true' }), want: 'true' },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(withPartialResponseDefault(c.req, allows).params.partial_response, c.want));
  }
});
