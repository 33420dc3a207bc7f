;; bench.wat: the metering benchmarks' modules' functions.
(module
  (import "test" "nop" (func $nop (param i32)))
  (memory (export "memory") 2)

  ;; hostloop(n): n calls of a trivial host function.
  (func (export "hostloop") (param $n i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $nop (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

  ;; cpu(rounds): a CPU-bound contract: a sieve of Eratosthenes over 65536
  ;; bytes, then an FNV-1a hash over them, repeated; returns the hash.
  (func (export "cpu") (param $rounds i32) (result i64)
    (local $r i32) (local $i i32) (local $j i32) (local $h i64)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (loop $round
      ;; mark every byte prime
      (memory.fill (i32.const 0) (i32.const 1) (i32.const 65536))
      (local.set $i (i32.const 2))
      (loop $outer
        (if (i32.load8_u (local.get $i))
          (then
            (local.set $j (i32.mul (local.get $i) (local.get $i)))
            (block $done
              (loop $inner
                (br_if $done (i32.ge_u (local.get $j) (i32.const 65536)))
                (i32.store8 (local.get $j) (i32.const 0))
                (local.set $j (i32.add (local.get $j) (local.get $i)))
                (br $inner)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $outer (i32.lt_u (i32.mul (local.get $i) (local.get $i)) (i32.const 65536))))
      (local.set $i (i32.const 0))
      (loop $hash
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load8_u (local.get $i))) (i64.const 0x100000001b3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $hash (i32.lt_u (local.get $i) (i32.const 65536))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $r) (local.get $rounds))))
    (local.get $h))
  ;; fib(n): call-heavy recursion (the prologue, epilogue and gas
  ;; synchronisation around calls are metering's worst case).
  (func $fib (export "fib") (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else (i64.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
)
