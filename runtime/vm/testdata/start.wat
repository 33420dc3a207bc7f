;; start.wat: a start function runs once per call, with gas, before the entry.
(module
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (func $init
    (global.set $g (i32.add (global.get $g) (i32.const 41))))
  (start $init)
  (func (export "get") (result i32)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (global.get $g))
)
