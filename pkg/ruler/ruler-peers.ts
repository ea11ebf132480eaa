// With sharding, the rules and alerts APIs answer for every group of the tenant: this ruler's
// groups, plus those its peers in the ruler ring evaluate, asked over gRPC (Ruler.Rules) as Cortex
// does. A peer that does not answer fails the request, naming it, rather than showing a partial list.
import { credentials, type Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { RulerClient, RulerService, type RulesRequest, type RulesResponse } from '../generated/myelin/ruler.js';
import { InstanceState, heartbeatFresh, type RingWithInstanceConfig } from '../ring/index.js';
import { orgIdFromMetadata, tenantMetadata } from '../tenant/index.js';
import type { RulerRing } from './ruler-ring.js';

/** A group as Prometheus' rules API encodes it. */
export type GroupJson = Record<string, unknown> & { name: string; file: string; rules: Array<Record<string, unknown>> };

export { RulerService };

/** The gRPC handlers of this ruler: its own groups of the caller's tenant. */
export function rulerGrpcHandlers(local: (tenant: string) => GroupJson[], tenantOf: (orgId: string | undefined) => string) {
  return {
    rules: (call: ServerUnaryCall<RulesRequest, RulesResponse>, cb: sendUnaryData<RulesResponse>) => {
      const groups = local(tenantOf(orgIdFromMetadata(call.metadata as Metadata)));
      cb(null, { groups: groups.map((g) => Buffer.from(JSON.stringify(g))) });
    },
  };
}

/** How long a peer may take to list its groups (ms). */
const peerTimeout = 10_000;

export class RulerPeers {
  readonly #ring: RulerRing;
  readonly #cfg: RingWithInstanceConfig;
  readonly #clients = new Map<string, RulerClient>();

  constructor(ring: RulerRing, cfg: RingWithInstanceConfig) {
    this.#ring = ring;
    this.#cfg = cfg;
  }

  /** The groups every other healthy ACTIVE ruler evaluates for `tenant`. */
  async groups(tenant: string): Promise<GroupJson[]> {
    const self = this.#ring.lifecycler.id;
    const now = Date.now();
    const peers = this.#ring.ring.snapshot().instances
      .filter((i) => i.id !== self && i.state === InstanceState.ACTIVE && heartbeatFresh(i, this.#cfg.heartbeatTimeout, now));
    const answers = await Promise.all(peers.map(async (p) => {
      try {
        return await this.#ask(p.addr, tenant);
      } catch (err) {
        throw new Error(`get rules of tenant ${tenant} from ruler ${p.id} (${p.addr})`, { cause: err });
      }
    }));
    return answers.flat();
  }

  #ask(addr: string, tenant: string): Promise<GroupJson[]> {
    let c = this.#clients.get(addr);
    if (c === undefined) this.#clients.set(addr, (c = new RulerClient(addr, credentials.createInsecure())));
    const client = c;
    return new Promise((resolve, reject) => {
      client.rules({}, tenantMetadata(tenant), { deadline: Date.now() + peerTimeout }, (err, res) => {
        if (err !== null) reject(err);
        else resolve(res.groups.map((b) => JSON.parse(Buffer.from(b).toString()) as GroupJson));
      });
    });
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
