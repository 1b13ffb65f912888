// npm run images — builds the workshop image from sidecars/ and loads it into the kind cluster.
// (The local control plane runs no containers, so it needs no image.)
import { loadWorkshopImage } from './cluster/kind.ts';

try {
  await loadWorkshopImage();
} catch (error) {
  console.error(`images: ${(error as Error).message}`);
  process.exitCode = 1;
}
