import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, withPostgresImages } from './settings.ts';

describe('withPostgresImages', () => {
  it('replaces the images of the versions named, and nothing else', () => {
    const settings = withPostgresImages(['15=k8s-patterns/postgres:15', '16=example.com/pg:16']);
    expect(settings.images.postgres).toEqual({ ...DEFAULT_SETTINGS.images.postgres, 15: 'k8s-patterns/postgres:15', 16: 'example.com/pg:16' });
    expect({ ...settings, images: { ...settings.images, postgres: DEFAULT_SETTINGS.images.postgres } }).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.images.postgres[15]).toBe('quay.io/cloudservices/postgresql-rds:15-2318dee'); // not changed in place
  });

  it('keeps the defaults without pairs and refuses a pair without a version', () => {
    expect(withPostgresImages([])).toEqual(DEFAULT_SETTINGS);
    expect(() => withPostgresImages(['k8s-patterns/postgres:15'])).toThrow(/<version>=<image>/);
  });
});
