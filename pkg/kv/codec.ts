// Codecs turn KV values into bytes. Ring descriptors use protobuf (the generated ts-proto code);
// small JSON documents (e.g. HA tracker entries) use JSON.

export interface Codec<T> {
  /** Names the encoding, e.g. `proto:myelin.ring.InstanceDesc` or `json`. */
  readonly id: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** What ts-proto generates for each message (`MessageFns<T>`), reduced to what a codec needs. */
export interface ProtoMessageFns<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export function protoCodec<T>(name: string, fns: ProtoMessageFns<T>): Codec<T> {
  return {
    id: `proto:${name}`,
    encode: (value) => fns.encode(value).finish(),
    decode: (bytes) => fns.decode(bytes),
  };
}

export function jsonCodec<T>(): Codec<T> {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    id: 'json',
    encode: (value) => enc.encode(JSON.stringify(value)),
    decode: (bytes) => JSON.parse(dec.decode(bytes)) as T,
  };
}
