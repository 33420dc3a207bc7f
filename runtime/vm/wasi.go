package vm

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// WASI is the VM's own wasi_snapshot_preview1: enough for Go wasip1 and
// other WASI toolchains to start, with nothing outside the call reachable.
// Clocks advance by a fixed step per reading, random bytes are a fixed
// stream, output is discarded, there are no files, arguments or
// environment. Every function is charged (spec/vm.md "WASI").
const wasiModule = "wasi_snapshot_preview1"

// WASI gas and clock rules (spec/vm.md "WASI").
const (
	WASICallGas        = 100                       // every WASI function
	WASIClockStep      = 1_000_000                 // ns between two clock readings
	WASIRealtimeEpoch  = 1_640_995_200_000_000_000 // realtime clock origin: 2022-01-01T00:00:00Z
	wasiRandomDomain   = "orama/wasi/random_get"   // the random stream's seed
	wasiPollEventBytes = 32
	wasiPollSubBytes   = 48
)

// WASI errno values.
const (
	errnoSuccess = 0
	errnoBadf    = 8
	errnoFault   = 21
	errnoInval   = 28
	errnoNosys   = 52
)

// wasiState is a call's clock and random stream.
type wasiState struct {
	clockReads uint64
	randBlock  uint64 // next SHA-256 block of the random stream
	randBuf    []byte // unread bytes of the current block
}

func (w *wasiState) readRandom(p []byte) {
	for len(p) > 0 {
		if len(w.randBuf) == 0 {
			var in [len(wasiRandomDomain) + 8]byte
			copy(in[:], wasiRandomDomain)
			binary.LittleEndian.PutUint64(in[len(wasiRandomDomain):], w.randBlock)
			sum := sha256.Sum256(in[:])
			w.randBuf = sum[:]
			w.randBlock++
		}
		n := copy(p, w.randBuf)
		w.randBuf = w.randBuf[n:]
		p = p[n:]
	}
}

type wasiFunc struct {
	name    string
	params  int // all i32 except where types overrides
	types   []api.ValueType
	results int
	fn      func(ctx context.Context, st *callState, m api.Module, stack []uint64) uint32
}

func i32s(n int) []api.ValueType {
	t := make([]api.ValueType, n)
	for i := range t {
		t[i] = api.ValueTypeI32
	}
	return t
}

