// Keystore directories on disk, as `orama keys` and geth keep them: one v3
// file per key, named UTC--<time>--<hex address>; every regular file that is
// a v3 keystore counts, whatever its name, except dotfiles and names ending
// in '~'. Keys are listed in file-name order (creation order for geth
// names), which is the index `orama --from N` uses. Node.js only.

import { mkdir, open, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseAddress } from "./address.js";
import { equalBytes } from "./bytes.js";
import type { PrivateKey } from "./keys.js";
import { decryptKeystore, encryptKeystore, keystoreFileName, parseKeystore, type EncryptOptions, type KeystoreV3 } from "./keystore.js";

/** Larger files are not keystores (cmd/orama maxKeyFileSize). */
const MAX_KEY_FILE_SIZE = 64 << 10;

export interface StoredKey {
  index: number;
  address: Uint8Array;
  file: string;
}

/**
 * Reads a password file as orama does: the whole file less trailing CR and
 * LF characters.
 */
export async function readPasswordFile(file: string): Promise<string> {
  return (await readFile(file, "utf8")).replace(/[\r\n]+$/, "");
}

/** The keys in dir, in file-name order; a missing directory holds none. */
export async function listKeystore(dir: string): Promise<StoredKey[]> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => e.isFile() && !e.name.startsWith(".") && !e.name.endsWith("~")).map((e) => e.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const keys: StoredKey[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const text = await readFile(file, "utf8");
      if (text.length > MAX_KEY_FILE_SIZE) continue;
      const ks = parseKeystore(text);
      keys.push({ index: keys.length, address: parseAddress(ks.address), file });
    } catch {
      // not a v3 keystore: skipped, as orama and geth do
    }
  }
  return keys;
}

/**
 * Writes ks into dir (created 0700) under a geth-style name, readable only by
 * the owner; refuses an address the directory already holds. Returns the path.
 */
export async function writeKeystore(dir: string, ks: KeystoreV3, when: Date = new Date()): Promise<string> {
  const addr = parseAddress(ks.address);
  for (const k of await listKeystore(dir)) {
    if (equalBytes(k.address, addr)) throw new Error(`orama: the keystore already holds this address in ${k.file}`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, keystoreFileName(addr, when));
  const fh = await open(file, "wx", 0o600);
  try {
    await fh.writeFile(JSON.stringify(ks));
  } finally {
    await fh.close();
  }
  return file;
}

/** Encrypts key and writes it into dir; returns the path. */
export async function storeKey(dir: string, key: PrivateKey, password: string, opts: EncryptOptions = {}): Promise<string> {
  return writeKeystore(dir, await encryptKeystore(key, password, opts));
}

/** Reads and decrypts a keystore file. */
export async function loadKey(file: string, password: string): Promise<PrivateKey> {
  return decryptKeystore(await readFile(file, "utf8"), password);
}
