;; missing_import.wat: imports a function no host module provides.
(module
  (import "test" "no_such_function" (func $f (param i32)))
  (func (export "run") (call $f (i32.const 1)))
)
