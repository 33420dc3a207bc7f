//go:build unix

package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The whole suite against this repository's node, through its adapter
// (conformance/adapter/orama), as `make test` runs it; and the negative
// controls: nodes built with one deviation each must fail it, with the
// rule named.

var (
	repoRoot = func() string { r, _ := filepath.Abs("../.."); return r }()
	binDir   string
	builds   sync.Map // tags -> *buildResult
)

type buildResult struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "orama-suite-bin-")
	if err != nil {
		panic(err)
	}
	binDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// oramaBinary builds cmd/orama with tags, once per test binary.
func oramaBinary(t *testing.T, tags string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(tags, &buildResult{})
	b := v.(*buildResult)
	b.once.Do(func() {
		name := "orama"
		if tags != "" {
			name += "-" + strings.ReplaceAll(tags, ",", "-")
		}
		b.path = filepath.Join(binDir, name)
		cmd := exec.Command("go", "build", "-tags", tags, "-o", b.path, "./cmd/orama")
		cmd.Dir = repoRoot
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("go build -tags %q ./cmd/orama: %v\n%s", tags, b.err, b.out)
	}
	return b.path
}

var (
	adapterPath  = filepath.Join(repoRoot, "conformance", "adapter", "orama")
	fixturesPath = filepath.Join(repoRoot, "conformance", "vectors-chain")
)

// TestConformanceSuite runs `orama conformance run` against our node, as
// README.md tells an outside team to run it against theirs: every check
// must pass and the coverage table must be full.
func TestConformanceSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the node and runs it through the whole suite")
	}
	bin := oramaBinary(t, "")
	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "report.json"), filepath.Join(dir, "report.xml")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "conformance", "run", "--adapter", adapterPath, "--fixtures", fixturesPath,
		"--report-json", jsonPath, "--junit", junitPath, "--work-dir", filepath.Join(dir, "work"))
	cmd.Env = append(os.Environ(), "ORAMA_BIN="+bin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("orama conformance run: %v, %.1f s", err, time.Since(start).Seconds())
	if err != nil {
		t.Fatalf("orama conformance run failed: %v\n%s", err, out.String())
	}

	var rep Report
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report JSON: %v", err)
	}
	if !rep.OK() {
		t.Fatalf("exit 0 with a report that is not OK:\n%s", out.String())
	}
	ids := map[string]bool{}
	for _, r := range rep.Results {
		if r.Spec == "" {
			t.Errorf("check %s names no spec section", r.ID)
		}
		ids[strings.SplitN(r.ID, "/", 2)[0]] = true
	}
	for _, group := range []string{"import", "network", "rest", "tx", "namespaces", "coverage"} {
		if !ids[group] {
			t.Errorf("no %s checks ran", group)
		}
	}
	p := rep.Coverage.Percentages()
	for name, v := range map[string]string{"operations": p.Operations, "transaction types": p.TxTypes,
		"error codes": p.ErrorCodes, "fixture files": p.Fixtures} {
		if !strings.HasPrefix(v, "100% ") {
			t.Errorf("coverage of %s: %s", name, v)
		}
	}
	if len(rep.Coverage.Fixtures) == 0 || len(rep.Coverage.Operations) == 0 {
		t.Error("an empty coverage table")
	}
	for _, want := range []string{"REST operations", "error codes", "exempt: ", "coverage: operations 100%"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the printed summary lacks %q", want)
		}
	}

	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
	}
	x, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(x, &junit); err != nil {
		t.Fatalf("JUnit XML: %v", err)
	}
	if junit.Tests != len(rep.Results) || junit.Failures != 0 || junit.Errors != 0 {
		t.Errorf("JUnit: %+v for %d results", junit, len(rep.Results))
	}
}

// deviations are the negative controls: each build tag switches one rule
// of the node (runtime/*/deviation_*.go); only names the checks that must
// catch it, and rule what their failure must name.
var deviations = []struct {
	tag, only string
	rules     []string
}{
	{"conformance_deviation_nocharge", `^(import/transactions|tx/failed-charged)$`,
		[]string{`"Fee, nonce, then the type"`}},
	{"conformance_deviation_basefee", `^(import/base_fee|rest/chain-status/base-fee)$`,
		[]string{`"The base fee"`}},
	{"conformance_deviation_errcode", `^rest/send/nonce-gap$`,
		[]string{"nonce_gap", "got 400 nonce_too_low"}},
}

// TestNegativeControls: our node passes the checks each deviation must
// fail (the positive control), and each deviant node fails every one of
// them, with the rule named in the failure.
func TestNegativeControls(t *testing.T) {
	if testing.Short() {
		t.Skip("builds deviant nodes and runs them through the suite")
	}
	run := func(t *testing.T, nodeBin, only string) *Report {
		t.Helper()
		t.Setenv("ORAMA_BIN", nodeBin) // the adapter runs this binary as the node under test
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		rep, err := Run(ctx, Config{Adapter: adapterPath, Fixtures: fixturesPath, OramaBin: oramaBinary(t, ""),
			Only: regexp.MustCompile(only), WorkDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	var all []string
	for _, d := range deviations {
		all = append(all, strings.Trim(d.only, "^$"))
	}
	t.Run("our-node", func(t *testing.T) {
		only := regexp.MustCompile("^(" + strings.Join(all, "|") + ")$")
		rep := run(t, oramaBinary(t, ""), only.String())
		n := 0
		for _, r := range rep.Results {
			if only.MatchString(r.ID) {
				n++
			}
		}
		if !rep.OK() || n != 5 {
			for _, f := range rep.Failed() {
				t.Error(f.FailureLine())
			}
			t.Fatalf("%d of 5 checks ran; our node must pass every check the negative controls fail", n)
		}
	})
	for _, d := range deviations {
		t.Run(strings.TrimPrefix(d.tag, "conformance_deviation_"), func(t *testing.T) {
			rep := run(t, oramaBinary(t, d.tag), d.only)
			failed := rep.Failed()
			if len(failed) == 0 {
				t.Fatalf("a node built with %s passed the suite", d.tag)
			}
			want := regexp.MustCompile(d.only)
			for _, r := range rep.Results {
				if want.MatchString(r.ID) && r.Status != Fail {
					t.Errorf("%s: %s %s; it must fail", d.tag, r.ID, r.Status)
				}
			}
			for _, f := range failed {
				line := f.FailureLine()
				for _, rule := range d.rules {
					if !strings.Contains(line, rule) {
						t.Errorf("%s: the failure does not name %s: %s", d.tag, rule, line)
					}
				}
				t.Logf("%s: %s", d.tag, line)
			}
		})
	}
}
