/**
 * A writer for the "newc" cpio format, the one the kernel unpacks as an initramfs. Entries are
 * owned by root with mtime 0, so the same inputs always give the same bytes (the image is cached
 * by content hash).
 */

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);

function record(
  ino: number,
  mode: number,
  nlink: number,
  name: string,
  data: Buffer,
  rdev = [0, 0],
): Buffer[] {
  const nameBytes = Buffer.from(name + '\0');
  const fields = [ino, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from(
    '070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join(''),
    'latin1',
  );
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/** The archive; paths are relative to the root ("bin/sh", not "/bin/sh"). */
export function cpioArchive(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, i) => {
    const ino = i + 1;
    if (entry.type === 'dir')
      parts.push(...record(ino, S_IFDIR | (entry.mode ?? 0o755), 2, entry.path, Buffer.alloc(0)));
    else if (entry.type === 'file')
      parts.push(...record(ino, S_IFREG | (entry.mode ?? 0o644), 1, entry.path, entry.data));
    else if (entry.type === 'symlink')
      parts.push(...record(ino, S_IFLNK | 0o777, 1, entry.path, Buffer.from(entry.target)));
    else {
      const mode = S_IFCHR | (entry.mode ?? 0o600);
      parts.push(...record(ino, mode, 1, entry.path, Buffer.alloc(0), [entry.major, entry.minor]));
    }
  });
  parts.push(...record(0, 0, 1, 'TRAILER!!!', Buffer.alloc(0)));
  return Buffer.concat(parts);
}
