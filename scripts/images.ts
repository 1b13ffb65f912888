// npm run images [-- --local]
//   (default)  builds the workshop image from sidecars/ and the PostgreSQL image from
//              kind/images/postgres/ with Docker, and loads both into the kind cluster
//   --local    builds the real node's images without Docker, as OCI archives in the kit's cache,
//              and prints one line per image: its name as containerd stores it, and the archive
//              (`ctr -n k8s.io images import <archive>`). `cluster up --local` does this itself.
import { parseArgs } from 'node:util';
import { buildNodeImages } from '../kind/images/index.ts';
import { loadPostgresImage, loadWorkshopImage } from '../kind/kind.ts';

const { values } = parseArgs({ options: { local: { type: 'boolean', default: false } } });

try {
  if (values.local) {
    for (const image of await buildNodeImages()) console.log(`${image.name} ${image.archive}`);
  } else {
    await loadWorkshopImage();
    await loadPostgresImage();
  }
} catch (error) {
  console.error(`images: ${(error as Error).message}`);
  process.exitCode = 1;
}
