// The pause image: the first container of every pod. It holds the pod's namespaces (network,
// IPC) open while the pod's real containers come and go, and does nothing else. Kubernetes keeps
// its source in the k8s.io/kubernetes module, so we build it from the very release the kit pins
// instead of pulling registry.k8s.io/pause, which a machine without a registry cannot reach.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { KUBERNETES_VERSION } from '../workshop.ts';
import { writeOciArchive } from './oci-archive.ts';
import { stageRootfs } from './rootfs.ts';

/**
 * The name containerd's `sandbox_image` setting must name, so the kubelet never tries to pull
 * it. 3.10 is the pause version Kubernetes 1.33 expects (kubeadm's default).
 */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

/** The image's cache key and its build. The Go module is immutable, so its version is the key. */
export function pauseImage(): { key: string; build(archive: string): Promise<void> } {
  return { key: `pause.c of k8s.io/kubernetes@${KUBERNETES_VERSION}`, build: buildPauseImage };
}

async function buildPauseImage(archive: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'k8s-patterns-pause-'));
  try {
    // `go mod download` fetches (or finds in the module cache) the sources, checked against the
    // Go checksum database, and prints where they are. -mod=mod: there is no go.mod to obey here.
    const download = await $({ cwd: work, quiet: true, env: { ...process.env, GOFLAGS: '-mod=mod' } })`go mod download -json k8s.io/kubernetes@${KUBERNETES_VERSION}`;
    const source = join((JSON.parse(download.stdout) as { Dir: string }).Dir, 'build', 'pause', 'linux', 'pause.c');
    // The flags of build/pause/Makefile. Static: the image holds this one file and no libc.
    const binary = join(work, 'pause');
    const version = `v${PAUSE_IMAGE.split(':')[1]}-${KUBERNETES_VERSION}`;
    await $({ quiet: true })`gcc -Os -Wall -Werror -static -DVERSION=${version} -o ${binary} ${source}`;

    const rootfs = join(work, 'rootfs');
    await stageRootfs([{ path: '/pause', file: binary }], rootfs);
    // As upstream's image: a user that owns nothing, and no shell or anything else to run.
    await writeOciArchive({ rootfs, config: { Entrypoint: ['/pause'], User: '65535:65535' }, name: PAUSE_IMAGE, archive });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
