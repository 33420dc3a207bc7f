package chainvectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/oramanetwork/orama-chain/gen/outdir"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/chainfile"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
	"github.com/oramanetwork/orama-chain/runtime/state"
)

// JSON forms of expected.json (conformance/vectors-chain/README.md).

type keyOut struct {
	Name       string `json:"name"`
	PrivateKey string `json:"private_key"`
	Address    string `json:"address"`
}

type encodedOut struct {
	Value json.RawMessage `json:"value"`
	Borsh string          `json:"borsh"`
	Hash  string          `json:"hash,omitempty"`
}

type recordOut struct {
	FirstHeight string `json:"first_height"`
	LastHeight  string `json:"last_height"`
	Proof       bool   `json:"proof"`
}

// importOut is the report `orama import` prints (conformance/CLIENT.md).
type importOut struct {
	ImportedHeight uint64  `json:"imported_height"`
	RefusedHeight  *uint64 `json:"refused_height,omitempty"`
	Reason         string  `json:"reason,omitempty"`
}

type refusedOut struct {
	Height string `json:"height"`
	Reason string `json:"reason"`
	// Transaction is the transaction that makes the block invalid, when
	// that is why it is refused.
	Transaction *txRefusal `json:"transaction"`
}

type accountOut struct {
	Address string          `json:"address"`
	Exists  bool            `json:"exists"`
	Value   json.RawMessage `json:"value"`
	Borsh   *string         `json:"borsh"`
}

type usernameOut struct {
	Username string  `json:"username"`
	Address  *string `json:"address"`
	Borsh    *string `json:"borsh"`
}

type blockOut struct {
	Height           string        `json:"height"`
	Hash             string        `json:"hash"`
	View             string        `json:"view"`
	Proposer         string        `json:"proposer"`
	BaseFee          string        `json:"base_fee"`
	GasUsed          string        `json:"gas_used"`
	StateRoot        string        `json:"state_root"`
	TransactionsRoot string        `json:"transactions_root"`
	ReceiptsRoot     string        `json:"receipts_root"`
	Header           encodedOut    `json:"header"`
	Transactions     []string      `json:"transactions"`
	Receipts         []encodedOut  `json:"receipts"`
	Accounts         []accountOut  `json:"accounts"`
	Usernames        []usernameOut `json:"usernames"`
	Supply           encodedOut    `json:"supply"`
}

type finalOut struct {
	Height    string        `json:"height"`
	StateRoot string        `json:"state_root"`
	Accounts  []accountOut  `json:"accounts"`
	Usernames []usernameOut `json:"usernames"`
	Supply    encodedOut    `json:"supply"`
}

type expectedOut struct {
	Kind           string      `json:"kind"`
	Name           string      `json:"name"`
	Doc            string      `json:"doc"`
	Source         string      `json:"source"`
	Keys           []keyOut    `json:"keys"`
	GenesisHash    string      `json:"genesis_hash"`
	GenesisBlock   encodedOut  `json:"genesis_block"`
	Records        []recordOut `json:"records"`
	TruncatedBytes int         `json:"truncated_bytes"`
	Import         importOut   `json:"import"`
	Refused        *refusedOut `json:"refused"`
	Blocks         []blockOut  `json:"blocks"`
	Final          finalOut    `json:"final"`
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

func strp(s string) *string { return &s }

type borshValue interface {
	MarshalBorsh() ([]byte, error)
}

// encode gives v's canonical JSON and Borsh, and hash when not nil.
func encode(v borshValue, hash func() (types.Hash, error)) (encodedOut, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return encodedOut{}, err
	}
	b, err := v.MarshalBorsh()
	if err != nil {
		return encodedOut{}, err
	}
	o := encodedOut{Value: js, Borsh: outdir.Hex(b)}
	if hash != nil {
		h, err := hash()
		if err != nil {
			return encodedOut{}, err
		}
		o.Hash = h.String()
	}
	return o, nil
}