// wasiFuncs are the functions of wasi_snapshot_preview1, in the order of
// the WASI specification.
var wasiFuncs = []wasiFunc{
	{name: "args_get", params: 2, fn: wasiEmpty},
	{name: "args_sizes_get", params: 2, fn: wasiZeroSizes},
	{name: "environ_get", params: 2, fn: wasiEmpty},
	{name: "environ_sizes_get", params: 2, fn: wasiZeroSizes},
	{name: "clock_res_get", params: 2, fn: wasiClockRes},
	{name: "clock_time_get", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI32}, fn: wasiClockTime},
	{name: "fd_advise", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI64, api.ValueTypeI32}, fn: wasiBadf},
	{name: "fd_allocate", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI64}, fn: wasiBadf},
	{name: "fd_close", params: 1, fn: wasiBadf},
	{name: "fd_datasync", params: 1, fn: wasiBadf},
	{name: "fd_fdstat_get", params: 2, fn: wasiFdstatGet},
	{name: "fd_fdstat_set_flags", params: 2, fn: wasiStdioNoop},
	{name: "fd_fdstat_set_rights", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI64}, fn: wasiBadf},
	{name: "fd_filestat_get", params: 2, fn: wasiBadf},
	{name: "fd_filestat_set_size", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI64}, fn: wasiBadf},
	{name: "fd_filestat_set_times", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI64, api.ValueTypeI32}, fn: wasiBadf},
	{name: "fd_pread", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI32}, fn: wasiBadf},
	{name: "fd_prestat_get", params: 2, fn: wasiBadf},
	{name: "fd_prestat_dir_name", params: 3, fn: wasiBadf},
	{name: "fd_pwrite", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI32}, fn: wasiBadf},
	{name: "fd_read", params: 4, fn: wasiRead},
	{name: "fd_readdir", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI32}, fn: wasiBadf},
	{name: "fd_renumber", params: 2, fn: wasiBadf},
	{name: "fd_seek", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI32, api.ValueTypeI32}, fn: wasiBadf},
	{name: "fd_sync", params: 1, fn: wasiBadf},
	{name: "fd_tell", params: 2, fn: wasiBadf},
	{name: "fd_write", params: 4, fn: wasiWrite},
	{name: "path_create_directory", params: 3, fn: wasiBadf},
	{name: "path_filestat_get", params: 5, fn: wasiBadf},
	{name: "path_filestat_set_times", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI64, api.ValueTypeI32}, fn: wasiBadf},
	{name: "path_link", params: 7, fn: wasiBadf},
	{name: "path_open", types: []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI64, api.ValueTypeI32, api.ValueTypeI32}, fn: wasiBadf},
	{name: "path_readlink", params: 6, fn: wasiBadf},
	{name: "path_remove_directory", params: 3, fn: wasiBadf},
	{name: "path_rename", params: 6, fn: wasiBadf},
	{name: "path_symlink", params: 5, fn: wasiBadf},
	{name: "path_unlink_file", params: 3, fn: wasiBadf},
	{name: "poll_oneoff", params: 4, fn: wasiPoll},
	{name: "proc_exit", params: 1, results: -1, fn: wasiExit},
	{name: "proc_raise", params: 1, fn: wasiNosys},
	{name: "sched_yield", fn: wasiEmpty},
	{name: "random_get", params: 2, fn: wasiRandom},
	{name: "sock_accept", params: 3, fn: wasiBadf},
	{name: "sock_recv", params: 6, fn: wasiBadf},
	{name: "sock_send", params: 5, fn: wasiBadf},
	{name: "sock_shutdown", params: 2, fn: wasiBadf},
}

