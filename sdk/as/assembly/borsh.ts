// Borsh (little-endian, u32 lengths), as spec/contracts.md encodes SQL
// parameters, rows and events. The reader is strict: reading past the end
// aborts the contract, and finish() aborts on trailing bytes.

/** Appends Borsh values to a growing buffer. */
export class BorshWriter {
  private buf: Uint8Array = new Uint8Array(64);
  private len: i32 = 0;

  private grow(n: i32): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: u8): BorshWriter {
    this.grow(1);
    this.buf[this.len++] = v;
    return this;
  }

  u32(v: u32): BorshWriter {
    this.grow(4);
    store<u32>(this.buf.dataStart + <usize>this.len, v);
    this.len += 4;
    return this;
  }

  u64(v: u64): BorshWriter {
    this.grow(8);
    store<u64>(this.buf.dataStart + <usize>this.len, v);
    this.len += 8;
    return this;
  }

  i64(v: i64): BorshWriter {
    return this.u64(<u64>v);
  }

  f64(v: f64): BorshWriter {
    return this.u64(reinterpret<u64>(v));
  }

  /** Raw bytes, no length. */
  raw(b: Uint8Array): BorshWriter {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** A u32 length and the bytes. */
  bytes(b: Uint8Array): BorshWriter {
    return this.u32(<u32>b.length).raw(b);
  }

  /** A u32 length and the UTF-8 bytes. */
  string(s: string): BorshWriter {
    return this.bytes(Uint8Array.wrap(String.UTF8.encode(s)));
  }

  /** The bytes written so far. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Reads Borsh values; any malformed input aborts. */
export class BorshReader {
  private off: i32 = 0;

  constructor(private buf: Uint8Array) {}

  private need(n: i32): void {
    if (n < 0 || this.off + n > this.buf.length) throw new Error("borsh: unexpected end of input");
  }

  u8(): u8 {
    this.need(1);
    return this.buf[this.off++];
  }

  u32(): u32 {
    this.need(4);
    const v = load<u32>(this.buf.dataStart + <usize>this.off);
    this.off += 4;
    return v;
  }

  u64(): u64 {
    this.need(8);
    const v = load<u64>(this.buf.dataStart + <usize>this.off);
    this.off += 8;
    return v;
  }

  i64(): i64 {
    return <i64>this.u64();
  }

  f64(): f64 {
    return reinterpret<f64>(this.u64());
  }

  /** n bytes with no length prefix: a fixed-size array such as [u8; 20]. */
  raw(n: i32): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }

  bytes(): Uint8Array {
    const n = <i32>this.u32();
    this.need(n);
    const out = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }

  string(): string {
    const b = this.bytes();
    return String.UTF8.decode(b.buffer);
  }

  remaining(): i32 {
    return this.buf.length - this.off;
  }

  /** Aborts unless every byte was read. */
  finish(): void {
    if (this.off != this.buf.length) throw new Error("borsh: trailing bytes");
  }
}
