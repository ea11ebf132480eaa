import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger } from 'pino';
export type LogFormat = 'logfmt' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The process logger: pino, writing JSON or logfmt (Cortex's default format) to `out`.
 * Components take a child: `log.child({ component: 'ingester' })`.
 */
export function createLogger(opts: { level: LogLevel; format: LogFormat }, out: NodeJS.WritableStream = process.stderr): Logger {
  const base = { level: opts.level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label: string) => ({ level: label }) } };
  if (opts.format === 'json') return pino(base, out as Writable);
  const logfmt = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.write(chunk.toString('utf8').split('\n').filter((l) => l !== '').map(jsonLineToLogfmt).join(''));
      done();
    },
  });
  return pino(base, logfmt);
}

/** `{"level":"info","time":"…","msg":"x","a":1}` → `level=info ts=… msg=x a=1\n`. */
export function jsonLineToLogfmt(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line + '\n';
  }
  const { level, time, msg, ...rest } = rec;
  const parts = [`level=${fmtValue(level)}`, `ts=${fmtValue(time)}`];
  if (msg !== undefined) parts.push(`msg=${fmtValue(msg)}`);
  for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${fmtValue(v)}`);
  return parts.join(' ') + '\n';
}

function fmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v !== null && typeof v === 'object' && 'message' in v ? String((v as { message: unknown }).message) : JSON.stringify(v);
  return s === '' || /[\s"=]/.test(s) ? JSON.stringify(s) : s;
}
