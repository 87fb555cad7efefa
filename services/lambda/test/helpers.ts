// Test helpers: zip archives built in memory from a map of file names to contents.
import AdmZip from 'adm-zip';

export function zip(files: Record<string, string>, modes: Record<string, number> = {}): Buffer {
  const archive = new AdmZip();
  for (const [name, text] of Object.entries(files)) {
    archive.addFile(name, Buffer.from(text), '', modes[name] ?? 0o644);
  }
  return archive.toBuffer();
}

export const ROLE = 'arn:aws:iam::000000000000:role/lambda-role';

export const decode = (payload: Uint8Array | undefined): unknown => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));
