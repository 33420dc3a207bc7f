package wasmgen

// Random returns a valid module chosen by data: one exported memory, and
// functions f0..fn of type (i32, i64) -> i64, each calling only those before
// it, with loops that always end. It exercises blocks, loops, if/else,
// br_if, br_table, calls, loads and stores, bulk memory, memory.grow,
// integer arithmetic (division may trap) and, unless noFloat, float
// arithmetic whose NaNs the meter canonicalises.
func Random(data []byte, noFloat bool) []byte {
	g := &gen{data: data, noFloat: noFloat}
	m := Module{MemoryMin: 1, MemoryMax: 4, ExportMem: true}
	n := 1 + g.pick(3)
	for g.cur = 0; g.cur < n; g.cur++ {
		g.body = nil
		g.loops = 0
		for i := 0; i < 1+g.pick(4); i++ {
			g.stmt(0)
		}
		g.i64(0)
		m.Funcs = append(m.Funcs, Func{
			Params:  []byte{I32, I64},
			Results: []byte{I64},
			// 2: i32, 3: i64, 4: f64, 5..8: loop counters
			Locals: []byte{I32, I64, F64, I32, I32, I32, I32},
			Body:   g.body,
			Export: "f" + string(rune('0'+g.cur)),
		})
	}
	return m.Encode()
}

const maxDepth = 4

type gen struct {
	data    []byte
	pos     int
	noFloat bool
	cur     int
	body    []byte
	loops   int
}

// pick returns a choice in [0, n); 0 once data is used up, which always
// leads to a leaf, so generation ends.
func (g *gen) pick(n int) int {
	if g.pos >= len(g.data) {
		return 0
	}
	c := int(g.data[g.pos]) % n
	g.pos++
	return c
}

func (g *gen) op(b ...byte) { g.body = append(g.body, b...) }

// addr pushes an address within the first page.
func (g *gen) addr(d int) {
	g.i32(d + 1)
	g.op(0x41)
	g.body = S64(g.body, 0xfff0)
	g.op(0x71) // i32.and
}

func (g *gen) stmt(d int) {
	if d >= maxDepth {
		g.i32(d)
		g.op(0x21, 2)
		return
	}
	switch g.pick(12) {
	case 0:
		g.i32(d + 1)
		g.op(0x21, 2)
	case 1:
		g.i64(d + 1)
		g.op(0x21, 3)
	case 2:
		g.addr(d)
		g.i64(d + 1)
		g.op(0x37, 3, 0) // i64.store
	case 3: // a loop of 1..4 iterations on its own counter
		if g.loops >= 4 {
			g.op(0x01)
			return
		}
		c := byte(5 + g.loops)
		g.loops++
		g.op(0x41, byte(1+g.pick(4)), 0x21, c, 0x03, 0x40)
		g.stmt(d + 1)
		g.op(0x20, c, 0x41, 1, 0x6b, 0x22, c, 0x0d, 0, 0x0b)
		g.loops--
	case 4:
		g.i32(d + 1)
		g.op(0x04, 0x40)
		g.stmt(d + 1)
		g.op(0x05)
		g.stmt(d + 1)
		g.op(0x0b)
	case 5:
		g.op(0x02, 0x40)
		g.stmt(d + 1)
		g.i32(d + 1)
		g.op(0x0d, 0)
		g.stmt(d + 1)
		g.op(0x0b)
	case 6: // memory.fill(addr, v, n & 0xff)
		g.addr(d)
		g.i32(d + 1)
		g.i32(d + 1)
		g.op(0x41)
		g.body = S64(g.body, 0xff)
		g.op(0x71, 0xfc, 11, 0)
	case 7: // memory.copy
		g.addr(d)
		g.addr(d)
		g.i32(d + 1)
		g.op(0x41)
		g.body = S64(g.body, 0xff)
		g.op(0x71, 0xfc, 10, 0, 0)
	case 8:
		g.op(0x41, byte(g.pick(3)), 0x40, 0, 0x1a) // drop(memory.grow(0..2))
	case 9:
		if g.noFloat {
			g.op(0x01)
			return
		}
		g.f64(d + 1)
		g.op(0x21, 4)
	case 10:
		if g.cur == 0 {
			g.op(0x01)
			return
		}
		g.i32(d + 1)
		g.i64(d + 1)
		g.op(0x10, byte(g.pick(g.cur)), 0x1a)
	case 11: // br_table over two blocks
		g.op(0x02, 0x40, 0x02, 0x40)
		g.i32(d + 1)
		g.op(0x0e, 2, 0, 1, 0, 0x0b)
		g.stmt(d + 1)
		g.op(0x0b)
	}
}

