package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformanceCommand: the command's usage errors, and a run that fails
// (here: no fixtures) exits 1 having printed its summary and written both
// reports. conformance/suite's TestConformanceSuite runs it against a node.
func TestConformanceCommand(t *testing.T) {
	c := newCLI(t)
	c.fails(exitUsage, []string{"conformance", "run"}, "--adapter is required")
	c.fails(exitUsage, []string{"conformance", "run", "--adapter", "x", "--only", "("}, "--only")
	c.fails(exitFailure, []string{"conformance", "run", "--adapter", "/no/such/adapter"}, "adapter")

	dir := t.TempDir()
	adapter := filepath.Join(dir, "adapter")
	if err := os.WriteFile(adapter, []byte("#!/bin/sh\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	r := c.run("conformance", "run", "--adapter", adapter, "--fixtures", filepath.Join(dir, "none"),
		"--only", "^import/", "--report-json", jsonPath, "--junit", junitPath, "--work-dir", filepath.Join(dir, "work"))
	if r.code != exitFailure {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "ERROR import/manifest") || !strings.Contains(r.stdout, "coverage: operations") {
		t.Errorf("stdout lacks the failure or the summary:\n%s", r.stdout)
	}
	var rep struct {
		Results []struct {
			ID, Status string
		} `json:"results"`
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Results) != 1 || rep.Results[0].ID != "import/manifest" || rep.Results[0].Status != "error" {
		t.Fatalf("JSON report %s: %v", b, err)
	}
	var junit struct {
		Errors int `xml:"errors,attr"`
	}
	x, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(x, &junit); err != nil || junit.Errors != 1 {
		t.Fatalf("JUnit %s: %v", x, err)
	}
}
