package vectors

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"github.com/oramanetwork/orama-chain/gen/schema"
)

// leaderCase is one leader-schedule case of spec/cases/*.yaml.
type leaderCase struct {
	Name       string `yaml:"name"`
	Seed       string `yaml:"seed"`
	Validators []struct {
		Address string `yaml:"address"`
		Power   uint64 `yaml:"power"`
	} `yaml:"validators"`
	History []struct {
		View   uint64   `yaml:"view"`
		Active []string `yaml:"active"`
	} `yaml:"history"`
	Views []uint64 `yaml:"views"`
}

// leaderVectors computes each case's leaders from spec/consensus.md,
// "Leader selection", written here again from the text, independently of
// runtime/consensus.
func leaderVectors(s *schema.Spec, c cases) (file, error) {
	lag, err := constU64(s, "LeaderReputationLag")
	if err != nil {
		return file{}, err
	}
	window, err := constU64(s, "LeaderReputationWindow")
	if err != nil {
		return file{}, err
	}
	var out []obj
	for _, lc := range c.LeaderSchedule {
		seed, err := hex.DecodeString(strings.TrimPrefix(lc.Seed, "0x"))
		if err != nil || len(seed) != 32 {
			return file{}, fmt.Errorf("leader case %s: seed must be 32 bytes", lc.Name)
		}
		type member struct {
			addr  []byte
			text  string
			power uint64
		}
		var ms []member
		for _, v := range lc.Validators {
			a, err := hex.DecodeString(strings.TrimPrefix(v.Address, "0x"))
			if err != nil || len(a) != 20 {
				return file{}, fmt.Errorf("leader case %s: bad address %s", lc.Name, v.Address)
			}
			ms = append(ms, member{a, "0x" + hex.EncodeToString(a), v.Power})
		}
		sort.Slice(ms, func(i, j int) bool { return bytes.Compare(ms[i].addr, ms[j].addr) < 0 })
		vals, hist, queries := []obj{}, []obj{}, []obj{}
		for _, m := range ms {
			vals = append(vals, obj{{"address", m.text}, {"power", strconv.FormatUint(m.power, 10)}})
		}
		for _, h := range lc.History {
			var act []string
			for _, a := range h.Active {
				act = append(act, strings.ToLower(a))
			}
			hist = append(hist, obj{{"view", strconv.FormatUint(h.View, 10)}, {"active", act}})
		}
		for _, v := range lc.Views {
			hi := uint64(0)
			if v > lag {
				hi = v - lag
			}
			lo := uint64(0)
			if hi > window {
				lo = hi - window
			}
			active := make([]bool, len(ms))
			any := false
			for _, h := range lc.History {
				if h.View < lo || h.View >= hi {
					continue
				}
				for _, a := range h.Active {
					for i, m := range ms {
						if m.text == strings.ToLower(a) {
							active[i], any = true, true
						}
					}
				}
			}
			var total uint64
			for i := range ms {
				if !any || active[i] {
					total += ms[i].power
				}
			}
			var buf [40]byte
			copy(buf[:32], seed)
			binary.LittleEndian.PutUint64(buf[32:], v)
			sum := sha256.Sum256(buf[:])
			r, _ := bits.Mul64(binary.LittleEndian.Uint64(sum[:8]), total)
			var acc uint64
			leader := ""
			for i := range ms {
				if any && !active[i] {
					continue
				}
				acc += ms[i].power
				if acc > r {
					leader = ms[i].text
					break
				}
			}
			queries = append(queries, obj{{"view", strconv.FormatUint(v, 10)}, {"leader", leader}})
		}
		out = append(out, obj{{"name", lc.Name}, {"seed", "0x" + hex.EncodeToString(seed)}, {"validators", vals}, {"history", hist}, {"leaders", queries}})
	}
	return file{path: "leader_schedule.json", v: obj{{"kind", "leader_schedule"}, {"lag", strconv.FormatUint(lag, 10)},
		{"window", strconv.FormatUint(window, 10)}, {"cases", out}}, n: len(out)}, nil
}

func constU64(s *schema.Spec, name string) (uint64, error) {
	for _, c := range s.Constants {
		if c.Name == name {
			return strconv.ParseUint(fmt.Sprint(c.Value), 10, 64)
		}
	}
	return 0, fmt.Errorf("no constant %s in spec/params.yaml", name)
}
