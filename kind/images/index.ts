// The images of a real node, built without Docker: what the node orchestration imports.
export { buildNodeImages, type NodeImage } from './node-images.ts';
export { fullImageName } from './oci-archive.ts';
export { PAUSE_IMAGE } from './pause-image.ts';
export { MINIO_IMAGE } from './minio-image.ts';
