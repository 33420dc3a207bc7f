// guestbook: entries in the namespace's SQL database, an event for each.
//
// Anyone may sign once per block with a message of 1 to 32 bytes (passed as
// call parameters, see lib/common.ts); the author, block height and block
// timestamp come from the call's context. Authors may erase their own
// entries. SQL outcomes that depend on state (a second entry in one block,
// an empty message) come back as status codes, which the exports return.
//
// count keeps its answer in the namespace's cache (orama.cache) for
// COUNT_TTL seconds of block time; sign and erase drop it, so it is never
// stale. The cache is shared by the namespace's contracts, hence the key's
// prefix.
import {
  exec, query, queryOne, SqlValue, Kind, Status, statusName, BorshWriter,
  caller, blockHeight, blockTimestamp, emitEvent, input, logInfo, logError, cacheGet, cacheSet, cacheDelete,
} from "@orama/contract-sdk";
import { concat, readU64, returnBytes, u64le, unpackText, utf8 } from "./lib/common";
export { orama_alloc } from "@orama/contract-sdk";

const SCHEMA = `CREATE TABLE IF NOT EXISTS guestbook (
  id      INTEGER PRIMARY KEY,
  author  BLOB    NOT NULL CHECK (length(author) = 20),
  height  INTEGER NOT NULL,
  at      INTEGER NOT NULL,
  message TEXT    NOT NULL CHECK (message <> ''),
  UNIQUE (author, height)
)`;

/** Seconds of block time count's cached answer lives. */
const COUNT_TTL: u32 = 60;

function countKey(): Uint8Array {
  return utf8("guestbook/count");
}

/** Drops count's cached answer (Status.NOT_FOUND when there is none). */
function forgetCount(): void {
  cacheDelete(countKey());
}

/** Creates the table (again: a no-op). Returns the statement's status. */
export function init(): u32 {
  return exec(SCHEMA).status;
}

/**
 * Signs the guestbook with the first n bytes of w0..w3. Returns the new
 * entry's id, or minus the status when the database refused it
 * (Status.SQL_CONSTRAINT: already signed in this block, or an empty message;
 * Status.SQL_ERROR: init was never called).
 */
export function sign(n: u32, w0: u64, w1: u64, w2: u64, w3: u64): i64 {
  return signMessage(unpackText(n, w0, w1, w2, w3));
}

/**
 * Signs the guestbook with the call's input (orama.ctx.input) as the
 * message: UTF-8, 1 to 280 bytes; what sign returns. This is the export the
 * CLI's `orama ns call ... sign_text --input-text` uses.
 */
export function sign_text(): i64 {
  const msg = input();
  if (msg.length == 0 || msg.length > 280) return -(<i64>Status.INVALID_AMOUNT);
  return signMessage(msg);
}

function signMessage(msg: Uint8Array): i64 {
  const author = caller();
  const r = exec("INSERT INTO guestbook (author, height, at, message) VALUES (?1, ?2, ?3, ?4)", [
    SqlValue.blob(author),
    SqlValue.integer(<i64>blockHeight()),
    SqlValue.integer(<i64>blockTimestamp()),
    new SqlValue(Kind.TEXT, 0, 0, msg),
  ]);
  if (!r.ok) {
    logError("guestbook: sign refused: " + statusName(r.status));
    return -(<i64>r.status);
  }
  if (emitEvent("signed", concat(u64le(<u64>r.lastInsertId), author)) != Status.OK) {
    throw new Error("guestbook: emit failed");
  }
  forgetCount();
  logInfo("guestbook: entry " + r.lastInsertId.toString());
  return r.lastInsertId;
}

/**
 * The number of entries, or minus the status of the query. The answer is
 * cached for COUNT_TTL seconds of block time.
 */
export function count(): i64 {
  const cached = cacheGet(countKey());
  if (cached != null) return <i64>readU64(cached);
  const rows = queryOne("SELECT count(*) FROM guestbook");
  if (!rows.ok) return -(<i64>rows.status);
  const n = rows.rows[0][0].int;
  if (cacheSet(countKey(), u64le(<u64>n), COUNT_TTL) != Status.OK) throw new Error("guestbook: cache set failed");
  return n;
}

/**
 * Up to limit entries with ids from fromId on, in id order, as bytes: u32
 * status, then if it is Status.OK a u32 count and per entry id (u64), author
 * (20 bytes), height (u64), timestamp (u64) and message (u32 length, bytes).
 */
export function entries(fromId: i64, limit: u32): usize {
  const rows = query("SELECT id, author, height, at, message FROM guestbook WHERE id >= ?1 ORDER BY id LIMIT ?2", [
    SqlValue.integer(fromId),
    SqlValue.integer(<i64>limit),
  ]);
  const w = new BorshWriter().u32(rows.status);
  if (rows.ok) {
    w.u32(<u32>rows.rows.length);
    for (let i = 0; i < rows.rows.length; i++) {
      const row = rows.rows[i];
      w.i64(row[0].int).raw(row[1].bytes).i64(row[2].int).i64(row[3].int).bytes(row[4].bytes);
    }
  }
  return returnBytes(w.finish());
}

/**
 * Erases entry id if the caller wrote it: Status.OK, or Status.NOT_FOUND
 * when there is no such entry by the caller.
 */
export function erase(id: i64): u32 {
  const r = exec("DELETE FROM guestbook WHERE id = ?1 AND author = ?2", [SqlValue.integer(id), SqlValue.blob(caller())]);
  if (!r.ok) return r.status;
  if (r.rowsAffected == 0) return Status.NOT_FOUND;
  forgetCount();
  if (emitEvent("erased", u64le(<u64>id)) != Status.OK) throw new Error("guestbook: emit failed");
  return Status.OK;
}
