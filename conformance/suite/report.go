package suite

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is a check's outcome.
type Status string

const (
	// Pass: the node under test did what the spec says.
	Pass Status = "pass"
	// Fail: it did not; the messages say how, and the check's Spec what rule.
	Fail Status = "fail"
	// Error: the check could not run for a reason that is not the node
	// under test's (our validator did not start, the adapter failed).
	// It fails the run like Fail.
	Error Status = "error"
)

// Result is one check's outcome.
type Result struct {
	// ID names the check: its group, then what it checks
	// ("rest/send/nonce-gap").
	ID string `json:"id"`
	// Spec is the spec section the check tests.
	Spec     string   `json:"spec"`
	Status   Status   `json:"status"`
	Messages []string `json:"messages,omitempty"`
	Seconds  float64  `json:"seconds"`
}

// Report is a run's outcome: every check, the coverage, and the logs of the
// processes the run started.
type Report struct {
	Adapter  string    `json:"adapter"`
	Fixtures string    `json:"fixtures"`
	Only     string    `json:"only,omitempty"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Results  []Result  `json:"results"`
	Coverage Coverage  `json:"coverage"`
	// WorkDir holds the run's files (data directories, logs) when they
	// were kept.
	WorkDir string `json:"work_dir,omitempty"`
	// Logs holds the tail of each process's output (the adapter's stdout
	// and stderr, our validator's log), by name.
	Logs map[string]string `json:"logs,omitempty"`
}

// Failed returns the results that failed or errored.
func (r *Report) Failed() []Result {
	var out []Result
	for _, x := range r.Results {
		if x.Status != Pass {
			out = append(out, x)
		}
	}
	return out
}

// OK reports whether every check passed.
func (r *Report) OK() bool { return len(r.Results) > 0 && len(r.Failed()) == 0 }

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// FailureLine is how a failed result reads on one line: its ID, the spec
// section it tests, and what went wrong.
func (x Result) FailureLine() string {
	return fmt.Sprintf("%s [%s]: %s", x.ID, x.Spec, strings.Join(x.Messages, "; "))
}

// JUnit XML, as Jenkins and GitHub's test reporters read it.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
	SystemOut string      `xml:"system-out,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one testsuite per check group
// (the ID's first element), one testcase per check; a failure's type is the
// spec section the check tests.
func (r *Report) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: "orama-conformance", Time: secs(r.Seconds)}
	idx := map[string]int{}
	var times []float64
	for _, x := range r.Results {
		group, _, _ := strings.Cut(x.ID, "/")
		i, ok := idx[group]
		if !ok {
			i = len(out.Suites)
			idx[group] = i
			out.Suites = append(out.Suites, junitSuite{Name: group, Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05")})
			times = append(times, 0)
		}
		s := &out.Suites[i]
		c := junitCase{Name: x.ID, Classname: "orama.conformance." + group, Time: secs(x.Seconds),
			SystemOut: "spec: " + x.Spec}
		text := strings.Join(x.Messages, "\n")
		msg := x.FailureLine()
		switch x.Status {
		case Fail:
			c.Failure = &junitProblem{Message: msg, Type: x.Spec, Text: text}
			s.Failures++
			out.Failures++
		case Error:
			c.Error = &junitProblem{Message: msg, Type: x.Spec, Text: text}
			s.Errors++
			out.Errors++
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
		out.Tests++
		times[i] += x.Seconds
		s.Time = secs(times[i])
	}
	if len(r.Logs) > 0 && len(out.Suites) > 0 {
		var b strings.Builder
		for _, name := range slices.Sorted(maps.Keys(r.Logs)) {
			fmt.Fprintf(&b, "==> %s <==\n%s\n", name, r.Logs[name])
		}
		out.Suites[len(out.Suites)-1].SystemOut = b.String()
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func secs(s float64) string { return fmt.Sprintf("%.3f", s) }

// WriteSummary writes the coverage table and the failures for people.
func (r *Report) WriteSummary(w io.Writer) {
	c := &r.Coverage
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "\nREST operations (spec/openapi.yaml)\tgood\tbad\t\n")
	for _, o := range c.Operations {
		fmt.Fprintf(tw, "  %s %s (%s)\t%d\t%d\t%s\n", o.Method, o.Path, o.ID, o.Good, o.Bad, mark(o.Good > 0 && o.Bad > 0))
	}
	fmt.Fprintf(tw, "\ntransaction types (spec/transactions.yaml TxType)\tsucceeded\tfailed\trefused\t\n")
	for _, t := range c.TxTypes {
		note := mark(t.Covered())
		if !t.Active {
			note += " inactive: refused at admission (invalid_transaction)"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\n", t.Type, t.Succeeded, t.Failed, t.Refused, note)
	}
	fmt.Fprintf(tw, "\nerror codes (spec/openapi.yaml Error.code)\tseen\t\n")
	for _, e := range c.ErrorCodes {
		note := mark(e.Seen > 0)
		if e.Exempt != "" {
			note = "exempt: " + e.Exempt
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", e.Code, e.Seen, note)
	}
	fmt.Fprintf(tw, "\nfixture files (conformance/vectors-chain)\tchecked\t\n")
	for _, f := range c.Fixtures {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.File, f.Check, mark(f.Checked))
	}
	tw.Flush()
	p := c.Percentages()
	fmt.Fprintf(w, "\ncoverage: operations %s, transaction types %s, error codes %s, fixture files %s\n",
		p.Operations, p.TxTypes, p.ErrorCodes, p.Fixtures)
	failed := r.Failed()
	fmt.Fprintf(w, "%d checks, %d passed, %d failed, %.1f s\n", len(r.Results), len(r.Results)-len(failed), len(failed), r.Seconds)
	for _, x := range failed {
		fmt.Fprintf(w, "%s %s\n", strings.ToUpper(string(x.Status)), x.FailureLine())
	}
	if r.WorkDir != "" {
		fmt.Fprintf(w, "files kept in %s\n", r.WorkDir)
	}
}

func mark(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSING"
}
