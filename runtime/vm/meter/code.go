package meter

import "fmt"

// inst is one decoded instruction of a function body.
type inst struct {
	op     byte
	sub    uint32 // sub-opcode after the 0xFC prefix
	start  int    // offset of the opcode in the body
	end    int    // offset just past its immediates
	pushes uint32 // values it pushes (the bound used for frame weights)
	// targets: a br_table's targets and default, which compile work counts
	targets uint32
}

// boundary reports whether a metered segment ends with this instruction:
// whether the next instruction can be reached other than by falling through
// from this one (spec/vm.md "Metered segments"). Branch targets are the
// first instruction of a loop, the first after an else, and the first
// after an end; branches themselves do not end a segment, so a segment left
// early by br_if, br_table, br, return or a trap was charged in full.
func (in *inst) boundary() bool {
	switch in.op {
	case opLoop, opElse, opEnd:
		return true
	}
	return false
}

// dynamic returns how the size operand of a sized instruction is charged:
// 0 not sized, 'p' per page, 'b' per 8 bytes, 'e' per element.
func (in *inst) dynamic() byte {
	if in.op == opMemoryGrow {
		return 'p'
	}
	if in.op != opPrefixFC {
		return 0
	}
	switch in.sub {
	case fcMemoryInit, fcMemoryCopy, fcMemoryFill:
		return 'b'
	case fcTableInit, fcTableCopy, fcTableGrow, fcTableFill:
		return 'e'
	}
	return 0
}

// funcWalker decodes one function body; it is used twice, once to measure
// and once to emit, so both passes see the same instructions.
type funcWalker struct {
	m     *module
	r     reader
	depth uint32 // open blocks inside the function body
	ended bool   // the function's final end was read
	count uint32 // instructions read
	in    inst
}

