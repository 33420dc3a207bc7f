// Mirrors cmd/orama/amount_test.go.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AmountError, BTC, ORAMA, OramaError, RAYS, U64_MAX, decimalsOf, formatAmount, params, parseAmount, unitOf, type AmountErrorCode, type Unit } from "@oramanetwork/orama-client";

const refused = (code: AmountErrorCode) => (e: unknown) => e instanceof AmountError && e instanceof OramaError && e.code === code;

test("units follow the generated parameters", () => {
  assert.equal(10n ** BigInt(ORAMA.decimals), params.RaysPerOrama);
  assert.equal(10n ** BigInt(BTC.decimals), params.SatsPerBTC);
  assert.equal(BTC.decimals, 8);
  assert.equal(decimalsOf(1_000_000_000n), 9);
  assert.throws(() => decimalsOf(1500n), refused("invalid_unit"));
  for (const s of ["ORAMA", "orama", "Orama"]) assert.equal(unitOf(s), ORAMA);
  for (const s of ["BTC", "btc"]) assert.equal(unitOf(s), BTC);
  for (const s of ["", "ETH", "rays", "sats", "ORAMA "]) assert.throws(() => unitOf(s), refused("unknown_asset"), s);
  assert.throws(() => unitOf(99), refused("unknown_asset"));
});

// The Go tests' cases, written for the spec's 6 ORAMA decimals.
const six = ORAMA.decimals === 6;

test("parseAmount accepts exact decimals", { skip: !six && "RaysPerOrama changed" }, () => {
  const ok: [string, Unit, bigint][] = [
    ["0", ORAMA, 0n],
    ["0.0", ORAMA, 0n],
    ["1", ORAMA, params.RaysPerOrama as bigint],
    ["1.5", ORAMA, 1_500_000n],
    ["0.000001", ORAMA, 1n],
    ["1.000000", ORAMA, 1_000_000n],
    ["1.100000", ORAMA, 1_100_000n],
    ["007.25", ORAMA, 7_250_000n],
    ["210000000", ORAMA, params.SupplyCapRays as bigint],
    ["18446744073709.551615", ORAMA, U64_MAX],
    ["1", BTC, params.SatsPerBTC as bigint],
    ["0.00000001", BTC, 1n],
    ["0.001", BTC, 100_000n],
    ["21000000", BTC, 21_000_000n * (params.SatsPerBTC as bigint)],
    ["184467440737.09551615", BTC, U64_MAX],
    ["0", RAYS, 0n],
    ["18446744073709551615", RAYS, U64_MAX],
    ["00000000000000000000000000000000000001", RAYS, 1n],
  ];
  for (const [s, u, want] of ok) assert.equal(parseAmount(s, u), want, `${s} ${u.name}`);
});

test("parseAmount rejects everything else, never rounding", { skip: !six && "RaysPerOrama changed" }, () => {
  const bad: [string, Unit, string][] = [
    ["", ORAMA, "empty"],
    ["1.", ORAMA, "after the '.'"],
    [".5", ORAMA, "before the '.'"],
    [".", ORAMA, "before the '.'"],
    ["1e3", ORAMA, "plain decimal"],
    ["1E3", ORAMA, "plain decimal"],
    ["1.5e-3", ORAMA, "plain decimal"],
    ["-1", ORAMA, "negative"],
    ["-0", ORAMA, "negative"],
    ["+1", ORAMA, "plain decimal"],
    ["1.0000001", ORAMA, "7 decimal places"],
    ["1.0000000", ORAMA, "7 decimal places"],
    ["0.000000001", BTC, "9 decimal places"],
    ["0.0000001", ORAMA, "smallest amount is 0.000001 ORAMA = 1 ray"],
    ["1.5", RAYS, "whole number"],
    ["1.2.3", ORAMA, "plain decimal"],
    [" 1", ORAMA, "plain decimal"],
    ["1 ", ORAMA, "plain decimal"],
    ["1,000", ORAMA, "plain decimal"],
    ["1_000", ORAMA, "plain decimal"],
    ["0x10", ORAMA, "plain decimal"],
    ["Inf", ORAMA, "plain decimal"],
    ["NaN", ORAMA, "plain decimal"],
    ["\u0661", ORAMA, "plain decimal"],
    ["1\u00bd", ORAMA, "plain decimal"],
    ["18446744073709.551616", ORAMA, "exceeds"],
    ["18446744073710", ORAMA, "exceeds"],
    ["184467440737.09551616", BTC, "exceeds"],
    ["18446744073709551616", RAYS, "exceeds"],
    ["99999999999999999999999999999999999999", RAYS, "exceeds"],
    ["1".repeat(41), RAYS, "too long"],
  ];
  // Each message names its reason, and the typed error carries its code.
  const codeOf = (want: string): AmountErrorCode =>
    want === "empty" ? "empty"
    : want === "negative" ? "negative"
    : want === "exceeds" ? "overflow"
    : want === "too long" ? "too_long"
    : /decimal places|smallest amount|whole number/.test(want) ? "too_many_decimals"
    : "invalid_format";
  for (const [s, u, want] of bad) {
    assert.throws(
      () => parseAmount(s, u),
      (e: unknown) => refused(codeOf(want))(e) && (e as Error).message.includes(want),
      `${JSON.stringify(s)} ${u.name}: want "${want}" (${codeOf(want)})`,
    );
  }
  assert.throws(() => formatAmount(-1n, ORAMA), refused("negative"));
});

test("formatAmount is exact", { skip: !six && "RaysPerOrama changed" }, () => {
  const cases: [bigint, Unit, string][] = [
    [0n, ORAMA, "0"],
    [1n, ORAMA, "0.000001"],
    [1_500_000n, ORAMA, "1.5"],
    [1_000_000n, ORAMA, "1"],
    [10_000_000n, ORAMA, "10"],
    [1_234_567n, ORAMA, "1.234567"],
    [U64_MAX, ORAMA, "18446744073709.551615"],
    [1n, BTC, "0.00000001"],
    [100_000n, BTC, "0.001"],
    [U64_MAX, BTC, "184467440737.09551615"],
    [0n, RAYS, "0"],
    [U64_MAX, RAYS, "18446744073709551615"],
  ];
  for (const [v, u, want] of cases) assert.equal(formatAmount(v, u), want, `${v} ${u.name}`);
});

test("a 9-decimal unit parses and formats exactly", () => {
  const nine: Unit = { name: "NINE", base: "nanos", decimals: 9, asset: 0 };
  assert.equal(parseAmount("12.5", nine), 12_500_000_000n);
  assert.equal(parseAmount("0.000000001", nine), 1n);
  assert.throws(() => parseAmount("0.0000000001", nine), /10 decimal places/);
  assert.equal(formatAmount(12_500_000_000n, nine), "12.5");
  assert.equal(formatAmount(1n, nine), "0.000000001");
  assert.equal(formatAmount(U64_MAX, nine), "18446744073.709551615");
});

test("format then parse round-trips", () => {
  let x = 0x9e3779b97f4a7c15n;
  const next = () => {
    // xorshift64*
    x ^= x >> 12n;
    x ^= (x << 25n) & U64_MAX;
    x ^= x >> 27n;
    return (x * 0x2545f4914f6cdd1dn) & U64_MAX;
  };
  for (const u of [ORAMA, BTC, RAYS]) {
    for (let i = 0; i < 2000; i++) {
      const v = next() >> (next() % 64n);
      const s = formatAmount(v, u);
      assert.equal(parseAmount(s, u), v, `${u.name}: ${v} -> ${s}`);
    }
  }
});
