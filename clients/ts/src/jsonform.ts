// The JSON form of spec values (DECISIONS.md D12, spec/README.md): u64 as
// decimal strings, bytes as "0x" + lowercase hex, enums as variant names.
// Converts between it and the values borsh.serialize takes with the
// generated schemas, driven by the generated type descriptions.

import { formatAddress, parseAddress } from "./address.js";
import { fromHex, toHex0x, u64 } from "./bytes.js";
import { enumName, enumValue, types } from "./schema.js";

function infoOf(type: string) {
  const info = Object.hasOwn(types, type) ? types[type] : undefined;
  if (info === undefined) throw new Error(`orama: unknown type ${type}`);
  return info;
}

/** Converts the JSON form of a field or type to the borsh value. */
export function fromJSONForm(type: string, j: unknown): unknown {
  switch (type) {
    case "u8":
    case "u16":
    case "u32":
      if (typeof j !== "number" || !Number.isInteger(j)) throw new Error(`orama: want an integer for ${type}`);
      return j;
    case "u64":
      return u64(j as string | number | bigint);
    case "bool":
      if (typeof j !== "boolean") throw new Error("orama: want a bool");
      return j;
    case "string":
      if (typeof j !== "string") throw new Error("orama: want a string");
      return j;
    case "bytes":
      return fromHex(j as string);
  }
  let m = /^vec<(.+)>$/.exec(type);
  if (m) return (j as unknown[]).map((x) => fromJSONForm(m![1], x));
  m = /^option<(.+)>$/.exec(type);
  if (m) return j === null || j === undefined ? null : fromJSONForm(m[1], j);
  const info = infoOf(type);
  switch (info.kind) {
    case "fixed": {
      const b = type === "Address" ? parseAddress(j as string) : fromHex(j as string);
      if (b.length !== info.size) throw new Error(`orama: ${type} is ${info.size} bytes, got ${b.length}`);
      return b;
    }
    case "enum":
      return enumValue(type, j as string);
    case "struct": {
      const o = j as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of info.fields) out[f.name] = fromJSONForm(f.type, o[f.name]);
      return out;
    }
  }
}

export interface ToJSONOptions {
  /** Write addresses as "orama:" + EIP-55 (the API) instead of "0x" + lowercase hex (the vectors). */
  displayAddresses?: boolean;
}

/** Converts a borsh value (as decode returns it) to the JSON form. */
export function toJSONForm(type: string, v: unknown, opts: ToJSONOptions = {}): unknown {
  switch (type) {
    case "u8":
    case "u16":
    case "u32":
    case "bool":
    case "string":
      return v;
    case "u64":
      return BigInt(v as bigint).toString();
    case "bytes":
      return toHex0x(Uint8Array.from(v as ArrayLike<number>));
  }
  let m = /^vec<(.+)>$/.exec(type);
  if (m) return (v as unknown[]).map((x) => toJSONForm(m![1], x, opts));
  m = /^option<(.+)>$/.exec(type);
  if (m) return v === null || v === undefined ? null : toJSONForm(m[1], v, opts);
  const info = infoOf(type);
  switch (info.kind) {
    case "fixed": {
      const b = Uint8Array.from(v as ArrayLike<number>);
      return type === "Address" && opts.displayAddresses ? formatAddress(b) : toHex0x(b);
    }
    case "enum":
      return enumName(type, v as number);
    case "struct": {
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of info.fields) out[f.name] = toJSONForm(f.type, o[f.name], opts);
      return out;
    }
  }
}
