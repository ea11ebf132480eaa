// The Querier acceptance suite (pkg/storage/acceptance.ts) against the conformance tests' storage,
// so what promqltest proves about the engine holds over a storage that behaves like the real ones.
import { describe } from 'node:test';
import { Labels } from '../../model/labels/index.js';
import { querierAcceptance } from '../../storage/acceptance.js';
import { MemoryStorage } from './memory-storage.js';

describe('promqltest memory storage', () => {
  querierAcceptance(async (series) => {
    const db = new MemoryStorage();
    for (const s of series) for (const [t, v] of s.samples) db.append(Labels.fromRecord(s.labels), t, v);
    return { queryable: db };
  });
});
