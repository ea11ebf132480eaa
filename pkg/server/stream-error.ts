import type { ServerWritableStream, StatusObject } from '@grpc/grpc-js';

/**
 * Ends a server stream with an error status. Emitting 'error' is what makes grpc-js send the
 * status; `destroy(err)` sends nothing, and the client waits until its deadline.
 */
export function failStream(call: ServerWritableStream<unknown, unknown>, status: Pick<StatusObject, 'code' | 'details'>): void {
  call.emit('error', Object.assign(new Error(status.details), status));
}
