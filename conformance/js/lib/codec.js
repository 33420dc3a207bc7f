// Strict Borsh for the spec types, on top of the `borsh` npm package 2.x and
// the schemas the generator emits (generated/js/schema.js).
//
// borsh-js decodes and encodes; it does not enforce what spec/README.md
// ("Strictness") requires. This module adds, from the generated metadata:
//   - scan(): a byte-level walk that finds the first violation in reading
//     order and names it as conformance/README.md does (unexpected_eof,
//     trailing_bytes, invalid_bool, invalid_option_tag, unknown_variant,
//     length_limit, invalid_utf8);
//   - decodeWithBorshJs(): borsh-js decoding followed by value checks (enum
//     values, limits, well-formed strings) and an exact re-encoding, which
//     catches what borsh-js lets through (trailing bytes, bool bytes > 1,
//     overlong or otherwise invalid UTF-8);
//   - decode() = both; toJSON()/fromJSON() for the vectors' JSON forms.
import * as borsh from 'borsh';
import { schemas, types, enums, limits, signing, hashes, payloads } from '../../../generated/js/schema.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assert, equalBytes, expectKeys, hex, parseU64, unhex, U64_MAX } from './util.js';

export { schemas, types, enums, limits, signing, hashes, payloads };

export class DecodeError extends Error {
  constructor(kind, where, detail = '') {
    super(`${kind} at ${where}${detail ? ': ' + detail : ''}`);
    this.kind = kind;
  }
}

const PRIMS = new Set(['u8', 'u16', 'u32', 'u64', 'bool', 'string', 'bytes']);
const INT_SIZE = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** Parses a spec field type ("u64", "vec<Hash>", "option<TimeoutCert>"...). */
export function parseRef(s) {
  if (PRIMS.has(s)) return { kind: 'prim', prim: s };
  let m = /^vec<(.+)>$/.exec(s);
  if (m) return { kind: 'vec', elem: parseRef(m[1]) };
  m = /^option<(.+)>$/.exec(s);
  if (m) return { kind: 'option', elem: parseRef(m[1]) };
  if (!Object.hasOwn(types, s)) throw new Error(`unknown type ${s}`);
  return { kind: 'named', name: s };
}

export const named = (name) => {
  if (!Object.hasOwn(types, name)) throw new Error(`no generated type ${name}`);
  return { kind: 'named', name };
};

const fieldCache = new Map();
function fieldsOf(name) {
  let f = fieldCache.get(name);
  if (!f) {
    f = types[name].fields.map((x) => ({ name: x.name, ref: parseRef(x.type), max: x.max }));
    fieldCache.set(name, f);
  }
  return f;
}

const variantNames = new Map(); // enum -> Map(value -> name)
function variantOf(name, value) {
  let m = variantNames.get(name);
  if (!m) {
    m = new Map(Object.entries(enums[name]).map(([k, v]) => [v, k]));
    variantNames.set(name, m);
  }
  return m.get(value);
}

/**
 * Checks that the generated exports agree with each other: every type has a
 * schema whose struct keys are its fields in order, limits match the field
 * maxima, enums have metadata. Returns the number of types.
 */
export function checkGenerated() {
  const names = Object.keys(types);
  assert(names.length > 0 && JSON.stringify(names) === JSON.stringify(Object.keys(schemas)), 'schemas and types list different types');
  for (const name of names) {
    const t = types[name];
    const s = schemas[name];
    if (t.kind === 'fixed') {
      assert(s.array && s.array.type === 'u8' && s.array.len === t.size, `${name}: fixed schema`);
    } else if (t.kind === 'enum') {
      assert(s === 'u8' && enums[name] && Object.keys(enums[name]).length > 0, `${name}: enum schema`);
    } else {
      assert(t.kind === 'struct' && s.struct, `${name}: struct schema`);
      assert(JSON.stringify(Object.keys(s.struct)) === JSON.stringify(t.fields.map((f) => f.name)), `${name}: field order`);
      for (const f of fieldsOf(name)) {
        const variable = f.ref.kind === 'vec' || (f.ref.kind === 'prim' && (f.ref.prim === 'string' || f.ref.prim === 'bytes'));
        assert(variable === (f.max !== undefined), `${name}.${f.name}: max`);
        if (variable) assert(limits[name]?.[f.name] === f.max, `${name}.${f.name}: limits`);
      }
    }
  }
  return names.length;
}

