// The MinIO image for a real node, built without Docker or a base image: the MinIO server built from
// its upstream module (../build-binaries.sh), which is one static Go program, and the few files a
// program expects to find. Clowder's objectStore `minio` mode runs it with `server /storage`
// (operator/clowder/providers/objectstore/minio.ts); its probes are TCP connects, so the image
// needs no shell.
import { MINIO_VERSION } from '../workshop.ts';
import { type ImageConfig } from './oci-archive.ts';
import { imageFromRootfs, type RootfsEntry } from './rootfs.ts';

/** Tagged with the date of the pinned commit (its pseudo-version reads v0.0.0-<date><time>-<commit>). */
export const MINIO_IMAGE = `k8s-patterns/minio:${MINIO_VERSION.split('-')[1].slice(0, 8)}`;

export const MINIO_CONFIG: ImageConfig = {
  // An unprivileged user: MinIO writes only to its data directory (an emptyDir or a volume, both
  // open to every user on the real node) and to $HOME/.minio.
  User: '1000:1000',
  Env: ['PATH=/usr/bin:/bin', 'HOME=/tmp'],
  Entrypoint: ['/usr/bin/minio'],
  ExposedPorts: { '9000/tcp': {} },
};

/** The image's cache key (a digest of every file that goes in) and its build. */
export async function minioImage(minio: string): Promise<{ key: string; build(archive: string): Promise<void> }> {
  const entries: RootfsEntry[] = [
    { path: '/usr/bin/minio', file: minio },
    { path: '/etc/passwd', text: 'root:x:0:0:root:/root:/sbin/nologin\nminio:x:1000:1000:MinIO:/tmp:/sbin/nologin\n' },
    { path: '/etc/group', text: 'root:x:0:\nminio:x:1000:\n' },
    { path: '/tmp', dir: 0o1777 },
  ];
  return imageFromRootfs(entries, MINIO_CONFIG, MINIO_IMAGE);
}
