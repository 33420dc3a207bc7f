// The base of every error this package throws on purpose, and the typed
// errors of values (bytes, integers), amounts and keys. Each class has a
// `code` from a closed union, stable across versions, so callers branch on
// codes instead of parsing messages; the message is for people.

/**
 * An error of this package with a stable machine-readable code. Every
 * subclass narrows `code` to its own union of codes.
 */
export abstract class OramaError extends Error {
  abstract readonly code: string;
}

/** Why a hex string or an integer is refused. */
export type ValueErrorCode =
  | "not_hex" // not hex digits in pairs (with or without 0x)
  | "not_u64" // not a decimal u64 string
  | "unsafe_number" // a JavaScript number that is not a safe integer
  | "out_of_range"; // below 0 or above 2^64 - 1

export class ValueError extends OramaError {
  constructor(
    override readonly code: ValueErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ValueError";
  }
}

/** Why an amount or an asset is refused (parseAmount, formatAmount, unitOf). */
export type AmountErrorCode =
  | "empty"
  | "too_long" // over 40 bytes
  | "negative"
  | "invalid_format" // anything but digits and one '.' between digits
  | "too_many_decimals" // more decimal places than the unit has: never rounded
  | "overflow" // above the largest u64 of base units
  | "unknown_asset"
  | "invalid_unit"; // units per whole that are not a power of ten

export class AmountError extends OramaError {
  constructor(
    override readonly code: AmountErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AmountError";
  }
}

/** Why a private or public key is refused. */
export type KeyErrorCode =
  | "invalid_key" // zero, not below the curve order, or not 32 bytes
  | "invalid_hex" // not 64 hex digits
  | "invalid_public_key"; // not an uncompressed secp256k1 point encoding

export class KeyError extends OramaError {
  constructor(
    override readonly code: KeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "KeyError";
  }
}
