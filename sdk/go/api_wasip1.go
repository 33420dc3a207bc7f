//go:build wasip1

package orama

// Exec runs one statement that may write (db.execute) with ?1, ?2, ...
// bound to args. A status other than StatusOK (a failed constraint, a
// syntax error, ...) is the error.
func Exec(query string, args ...Value) (ExecResult, error) {
	return DecodeExecResult(DBExecute(query, EncodeParams(args...)))
}

// Query runs one read-only statement (db.query) and returns every row.
func Query(query string, args ...Value) (Rows, error) {
	return DecodeRows(DBQuery(query, EncodeParams(args...)))
}

// QueryRow runs one read-only statement (db.query_one) and returns its
// first row, or nil when there is none.
func QueryRow(query string, args ...Value) ([]Value, error) {
	rows, err := DecodeRows(DBQueryOne(query, EncodeParams(args...)))
	if err != nil || len(rows.Rows) == 0 {
		return nil, err
	}
	return rows.Rows[0], nil
}

// EmitEvent records an event with the contract as its emitter (emit).
func EmitEvent(topic string, data []byte) error {
	if st := Emit(EncodeEvent(topic, data)); st != StatusOK {
		return st
	}
	return nil
}

// Check returns nil for StatusOK and the status as an error otherwise.
func Check(st Status) error {
	if st == StatusOK {
		return nil
	}
	return st
}
