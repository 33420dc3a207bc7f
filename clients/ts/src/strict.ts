// A strict Borsh decoder driven by the generated type descriptions
// (`types`, whose struct fields carry the spec's max lengths, and `enums`):
// it rejects everything spec/README.md "Strictness" lists, which borsh-js's
// own decoder lets through: trailing bytes, bool and option tags other than
// 0/1, unknown enum values, lengths over the limit or the remaining input,
// invalid UTF-8.
//
// Values come back in the shape borsh.serialize takes with the generated
// schemas: u8-u32 and enums as numbers, u64 as bigint, fixed bytes and
// `bytes` as Uint8Array, option as value or null.

import { OramaError } from "./errors.js";
import { enums, types } from "./schema.js";

/** The reasons a strict decoder refuses input, as the conformance vectors name them. */
export type DecodeErrorCode =
  | "unexpected_eof"
  | "trailing_bytes"
  | "length_limit"
  | "unknown_variant"
  | "invalid_utf8"
  | "invalid_bool"
  | "invalid_option_tag"
  | "unknown_type";

export class DecodeError extends OramaError {
  constructor(
    override readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DecodeError";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Reader {
  off = 0;
  constructor(readonly b: Uint8Array) {}
  take(n: number, what: string): Uint8Array {
    if (n > this.b.length - this.off) {
      throw new DecodeError("unexpected_eof", `${what}: needs ${n} bytes, ${this.b.length - this.off} left`);
    }
    const out = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  uint(bytes: number, what: string): bigint {
    const s = this.take(bytes, what);
    let v = 0n;
    for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(s[i]);
    return v;
  }
}

function decodeField(r: Reader, type: string, max: number | undefined, path: string): unknown {
  switch (type) {
    case "u8":
      return Number(r.uint(1, path));
    case "u16":
      return Number(r.uint(2, path));
    case "u32":
      return Number(r.uint(4, path));
    case "u64":
      return r.uint(8, path);
    case "bool": {
      const t = Number(r.uint(1, path));
      if (t > 1) throw new DecodeError("invalid_bool", `${path}: bool byte ${t}, want 0 or 1`);
      return t === 1;
    }
    case "string":
    case "bytes": {
      const n = Number(r.uint(4, path));
      if (max !== undefined && n > max) throw new DecodeError("length_limit", `${path}: length ${n} over the limit ${max}`);
      const raw = r.take(n, path);
      if (type === "bytes") return Uint8Array.from(raw);
      try {
        return utf8.decode(raw);
      } catch {
        throw new DecodeError("invalid_utf8", `${path}: invalid UTF-8`);
      }
    }
  }
  let m = /^vec<(.+)>$/.exec(type);
  if (m) {
    const n = Number(r.uint(4, path));
    if (max !== undefined && n > max) throw new DecodeError("length_limit", `${path}: ${n} elements, over the limit ${max}`);
    if (n > r.b.length - r.off) throw new DecodeError("unexpected_eof", `${path}: ${n} elements cannot fit in ${r.b.length - r.off} bytes`);
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(decodeField(r, m[1], undefined, `${path}[${i}]`));
    return out;
  }
  m = /^option<(.+)>$/.exec(type);
  if (m) {
    const t = Number(r.uint(1, path));
    if (t > 1) throw new DecodeError("invalid_option_tag", `${path}: option byte ${t}, want 0 or 1`);
    return t === 0 ? null : decodeField(r, m[1], undefined, path);
  }
  return decodeType(r, type, path);
}

function decodeType(r: Reader, type: string, path: string): unknown {
  const info = Object.hasOwn(types, type) ? types[type] : undefined;
  if (info === undefined) throw new DecodeError("unknown_type", `${path}: unknown type ${type}`);
  switch (info.kind) {
    case "fixed":
      return Uint8Array.from(r.take(info.size, path));
    case "enum": {
      const v = Number(r.uint(1, path));
      if (!Object.values(enums[type] ?? {}).includes(v)) throw new DecodeError("unknown_variant", `${path}: ${v} is no ${type} variant`);
      return v;
    }
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of info.fields) {
        out[f.name] = decodeField(r, f.type, f.max, `${path}.${f.name}`);
      }
      return out;
    }
  }
}

/** Decodes bytes as the spec type, strictly; all input must be used. */
export function decodeStrict(type: string, bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const v = decodeType(r, type, type);
  if (r.off !== bytes.length) throw new DecodeError("trailing_bytes", `${type}: ${bytes.length - r.off} trailing bytes`);
  return v;
}