func (g *gen) i32(d int) {
	if d >= maxDepth {
		switch g.pick(3) {
		case 0:
			g.op(0x41)
			g.body = S64(g.body, int64(int32(g.pick(256)*0x01010101)))
		case 1:
			g.op(0x20, 0)
		default:
			g.op(0x20, 2)
		}
		return
	}
	switch g.pick(10) {
	case 0:
		g.op(0x41)
		g.body = S64(g.body, int64(g.pick(256))-128)
	case 1:
		g.op(0x20, byte([]int{0, 2, 5}[g.pick(3)]))
	case 2, 3: // binary operators: add..rotl, eq..ge_u, div and rem
		g.i32(d + 1)
		g.i32(d + 1)
		g.op([]byte{0x6a, 0x6b, 0x6c, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x46, 0x47, 0x48, 0x49, 0x4d, 0x6e, 0x6f}[g.pick(17)])
	case 4:
		g.i64(d + 1)
		g.op(0xa7) // i32.wrap_i64
	case 5:
		g.addr(d)
		g.op(0x28, 2, 0)
	case 6:
		g.op(0x3f, 0)
	case 7:
		g.i32(d + 1)
		g.i32(d + 1)
		g.i32(d + 1)
		g.op(0x1b)
	case 8:
		if g.noFloat {
			g.op(0x41, 3)
			return
		}
		g.f64(d + 1)
		g.op(0xfc, 2) // i32.trunc_sat_f64_s
	case 9:
		g.i32(d + 1)
		g.op(0x04, I32)
		g.i32(d + 1)
		g.op(0x05)
		g.i32(d + 1)
		g.op(0x0b)
	}
}

func (g *gen) i64(d int) {
	if d >= maxDepth {
		if g.pick(2) == 0 {
			g.op(0x42)
			g.body = S64(g.body, int64(g.pick(256))<<40|int64(g.pick(256)))
		} else {
			g.op(0x20, 1)
		}
		return
	}
	switch g.pick(8) {
	case 0:
		g.op(0x42)
		g.body = S64(g.body, int64(g.pick(256))-100)
	case 1:
		g.op(0x20, byte(1+2*g.pick(2)))
	case 2, 3:
		g.i64(d + 1)
		g.i64(d + 1)
		g.op([]byte{0x7c, 0x7d, 0x7e, 0x83, 0x84, 0x85, 0x86, 0x88, 0x89, 0x80, 0x81}[g.pick(11)])
	case 4:
		g.i32(d + 1)
		g.op(0xad) // i64.extend_i32_u
	case 5:
		g.addr(d)
		g.op(0x29, 3, 0)
	case 6:
		if g.noFloat {
			g.op(0x42, 5)
			return
		}
		g.f64(d + 1)
		g.op(0xbd) // i64.reinterpret_f64
	case 7:
		if g.cur == 0 {
			g.op(0x20, 1)
			return
		}
		g.i32(d + 1)
		g.i64(d + 1)
		g.op(0x10, byte(g.pick(g.cur)))
	}
}

var nanConsts = [][]byte{
	{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}, // canonical NaN
	{1, 0, 0, 0, 0, 0, 0xf4, 0x7f}, // signalling NaN with a payload
	{0, 0, 0, 0, 0, 0, 0xf8, 0xff}, // negative NaN
	{0, 0, 0, 0, 0, 0, 0xf0, 0x7f}, // +inf
	{0, 0, 0, 0, 0, 0, 0, 0},       // +0
	{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}, // 1
}

func (g *gen) f64(d int) {
	if d >= maxDepth {
		g.op(0x44)
		g.op(nanConsts[g.pick(len(nanConsts))]...)
		return
	}
	switch g.pick(6) {
	case 0:
		g.op(0x44)
		g.op(nanConsts[g.pick(len(nanConsts))]...)
	case 1:
		g.op(0x20, 4)
	case 2: // add sub mul div min max
		g.f64(d + 1)
		g.f64(d + 1)
		g.op([]byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6}[g.pick(7)])
	case 3: // unary: abs neg ceil floor trunc nearest sqrt
		g.f64(d + 1)
		g.op(0x99 + byte(g.pick(7)))
	case 4:
		g.i32(d + 1)
		g.op(0xb7) // f64.convert_i32_s
	case 5:
		g.f64(d + 1)
		g.op(0xb6, 0xbb) // promote(demote(x))
	}
}
