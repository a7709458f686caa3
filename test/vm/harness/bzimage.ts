/**
 * The uncompressed kernel (an ELF with a PVH entry point, which qemu boots directly) taken out of
 * a bzImage. Under TCG the bzImage's own decompressor costs ~4.7 s per boot; unpacking once, on
 * the host, removes that from every boot.
 *
 * The x86 boot protocol says where the payload is: setup_sects at 0x1f1 (0 means 4), the
 * protected-mode code after (setup_sects + 1) * 512 bytes, payload_offset (0x248) and
 * payload_length (0x24c) relative to it. Debian's 6.1 compresses it with xz, 6.12 with zstd.
 */
import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

const DECOMPRESSORS = [
  { name: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), argv: ['xz', '-dc'] },
  { name: 'zstd', magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), argv: ['zstd', '-dcq'] },
];

export interface Payload {
  /** The compressed kernel, without the trailer. */
  data: Buffer;
  /** The uncompressed size, from the 4-byte little-endian trailer the kernel build appends. */
  size: number;
  /** The tool and arguments that decompress it to stdout. */
  argv: string[];
}

/** The compressed payload of a bzImage; throws when the image is not a bzImage we can unpack. */
export function bzImagePayload(image: Buffer): Payload {
  if (image.length < 0x250 || image.toString('latin1', 0x202, 0x206) !== 'HdrS') {
    throw new Error('not a bzImage (no HdrS boot header)');
  }
  const setupSects = image[0x1f1] || 4;
  const start = (setupSects + 1) * 512 + image.readUInt32LE(0x248);
  const payload = image.subarray(start, start + image.readUInt32LE(0x24c));
  const data = payload.subarray(0, payload.length - 4);
  const format = DECOMPRESSORS.find((d) => data.subarray(0, d.magic.length).equals(d.magic));
  if (!format)
    throw new Error(`the bzImage payload is compressed with none of ${DECOMPRESSORS.map((d) => d.name)}`);
  return { data, size: payload.readUInt32LE(payload.length - 4), argv: format.argv };
}

/** Pipes `input` through a decompressor (argv writes to stdout) into a file. */
export async function decompressToFile(input: Buffer, argv: string[], out: string): Promise<void> {
  const tool = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  tool.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4096)));
  const exited = new Promise<number | null>((resolve, reject) => {
    tool.on('error', reject);
    tool.on('close', resolve);
  });
  tool.stdin.on('error', () => {}); // a tool that stops reading early reports through its exit code
  tool.stdin.end(input);
  await pipeline(tool.stdout, createWriteStream(out));
  const code = await exited;
  if (code !== 0) throw new Error(`${argv.join(' ')}: exit ${code}: ${stderr.trim()}`);
}

export const xzToFile = (input: Buffer, out: string): Promise<void> =>
  decompressToFile(input, ['xz', '-dc'], out);

/** Writes the ELF kernel of a bzImage to `out`. */
export async function extractVmlinux(bzImage: string, out: string): Promise<void> {
  const payload = bzImagePayload(readFileSync(bzImage));
  await decompressToFile(payload.data, payload.argv, out);
  const size = statSync(out).size;
  if (size !== payload.size)
    throw new Error(`${bzImage}: unpacked ${size} bytes, the trailer says ${payload.size}`);
  const head = Buffer.alloc(ELF_MAGIC.length);
  const fd = openSync(out, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(ELF_MAGIC)) throw new Error(`${bzImage}: the decompressed payload is not an ELF kernel`);
}
