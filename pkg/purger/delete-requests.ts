// Series delete requests in the bucket, as Cortex's blocks purger keeps them: one object per request
// and state, `<tenant>/tombstones/<request id>.<state>.json`, the id an MD5 of the time range and
// sorted selectors. A state change writes the new state's object before removing the old one, so a
// crash between the two leaves both, and the later state wins when reading.
import { createHash } from 'node:crypto';
import type { Bucket, BucketReader } from '../bucket/index.js';
import type { Matcher } from '../model/labels/index.js';
import { parseSeriesSelector } from '../promql/parser/index.js';

export const TOMBSTONES_DIR = 'tombstones';

export const DeleteRequestState = {
  Pending: 'pending',
  Processed: 'processed',
  Cancelled: 'cancelled',
} as const;
export type DeleteRequestState = (typeof DeleteRequestState)[keyof typeof DeleteRequestState];

/** Later states win over earlier ones when both objects exist. */
const stateOrder: readonly DeleteRequestState[] = [DeleteRequestState.Pending, DeleteRequestState.Processed, DeleteRequestState.Cancelled];

export interface DeleteRequest {
  requestId: string;
  tenant: string;
  /** The deleted time range, both ends included (ms). */
  startTime: number;
  endTime: number;
  /** Series selectors (`match[]`); a series is deleted when it matches any of them. */
  selectors: string[];
  /** Unix ms. */
  requestCreatedAt: number;
  stateCreatedAt: number;
  state: DeleteRequestState;
}

/** Cortex's request id: MD5 (hex) of `start,end,selector,...` with the selectors sorted. */
export function deleteRequestId(startTime: number, endTime: number, selectors: readonly string[]): string {
  return createHash('md5').update([String(startTime), String(endTime), ...[...selectors].sort()].join(',')).digest('hex');
}

const objectName = (id: string, state: DeleteRequestState): string => `${TOMBSTONES_DIR}/${id}.${state}.json`;

/** Cortex's JSON (Tombstone): the state is the object name's, not a field. */
function encode(r: DeleteRequest): Buffer {
  return Buffer.from(JSON.stringify({
    request_id: r.requestId, start_time: r.startTime, end_time: r.endTime, request_created_at: r.requestCreatedAt,
    state_created_at: r.stateCreatedAt, selectors: r.selectors, user_id: r.tenant,
  }));
}

function decode(raw: Buffer, state: DeleteRequestState, name: string): DeleteRequest {
  const j = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  const num = (k: string): number => {
    if (typeof j[k] !== 'number') throw new Error(`${name}: ${k} is not a number`);
    return j[k];
  };
  if (typeof j.request_id !== 'string' || !Array.isArray(j.selectors) || !j.selectors.every((s) => typeof s === 'string')) {
    throw new Error(`${name}: request_id or selectors missing`);
  }
  return {
    requestId: j.request_id, tenant: typeof j.user_id === 'string' ? j.user_id : '', startTime: num('start_time'), endTime: num('end_time'),
    selectors: j.selectors as string[], requestCreatedAt: num('request_created_at'), stateCreatedAt: num('state_created_at'), state,
  };
}

/**
 * Every delete request of the tenant whose bucket is `tb`, each in its latest state, oldest first.
 * `cache` keeps parsed objects by name: an object is rewritten only with the same id, hence the
 * same range and selectors (a request added again after its cancellation), so what a cached one
 * deletes is right; only its timestamps may be stale.
 */
export async function listDeleteRequests(tb: BucketReader, cache?: Map<string, DeleteRequest>): Promise<DeleteRequest[]> {
  const names: string[] = [];
  await tb.iter(TOMBSTONES_DIR, (n) => void names.push(n));
  const byId = new Map<string, DeleteRequest>();
  for (const name of names) {
    const m = /^tombstones\/([0-9a-f]+)\.(pending|processed|cancelled)\.json$/.exec(name);
    if (m === null) continue;
    let r = cache?.get(name);
    if (r === undefined) {
      let raw: Buffer;
      try {
        raw = await tb.get(name);
      } catch (err) {
        if (tb.isObjNotFoundErr(err)) continue; // replaced by a later state meanwhile
        throw new Error(`read delete request ${name}`, { cause: err });
      }
      r = decode(raw, m[2] as DeleteRequestState, name);
      cache?.set(name, r);
    }
    const prev = byId.get(r.requestId);
    if (prev === undefined || stateOrder.indexOf(r.state) > stateOrder.indexOf(prev.state)) byId.set(r.requestId, r);
  }
  if (cache !== undefined) for (const name of cache.keys()) if (!names.includes(name)) cache.delete(name);
  return [...byId.values()].sort((a, b) => a.requestCreatedAt - b.requestCreatedAt || (a.requestId < b.requestId ? -1 : 1));
}

/** Writes `r` in its state, then removes the objects of its other states. */
export async function writeDeleteRequest(tb: Bucket, r: DeleteRequest): Promise<void> {
  await tb.upload(objectName(r.requestId, r.state), encode(r));
  for (const s of stateOrder) {
    if (s === r.state) continue;
    await tb.delete(objectName(r.requestId, s)).catch((err: unknown) => {
      if (!tb.isObjNotFoundErr(err)) throw new Error(`remove the ${s} state of delete request ${r.requestId}`, { cause: err });
    });
  }
}

/** The requests that hide data (pending and processed), with their selectors parsed. */
export interface ActiveDeletion {
  startTime: number;
  endTime: number;
  matcherSets: Matcher[][];
}

export function activeDeletions(requests: readonly DeleteRequest[]): ActiveDeletion[] {
  return requests
    .filter((r) => r.state !== DeleteRequestState.Cancelled)
    .map((r) => ({ startTime: r.startTime, endTime: r.endTime, matcherSets: r.selectors.map((s) => parseSeriesSelector(s)) }));
}
