// A contract calling every host function, run by runtime/host's guest tests
// against the reference implementations. Each export returns 0 when every
// check passed, or the number of the first that failed.
import {
  Status, exec, query, queryOne, SqlValue, Kind,
  cacheGet, cacheSet, cacheDelete, storagePut, storageGet,
  transferOrama, transferBTC, getBalance,
  caller, blockHeight, blockTimestamp, oramaValue, btcValue, input, self,
  stateGet, stateSet, stateDelete, Limits,
  emitEvent, logInfo, logError, sha256, keccak256, verifySignature,
} from "../assembly";
export { orama_alloc } from "../assembly";

function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

function same(a: Uint8Array | null, b: Uint8Array): bool {
  if (a == null) return false;
  const x = changetype<Uint8Array>(a);
  if (x.length != b.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] != b[i]) return false;
  return true;
}

function hex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = <u8>I32.parseInt(s.substr(i * 2, 2), 16);
  return out;
}

export function db(): i32 {
  let r = exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, pic BLOB, note)");
  if (!r.ok) return 1;
  r = exec("INSERT INTO t(name, score, pic, note) VALUES (?1, ?2, ?3, ?4)",
    [SqlValue.text("ann"), SqlValue.real(2.5), SqlValue.blob(hex("00ff")), SqlValue.null()]);
  if (!r.ok || r.rowsAffected != 1 || r.lastInsertId != 1) return 2;
  r = exec("INSERT INTO t(name, score) VALUES (?1, ?2)", [SqlValue.text("bob"), SqlValue.integer(-3)]);
  if (!r.ok || r.lastInsertId != 2) return 3;
  r = exec("INSERT INTO t(name) VALUES (?1)", [SqlValue.text("ann")]);
  if (r.status != Status.SQL_CONSTRAINT) return 4;
  const rows = query("SELECT id, name, score, pic, note FROM t ORDER BY id");
  if (!rows.ok || rows.rows.length != 2 || rows.columns.length != 5 || rows.columns[1] != "name") return 5;
  const a = rows.rows[0];
  if (a[0].int != 1 || a[1].toText() != "ann" || a[2].real != 2.5 || !same(a[3].bytes, hex("00ff")) || !a[4].isNull()) return 6;
  if (rows.rows[1][2].kind != Kind.REAL || rows.rows[1][2].real != -3.0) return 7;
  const one = queryOne("SELECT name FROM t WHERE id = ?1", [SqlValue.integer(2)]);
  if (!one.ok || one.rows.length != 1 || one.rows[0][0].toText() != "bob") return 8;
  if (queryOne("SELECT name FROM t WHERE id = 9").rows.length != 0) return 9;
  if (query("DELETE FROM t").status != Status.SQL_READ_ONLY) return 10;
  if (exec("SELECT random()").status != Status.SQL_DENIED) return 11;
  if (exec("SELEC 1").status != Status.SQL_ERROR) return 12;
  r = exec("UPDATE t SET score = score + 1");
  if (!r.ok || r.rowsAffected != 2 || r.lastInsertId != 0) return 13;
  return 0;
}

export function cache(): i32 {
  if (cacheGet(utf8("preset")) == null || !same(cacheGet(utf8("preset")), utf8("from the test"))) return 1;
  if (cacheGet(utf8("expired")) != null) return 2;
  if (cacheSet(utf8("k"), utf8("v"), 0) != Status.OK) return 3;
  if (!same(cacheGet(utf8("k")), utf8("v"))) return 4;
  if (cacheSet(utf8("ttl"), new Uint8Array(0), 60) != Status.OK) return 5;
  if (!same(cacheGet(utf8("ttl")), new Uint8Array(0))) return 6;
  if (cacheDelete(utf8("k")) != Status.OK) return 7;
  if (cacheDelete(utf8("k")) != Status.NOT_FOUND) return 8;
  if (cacheGet(utf8("k")) != null) return 9;
  return 0;
}

export function storage(): i32 {
  const cid = storagePut(utf8("hello"));
  // CIDv1 raw SHA2-256 of "hello".
  if (!same(cid, hex("015512202cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"))) return 1;
  if (!same(storageGet(cid), utf8("hello"))) return 2;
  if (storageGet(hex("01551220" + "00".repeat(32))) != null) return 3;
  return 0;
}

export function token(): i32 {
  const bob = hex("33".repeat(20));
  const self = hex("11".repeat(20));
  if (getBalance(self, 0) != 1000 || getBalance(self, 1) != 50) return 1;
  if (transferOrama(bob, 400) != Status.OK) return 2;
  if (transferOrama(bob, 601) != Status.INSUFFICIENT_BALANCE) return 3;
  if (transferOrama(bob, 0) != Status.INVALID_AMOUNT) return 4;
  if (transferBTC(bob, 50) != Status.OK) return 5;
  if (getBalance(bob, 0) != 400 || getBalance(bob, 1) != 50 || getBalance(self, 1) != 0) return 6;
  return 0;
}

export function context(): i32 {
  if (!same(caller(), hex("55".repeat(20)))) return 1;
  if (blockHeight() != 42) return 2;
  if (blockTimestamp() != 1700000000) return 3;
  if (oramaValue() != 7) return 4;
  if (btcValue() != 8) return 5;
  if (!same(input(), utf8("probe input"))) return 6;
  if (!same(self(), hex("11".repeat(20)))) return 7;
  return 0;
}

export function state(): i32 {
  if (!same(stateGet(utf8("preset")), utf8("mine"))) return 1;
  if (stateGet(utf8("other")) != null) return 2; // set for contract 0x33 only
  if (stateSet(utf8("k"), utf8("v")) != Status.OK) return 3;
  if (!same(stateGet(utf8("k")), utf8("v"))) return 4;
  if (stateSet(utf8("empty"), new Uint8Array(0)) != Status.OK) return 5;
  if (!same(stateGet(utf8("empty")), new Uint8Array(0))) return 6;
  if (stateDelete(utf8("k")) != Status.OK) return 7;
  if (stateDelete(utf8("k")) != Status.NOT_FOUND) return 8;
  if (stateGet(utf8("k")) != null) return 9;
  if (stateDelete(utf8("other")) != Status.NOT_FOUND) return 10;
  if (stateSet(utf8("written"), utf8("by the probe")) != Status.OK) return 11;
  return 0;
}

// Traps after a state write: a value over MaxStateValueBytes, so the write
// before it is not kept.
export function state_too_long(): i32 {
  stateSet(utf8("lost"), utf8("x"));
  stateSet(utf8("k"), new Uint8Array(<i32>Limits.MaxStateValueBytes + 1));
  return 0;
}

export function events(): i32 {
  if (emitEvent("transfer", hex("0102")) != Status.OK) return 1;
  if (emitEvent("second", new Uint8Array(0)) != Status.OK) return 2;
  logInfo("hello from AssemblyScript");
  logError("an error line");
  return 0;
}

export function crypto(): i32 {
  if (!same(sha256(utf8("abc")), hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))) return 1;
  if (!same(keccak256(utf8("")), hex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"))) return 2;
  const msg = cacheGet(utf8("msg"))!;
  const sig = cacheGet(utf8("sig"))!;
  const addr = cacheGet(utf8("addr"))!;
  if (!verifySignature(msg, sig, addr)) return 3;
  if (verifySignature(utf8("another message"), sig, addr)) return 4;
  return 0;
}

/** Traps: a cache key over MaxCacheKeyBytes (the library passes it through). */
export function too_long(): i32 {
  cacheGet(new Uint8Array(257));
  return 0;
}
