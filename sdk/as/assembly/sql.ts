// SQL on the namespace's database: values, parameters and rows
// (spec/contracts.md "Encodings"), over the generated db.* functions.
import { BorshReader, BorshWriter } from "./borsh";
import { dbExecute, dbQuery, dbQueryOne, Status } from "./generated/host";

/** SQLValue tags: SQLite's storage classes. */
export namespace Kind {
  export const NULL: u8 = 0;
  export const INTEGER: u8 = 1;
  export const REAL: u8 = 2;
  export const TEXT: u8 = 3;
  export const BLOB: u8 = 4;
}

/** One SQL value: a parameter or a column of a row. */
export class SqlValue {
  constructor(
    public kind: u8,
    public int: i64 = 0,
    public real: f64 = 0,
    public bytes: Uint8Array = new Uint8Array(0),
  ) {}

  static null(): SqlValue {
    return new SqlValue(Kind.NULL);
  }
  static integer(v: i64): SqlValue {
    return new SqlValue(Kind.INTEGER, v);
  }
  static real(v: f64): SqlValue {
    return new SqlValue(Kind.REAL, 0, v);
  }
  static text(s: string): SqlValue {
    return new SqlValue(Kind.TEXT, 0, 0, Uint8Array.wrap(String.UTF8.encode(s)));
  }
  static blob(b: Uint8Array): SqlValue {
    return new SqlValue(Kind.BLOB, 0, 0, b);
  }

  isNull(): bool {
    return this.kind == Kind.NULL;
  }

  /** A TEXT value's text. */
  toText(): string {
    return String.UTF8.decode(this.bytes.buffer);
  }

  write(w: BorshWriter): void {
    w.u8(this.kind);
    if (this.kind == Kind.INTEGER) w.i64(this.int);
    else if (this.kind == Kind.REAL) w.f64(this.real);
    else if (this.kind == Kind.TEXT || this.kind == Kind.BLOB) w.bytes(this.bytes);
  }

  static read(r: BorshReader): SqlValue {
    const tag = r.u8();
    if (tag == Kind.NULL) return SqlValue.null();
    if (tag == Kind.INTEGER) return SqlValue.integer(r.i64());
    if (tag == Kind.REAL) return SqlValue.real(r.f64());
    if (tag == Kind.TEXT) return new SqlValue(Kind.TEXT, 0, 0, r.bytes());
    if (tag == Kind.BLOB) return SqlValue.blob(r.bytes());
    throw new Error("sql: unknown value tag");
    return SqlValue.null();
  }
}

/** The SQLParams encoding of params (empty for none). */
export function encodeParams(params: SqlValue[]): Uint8Array {
  if (params.length == 0) return new Uint8Array(0);
  const w = new BorshWriter();
  w.u32(<u32>params.length);
  for (let i = 0; i < params.length; i++) params[i].write(w);
  return w.finish();
}

/** What db.execute reports: a status, and when it is OK the counts. */
export class ExecResult {
  constructor(
    public status: u32,
    public rowsAffected: u64 = 0,
    public lastInsertId: i64 = 0,
  ) {}

  get ok(): bool {
    return this.status == Status.OK;
  }

  static decode(b: Uint8Array): ExecResult {
    const r = new BorshReader(b);
    const st = r.u32();
    const out = new ExecResult(st);
    if (st == Status.OK) {
      out.rowsAffected = r.u64();
      out.lastInsertId = r.i64();
    }
    r.finish();
    return out;
  }
}

/** A query's result: a status, and when it is OK the columns and rows. */
export class Rows {
  columns: string[] = [];
  rows: SqlValue[][] = [];

  constructor(public status: u32) {}

  get ok(): bool {
    return this.status == Status.OK;
  }

  static decode(b: Uint8Array): Rows {
    const r = new BorshReader(b);
    const out = new Rows(r.u32());
    if (out.status == Status.OK) {
      const nc = <i32>r.u32();
      for (let i = 0; i < nc; i++) out.columns.push(r.string());
      const nr = <i32>r.u32();
      if (nr > 0 && (nc == 0 || nr > r.remaining() / nc)) throw new Error("sql: row count beyond input");
      for (let i = 0; i < nr; i++) {
        const row: SqlValue[] = [];
        for (let j = 0; j < nc; j++) row.push(SqlValue.read(r));
        out.rows.push(row);
      }
    }
    r.finish();
    return out;
  }
}

/** Runs one statement that may write, with ?1, ?2, ... bound to params. */
export function exec(query: string, params: SqlValue[] = []): ExecResult {
  return ExecResult.decode(dbExecute(query, encodeParams(params)));
}

/** Runs one read-only statement and returns every row. */
export function query(query: string, params: SqlValue[] = []): Rows {
  return Rows.decode(dbQuery(query, encodeParams(params)));
}

/** Runs one read-only statement and returns at most its first row. */
export function queryOne(query: string, params: SqlValue[] = []): Rows {
  return Rows.decode(dbQueryOne(query, encodeParams(params)));
}
