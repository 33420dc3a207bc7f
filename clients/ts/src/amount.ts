// Exact decimal amounts with bigint, as cmd/orama/amount.go: "1.5" ORAMA is
// 1.5 x RaysPerOrama rays; more decimal places than the unit has is an error,
// never rounded. The number of places comes from the generated parameters
// (RaysPerOrama, SatsPerBTC), so it follows the spec.

import { U64_MAX } from "./bytes.js";
import { AmountError } from "./errors.js";
import { enumValue, param } from "./schema.js";

/** An asset as users write it: whole units with a fixed number of decimals. */
export interface Unit {
  /** ORAMA, BTC or rays. */
  name: string;
  /** The base unit: rays or sats. */
  base: string;
  decimals: number;
  /** The Asset enum value. */
  asset: number;
}

/** Returns n for perUnit = 10^n; throws when perUnit is not a power of ten. */
export function decimalsOf(perUnit: bigint): number {
  let n = 0;
  for (let p = perUnit; p > 1n; p /= 10n) {
    if (p % 10n !== 0n) throw new AmountError("invalid_unit", `orama: units per whole ${perUnit} is not a power of ten`);
    n++;
  }
  return n;
}

export const ORAMA: Unit = Object.freeze({
  name: "ORAMA",
  base: "rays",
  decimals: decimalsOf(param("RaysPerOrama")),
  asset: enumValue("Asset", "Orama"),
});

export const BTC: Unit = Object.freeze({
  name: "BTC",
  base: "sats",
  decimals: decimalsOf(param("SatsPerBTC")),
  asset: enumValue("Asset", "BTC"),
});

/** A bare integer of base units: fees and gas prices. */
export const RAYS: Unit = Object.freeze({ name: "rays", base: "rays", decimals: 0, asset: enumValue("Asset", "Orama") });

/** The unit of an asset name ("ORAMA", "Orama", "BTC", any case) or Asset value. */
export function unitOf(asset: string | number): Unit {
  if (typeof asset === "number") {
    if (asset === BTC.asset) return BTC;
    if (asset === ORAMA.asset) return ORAMA;
    throw new AmountError("unknown_asset", `orama: asset ${asset}: no such Asset`);
  }
  switch (asset.toUpperCase()) {
    case "ORAMA":
      return ORAMA;
    case "BTC":
      return BTC;
  }
  throw new AmountError("unknown_asset", `orama: asset ${JSON.stringify(asset)}: want ORAMA or BTC`);
}

/** Bounds the input so errors stay short; the largest u64 has 20 digits. */
const MAX_AMOUNT_LEN = 40;

/**
 * Converts an exact decimal such as "1.5" into base units. Only digits with
 * at most one '.' between digits: no sign, exponent, spaces or separators,
 * no "1." or ".5", and no more decimal places than the unit has.
 */
export function parseAmount(s: string, u: Unit = ORAMA): bigint {
  if (s === "") throw new AmountError("empty", "orama: amount is empty");
  if (new TextEncoder().encode(s).length > MAX_AMOUNT_LEN) throw new AmountError("too_long", `orama: amount ${JSON.stringify(s.slice(0, 20))}...: too long`);
  if (s[0] === "-") throw new AmountError("negative", `orama: amount ${JSON.stringify(s)}: negative amounts are not allowed`);
  const point = s.indexOf(".");
  const hasPoint = point >= 0;
  const whole = hasPoint ? s.slice(0, point) : s;
  const frac = hasPoint ? s.slice(point + 1) : "";
  const digits = /^[0-9]*$/;
  if (!digits.test(whole) || !digits.test(frac)) {
    throw new AmountError(
      "invalid_format",
      `orama: amount ${JSON.stringify(s)}: write a plain decimal such as 1.5 (digits and one '.', no sign, exponent, spaces or separators)`,
    );
  }
  if (whole === "") throw new AmountError("invalid_format", `orama: amount ${JSON.stringify(s)}: write a digit before the '.' (0${s})`);
  if (hasPoint && frac === "") throw new AmountError("invalid_format", `orama: amount ${JSON.stringify(s)}: write digits after the '.' or leave it out`);
  if (hasPoint && u.decimals === 0) throw new AmountError("too_many_decimals", `orama: amount ${JSON.stringify(s)}: must be a whole number of ${u.base}`);
  if (frac.length > u.decimals) {
    throw new AmountError(
      "too_many_decimals",
      `orama: amount ${JSON.stringify(s)} has ${frac.length} decimal places; ${u.name} allows at most ${u.decimals} ` +
        `(the smallest amount is ${formatAmount(1n, u)} ${u.name} = 1 ${u.base.replace(/s$/, "")}) and amounts are never rounded`,
    );
  }
  const v = BigInt(whole + frac + "0".repeat(u.decimals - frac.length));
  if (v > U64_MAX) {
    throw new AmountError("overflow", `orama: amount ${JSON.stringify(s)} exceeds the largest amount, ${formatAmount(U64_MAX, u)} ${u.name}`);
  }
  return v;
}

/**
 * Writes base units as an exact decimal of whole units without trailing
 * zeros: 1 sat is "0.00000001".
 */
export function formatAmount(v: bigint | number | string, u: Unit = ORAMA): string {
  const b = BigInt(v);
  if (b < 0n) throw new AmountError("negative", `orama: amount ${b} is negative`);
  const s = b.toString().padStart(u.decimals + 1, "0");
  if (u.decimals === 0) return s;
  const whole = s.slice(0, s.length - u.decimals);
  const frac = s.slice(s.length - u.decimals).replace(/0+$/, "");
  return frac === "" ? whole : whole + "." + frac;
}
