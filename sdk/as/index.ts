// Package entry for AssemblyScript: asc resolves `import ... from "@orama/contract-sdk"`
// to node_modules/@orama/contract-sdk/index.ts.
export * from "./assembly/index";