/** The least number of bytes a value of ref takes (for vec count checks). */
export function minSize(ref) {
  switch (ref.kind) {
    case 'prim':
      return ref.prim === 'bool' ? 1 : INT_SIZE[ref.prim] ?? 4;
    case 'vec':
      return 4;
    case 'option':
      return 1;
  }
  const t = types[ref.name];
  if (t.kind === 'fixed') return t.size;
  if (t.kind === 'enum') return 1;
  return fieldsOf(ref.name).reduce((n, f) => n + minSize(f.ref), 0);
}

// --- the strict byte walk ---

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Reader {
  constructor(buf) {
    this.buf = buf;
    this.off = 0;
  }
  take(n, where) {
    if (n > this.buf.length - this.off) throw new DecodeError('unexpected_eof', where, `need ${n} bytes at offset ${this.off}`);
    const p = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return p;
  }
  u8(where) {
    return this.take(1, where)[0];
  }
  u32(where) {
    const p = this.take(4, where);
    return (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0;
  }
  // A length prefix: against the field's max first, then against the input left.
  len(max, minElem, where) {
    assert(Number.isInteger(max), `${where}: no limit in the generated schema`);
    const n = this.u32(where);
    if (n > max) throw new DecodeError('length_limit', where, `${n} > ${max}`);
    if (minElem > 0 && n > Math.floor((this.buf.length - this.off) / minElem)) {
      throw new DecodeError('unexpected_eof', where, `${n} elements cannot fit in ${this.buf.length - this.off} bytes`);
    }
    return n;
  }
}

function scanRef(ref, max, r, where) {
  switch (ref.kind) {
    case 'prim':
      switch (ref.prim) {
        case 'bool': {
          const b = r.u8(where);
          if (b > 1) throw new DecodeError('invalid_bool', where, `byte ${b}`);
          return;
        }
        case 'string': {
          const p = r.take(r.len(max, 1, where), where);
          try {
            utf8.decode(p);
          } catch {
            throw new DecodeError('invalid_utf8', where);
          }
          return;
        }
        case 'bytes':
          r.take(r.len(max, 1, where), where);
          return;
        default:
          r.take(INT_SIZE[ref.prim], where);
          return;
      }
    case 'named':
      return scanType(ref.name, r, where);
    case 'vec': {
      const n = r.len(max, minSize(ref.elem), where);
      for (let i = 0; i < n; i++) scanRef(ref.elem, undefined, r, `${where}[${i}]`);
      return;
    }
    case 'option': {
      const tag = r.u8(where);
      if (tag === 1) return scanRef(ref.elem, undefined, r, where);
      if (tag !== 0) throw new DecodeError('invalid_option_tag', where, `tag ${tag}`);
      return;
    }
  }
}

function scanType(name, r, where) {
  const t = types[name];
  if (t.kind === 'fixed') return void r.take(t.size, where);
  if (t.kind === 'enum') {
    const v = r.u8(where);
    if (variantOf(name, v) === undefined) throw new DecodeError('unknown_variant', where, `${name} ${v}`);
    return;
  }
  for (const f of fieldsOf(name)) scanRef(f.ref, f.max, r, `${name}.${f.name}`);
}

/** Walks bytes as type name; throws the first DecodeError in reading order. */
export function scan(name, bytes) {
  const r = new Reader(bytes);
  scanType(name, r, name);
  if (r.off !== bytes.length) throw new DecodeError('trailing_bytes', name, `${bytes.length - r.off} bytes after the value`);
}

// --- checks on borsh-js values ---

const enc = new TextEncoder();

function validateRef(ref, max, v, where) {
  switch (ref.kind) {
    case 'prim':
      switch (ref.prim) {
        case 'u8':
        case 'u16':
        case 'u32':
          assert(Number.isInteger(v) && v >= 0 && v < 2 ** (8 * INT_SIZE[ref.prim]), `${where}: ${ref.prim} out of range`);
          return;
        case 'u64':
          assert(typeof v === 'bigint' && v >= 0n && v <= U64_MAX, `${where}: u64 out of range`);
          return;
        case 'bool':
          assert(typeof v === 'boolean', `${where}: not a bool`);
          return;
        case 'string':
          assert(typeof v === 'string', `${where}: not a string`);
          if (!v.isWellFormed()) throw new DecodeError('invalid_utf8', where, 'lone surrogate');
          if (enc.encode(v).length > max) throw new DecodeError('length_limit', where);
          return;
        case 'bytes':
          checkByteArray(v, where);
          if (v.length > max) throw new DecodeError('length_limit', where);
          return;
      }
      throw new Error(`${where}: unknown primitive ${ref.prim}`);
    case 'named': {
      const t = types[ref.name];
      if (t.kind === 'fixed') {
        checkByteArray(v, where);
        assert(v.length === t.size, `${where}: ${v.length} bytes, want ${t.size}`);
      } else if (t.kind === 'enum') {
        if (variantOf(ref.name, v) === undefined) throw new DecodeError('unknown_variant', where, `${ref.name} ${v}`);
      } else {
        assert(v !== null && typeof v === 'object', `${where}: not an object`);
        for (const f of fieldsOf(ref.name)) validateRef(f.ref, f.max, v[f.name], `${ref.name}.${f.name}`);
      }
      return;
    }
    case 'vec':
      assert(Array.isArray(v) || ArrayBuffer.isView(v), `${where}: not an array`);
      if (v.length > max) throw new DecodeError('length_limit', where, `${v.length} > ${max}`);
      for (let i = 0; i < v.length; i++) validateRef(ref.elem, undefined, v[i], `${where}[${i}]`);
      return;
    case 'option':
      if (v !== null && v !== undefined) validateRef(ref.elem, undefined, v, where);
      return;
  }
}

function checkByteArray(v, where) {
  assert(Array.isArray(v) || v instanceof Uint8Array, `${where}: not a byte array`);
  for (const x of v) assert(Number.isInteger(x) && x >= 0 && x <= 255, `${where}: not a byte`);
}

/** Checks a value (borsh-js form) against the spec: enums, limits, UTF-8. */
export function validate(name, value) {
  validateRef(named(name), undefined, value, name);
}

/**
 * Decodes with borsh-js alone, then applies the spec rules borsh-js lacks to
 * the value and requires the value to re-encode to exactly the input.
 */
export function decodeWithBorshJs(name, bytes) {
  let value;
  try {
    value = borsh.deserialize(schemas[name], bytes);
  } catch (e) {
    throw new DecodeError('borsh_js_error', name, e.message);
  }
  validate(name, value);
  const re = borsh.serialize(schemas[name], value);
  if (!equalBytes(re, bytes)) {
    const prefix = re.length < bytes.length && equalBytes(re, bytes.subarray(0, re.length));
    throw new DecodeError(prefix ? 'trailing_bytes' : 'non_canonical', name, `re-encodes to ${re.length} bytes, input ${bytes.length}`);
  }
  return value;
}

/** The strict decoder: the byte walk, then borsh-js with its checks. */
export function decode(name, bytes) {
  scan(name, bytes);
  return decodeWithBorshJs(name, bytes);
}

/** Encodes a borsh-js value, refusing values the spec rejects. */
export function encode(name, value) {
  validate(name, value);
  return borsh.serialize(schemas[name], value);
}

// --- JSON forms (conformance/README.md, DECISIONS.md D12) ---

function toJSONRef(ref, v) {
  switch (ref.kind) {
    case 'prim':
      if (ref.prim === 'u64') return v.toString();
      if (ref.prim === 'bytes') return hex(v);
      return v;
    case 'named': {
      const t = types[ref.name];
      if (t.kind === 'fixed') return hex(v);
      if (t.kind === 'enum') {
        const n = variantOf(ref.name, v);
        if (n === undefined) throw new DecodeError('unknown_variant', ref.name, String(v));
        return n;
      }
      const o = {};
      for (const f of fieldsOf(ref.name)) o[f.name] = toJSONRef(f.ref, v[f.name]);
      return o;
    }
    case 'vec':
      return Array.from(v, (e) => toJSONRef(ref.elem, e));
    case 'option':
      return v === null || v === undefined ? null : toJSONRef(ref.elem, v);
  }
}

function fromJSONRef(ref, j, where) {
  switch (ref.kind) {
    case 'prim':
      switch (ref.prim) {
        case 'u64':
          return parseU64(j);
        case 'bytes':
          return unhex(j);
        case 'bool':
          assert(typeof j === 'boolean', `${where}: not a bool`);
          return j;
        case 'string':
          assert(typeof j === 'string', `${where}: not a string`);
          return j;
        default:
          assert(Number.isInteger(j) && j >= 0 && j < 2 ** (8 * INT_SIZE[ref.prim]), `${where}: not a ${ref.prim}`);
          return j;
      }
    case 'named': {
      const t = types[ref.name];
      if (t.kind === 'fixed') {
        const b = unhex(j);
        assert(b.length === t.size, `${where}: ${b.length} bytes, want ${t.size}`);
        return b;
      }
      if (t.kind === 'enum') {
        assert(typeof j === 'string' && Object.hasOwn(enums[ref.name], j), `${where}: ${JSON.stringify(j)} is no ${ref.name} variant`);
        return enums[ref.name][j];
      }
      const fields = fieldsOf(ref.name);
      expectKeys(j, fields.map((f) => f.name), [], where);
      const o = {};
      for (const f of fields) o[f.name] = fromJSONRef(f.ref, j[f.name], `${ref.name}.${f.name}`);
      return o;
    }
    case 'vec':
      assert(Array.isArray(j), `${where}: not an array`);
      return j.map((e, i) => fromJSONRef(ref.elem, e, `${where}[${i}]`));
    case 'option':
      return j === null ? null : fromJSONRef(ref.elem, j, where);
  }
}

/** borsh-js value -> the vectors' JSON form. */
export const toJSON = (name, value) => toJSONRef(named(name), value);
/** The vectors' JSON form -> a borsh-js value (strict about shapes). */
export const fromJSON = (name, json) => fromJSONRef(named(name), json, name);
/** JSON form -> Borsh bytes. */
export const encodeJSON = (name, json) => encode(name, fromJSON(name, json));

/** Deep equality of JSON forms, key order included. */
export const sameJSON = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** SHA-256 of the encoding, for types the spec gives an object hash. */
export function objectHash(name, bytes) {
  assert(hashes[name] === 'sha256', `${name} has no object hash in the spec`);
  return sha256(bytes);
}

/**
 * The signing payload of a decoded value: the encoding of every field before
 * the signature field, or the whole encoding (DECISIONS.md D3). Built from
 * the generated schema without the signature field, not by slicing bytes.
 */
export function signingPayload(name, value) {
  const s = signing[name];
  assert(s, `${name} is not a signed type`);
  if (s.signatureField === null) return borsh.serialize(schemas[name], value);
  const struct = { ...schemas[name].struct };
  const keys = Object.keys(struct);
  assert(keys[keys.length - 1] === s.signatureField, `${name}: the signature field is not last`);
  delete struct[s.signatureField];
  const v = { ...value };
  delete v[s.signatureField];
  return borsh.serialize({ struct }, v);
}

/** Borsh(SigningPreimage{domain, chain_id, payload}) with the generated schema. */
export function signingPreimage(domain, chainId, payload) {
  assert(Object.hasOwn(enums.SigningDomain, domain), `unknown signing domain ${domain}`);
  return encode('SigningPreimage', { domain: enums.SigningDomain[domain], chain_id: chainId, payload });
}

/**
 * Checks the byte field a variant-tagged value carries (Transaction.data by
 * TxType, Envelope.payload by MessageType) against the payload type the spec
 * names for the variant: it must decode strictly as that type, or be empty
 * when the variant has none. Returns the payload type name or null.
 */
export function checkPayload(enumName, variantValue, bytes) {
  const variant = variantOf(enumName, variantValue);
  assert(variant !== undefined && Object.hasOwn(payloads[enumName], variant), `${enumName} ${variantValue}: no payload rule`);
  const T = payloads[enumName][variant];
  if (T === null) {
    assert(bytes.length === 0, `${enumName}.${variant} carries ${bytes.length} payload bytes, the spec says none`);
    return null;
  }
  decode(T, Uint8Array.from(bytes));
  return T;
}
