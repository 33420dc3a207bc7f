;; bad_signature.wat: imports a host function with the wrong signature.
(module
  (import "test" "effect" (func $f (param i64)))
  (func (export "run") (call $f (i64.const 1)))
)
