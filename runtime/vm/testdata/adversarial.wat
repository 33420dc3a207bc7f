;; adversarial.wat: calls that must end with out-of-gas, a limit error or a
;; trap, never a crash or unbounded memory.
(module
  (import "test" "read" (func $read (param i32 i32) (result i32)))
  (import "test" "write" (func $write (param i32 i32)))
  (import "test" "effect" (func $effect (param i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $spin $recurse)
  (type $v (func))

  (func $spin (export "spin")
    (call $effect (i32.const 1))
    (loop $l (br $l)))

  (func $recurse (export "recurse")
    (call $recurse))

  ;; Recursion through the table.
  (func (export "recurse_indirect")
    (call_indirect (type $v) (i32.const 1)))

  ;; A frame with many locals recursing: the frame weight counts them.
  (func $fat (export "fat") (param $n i32) (result i32)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $fat (i32.sub (local.get $n) (i32.const 1)))))))

  ;; Memory bomb: grow one page at a time until refused, then spin.
  (func (export "grow_loop") (result i32)
    (local $pages i32)
    (block $full
      (loop $l
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (local.set $pages (i32.add (local.get $pages) (i32.const 1)))
        (br $l)))
    (local.get $pages))

  ;; One huge grow: charged before it happens.
  (func (export "grow_huge") (result i32)
    (memory.grow (i32.const 65535)))

  ;; Fill the first page forever: bulk memory is charged per byte.
  (func (export "fill_loop")
    (loop $l
      (memory.fill (i32.const 0) (i32.const 1) (i32.const 65536))
      (br $l)))

  ;; Huge arguments and out-of-bounds pointers given to the host.
  (func (export "read_huge") (result i32)
    (call $read (i32.const 0) (i32.const 0x7fffffff)))
  (func (export "read_oob") (result i32)
    (call $read (i32.const 65530) (i32.const 100)))
  (func (export "read_wrap") (result i32)
    (call $read (i32.const -16) (i32.const 32)))
  (func (export "write_oob")
    (call $write (i32.const 65535) (i32.const 2)))
  (func (export "load_oob") (result i32)
    (i32.load (i32.const 65535)))
)
