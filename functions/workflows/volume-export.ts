// The export chain: a boot-from-volume snapshot is a 0-byte Glance image whose data lives in
// a Cinder snapshot. Nova cannot rebuild from it and the sysprep runner cannot download it,
// so a workflow that needs the disk as an image places this chain after the snapshot image
// is known (context `cloud` and `imageId`):
//
//   create-export-volume   a volume from the image's root Cinder snapshot  → exportVolumeId
//   wait-export-volume     until it is available (error / vanished fail)
//   upload-export-image    os-volume_upload_image, disk format exportDiskFormat (qcow2 | raw,
//                          default qcow2) → exportImageId
//   tag-export-image       snapflow_job on the image; the snapflow_server/policy tags Cinder
//                          copied from the volume's image metadata are removed, so an export
//                          never counts as a snapshot of a server
//   wait-export-image      until the image is active (killed / deleted / vanished fail)
//   delete-export-volume   the temporary volume, waiting until it is gone
// and, as cleanup (cancel or failure after any mutating step), cleanup-export-image then
// cleanup-export-volume: the image first, so an upload still running fails and frees the volume.
//
// Use: `placeVolumeExport(builder, deps, { skipIf })` after the step that produced imageId,
// `placeVolumeExportCleanup(builder, deps)` among the workflow's cleanups; afterwards the
// context has `exportImageId?` (the real image to rebuild from, boot from or hand to the runner).
// Whether the export image is kept is the workflow's choice (rollback: keepImages; its
// delete-export-image step is exportImageCleanupStep under another name).
//
// Names and lookups: export-lookup.ts. Everything made is found again by name, `snapflow-export-<job id>`, and checked against its
// snapflow_job tag (volume metadata; image property once tagged). The name is what a retry and
// a cleanup trust: Cinder copies every non-core image property of the source volume into the
// uploaded image, so properties (snapflow_job included) may be inherited from an older image.
import type { WorkflowBuilder } from '../../shared/engine/typed-workflow';
import { cleanupExportVolumeStep } from '../steps/cleanup-export-volume';
import { createExportVolumeStep } from '../steps/create-export-volume';
import { deleteExportVolumeStep } from '../steps/delete-export-volume';
import { exportImageCleanupStep } from '../steps/export-image-cleanup';
import { tagExportImageStep } from '../steps/tag-export-image';
import { uploadExportImageStep } from '../steps/upload-export-image';
import { waitExportImageStep } from '../steps/wait-export-image';
import { waitExportVolumeStep } from '../steps/wait-export-volume';
import type { WorkflowDeps } from './deps';

type ExportContext = {
  cloud: string;
  imageId: string;
  exportDiskFormat?: 'qcow2' | 'raw' | undefined;
};

/**
 * Places the chain after the step that produced `imageId` (a boot-from-volume snapshot image).
 * `skipIf` decides at run time that the image needs no export (it must give the same answer
 * for the whole chain). Each step reads the fields of the one before it as optional and fails
 * with `invalid_input` if one is missing: placed by this function, they never are.
 */
export function placeVolumeExport<P extends Record<string, unknown>, C extends ExportContext, Cfg>(
  b: WorkflowBuilder<P, C, Cfg>,
  deps: WorkflowDeps,
  opts: { skipIf: (context: C) => boolean },
) {
  const skip = { skipIf: opts.skipIf };
  return b
    .maybe(createExportVolumeStep(deps), skip)
    .maybe(waitExportVolumeStep(deps), skip)
    .maybe(uploadExportImageStep(deps), skip)
    .maybe(tagExportImageStep(deps), skip)
    .maybe(waitExportImageStep(deps), skip)
    .maybe(deleteExportVolumeStep(deps), skip);
}

/** The chain's cleanup: the export image, then the temporary volume (place after the workflow's own that must come first). */
export function placeVolumeExportCleanup<P extends Record<string, unknown>, C extends { cloud: string }, Cfg>(
  b: WorkflowBuilder<P, C, Cfg>,
  deps: WorkflowDeps,
) {
  return b.cleanup(exportImageCleanupStep(deps, 'cleanup-export-image')).cleanup(cleanupExportVolumeStep(deps));
}