// next decodes the next instruction into w.in; false at the end of the body
// or on error (w.r.err).
func (w *funcWalker) next() bool {
	if w.r.err != nil {
		return false
	}
	if w.r.pos >= len(w.r.b) {
		if !w.ended {
			w.r.fail("function body without final end")
		}
		return false
	}
	if w.ended {
		w.r.fail("bytes after the final end of a function")
		return false
	}
	w.count++
	if w.count > w.m.lim.MaxFunctionInstructions {
		w.r.err = overLimit("instructions in a function", uint64(w.count), uint64(w.m.lim.MaxFunctionInstructions))
		return false
	}
	r := &w.r
	in := &w.in
	*in = inst{start: r.pos, pushes: 1}
	in.op = r.byte()
	switch op := in.op; {
	case op == opUnreachable || op == opNop || op == opReturn || op == opDrop:
		in.pushes = 0
	case op == opBlock || op == opLoop || op == opIf:
		in.pushes = 0
		w.blockType()
		w.depth++
		if w.depth > w.m.lim.MaxNesting {
			r.err = overLimit("block nesting", uint64(w.depth), uint64(w.m.lim.MaxNesting))
			return false
		}
	case op == opElse:
		in.pushes = 0
		if w.depth == 0 {
			r.fail("else outside if")
		}
	case op == opEnd:
		in.pushes = 0
		if w.depth == 0 {
			w.ended = true
		} else {
			w.depth--
		}
	case op == opBr || op == opBrIf:
		in.pushes = 0
		r.u32()
	case op == opBrTable:
		in.pushes = 0
		n := r.u32()
		if uint64(n) > uint64(len(r.b)-r.pos) { // each target takes a byte
			r.fail("br_table with %d targets past the end", n)
			return false
		}
		in.targets = n + 1 // the targets and the default; n < len(r.b)
		for i := uint32(0); i <= n && r.err == nil; i++ {
			r.u32()
		}
	case op == opCall:
		f := r.u32()
		if r.err == nil && f >= w.m.numFuncs() {
			r.fail("call of function %d out of range", f)
			return false
		}
		if r.err == nil {
			in.pushes = uint32(len(w.m.types[w.m.funcType(f)].results))
		}
	case op == opCallIndirect:
		t := r.u32()
		r.u32() // table
		if r.err == nil && t >= uint32(len(w.m.types)) {
			r.fail("call_indirect type %d out of range", t)
			return false
		}
		if r.err == nil {
			in.pushes = uint32(len(w.m.types[t].results))
		}
	case op == opSelect:
	case op == opSelectT:
		n := r.u32()
		if n != 1 {
			r.fail("typed select with %d types", n)
		}
		w.valType(r.byte())
	case op >= opLocalGet && op <= opLocalTee:
		if op == opLocalSet {
			in.pushes = 0
		}
		if x := r.u32(); r.err == nil && uint64(x) >= w.m.curLocals {
			r.fail("local %d out of range", x)
		}
	case op == opGlobalGet || op == opGlobalSet:
		if op == opGlobalSet {
			in.pushes = 0
		}
		// The instrumentation's own globals follow the module's: an index
		// past the module's globals must never reach them.
		if x := r.u32(); r.err == nil && x >= w.m.numGlobals {
			r.fail("global %d out of range", x)
		}
	case op == opTableGet || op == opTableSet:
		if op == opTableSet {
			in.pushes = 0
		}
		r.u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores
		if op >= 0x36 {
			in.pushes = 0
		}
		if align := r.u32(); align >= 64 {
			r.err = unsupported("memory index in a memarg (multiple memories)")
			return false
		}
		r.u32()
	case op == opMemorySize || op == opMemoryGrow:
		w.zeroByte()
	case op == opI32Const:
		r.sleb(32)
	case op == opI64Const:
		r.sleb(64)
	case op == opF32Const:
		r.bytes(4)
	case op == opF64Const:
		r.bytes(8)
	case plainOp(op):
	case op == opRefNull:
		if t := r.byte(); r.err == nil && t != valFuncref && t != valExternref {
			r.fail("ref.null of type 0x%x", t)
		}
	case op == opRefIsNull:
	case op == opRefFunc:
		if f := r.u32(); r.err == nil && f >= w.m.numFuncs() {
			r.fail("ref.func %d out of range", f)
		}
	case op == opPrefixFC:
		w.fc()
	case op == opPrefixSIMD:
		r.err = unsupported("SIMD instruction at offset %d", in.start)
	case op == opPrefixAtomic:
		r.err = unsupported("threads instruction at offset %d", in.start)
	case op == 0x12 || op == 0x13:
		r.err = unsupported("tail call at offset %d", in.start)
	case op >= 0x06 && op <= 0x0a || op == 0x18 || op == 0x19 || op == 0x1f:
		r.err = unsupported("exception handling at offset %d", in.start)
	default:
		r.fail("unknown opcode 0x%x at offset %d", op, in.start)
	}
	in.end = r.pos
	return r.err == nil
}

func (w *funcWalker) fc() {
	r, in := &w.r, &w.in
	in.sub = r.u32()
	if r.err != nil {
		return
	}
	switch in.sub {
	case 0, 1, 2, 3, 4, 5, 6, 7: // saturating truncations
	case fcMemoryInit:
		in.pushes = 0
		r.u32()
		w.zeroByte()
	case fcDataDrop, fcElemDrop:
		in.pushes = 0
		r.u32()
	case fcMemoryCopy:
		in.pushes = 0
		w.zeroByte()
		w.zeroByte()
	case fcMemoryFill:
		in.pushes = 0
		w.zeroByte()
	case fcTableInit, fcTableCopy:
		in.pushes = 0
		r.u32()
		r.u32()
	case fcTableFill:
		in.pushes = 0
		r.u32()
	case fcTableGrow, fcTableSize:
		r.u32()
	default:
		r.err = unsupported("instruction 0xfc %d at offset %d", in.sub, in.start)
	}
}

// zeroByte reads the reserved memory index byte of memory instructions.
func (w *funcWalker) zeroByte() {
	if b := w.r.byte(); w.r.err == nil && b != 0 {
		w.r.err = unsupported("memory index %d (multiple memories)", b)
	}
}

func (w *funcWalker) valType(t byte) {
	if w.r.err != nil {
		return
	}
	switch t {
	case valI32, valI64, valF32, valF64, valFuncref, valExternref:
	case valV128:
		w.r.err = unsupported("v128 value type (SIMD)")
	default:
		w.r.fail("value type 0x%x", t)
	}
}

