;; wasi.wat: the clock and random source a Go wasip1 program reaches; both
;; must be deterministic.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; clock(id): two readings; returns the second (the first is at 0).
  (func (export "clock") (param $id i32) (result i64)
    (drop (call $clock (local.get $id) (i64.const 0) (i32.const 0)))
    (drop (call $clock (local.get $id) (i64.const 0) (i32.const 8)))
    (i64.load (i32.const 8)))
  (func (export "clock_errno") (result i32)
    (call $clock (i32.const 99) (i64.const 0) (i32.const 0)))
  ;; random(n): n random bytes at 64; returns the first 8.
  (func (export "random") (param $n i32) (result i64)
    (drop (call $random (i32.const 64) (local.get $n)))
    (i64.load (i32.const 64)))
  ;; print: writes "hi" to stdout; returns the errno, bytes written at 24.
  (func (export "print") (result i32)
    (i32.store (i32.const 16) (i32.const 32))
    (i32.store (i32.const 20) (i32.const 2))
    (i32.store16 (i32.const 32) (i32.const 0x6968))
    (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
)
