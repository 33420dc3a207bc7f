package sqlite

import lib "modernc.org/sqlite/lib"

// Action is what the authorizer is asked about (SQLITE_CREATE_INDEX ...,
// https://sqlite.org/c3ref/c_alter_table.html). The preupdate hook's
// operation is one of ActionInsert, ActionUpdate and ActionDelete.
type Action int

// The authorizer's actions; the comments name the callback's third and
// fourth arguments.
const (
	ActionCreateIndex       Action = lib.SQLITE_CREATE_INDEX        // index, table
	ActionCreateTable       Action = lib.SQLITE_CREATE_TABLE        // table, -
	ActionCreateTempIndex   Action = lib.SQLITE_CREATE_TEMP_INDEX   // index, table
	ActionCreateTempTable   Action = lib.SQLITE_CREATE_TEMP_TABLE   // table, -
	ActionCreateTempTrigger Action = lib.SQLITE_CREATE_TEMP_TRIGGER // trigger, table
	ActionCreateTempView    Action = lib.SQLITE_CREATE_TEMP_VIEW    // view, -
	ActionCreateTrigger     Action = lib.SQLITE_CREATE_TRIGGER      // trigger, table
	ActionCreateView        Action = lib.SQLITE_CREATE_VIEW         // view, -
	ActionDelete            Action = lib.SQLITE_DELETE              // table, -
	ActionDropIndex         Action = lib.SQLITE_DROP_INDEX          // index, table
	ActionDropTable         Action = lib.SQLITE_DROP_TABLE          // table, -
	ActionDropTempIndex     Action = lib.SQLITE_DROP_TEMP_INDEX     // index, table
	ActionDropTempTable     Action = lib.SQLITE_DROP_TEMP_TABLE     // table, -
	ActionDropTempTrigger   Action = lib.SQLITE_DROP_TEMP_TRIGGER   // trigger, table
	ActionDropTempView      Action = lib.SQLITE_DROP_TEMP_VIEW      // view, -
	ActionDropTrigger       Action = lib.SQLITE_DROP_TRIGGER        // trigger, table
	ActionDropView          Action = lib.SQLITE_DROP_VIEW           // view, -
	ActionInsert            Action = lib.SQLITE_INSERT              // table, -
	ActionPragma            Action = lib.SQLITE_PRAGMA              // pragma, argument
	ActionRead              Action = lib.SQLITE_READ                // table, column
	ActionSelect            Action = lib.SQLITE_SELECT              // -, -
	ActionTransaction       Action = lib.SQLITE_TRANSACTION         // operation, -
	ActionUpdate            Action = lib.SQLITE_UPDATE              // table, column
	ActionAttach            Action = lib.SQLITE_ATTACH              // file, -
	ActionDetach            Action = lib.SQLITE_DETACH              // database, -
	ActionAlterTable        Action = lib.SQLITE_ALTER_TABLE         // database, table
	ActionReindex           Action = lib.SQLITE_REINDEX             // index, -
	ActionAnalyze           Action = lib.SQLITE_ANALYZE             // table, -
	ActionCreateVTable      Action = lib.SQLITE_CREATE_VTABLE       // table, module
	ActionDropVTable        Action = lib.SQLITE_DROP_VTABLE         // table, module
	ActionFunction          Action = lib.SQLITE_FUNCTION            // -, function
	ActionSavepoint         Action = lib.SQLITE_SAVEPOINT           // operation, name
	ActionRecursive         Action = lib.SQLITE_RECURSIVE           // -, -
)

// AuthResult is an authorizer's answer.
type AuthResult int

const (
	AuthOK     AuthResult = lib.SQLITE_OK     // allow
	AuthDeny   AuthResult = lib.SQLITE_DENY   // refuse the whole statement (SQLITE_AUTH)
	AuthIgnore AuthResult = lib.SQLITE_IGNORE // read NULL / skip the operation
)

// Limit names a run-time limit (https://sqlite.org/c3ref/c_limit_attached.html).
type Limit int

const (
	LimitLength            Limit = lib.SQLITE_LIMIT_LENGTH
	LimitSQLLength         Limit = lib.SQLITE_LIMIT_SQL_LENGTH
	LimitColumn            Limit = lib.SQLITE_LIMIT_COLUMN
	LimitExprDepth         Limit = lib.SQLITE_LIMIT_EXPR_DEPTH
	LimitCompoundSelect    Limit = lib.SQLITE_LIMIT_COMPOUND_SELECT
	LimitVDBEOp            Limit = lib.SQLITE_LIMIT_VDBE_OP
	LimitFunctionArg       Limit = lib.SQLITE_LIMIT_FUNCTION_ARG
	LimitAttached          Limit = lib.SQLITE_LIMIT_ATTACHED
	LimitLikePatternLength Limit = lib.SQLITE_LIMIT_LIKE_PATTERN_LENGTH
	LimitVariableNumber    Limit = lib.SQLITE_LIMIT_VARIABLE_NUMBER
	LimitTriggerDepth      Limit = lib.SQLITE_LIMIT_TRIGGER_DEPTH
	LimitWorkerThreads     Limit = lib.SQLITE_LIMIT_WORKER_THREADS
)

// Type is a value's storage class (sqlite3_column_type).
type Type int

const (
	Integer Type = lib.SQLITE_INTEGER
	Float   Type = lib.SQLITE_FLOAT
	Text    Type = lib.SQLITE_TEXT
	Blob    Type = lib.SQLITE_BLOB
	Null    Type = lib.SQLITE_NULL
)

// String names the storage class as typeof() does.
func (t Type) String() string {
	switch t {
	case Integer:
		return "integer"
	case Float:
		return "real"
	case Text:
		return "text"
	case Blob:
		return "blob"
	case Null:
		return "null"
	}
	return "unknown"
}
