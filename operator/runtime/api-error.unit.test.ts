// The API server's own words, whatever shape the failure arrives in.
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiError, describeApiError } from './api-error.ts';

const status = (code: number, message: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });

describe('apiError', () => {
  it("takes the Status message of a refused request, as client-node throws it", () => {
    const error = new ApiException(422, 'Unknown API Status Code!', status(422, 'Deployment.apps "web" is invalid: spec.selector: field is immutable'), {});
    expect(apiError(error)).toEqual({ code: 422, message: 'Deployment.apps "web" is invalid: spec.selector: field is immutable' });
    expect(describeApiError(error)).toBe('422 Deployment.apps "web" is invalid: spec.selector: field is immutable');
  });

  it('keeps a body that is not a Status, and the code of a failed watch', () => {
    expect(apiError(new ApiException(502, 'Bad Gateway', 'upstream closed', {}))).toEqual({ code: 502, message: 'upstream closed' });
    expect(apiError(Object.assign(new Error('Gone'), { statusCode: 410 }))).toEqual({ code: 410, message: 'Gone' });
  });

  it('says why a request never reached the server, with no code', () => {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) });
    expect(apiError(error)).toEqual({ code: undefined, message: 'ECONNREFUSED fetch failed' });
    expect(describeApiError(new Error('spec: Required value'))).toBe('spec: Required value');
  });
});
