// npm run images — builds the workshop image from sidecars/ and the PostgreSQL image from
// scripts/cluster/images/postgres/, and loads both into the kind cluster. (The local control plane
// builds its real node's images without Docker: scripts/cluster/images/.)
import { loadPostgresImage, loadWorkshopImage } from './cluster/kind.ts';

try {
  await loadWorkshopImage();
  await loadPostgresImage();
} catch (error) {
  console.error(`images: ${(error as Error).message}`);
  process.exitCode = 1;
}
