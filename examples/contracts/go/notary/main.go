//go:build wasip1

// Command notary is an example Orama contract in Go (GOOS=wasip1): it
// notarizes documents held in the namespace's content-addressed storage.
//
// A document is uploaded to the namespace's storage outside the contract (it
// is then named by its CIDv1 raw SHA2-256); notarize records who notarized
// it, when, its Keccak-256 and, for a signed document, the signer, stores a
// receipt next to it and emits an event. A notarization costs a fee in ORAMA
// or BTC sent with the call, which the owner (whoever called init) withdraws.
// A call that notarizes nothing refunds what was sent.
//
// Its exports take i32 and i64 parameters (DECISIONS.md D27; the token
// example shows arguments as bytes through orama.ctx.input): a document's
// SHA-256 digest travels as four big-endian 64-bit words, an address as two
// words and a 32-bit tail.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o notary.wasm .
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"unsafe"

	orama "github.com/oramanetwork/orama-chain/sdk/go"
)

func main() {}

// Result codes of the exports that return int32 (negated by withdraw, which
// returns a balance otherwise).
const (
	codeOK             = 0
	codeInitialised    = 1 // init: already done; others: init not done
	codeFeeNotPaid     = 2
	codeTooSoon        = 3 // the caller notarized within the last rateLimitSeconds of block time
	codeNotStored      = 4 // no such document in the namespace's storage
	codeBadSignature   = 5 // a signed document whose signature does not verify
	codeAlreadyDone    = 6
	codeNotOwner       = 7
	rateLimitSeconds   = 30
	signedTrailerBytes = 65 + 20 + 4
)

// signedMagic ends a signed document: body, signature over SHA-256(body)
// (65 bytes, R||S||V), the signer's address (20 bytes), then these 4 bytes.
var signedMagic = []byte("ORSG")

// cidPrefix starts a CIDv1 raw SHA2-256: version 1, codec raw, sha2-256, 32 bytes.
var cidPrefix = []byte{0x01, 0x55, 0x12, 0x20}

const (
	schemaConfig = `CREATE TABLE notary_config (
		id         INTEGER PRIMARY KEY CHECK (id = 1),
		owner      BLOB    NOT NULL,
		fee_orama  INTEGER NOT NULL,
		fee_btc    INTEGER NOT NULL,
		owed_orama INTEGER NOT NULL DEFAULT 0,
		owed_btc   INTEGER NOT NULL DEFAULT 0)`
	schemaNotarized = `CREATE TABLE notarized (
		cid     BLOB PRIMARY KEY,
		keccak  BLOB NOT NULL,
		signer  BLOB,
		notary  BLOB NOT NULL,
		height  INTEGER NOT NULL,
		at      INTEGER NOT NULL,
		receipt BLOB NOT NULL)`
)

// init creates the tables and makes the caller the owner, with fees of
// feeOrama rays or feeBTC satoshis per document (0 for "not accepted").
//
//go:wasmexport init
func initNotary(feeOrama, feeBTC int64) int32 {
	if feeOrama < 0 || feeBTC < 0 || (feeOrama == 0 && feeBTC == 0) {
		panic("notary: fees must not be negative, and one must be set")
	}
	if _, err := orama.Exec(schemaConfig); err != nil {
		if errors.Is(err, orama.StatusSQLError) { // the table exists
			return codeInitialised
		}
		panic(err)
	}
	mustExec(schemaNotarized)
	mustExec("INSERT INTO notary_config (id, owner, fee_orama, fee_btc) VALUES (1, ?1, ?2, ?3)",
		orama.Blob(orama.Caller()), orama.Int(feeOrama), orama.Int(feeBTC))
	orama.LogInfo("notary: initialised")
	return codeOK
}

type config struct {
	owner            [20]byte
	feeOrama, feeBTC uint64
	owedOrama        uint64
	owedBTC          uint64
}

// loadConfig reads the configuration; ok is false before init.
func loadConfig() (cfg config, ok bool) {
	row, err := orama.QueryRow("SELECT owner, fee_orama, fee_btc, owed_orama, owed_btc FROM notary_config WHERE id = 1")
	if errors.Is(err, orama.StatusSQLError) { // no table: init was not called
		return cfg, false
	}
	if err != nil {
		panic(err)
	}
	if row == nil || len(row[0].Bytes) != 20 {
		panic("notary: configuration row missing or malformed")
	}
	copy(cfg.owner[:], row[0].Bytes)
	cfg.feeOrama, cfg.feeBTC = uint64(row[1].Int), uint64(row[2].Int)
	cfg.owedOrama, cfg.owedBTC = uint64(row[3].Int), uint64(row[4].Int)
	return cfg, true
}