func accountJSON(acc types.Account, exists bool) (accountOut, error) {
	js, err := json.Marshal(&acc)
	if err != nil {
		return accountOut{}, err
	}
	o := accountOut{Address: outdir.Hex(acc.Address[:]), Exists: exists, Value: js}
	if exists {
		b, err := acc.MarshalBorsh()
		if err != nil {
			return accountOut{}, err
		}
		o.Borsh = strp(outdir.Hex(b))
	}
	return o, nil
}

// leaves reads accounts and usernames at root from the builder's store.
func (b *builder) leaves(root types.Hash, addrs []types.Address, names []string) ([]accountOut, []usernameOut, encodedOut, error) {
	st, err := state.OpenReadOnly(b.store, root)
	if err != nil {
		return nil, nil, encodedOut{}, err
	}
	accs := []accountOut{}
	for _, a := range addrs {
		acc, exists, _, err := st.ProveAccount(a)
		if err != nil {
			return nil, nil, encodedOut{}, err
		}
		o, err := accountJSON(acc, exists)
		if err != nil {
			return nil, nil, encodedOut{}, err
		}
		accs = append(accs, o)
	}
	users := []usernameOut{}
	for _, n := range names {
		owner, ok, err := st.UsernameOwner(n)
		if err != nil {
			return nil, nil, encodedOut{}, err
		}
		u := usernameOut{Username: n}
		if ok {
			rec := types.UsernameRecord{Address: owner}
			rb, err := rec.MarshalBorsh()
			if err != nil {
				return nil, nil, encodedOut{}, err
			}
			u.Address, u.Borsh = strp(outdir.Hex(owner[:])), strp(outdir.Hex(rb))
		}
		users = append(users, u)
	}
	sup, err := st.Supply()
	if err != nil {
		return nil, nil, encodedOut{}, err
	}
	so, err := encode(&sup, nil)
	return accs, users, so, err
}

func sortedAddrs(set map[types.Address]bool) []types.Address {
	out := make([]types.Address, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i][:], out[j][:]) < 0 })
	return out
}

