// Events (orama.emit) with the ContractEvent encoding.
import { BorshWriter } from "./borsh";
import { emit } from "./generated/host";

/** The ContractEvent encoding: topic (at most 64 bytes), data (at most 1024). */
export function encodeEvent(topic: string, data: Uint8Array): Uint8Array {
  return new BorshWriter().string(topic).bytes(data).finish();
}

/** Records an event with the contract as its emitter; returns the status. */
export function emitEvent(topic: string, data: Uint8Array): u32 {
  return emit(encodeEvent(topic, data));
}