func (w *funcWalker) blockType() {
	r := &w.r
	if r.pos < len(r.b) {
		switch t := r.b[r.pos]; {
		case t == blockEmpty:
			r.pos++
			return
		case t >= 0x40 && t < 0x80: // a one-byte negative s33: a value type
			r.pos++
			w.valType(t)
			return
		}
	}
	x := r.sleb(33)
	if r.err == nil && (x < 0 || x >= int64(len(w.m.types))) {
		r.fail("block type %d out of range", x)
	}
}

// funcPlan is what the first pass learns about a function.
type funcPlan struct {
	costs  []uint32 // static gas of each metered segment, in order
	weight uint32   // frame weight (spec/vm.md "Call stack")
	need   [6]bool  // scratch locals needed: gas, depth, i32, i64, f32, f64
}

const (
	scratchGas   = iota // the gas left, cached in a local between calls
	scratchDepth        // the stack use after this function's prologue
	scratchI32
	scratchI64
	scratchF32
	scratchF64
)

var scratchTypes = [6]byte{valI64, valI32, valI32, valI64, valF32, valF64}

// rewriteFunc meters one function: fi is its index among defined
// functions, body its code entry (locals and expression).
func (m *module) rewriteFunc(fi int, body []byte, out []byte) ([]byte, error) {
	ft := m.types[m.funcs[fi]]
	// Locals: groups of (count, type). Counted without expanding them.
	r := reader{b: body}
	groups := r.u32()
	locals := uint64(len(ft.params))
	for i := uint32(0); i < groups && r.err == nil; i++ {
		n := r.u32()
		t := r.byte()
		locals += uint64(n)
		if r.err == nil && locals > uint64(m.lim.MaxLocals) {
			return nil, overLimit("locals in a function", locals, uint64(m.lim.MaxLocals))
		}
		w := funcWalker{m: m}
		w.valType(t)
		if w.r.err != nil {
			return nil, w.r.err
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	localsEnd := r.pos
	m.curLocals = locals
	code := body[localsEnd:]

	// Pass 1: segment costs, frame weight, scratch locals, limits.
	var plan funcPlan
	w := funcWalker{m: m, r: reader{b: code}}
	var seg uint32
	var pushes uint64
	for w.next() {
		in := &w.in
		seg += InstructionGas
		pushes += uint64(in.pushes)
		m.brTargets += uint64(in.targets) // in this pass only: both walk the body
		switch in.dynamic() {
		case 'p', 'b', 'e':
			plan.need[scratchI32], plan.need[scratchI64] = true, true
		}
		switch nanClass(in.op) {
		case valF32:
			plan.need[scratchF32] = true
		case valF64:
			plan.need[scratchF64] = true
		}
		if in.boundary() {
			plan.costs = append(plan.costs, seg)
			seg = 0
		}
	}
	if w.r.err != nil {
		return nil, fmt.Errorf("function %d: %w", m.numImports+uint32(fi), w.r.err)
	}
	m.instructions += uint64(w.count)
	m.compileWork += uint64(w.count) + locals
	segs := uint64(len(plan.costs))
	m.segSquares += segs * segs
	m.localWork += locals * segs
	if m.localWork > m.lim.MaxLocalWork {
		return nil, overLimit("local work", m.localWork, m.lim.MaxLocalWork)
	}
	if m.segSquares > m.lim.MaxSegmentWork { // stop early: later functions cannot lower it
		return nil, overLimit("segment work", m.segSquares, m.lim.MaxSegmentWork)
	}
	weight := uint64(FrameBase) + locals + pushes
	if weight > StackLimit {
		return nil, overLimit(fmt.Sprintf("frame weight of function %d", m.numImports+uint32(fi)), weight, StackLimit)
	}
	plan.weight = uint32(weight)

	// Scratch locals after the declared ones.
	plan.need[scratchGas], plan.need[scratchDepth] = true, true
	var scratch [6]uint32
	next := uint32(locals)
	var extra []byte
	for k := range plan.need {
		if plan.need[k] {
			scratch[k] = next
			next++
			extra = append(extra, 1, scratchTypes[k])
		}
	}

	// Pass 2: emit.
	var b []byte
	b = appendU32(b, groups+uint32(len(extra)/2))
	b = append(b, body[skipU32(body):localsEnd]...)
	b = append(b, extra...)
	// block $oog { prologue; block $wrapper (results) { body } epilogue; return }
	// out of gas: gas = OutOfGas; unreachable
	b = append(b, opBlock, blockEmpty)
	b = m.emitPrologue(b, plan.weight, scratch[scratchDepth])
	b = append(b, opGlobalGet)
	b = appendU32(b, m.gasGlobal())
	b = append(b, opLocalSet)
	b = appendU32(b, scratch[scratchGas])
	b = append(b, opBlock)
	b = m.appendBlockType(b, ft.results)
	costs := plan.costs
	b = m.emitCharge(b, costs[0], 0, scratch[scratchGas])
	costs = costs[1:]
	w = funcWalker{m: m, r: reader{b: code}}
	for w.next() {
		in := &w.in
		if kind := in.dynamic(); kind != 0 {
			b = m.emitDynamicCharge(b, kind, w.depth, scratch[scratchGas], scratch[scratchI32], scratch[scratchI64])
		}
		call := in.op == opCall || in.op == opCallIndirect
		if call { // the callee (or host) charges the global
			b = m.emitSync(b, opLocalGet, opGlobalSet, scratch[scratchGas])
		}
		if in.op == opReturn {
			// A return leaves through the wrapper block, so the epilogue runs.
			b = append(b, opBr)
			b = appendU32(b, w.depth)
		} else {
			b = append(b, code[in.start:in.end]...)
		}
		if call {
			b = m.emitSync(b, opGlobalGet, opLocalSet, scratch[scratchGas])
		}
		switch nanClass(in.op) {
		case valF32:
			b = emitCanonNaN(b, scratch[scratchF32], opF32Const, opF32Eq, canonNaN32[:])
		case valF64:
			b = emitCanonNaN(b, scratch[scratchF64], opF64Const, opF64Eq, canonNaN64[:])
		}
		if in.boundary() && !w.ended {
			b = m.emitCharge(b, costs[0], w.depth, scratch[scratchGas])
			costs = costs[1:]
		}
	}
	// The original final end closed the wrapper block.
	b = m.emitSync(b, opLocalGet, opGlobalSet, scratch[scratchGas])
	b = m.emitEpilogue(b, plan.weight, scratch[scratchDepth])
	b = append(b, opReturn, opEnd)
	b = m.emitOutOfGas(b)
	b = append(b, opEnd)
	out = appendU32(out, uint32(len(b)))
	return append(out, b...), nil
}

// skipU32 returns the offset just past the u32 that starts b (a count).
func skipU32(body []byte) int {
	r := reader{b: body}
	r.u32()
	return r.pos
}

// Canonical NaNs: quiet, positive, zero payload (spec/vm.md "Floats").
var (
	canonNaN32 = [4]byte{0x00, 0x00, 0xc0, 0x7f}
	canonNaN64 = [8]byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}
)

// emitCanonNaN replaces the float on top of the stack by the canonical NaN
// if it is a NaN: select(x, NaN, x == x).
func emitCanonNaN(b []byte, local uint32, constOp, eqOp byte, nan []byte) []byte {
	b = append(b, opLocalTee)
	b = appendU32(b, local)
	b = append(b, constOp)
	b = append(b, nan...)
	b = append(b, opLocalGet)
	b = appendU32(b, local)
	b = append(b, opLocalGet)
	b = appendU32(b, local)
	return append(b, eqOp, opSelect)
}

// emitOutOfGas emits the out-of-gas exit: the gas global is set to the
// sentinel the VM recognises, then the call traps.
func (m *module) emitOutOfGas(b []byte) []byte {
	b = append(b, opI64Const, 0x7f, opGlobalSet) // i64.const -1
	b = appendU32(b, m.gasGlobal())
	return append(b, opUnreachable)
}

// emitCharge emits: gas -= n; if gas < 0 (signed) then out of gas, on the
// function's gas local gl. The gas left is at most MaxGas < 2^63 and n is
// small, so a negative result means there was not enough. depth is the
// number of open blocks of the original body: the out-of-gas block is
// depth+1 labels out.
func (m *module) emitCharge(b []byte, n uint32, depth, gl uint32) []byte {
	b = append(b, opLocalGet)
	b = appendU32(b, gl)
	b = append(b, opI64Const)
	b = appendS64(b, int64(n))
	b = append(b, opI64Sub, opLocalTee)
	b = appendU32(b, gl)
	b = append(b, opI64Const, 0, opI64LtS, opBrIf)
	return appendU32(b, depth+1)
}

// emitSync copies the gas between the local and the global: before a call
// and at the exit (local to global), after a call (global to local).
func (m *module) emitSync(b []byte, get, set byte, gl uint32) []byte {
	g := m.gasGlobal()
	from, to := gl, g
	if get == opGlobalGet {
		from, to = g, gl
	}
	b = append(b, get)
	b = appendU32(b, from)
	b = append(b, set)
	return appendU32(b, to)
}

// emitDynamicCharge charges for the size operand on top of the stack (an
// i32) and leaves it there.
func (m *module) emitDynamicCharge(b []byte, kind byte, depth, gl, s32, s64 uint32) []byte {
	b = append(b, opLocalTee)
	b = appendU32(b, s32)
	b = append(b, opI64ExtendU)
	switch kind {
	case 'p':
		b = append(b, opI64Const)
		b = appendS64(b, PageGas)
		b = append(b, opI64Mul)
	case 'b':
		b = append(b, opI64Const, BytesPerGas-1, opI64Add, opI64Const, bytesPerGasShift, opI64ShrU)
	case 'e':
		// ElementGas is 1: the count is the cost.
	}
	b = append(b, opLocalSet)
	b = appendU32(b, s64)
	b = append(b, opLocalGet)
	b = appendU32(b, gl)
	b = append(b, opLocalGet)
	b = appendU32(b, s64)
	b = append(b, opI64Sub, opLocalTee)
	b = appendU32(b, gl)
	b = append(b, opI64Const, 0, opI64LtS, opBrIf)
	b = appendU32(b, depth+1)
	b = append(b, opLocalGet)
	return appendU32(b, s32)
}

// emitPrologue emits: sd = depth + w; depth = sd; if sd > StackLimit then
// stack overflow. sd is kept for the epilogue: callees restore depth, so it
// is still sd when the function exits.
func (m *module) emitPrologue(b []byte, w, sd uint32) []byte {
	d := m.depthGlobal()
	b = append(b, opGlobalGet)
	b = appendU32(b, d)
	b = append(b, opI32Const)
	b = appendS32(b, int32(w))
	b = append(b, opI32Add, opLocalTee)
	b = appendU32(b, sd)
	b = append(b, opGlobalSet)
	b = appendU32(b, d)
	b = append(b, opLocalGet)
	b = appendU32(b, sd)
	b = append(b, opI32Const)
	b = appendS32(b, StackLimit)
	b = append(b, opI32GtU, opIf, blockEmpty, opI32Const, 0x7f, opGlobalSet) // i32.const -1
	b = appendU32(b, d)
	return append(b, opUnreachable, opEnd)
}

// emitEpilogue emits: depth = sd - w.
func (m *module) emitEpilogue(b []byte, w, sd uint32) []byte {
	b = append(b, opLocalGet)
	b = appendU32(b, sd)
	b = append(b, opI32Const)
	b = appendS32(b, int32(w))
	b = append(b, opI32Sub, opGlobalSet)
	return appendU32(b, m.depthGlobal())
}

// appendBlockType appends the block type of a block producing results.
func (m *module) appendBlockType(b []byte, results []byte) []byte {
	switch len(results) {
	case 0:
		return append(b, blockEmpty)
	case 1:
		return append(b, results[0])
	}
	return appendS64(b, int64(m.resultType(results)))
}
