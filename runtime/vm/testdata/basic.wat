;; basic.wat: the VM's functional test module. Imports the "test" host
;; module that runtime/vm's tests define (not part of the contract ABI).
(module
  (import "test" "effect" (func $effect (param i32)))
  (import "test" "echo" (func $echo (param i32 i32) (result i32)))
  (import "test" "charge" (func $charge (param i64)))
  (import "test" "read" (func $read (param i32 i32) (result i32)))
  (memory (export "memory") 1 16)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 16) "hello, orama")

  ;; orama_alloc: a bump allocator; 0 when memory cannot grow.
  (func (export "orama_alloc") (param $n i32) (result i32)
    (local $p i32) (local $end i32)
    (local.set $p (global.get $heap))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $ok
      (br_if $ok (i32.le_u (local.get $end) (i32.mul (memory.size) (i32.const 65536))))
      (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))) (i32.const -1))
        (then (return (i32.const 0)))))
    (global.set $heap (local.get $end))
    (local.get $p))

  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))

  (func $fib (export "fib") (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else (i64.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  ;; sum(n) = 0 + 1 + ... + n-1, by a loop; returns early for n = 0.
  (func (export "sum") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (if (i32.eqz (local.get $n)) (then (return (i64.const 0))))
    (loop $l
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))

  ;; effects(n): reports effects 1..n, then traps if n is odd.
  (func (export "effects") (param $n i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (call $effect (local.get $i))
        (br $l)))
    (if (i32.and (local.get $n) (i32.const 1)) (then unreachable)))

  ;; greet(): the data segment's 12 bytes, returned through the host.
  (func (export "greet") (result i32)
    (call $echo (i32.const 16) (i32.const 12)))

  (func (export "echo") (param i32 i32) (result i32)
    (call $echo (local.get 0) (local.get 1)))

  (func (export "read") (param i32 i32) (result i32)
    (call $read (local.get 0) (local.get 1)))

  (func (export "charge") (param i64)
    (call $charge (local.get 0)))

  ;; copy(n): memory.copy of n bytes (charged by size), then fill.
  (func (export "copy") (param $n i32)
    (memory.copy (i32.const 0) (i32.const 16) (local.get $n))
    (memory.fill (i32.const 0) (i32.const 7) (local.get $n)))

  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))

  (func (export "div") (param i32 i32) (result i32)
    (i32.div_u (local.get 0) (local.get 1)))

  ;; Floats: results whose NaN bits the spec leaves open.
  (func (export "sqrt_neg") (result i64)
    (i64.reinterpret_f64 (f64.sqrt (f64.const -1))))
  (func (export "nan_add") (param i64) (result i64)
    (i64.reinterpret_f64 (f64.add (f64.reinterpret_i64 (local.get 0)) (f64.const 1))))
  (func (export "nan_mul32") (param i32) (result i32)
    (i32.reinterpret_f32 (f32.mul (f32.reinterpret_i32 (local.get 0)) (f32.const 2))))
  (func (export "demote") (param i64) (result i32)
    (i32.reinterpret_f32 (f32.demote_f64 (f64.reinterpret_i64 (local.get 0)))))
  (func (export "fadd") (param f64 f64) (result f64)
    (f64.add (local.get 0) (local.get 1)))
  ;; neg and copysign are bit operations: their NaN bits are exact.
  (func (export "neg") (param i64) (result i64)
    (i64.reinterpret_f64 (f64.neg (f64.reinterpret_i64 (local.get 0)))))

  (func (export "multi") (param i32) (result i32 i64)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 7) (i64.const 8))))
    (i32.const 1) (i64.const 2))
)
