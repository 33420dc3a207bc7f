// sqlprobe: runs what its caller gives it, for testing what a namespace lets
// a contract reach (runtime/ns's isolation tests) and for trying SQL from
// the CLI. Every export takes its argument from the call's input.
//
// exec_input runs the input as one SQL statement and returns its status
// (Status.OK, SQL_ERROR, SQL_DENIED, ...); query_input runs it as a query
// and returns the row count, or minus the status. cache_get_input,
// storage_get_input and state_get_input return 1 when the key (a cache key,
// a binary CID, a state key) is found and 0 when it is not; put_input
// stores the input as an object and as cache and state values under "probe".
import {
  exec, query, input, cacheGet, cacheSet, storageGet, storagePut, stateGet, stateSet, Status,
} from "@orama/contract-sdk";
import { utf8 } from "./lib/common";
export { orama_alloc } from "@orama/contract-sdk";

function text(): string {
  return String.UTF8.decode(input().buffer);
}

export function exec_input(): u32 {
  return exec(text()).status;
}

export function query_input(): i64 {
  const r = query(text());
  if (!r.ok) return -(<i64>r.status);
  return <i64>r.rows.length;
}

export function cache_get_input(): u32 {
  return cacheGet(input()) == null ? 0 : 1;
}

export function storage_get_input(): u32 {
  return storageGet(input()) == null ? 0 : 1;
}

export function state_get_input(): u32 {
  return stateGet(input()) == null ? 0 : 1;
}

export function put_input(): u32 {
  storagePut(input());
  if (cacheSet(utf8("probe"), input(), 0) != Status.OK) return 1;
  if (stateSet(utf8("probe"), input()) != Status.OK) return 2;
  return Status.OK;
}
