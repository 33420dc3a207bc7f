package meter

// Opcodes the rewrite inspects or emits (WebAssembly 2.0 binary format).
const (
	opUnreachable  = 0x00
	opNop          = 0x01
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opElse         = 0x05
	opEnd          = 0x0b
	opBr           = 0x0c
	opBrIf         = 0x0d
	opBrTable      = 0x0e
	opReturn       = 0x0f
	opCall         = 0x10
	opCallIndirect = 0x11
	opDrop         = 0x1a
	opSelect       = 0x1b
	opSelectT      = 0x1c
	opLocalGet     = 0x20
	opLocalSet     = 0x21
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opTableGet     = 0x25
	opTableSet     = 0x26
	opMemorySize   = 0x3f
	opMemoryGrow   = 0x40
	opI32Const     = 0x41
	opI64Const     = 0x42
	opF32Const     = 0x43
	opF64Const     = 0x44
	opI32GtU       = 0x4b
	opI64LtS       = 0x53
	opI32Add       = 0x6a
	opI32Sub       = 0x6b
	opI64Add       = 0x7c
	opI64Sub       = 0x7d
	opI64Mul       = 0x7e
	opI64ShrU      = 0x88
	opF32Eq        = 0x5b
	opF64Eq        = 0x61
	opI64ExtendU   = 0xad
	opRefNull      = 0xd0
	opRefIsNull    = 0xd1
	opRefFunc      = 0xd2
	opPrefixFC     = 0xfc
	opPrefixSIMD   = 0xfd
	opPrefixAtomic = 0xfe
)

// 0xFC sub-opcodes.
const (
	fcMemoryInit = 8
	fcDataDrop   = 9
	fcMemoryCopy = 10
	fcMemoryFill = 11
	fcTableInit  = 12
	fcElemDrop   = 13
	fcTableCopy  = 14
	fcTableGrow  = 15
	fcTableSize  = 16
	fcTableFill  = 17
)

// Value types.
const (
	valI32       = 0x7f
	valI64       = 0x7e
	valF32       = 0x7d
	valF64       = 0x7c
	valV128      = 0x7b
	valFuncref   = 0x70
	valExternref = 0x6f
	blockEmpty   = 0x40
)

// nanClass says whether an opcode's result is a float whose NaN bits the
// WebAssembly specification leaves nondeterministic (spec/vm.md "Floats"):
// 0 no, valF32 or valF64 the result type to canonicalise.
func nanClass(op byte) byte {
	switch {
	case op >= 0x8d && op <= 0x97: // f32 ceil floor trunc nearest sqrt add sub mul div min max
		return valF32
	case op >= 0x9b && op <= 0xa5: // f64 ceil floor trunc nearest sqrt add sub mul div min max
		return valF64
	case op == 0xb6: // f32.demote_f64
		return valF32
	case op == 0xbb: // f64.promote_f32
		return valF64
	}
	return 0
}

// plainOp reports whether op (a single-byte opcode outside the control,
// variable, memory, constant and reference groups) takes no immediate and
// pushes exactly one value: the comparisons, arithmetic and conversions
// 0x45..0xC4 (sign extension included).
func plainOp(op byte) bool { return op >= 0x45 && op <= 0xc4 }
