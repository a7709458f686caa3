/**
 * A small OCI image built on the spot, for tests that run real containers
 * without a registry: a root filesystem of Debian's busybox-static (the one
 * binary, a link per applet, the usual top directories), one uncompressed
 * layer, its config and manifest, written as an OCI image layout and packed
 * into one tar archive that `ctr images import` takes. Its default command
 * sleeps, so it serves as the pod sandbox ("pause") image too.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

export interface OciImage {
  /** The archive to import. */
  archive: string;
  /** The name it is imported under (`docker.io/vigil-test/busybox:1.35`). */
  name: string;
  repository: string;
  tag: string;
  /** sha256:<hex> of the manifest (the image's digest in a registry). */
  manifestDigest: string;
  /** sha256:<hex> of the config (the image id). */
  configDigest: string;
}

function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

function blob(layout: string, data: Buffer | string): { digest: string; size: number } {
  const digest = sha256(data);
  writeFileSync(join(layout, 'blobs/sha256', digest.slice('sha256:'.length)), data);
  return { digest, size: Buffer.byteLength(data) };
}

function rootfs(dir: string): void {
  for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root', 'var/run'])
    mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => /^[\w.[-]+$/.test(a));
  for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/** Names the image inside it too: two images built under two names differ in content and id. */
function stamp(dir: string, name: string): void {
  writeFileSync(join(dir, 'etc/image-name'), name + '\n');
}

/** Builds the image under `dir` (which must exist and be empty). */
export function buildBusyboxImage(
  dir: string,
  repository = 'docker.io/vigil-test/busybox',
  tag = '1.35',
): OciImage {
  const fs = join(dir, 'rootfs');
  const layout = join(dir, 'layout');
  rootfs(fs);
  stamp(fs, `${repository}:${tag}`);
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const layerTar = join(dir, 'layer.tar');
  execFileSync('tar', [
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '--sort=name',
    '-C',
    fs,
    '-cf',
    layerTar,
    '.',
  ]);
  const layer = blob(layout, readFileSync(layerTar));
  const config = blob(
    layout,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/bin'], Cmd: ['/bin/sleep', '1000000'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
    }),
  );
  const manifest = blob(
    layout,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
  const name = `${repository}:${tag}`;
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag },
          platform: { architecture: 'amd64', os: 'linux' },
        },
      ],
    }),
  );
  const archive = join(dir, 'image.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', layout, '-cf', archive, '.']);
  return { archive, name, repository, tag, manifestDigest: manifest.digest, configDigest: config.digest };
}
