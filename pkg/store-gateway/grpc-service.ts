// The store-gateway's gRPC service definition: the generated one, but for how Series answers are
// encoded. They carry every chunk a query reads, and the generated serializer copies those bytes
// three times and more (a writer grown by doubling, its final slice, then Buffer.from); here they
// go into one writer this thread keeps, grown once, and reach gRPC without Buffer.from's copy.
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { StoreGatewayService as GeneratedService, SeriesResponse } from '../generated/myelin/storegateway.js';

const writer = new BinaryWriter();

/** Serializes one Series answer: a copy of the shared writer's bytes, which it then reuses. */
export function serializeSeriesResponse(value: SeriesResponse): Buffer {
  const bytes = SeriesResponse.encode(value, writer).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const StoreGatewayService = {
  ...GeneratedService,
  series: { ...GeneratedService.series, responseSerialize: serializeSeriesResponse },
} satisfies typeof GeneratedService;
