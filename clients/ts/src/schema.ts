// The Borsh schemas, enums, signing rules and protocol parameters, all
// generated from spec/ by the Go generator (gen/, `make generate`) into
// generated/js/schema.js, which `npm run generate` copies into
// src/generated/ (and the build into dist/generated/), so the package needs
// nothing outside itself. Nothing here restates the spec: every layout and
// constant comes from that module, so a spec change reaches this client
// through `make generate` alone.

import * as generated from "./generated/schema.js";
import type { TypeInfo, TypeName } from "./generated/schema.js";
import type { Schema } from "borsh";

/** What a spec type is: fixed bytes, a u8 enum or a struct (spec/README.md). */
export type { TypeInfo };

/**
 * How a type is signed (spec `signing:`): domain is a SigningDomain variant
 * name; signatureField is the signature field (always last), or null when
 * the whole encoding is signed.
 */
export type SigningRule = NonNullable<(typeof generated.signing)[TypeName]>;

export const schemas = generated.schemas as unknown as Readonly<Record<string, Schema>>;
export const types = generated.types as unknown as Readonly<Record<string, TypeInfo>>;
export const enums = generated.enums as Readonly<Record<string, Readonly<Record<string, number>>>>;
export const payloads = generated.payloads as Readonly<Record<string, Readonly<Record<string, string | null>>>>;
export const signing = generated.signing as Readonly<Record<string, SigningRule>>;
export const hashes = generated.hashes as Readonly<Record<string, "sha256">>;
export const limits = generated.limits as Readonly<Record<string, Readonly<Record<string, number>>>>;
export const params = generated.params as Readonly<Record<string, bigint | number | string>>;

/** The borsh schema of a spec type; throws for an unknown name. */
export function schemaOf(type: string): Schema {
  const s = schemas[type];
  if (s === undefined) throw new Error(`orama: no generated schema for type ${type}`);
  return s;
}

/** A numeric protocol constant as a bigint; throws for an unknown name. */
export function param(name: string): bigint {
  const v = params[name];
  if (v === undefined || typeof v === "string") throw new Error(`orama: no numeric generated parameter ${name}`);
  return BigInt(v);
}

/** The value of an enum variant; throws for an unknown enum or variant. */
export function enumValue(enumName: string, variant: string): number {
  const e = enums[enumName];
  if (e === undefined) throw new Error(`orama: no generated enum ${enumName}`);
  const v = Object.hasOwn(e, variant) ? e[variant] : undefined;
  if (v === undefined) throw new Error(`orama: ${enumName} has no variant ${JSON.stringify(variant)}`);
  return v;
}

/** The name of an enum value; throws for a value that is no variant. */
export function enumName(enumName: string, value: number): string {
  const e = enums[enumName];
  if (e === undefined) throw new Error(`orama: no generated enum ${enumName}`);
  for (const [k, v] of Object.entries(e)) if (v === value) return k;
  throw new Error(`orama: ${enumName} has no variant with value ${value}`);
}

/** The SigningDomain value and signature field of a signed type. */
export function signingRuleOf(type: string): { domain: number; signatureField: string | null } {
  const r = Object.hasOwn(signing, type) ? signing[type] : undefined;
  if (r === undefined) throw new Error(`orama: type ${type} is not signed`);
  return { domain: enumValue("SigningDomain", r.domain), signatureField: r.signatureField };
}
