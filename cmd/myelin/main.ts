#!/usr/bin/env node
// The myelin binary: flags and -config.file → Config → Myelin modules → run until a signal; or one
// of the subcommands `backfill` and `sidecar`.
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../../pkg/flagext/index.js';
import { createLogger } from '../../pkg/log/index.js';
import { Myelin, basicFlags, myelinAliases, myelinConfig } from '../../pkg/myelin/index.js';

async function main(): Promise<number> {
  // Subcommands: tools that talk to a running Myelin rather than run it.
  if (process.argv[2] === 'backfill') return (await import('./backfill.js')).backfillCommand(process.argv.slice(3));
  if (process.argv[2] === 'sidecar') return (await import('./sidecar.js')).sidecarCommand(process.argv.slice(3));
  let loaded;
  try {
    loaded = loadConfig(myelinConfig, process.argv.slice(2), { env: process.env, readFile: (p) => readFileSync(p, 'utf8'), aliases: myelinAliases, basicFlags });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`error loading config: ${err.message}`);
    return 1;
  }
  if (loaded.kind === 'help') {
    console.log(loaded.text);
    return 0;
  }
  const cfg = loaded.config;
  const log = createLogger({ level: cfg.server.logLevel, format: cfg.server.logFormat });
  for (const w of loaded.warnings) log.warn(`config: ${w}`);
  const myelin = new Myelin(cfg, log);
  try {
    myelin.validate();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`error loading config: ${err.message}`);
    return 1;
  }

  let exitCode = 0;
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    if (stopping !== undefined) return stopping;
    log.info({ reason }, 'shutting down');
    const timeout = setTimeout(() => {
      log.error({ timeout: cfg.server.gracefulShutdownTimeout }, 'graceful shutdown timed out, exiting');
      process.exit(1);
    }, cfg.server.gracefulShutdownTimeout);
    timeout.unref();
    stopping = myelin.stop().finally(() => clearTimeout(timeout));
    return stopping;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  try {
    await myelin.start();
  } catch (err) {
    log.error({ err }, 'module failed to start');
    await shutdown('startup failure');
    return 1;
  }
  log.info({ targets: cfg.target }, 'myelin started');
  await new Promise<void>((resolve) => {
    myelin.onShutdownRequest(() => void shutdown('shutdown requested through the API').then(resolve));
    myelin.onModuleStopped((module) => void shutdown(`module ${module} stopped`).then(resolve));
    myelin.onFailure((module, err) => {
      log.error({ module, err }, 'module failed');
      exitCode = 1;
      void shutdown(`module ${module} failed`).then(resolve);
    });
    process.once('SIGTERM', () => void stopping?.then(resolve));
    process.once('SIGINT', () => void stopping?.then(resolve));
  });
  log.info('myelin stopped');
  return exitCode;
}

/**
 * Exits once stdout and stderr have taken everything written: a pipe takes 64 KiB at a time, and
 * process.exit() drops the rest (`myelin -help-all | less` lost its end). Handles left open by a
 * stopped module must not keep the process alive, so it still exits rather than only setting
 * process.exitCode.
 */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main().then(exitAfterFlush, (err: unknown) => {
  console.error('BUG: myelin crashed', err);
  exitAfterFlush(2);
});
