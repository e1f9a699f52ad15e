/**
 * The OCI documents kcr reads from registries and layouts (manifest, index, image config), as zod
 * schemas of the types in media-types.ts: what arrives is checked field by field before it is
 * used, and unknown fields pass through (newer specs, vendor extensions) so a layout's index
 * keeps its other entries intact when kcr rewrites it.
 */
import { z } from 'zod';
import type { OciDescriptor, OciImageConfig, OciIndex, OciManifest, OciPlatform } from './media-types.js';

const annotationsSchema = z.record(z.string(), z.string());

const platformSchema: z.ZodType<OciPlatform> = z.looseObject({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
});

export const descriptorSchema: z.ZodType<OciDescriptor> = z.looseObject({
  mediaType: z.string(),
  digest: z.string(),
  size: z.number().int().nonnegative(),
  annotations: annotationsSchema.optional(),
  platform: platformSchema.optional(),
});

export const manifestSchema: z.ZodType<OciManifest> = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  annotations: annotationsSchema.optional(),
});

export const indexSchema: z.ZodType<OciIndex> = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  annotations: annotationsSchema.optional(),
});

/** What a registry answers for a manifest reference: an image manifest or an index, told apart by shape. */
export const manifestOrIndexSchema = z.union([manifestSchema, indexSchema]);

export const imageConfigSchema: z.ZodType<OciImageConfig> = z.looseObject({
  created: z.string().optional(),
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  rootfs: z.looseObject({ type: z.literal('layers'), diff_ids: z.array(z.string()) }),
  history: z
    .array(
      z.looseObject({
        created: z.string().optional(),
        created_by: z.string().optional(),
        comment: z.string().optional(),
      }),
    )
    .optional(),
});