// notarize notarizes the document whose SHA-256 is the big-endian words
// d0..d3. It returns codeOK or the reason it did not, having refunded what
// was sent with the call.
//
//go:wasmexport notarize
func notarize(d0, d1, d2, d3 int64) int32 {
	code := notarizeDoc(digest(d0, d1, d2, d3))
	if code != codeOK {
		refund()
	}
	return code
}

func notarizeDoc(dig [32]byte) int32 {
	cfg, ok := loadConfig()
	if !ok {
		return codeInitialised
	}
	paidOrama, paidBTC := orama.OramaValue(), orama.BTCValue()
	if !(cfg.feeOrama > 0 && paidOrama >= cfg.feeOrama) && !(cfg.feeBTC > 0 && paidBTC >= cfg.feeBTC) {
		orama.LogError("notary: fee not paid")
		return codeFeeNotPaid
	}
	notary := orama.Caller()
	limitKey := append([]byte("notary/recent/"), notary...)
	if orama.CacheGet(limitKey) != nil {
		return codeTooSoon
	}
	cid := append(append([]byte{}, cidPrefix...), dig[:]...)
	if row, err := orama.QueryRow("SELECT 1 FROM notarized WHERE cid = ?1", orama.Blob(cid)); err != nil {
		panic(err)
	} else if row != nil {
		return codeAlreadyDone
	}
	doc := orama.StorageGet(cid)
	if doc == nil {
		return codeNotStored
	}
	// Check the bytes against the name asked for, as any IPFS client checks a
	// block: the contract then vouches only for bytes it has seen hash right.
	if orama.SHA256(doc) != dig {
		panic("notary: storage returned bytes that do not match their CID")
	}
	signer, code := signerOf(doc)
	if code != codeOK {
		return code
	}
	keccak := orama.Keccak256(doc)
	height, at := orama.BlockHeight(), orama.BlockTimestamp()

	receipt := encodeReceipt(cid, keccak, signer, notary, height, at, paidOrama, paidBTC)
	receiptCID := orama.StoragePut(receipt)
	signerValue := orama.Null()
	if signer != nil {
		signerValue = orama.Blob(signer[:])
	}
	mustExec("INSERT INTO notarized (cid, keccak, signer, notary, height, at, receipt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		orama.Blob(cid), orama.Blob(keccak[:]), signerValue, orama.Blob(notary),
		orama.Int(int64(height)), orama.Int(int64(at)), orama.Blob(receiptCID))
	mustExec("UPDATE notary_config SET owed_orama = owed_orama + ?1, owed_btc = owed_btc + ?2 WHERE id = 1",
		orama.Int(int64(paidOrama)), orama.Int(int64(paidBTC)))
	if st := orama.CacheSet(limitKey, nil, rateLimitSeconds); st != orama.StatusOK {
		panic(st)
	}
	if err := orama.EmitEvent("notarized", append(append([]byte{}, cid...), receiptCID...)); err != nil {
		panic(err)
	}
	orama.LogInfo("notary: notarized at height " + itoa(height))
	return codeOK
}

// signerOf returns the verified signer of a signed document, nil for an
// unsigned one, or codeBadSignature.
func signerOf(doc []byte) (*[20]byte, int32) {
	n := len(doc)
	if n < signedTrailerBytes || !bytes.Equal(doc[n-4:], signedMagic) {
		return nil, codeOK
	}
	body := doc[:n-signedTrailerBytes]
	var sig [65]byte
	var addr [20]byte
	copy(sig[:], doc[n-signedTrailerBytes:])
	copy(addr[:], doc[n-24:n-4])
	if !orama.VerifySignature(body, &sig, &addr) {
		orama.LogError("notary: the document's signature does not verify")
		return nil, codeBadSignature
	}
	return &addr, codeOK
}

