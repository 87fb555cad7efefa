// Deployment packages and layer archives: a zip is checked, stored durably as a blob, and extracted
// once into a directory named by its blob key (shared by every version that uses the same code).
// Extraction goes to a temporary directory that is renamed into place, so a directory that exists is whole.
// Blobs live under the storage's blob directory (shared by every node); each node extracts them
// into its own code directory when it first runs them.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, chmodSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { BlobStore } from '@atoll/storage';
import { LambdaErrors } from './lambda-errors.js';

/** Lambda's limit on the unzipped size of a function and its layers. */
export const MAX_UNZIPPED_BYTES = 262_144_000;

export interface StoredCode {
  codeKey: string;
  /** Base64 SHA-256 of the zip, as CodeSha256. */
  sha256: string;
  size: number;
}

export interface CodeStoreOptions {
  /** Where this node extracts code (default: `root`). */
  codeRoot?: string;
  /**
   * Whether to remove unfinished uploads left by a crash (default true). Only a node that owns the
   * blob directory alone may: in a shared one, another node's upload in progress looks the same.
   */
  sweep?: boolean;
  /** The blob store to keep zips in (a bucket-backed one with several nodes); `<root>/blobs` by default. */
  blobs?: BlobStore;
}

export class CodeStore {
  readonly blobs: BlobStore;
  readonly #codeRoot: string;

  /** `root` holds the blobs (`<root>/blobs`); code is extracted under `<codeRoot>/code`. */
  constructor(root: string, options: CodeStoreOptions = {}) {
    this.blobs = options.blobs ?? new BlobStore(join(root, 'blobs'));
    if (options.sweep ?? true) this.blobs.sweepTemporaryFiles();
    this.#codeRoot = join(options.codeRoot ?? root, 'code');
    mkdirSync(this.#codeRoot, { recursive: true });
    for (const name of readdirSync(this.#codeRoot)) if (name.startsWith('.tmp-')) rmSync(join(this.#codeRoot, name), { recursive: true, force: true });
  }

  /** Checks that the bytes are a readable zip, stores them and extracts them. */
  async put(zip: Buffer): Promise<StoredCode> {
    const archive = openZip(zip);
    let unzipped = 0;
    for (const entry of archive.getEntries()) unzipped += entry.header.size;
    if (unzipped > MAX_UNZIPPED_BYTES) {
      throw LambdaErrors.invalidParameter(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
    }
    const blob = await this.blobs.put(zip, { digests: ['sha256'] });
    this.#extract(blob.key, archive);
    return { codeKey: blob.key, sha256: Buffer.from(blob.digests.sha256!, 'hex').toString('base64'), size: blob.size };
  }

  /** The directory holding the extracted code, extracting it again from the blob (fetched if another node stored it). */
  async directory(codeKey: string): Promise<string> {
    const dir = join(this.#codeRoot, codeKey);
    if (!existsSync(dir)) {
      await this.blobs.ensureLocal(codeKey);
      this.#extract(codeKey, openZip(this.blobs.path(codeKey)));
    }
    return dir;
  }

  async delete(codeKey: string): Promise<void> {
    rmSync(join(this.#codeRoot, codeKey), { recursive: true, force: true });
    await this.blobs.delete(codeKey);
  }

  #extract(codeKey: string, archive: AdmZip): void {
    const dir = join(this.#codeRoot, codeKey);
    if (existsSync(dir)) return;
    const tmp = join(this.#codeRoot, `.tmp-${randomUUID()}`);
    try {
      archive.extractAllTo(tmp, true, true);
      // Zips built without Unix permissions still need an executable bootstrap.
      for (const name of ['bootstrap']) {
        const file = join(tmp, name);
        if (existsSync(file) && statSync(file).isFile()) chmodSync(file, 0o755);
      }
      for (const binDir of ['bin']) {
        const bin = join(tmp, binDir);
        if (existsSync(bin) && statSync(bin).isDirectory()) for (const f of readdirSync(bin)) chmodSync(join(bin, f), 0o755);
      }
      mkdirSync(tmp, { recursive: true });
      renameSync(tmp, dir);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      if (existsSync(dir)) return;
      throw LambdaErrors.invalidZipFile(`Could not unzip uploaded file. Please check your file, then try to upload again. (${(error as Error).message})`);
    }
  }
}

function openZip(source: Buffer | string): AdmZip {
  try {
    const archive = new AdmZip(source);
    archive.getEntries();
    return archive;
  } catch {
    throw LambdaErrors.invalidZipFile('Could not unzip uploaded file. Please check your file, then try to upload again.');
  }
}

export const sha256Base64 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('base64');
