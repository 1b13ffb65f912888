// The Todo resource as TypeScript sees it. manifests/crd.yaml is the authority on the shape and
// on the rules; the apps below never check a title or a due date themselves.
import type { KubernetesObject } from '@kubernetes/client-node';
import { apiError } from '../../../operator/runtime/api-error.ts';

export const GROUP = 'k8spatterns.com';
export const VERSION = 'v1';
export const PLURAL = 'todos';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'Todo';

export interface Todo extends KubernetesObject {
  spec: {
    title: string;
    priority?: 'low' | 'normal' | 'high';
    done?: boolean;
    /** RFC 3339 date-time. */
    due?: string;
    notes?: string;
  };
  status?: {
    notifiedGeneration?: number;
    reminded?: boolean;
  };
}

/**
 * The HTTP status and message of a refused API call. The API server answers with a Status
 * object whose message names the rule that was broken; we pass it on unchanged, so the REST
 * client sees the same words as someone using kubectl.
 */
export function refusal(error: unknown): { status: number; message: string } {
  const { code, message } = apiError(error);
  return { status: code ?? 502, message }; // 502: the API server did not answer at all
}
