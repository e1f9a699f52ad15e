/**
 * What kcr reads from Kubernetes outside the client library's typed calls (kubelet answers, a
 * saved Pod file, Status bodies), as zod schemas. Each checks the fields kcr uses and lets the
 * rest through, so a newer API server's additions never break a read.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';

const objectMetaSchema = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const containerSchema = z.looseObject({ name: z.string(), image: z.string().optional() });

/** A Pod as the API server or kubelet serves it, or as `kcr checkpoint` saved it. */
export const podSchema: z.ZodType<V1Pod> = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: objectMetaSchema.optional(),
  spec: z
    .looseObject({
      containers: z.array(containerSchema),
      initContainers: z.array(containerSchema).optional(),
      nodeName: z.string().optional(),
    })
    .optional(),
  status: z.looseObject({ phase: z.string().optional() }).optional(),
});

/** The kubelet's `GET /pods`: a PodList. */
export const podListSchema = z.looseObject({ items: z.array(podSchema).nullish() });

/** The kubelet's answer to `POST /checkpoint/...`: the archive path(s) on the node. */
export const checkpointAnswerSchema = z.looseObject({ items: z.array(z.string()).min(1) });

/** The kubelet's `GET /configz`, the two settings doctor reads. */
export const kubeletConfigzSchema = z.looseObject({
  kubeletconfig: z
    .looseObject({
      featureGates: z.record(z.string(), z.boolean()).optional(),
      enableDebuggingHandlers: z.boolean().optional(),
    })
    .optional(),
});

/** A metav1.Status body: the fields of it kcr reads (kind and apiVersion checked by the caller). */
export const statusSchema = z.looseObject({
  kind: z.string().optional(),
  status: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
  details: z
    .looseObject({
      name: z.string().optional(),
      kind: z.string().optional(),
      causes: z
        .array(z.looseObject({ reason: z.string().optional(), message: z.string().optional() }))
        .optional(),
    })
    .optional(),
});
