// Replacing a file so that a reader never sees half of it.
// Programs in one pod share files through an emptyDir volume: the app writes metrics that the
// adapter reads, content-sync writes pages that the app serves. Writing in place would let the other
// container read a file that is still being written. Writing a temporary file and renaming it over
// the old one is atomic on POSIX file systems: a reader opens either the old file or the new one.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  // The temporary file sits in the same directory because rename() is only atomic within one file
  // system (across two it fails with EXDEV), and a pod's /tmp is often a different volume.
  // The leading dot keeps it out of what the programs serve or mirror (they skip dotfiles).
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