// encodeReceipt is the receipt's Borsh encoding: cid (u32 length, bytes),
// keccak (32 bytes), signer (Option: u8 0, or 1 and 20 bytes), notary (20
// bytes), height, timestamp, ORAMA paid, BTC paid (u64 each).
func encodeReceipt(cid []byte, keccak [32]byte, signer *[20]byte, notary []byte, height, at, paidOrama, paidBTC uint64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(cid)))
	b = append(b, cid...)
	b = append(b, keccak[:]...)
	if signer == nil {
		b = append(b, 0)
	} else {
		b = append(append(b, 1), signer[:]...)
	}
	b = append(b, notary...)
	for _, v := range []uint64{height, at, paidOrama, paidBTC} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

// out keeps the bytes an export returns alive until the VM has read them.
var out []byte

// receipt returns the receipt of the document with digest d0..d3 (as
// notarize takes it), or no bytes if it was not notarized. The result is a
// pointer to a u32 little-endian length and the bytes.
//
//go:wasmexport receipt
func receipt(d0, d1, d2, d3 int64) uint32 {
	dig := digest(d0, d1, d2, d3)
	cid := append(append([]byte{}, cidPrefix...), dig[:]...)
	var r []byte
	row, err := orama.QueryRow("SELECT receipt FROM notarized WHERE cid = ?1", orama.Blob(cid))
	if err != nil {
		panic(err)
	}
	if row != nil {
		if r = orama.StorageGet(row[0].Bytes); r == nil {
			panic("notary: receipt missing from storage")
		}
	}
	out = binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(r)), uint32(len(r)))
	out = append(out, r...)
	return uint32(uintptr(unsafe.Pointer(&out[0])))
}

// signedBy returns how many documents the address (hi, mid, lo) signed.
//
//go:wasmexport signed_by
func signedBy(hi, mid int64, lo int32) int64 {
	a := address(hi, mid, lo)
	rows, err := orama.Query("SELECT cid FROM notarized WHERE signer = ?1 ORDER BY height, cid", orama.Blob(a[:]))
	if errors.Is(err, orama.StatusSQLError) {
		return 0 // not initialised
	}
	if err != nil {
		panic(err)
	}
	return int64(len(rows.Rows))
}

// withdraw sends the fees collected to the owner and returns the owner's
// ORAMA balance afterwards, or minus codeInitialised or codeNotOwner.
//
//go:wasmexport withdraw
func withdraw() int64 {
	cfg, ok := loadConfig()
	if !ok {
		return -codeInitialised
	}
	if !bytes.Equal(orama.Caller(), cfg.owner[:]) {
		return -codeNotOwner
	}
	if cfg.owedOrama > 0 {
		mustStatus(orama.TransferOrama(&cfg.owner, cfg.owedOrama))
	}
	if cfg.owedBTC > 0 {
		mustStatus(orama.TransferBTC(&cfg.owner, cfg.owedBTC))
	}
	mustExec("UPDATE notary_config SET owed_orama = 0, owed_btc = 0 WHERE id = 1")
	return int64(orama.GetBalance(&cfg.owner, 0))
}

// refund sends the caller back what came with the call.
func refund() {
	var to [20]byte
	copy(to[:], orama.Caller())
	if v := orama.OramaValue(); v > 0 {
		mustStatus(orama.TransferOrama(&to, v))
	}
	if v := orama.BTCValue(); v > 0 {
		mustStatus(orama.TransferBTC(&to, v))
	}
}

// mustExec runs a statement that cannot fail unless the contract is wrong;
// if it does, the panic traps and the call writes nothing.
func mustExec(query string, args ...orama.Value) {
	if _, err := orama.Exec(query, args...); err != nil {
		panic(err)
	}
}

// mustStatus panics unless st is StatusOK: the contract holds what it sends,
// so anything else means its books are wrong.
func mustStatus(st orama.Status) {
	if st != orama.StatusOK {
		panic(st)
	}
}

func digest(d0, d1, d2, d3 int64) (d [32]byte) {
	for i, w := range []int64{d0, d1, d2, d3} {
		binary.BigEndian.PutUint64(d[8*i:], uint64(w))
	}
	return d
}

func address(hi, mid int64, lo int32) (a [20]byte) {
	binary.BigEndian.PutUint64(a[0:], uint64(hi))
	binary.BigEndian.PutUint64(a[8:], uint64(mid))
	binary.BigEndian.PutUint32(a[16:], uint32(lo))
	return a
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; v > 0; v /= 10 {
		i--
		b[i] = byte('0' + v%10)
	}
	return string(b[i:])
}