func instantiateWASI(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(wasiModule)
	for _, f := range wasiFuncs {
		f := f
		params := f.types
		if params == nil {
			params = i32s(f.params)
		}
		results := []api.ValueType{api.ValueTypeI32}
		if f.results < 0 {
			results = nil
		}
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			st := state(ctx)
			Charge(ctx, m, WASICallGas)
			errno := f.fn(ctx, st, m, stack)
			if len(results) > 0 {
				stack[0] = uint64(errno)
			}
		}), params, results).Export(f.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// wasiPut writes little-endian values to guest memory; out of bounds
// traps, as Write does.
func wasiPut32(ctx context.Context, m api.Module, ptr uint32, v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	Write(ctx, m, ptr, b[:])
}

func wasiPut64(ctx context.Context, m api.Module, ptr uint32, v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	Write(ctx, m, ptr, b[:])
}

// wasiInBounds reports whether [ptr, ptr+n) is in mem; in a module without
// memory (mem nil) no range is.
func wasiInBounds(mem api.Memory, ptr uint32, n uint64) bool {
	return mem != nil && uint64(ptr)+n <= uint64(mem.Size())
}

func wasiEmpty(context.Context, *callState, api.Module, []uint64) uint32 { return errnoSuccess }
func wasiBadf(context.Context, *callState, api.Module, []uint64) uint32  { return errnoBadf }
func wasiNosys(context.Context, *callState, api.Module, []uint64) uint32 { return errnoNosys }

// wasiZeroSizes: no arguments, no environment.
func wasiZeroSizes(ctx context.Context, _ *callState, m api.Module, s []uint64) uint32 {
	wasiPut32(ctx, m, uint32(s[0]), 0)
	wasiPut32(ctx, m, uint32(s[1]), 0)
	return errnoSuccess
}

func wasiClockRes(ctx context.Context, _ *callState, m api.Module, s []uint64) uint32 {
	if uint32(s[0]) > 3 {
		return errnoInval
	}
	wasiPut64(ctx, m, uint32(s[1]), WASIClockStep)
	return errnoSuccess
}

// wasiClockTime: the n-th reading in a call (from 1), of any clock, is
// n*WASIClockStep ns, plus WASIRealtimeEpoch for the realtime clock (0).
func wasiClockTime(ctx context.Context, st *callState, m api.Module, s []uint64) uint32 {
	id := uint32(s[0])
	if id > 3 {
		return errnoInval
	}
	st.wasi.clockReads++
	t := st.wasi.clockReads * WASIClockStep
	if id == 0 {
		t += WASIRealtimeEpoch
	}
	wasiPut64(ctx, m, uint32(s[2]), t)
	return errnoSuccess
}

func wasiFdstatGet(ctx context.Context, _ *callState, m api.Module, s []uint64) uint32 {
	if uint32(s[0]) > 2 {
		return errnoBadf
	}
	var stat [24]byte
	stat[0] = 2 // character device
	Write(ctx, m, uint32(s[1]), stat[:])
	return errnoSuccess
}

func wasiStdioNoop(_ context.Context, _ *callState, _ api.Module, s []uint64) uint32 {
	if uint32(s[0]) > 2 {
		return errnoBadf
	}
	return errnoSuccess
}

// wasiRead: standard input is empty.
func wasiRead(ctx context.Context, _ *callState, m api.Module, s []uint64) uint32 {
	if uint32(s[0]) != 0 {
		return errnoBadf
	}
	wasiPut32(ctx, m, uint32(s[3]), 0)
	return errnoSuccess
}

// wasiWrite: standard output and error accept and discard everything; one
// gas per iovec, charged before the iovecs are read.
func wasiWrite(ctx context.Context, st *callState, m api.Module, s []uint64) uint32 {
	fd, iovs, n, nwritten := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	if fd != 1 && fd != 2 {
		return errnoBadf
	}
	Charge(ctx, m, uint64(n))
	mem := memoryOf(m)
	if !wasiInBounds(mem, iovs, 8*uint64(n)) {
		return errnoFault
	}
	vec, _ := mem.Read(iovs, n*8)
	var total uint32
	for i := uint32(0); i < n; i++ {
		ptr := binary.LittleEndian.Uint32(vec[8*i:])
		l := binary.LittleEndian.Uint32(vec[8*i+4:])
		if !wasiInBounds(mem, ptr, uint64(l)) {
			return errnoFault
		}
		total += l
	}
	wasiPut32(ctx, m, nwritten, total)
	return errnoSuccess
}

// wasiRandom: the stream of SHA-256(domain || u64le(i)) blocks for i = 0,
// 1, ... of the call; one gas per byte.
func wasiRandom(ctx context.Context, st *callState, m api.Module, s []uint64) uint32 {
	ptr, n := uint32(s[0]), uint32(s[1])
	Charge(ctx, m, uint64(n))
	if !wasiInBounds(memoryOf(m), ptr, uint64(n)) {
		return errnoFault
	}
	b := make([]byte, n)
	st.wasi.readRandom(b)
	Write(ctx, m, ptr, b)
	return errnoSuccess
}

// wasiPoll reports every subscription as having occurred at once; 10 gas
// per subscription.
func wasiPoll(ctx context.Context, _ *callState, m api.Module, s []uint64) uint32 {
	in, out, n, nevents := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	if n == 0 {
		return errnoInval
	}
	Charge(ctx, m, 10*uint64(n))
	mem := memoryOf(m)
	if !wasiInBounds(mem, in, uint64(n)*wasiPollSubBytes) || !wasiInBounds(mem, out, uint64(n)*wasiPollEventBytes) {
		return errnoFault
	}
	for i := uint32(0); i < n; i++ {
		sub, _ := mem.Read(in+i*wasiPollSubBytes, wasiPollSubBytes)
		var ev [wasiPollEventBytes]byte
		copy(ev[:8], sub[:8]) // userdata
		ev[10] = sub[8]       // type
		Write(ctx, m, out+i*wasiPollEventBytes, ev[:])
	}
	wasiPut32(ctx, m, nevents, n)
	return errnoSuccess
}

// wasiExit ends the call: a contract has no process to exit.
func wasiExit(_ context.Context, st *callState, _ api.Module, s []uint64) uint32 {
	st.fail(fmt.Errorf("%w: proc_exit(%d)", ErrTrap, uint32(s[0])))
	return 0
}