func sortedNames(names ...[]string) []string {
	set := map[string]bool{}
	for _, ns := range names {
		for _, n := range ns {
			set[n] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// buildFixture builds one fixture: its chain, its file, the import check,
// and its three files.
func buildFixture(name, source string, keys []namedKey, fs *fixtureSpec) ([]File, error) {
	b := &builder{keys: map[string]*crypto.PrivateKey{}, used: map[string]bool{},
		named: map[types.Address]bool{}, usernames: map[string]bool{}}
	for _, k := range keys {
		b.keys[k.name] = k.key
		b.order = append(b.order, k.name)
	}
	if fs.Doc == "" {
		return nil, errors.New("no doc")
	}
	if len(fs.Blocks) == 0 {
		return nil, errors.New("no blocks")
	}
	if err := b.genesis(&fs.Genesis); err != nil {
		return nil, err
	}
	chain := []*built{{block: *b.b0, hash: b.b0hash, root: b.b0.Header.StateRoot,
		qc: types.QuorumCert{Votes: []types.ValidatorSignature{}}}}
	specs := append([]blockSpec(nil), fs.Blocks...)
	for range tailBlocks {
		specs = append(specs, blockSpec{})
	}
	for i := range specs {
		c, err := b.block(&specs[i], chain[len(chain)-1])
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", i+1, err)
		}
		chain = append(chain, c)
	}
	recs, err := records(chain, len(fs.Blocks))
	if err != nil {
		return nil, err
	}
	file, err := chainFile(chain, recs, fs.File.Truncate)
	if err != nil {
		return nil, err
	}
	rep, err := b.importCheck(file, chain, &fs.Expect)
	if err != nil {
		return nil, err
	}

	o := expectedOut{Kind: KindChain, Name: name, Doc: fs.Doc, Source: source,
		GenesisHash: b.gh.String(), TruncatedBytes: fs.File.Truncate,
		Import:  importOut{ImportedHeight: rep.ImportedHeight, RefusedHeight: rep.RefusedHeight, Reason: rep.Reason},
		Records: []recordOut{}, Blocks: []blockOut{}, Keys: []keyOut{}}
	for _, n := range b.order {
		if b.used[n] {
			k := b.keys[n]
			pk, a := k.Bytes(), k.Address()
			o.Keys = append(o.Keys, keyOut{Name: n, PrivateKey: outdir.Hex(pk[:]), Address: outdir.Hex(a[:])})
		}
	}
	if o.GenesisBlock, err = encode(&b.b0.Header, b.b0.Header.Hash); err != nil {
		return nil, err
	}
	for _, r := range recs {
		o.Records = append(o.Records, recordOut{
			FirstHeight: u64(chain[r.blocks[0]].block.Header.Height),
			LastHeight:  u64(chain[r.blocks[len(r.blocks)-1]].block.Header.Height),
			Proof:       r.proof != nil})
	}
	if rep.Refused() {
		o.Refused = &refusedOut{Height: u64(*rep.RefusedHeight), Reason: rep.Reason}
		if h := *rep.RefusedHeight; h < uint64(len(chain)) && rep.Reason == chainfile.ReasonNonIncludableTransaction {
			o.Refused.Transaction = chain[h].refused
		}
		if rep.Reason == chainfile.ReasonNonIncludableTransaction && o.Refused.Transaction == nil {
			return nil, fmt.Errorf("block %d refused as non-includable, but none of its transactions is marked refused", *rep.RefusedHeight)
		}
	}
	for h := uint64(1); h <= rep.ImportedHeight; h++ {
		c := chain[h]
		hdr := &c.block.Header
		bo := blockOut{Height: u64(hdr.Height), Hash: c.hash.String(), View: u64(hdr.View),
			Proposer: outdir.Hex(hdr.Proposer[:]), BaseFee: u64(hdr.BaseFee), GasUsed: u64(hdr.GasUsed),
			StateRoot: hdr.StateRoot.String(), TransactionsRoot: hdr.TransactionsRoot.String(),
			ReceiptsRoot: hdr.ReceiptsRoot.String(), Transactions: []string{}, Receipts: []encodedOut{}}
		if bo.Header, err = encode(hdr, hdr.Hash); err != nil {
			return nil, err
		}
		for i := range c.block.Transactions {
			th, err := c.block.Transactions[i].Hash()
			if err != nil {
				return nil, err
			}
			bo.Transactions = append(bo.Transactions, th.String())
		}
		for i := range c.receipt {
			e, err := encode(&c.receipt[i], c.receipt[i].Hash)
			if err != nil {
				return nil, err
			}
			bo.Receipts = append(bo.Receipts, e)
		}
		touched := map[types.Address]bool{}
		for _, a := range c.written {
			touched[a.Address] = true
		}
		if bo.Accounts, bo.Usernames, bo.Supply, err = b.leaves(c.root, sortedAddrs(touched), sortedNames(c.names)); err != nil {
			return nil, err
		}
		o.Blocks = append(o.Blocks, bo)
	}
	head := chain[rep.ImportedHeight]
	var names []string
	for n := range b.usernames {
		names = append(names, n)
	}
	o.Final = finalOut{Height: u64(rep.ImportedHeight), StateRoot: head.root.String()}
	if o.Final.Accounts, o.Final.Usernames, o.Final.Supply, err = b.leaves(head.root, sortedAddrs(b.named), sortedNames(names)); err != nil {
		return nil, err
	}

	gj, err := json.MarshalIndent(b.g, "", "  ")
	if err != nil {
		return nil, err
	}
	ej, err := outdir.JSON(o)
	if err != nil {
		return nil, err
	}
	return []File{
		{Path: name + "/genesis.json", Data: append(gj, '\n')},
		{Path: name + "/chain.bin", Data: file},
		{Path: name + "/expected.json", Data: ej},
	}, nil
}
