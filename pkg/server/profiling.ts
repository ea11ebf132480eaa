// Profiling endpoints at Cortex's paths, through node:inspector, in Chrome DevTools formats
// (open them in DevTools' Performance / Memory tabs, or VS Code): there is no pprof output, as
// the pprof packages for Node need native binaries.
//   GET /debug/pprof/profile?seconds=N  CPU profile of this thread for N seconds (.cpuprofile)
//   GET /debug/pprof/heap               heap snapshot of this thread (.heapsnapshot)
import { Session } from 'node:inspector/promises';
import type { FastifyInstance } from 'fastify';

const defaultSeconds = 30;
const maxSeconds = 300;

export function registerProfilingRoutes(app: FastifyInstance): void {
  // One profile at a time: the inspector has one profiler per thread.
  let busy = false;
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    if (busy) return undefined;
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
    }
  };
  const conflict = 'another profile is being taken; try again when it is done';

  app.get<{ Querystring: { seconds?: string } }>('/debug/pprof/profile', async (req, reply) => {
    const raw = req.query.seconds ?? String(defaultSeconds);
    const seconds = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || seconds <= 0 || seconds > maxSeconds) {
      return reply.code(400).type('text/plain; charset=utf-8').send(`seconds: expected a number of seconds in (0, ${maxSeconds}], got ${JSON.stringify(raw)}`);
    }
    const profile = await exclusive(() => cpuProfile(seconds * 1000));
    if (profile === undefined) return reply.code(409).type('text/plain; charset=utf-8').send(conflict);
    return reply.type('application/json').header('content-disposition', 'attachment; filename="myelin.cpuprofile"').send(profile);
  });

  app.get('/debug/pprof/heap', async (_req, reply) => {
    const snapshot = await exclusive(heapSnapshot);
    if (snapshot === undefined) return reply.code(409).type('text/plain; charset=utf-8').send(conflict);
    return reply.type('application/json').header('content-disposition', 'attachment; filename="myelin.heapsnapshot"').send(snapshot);
  });
}

async function withSession<T>(fn: (s: Session) => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  try {
    return await fn(session);
  } finally {
    session.disconnect();
  }
}

/** A CPU profile of `ms` milliseconds, as DevTools' .cpuprofile JSON text. */
function cpuProfile(ms: number): Promise<string> {
  return withSession(async (s) => {
    await s.post('Profiler.enable');
    await s.post('Profiler.start');
    await new Promise((resolve) => setTimeout(resolve, ms));
    const { profile } = await s.post('Profiler.stop');
    return JSON.stringify(profile);
  });
}

/** A heap snapshot as DevTools' .heapsnapshot JSON text (the chunks the inspector streams, joined). */
function heapSnapshot(): Promise<string> {
  return withSession(async (s) => {
    const chunks: string[] = [];
    s.on('HeapProfiler.addHeapSnapshotChunk', (m) => chunks.push(m.params.chunk));
    await s.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    return chunks.join('');
  });
}
