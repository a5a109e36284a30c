import type { TestContext } from './app.js';
import { signUpPractitioner } from './api.js';

export interface SweepCallers {
  headersFor(path: string): Record<string, string>;
  pathParam(name: string, path: string): string;
}

/**
 * Who calls each route in the sweep: an authenticated caller of the right kind, so the sweep
 * proves validation holds for callers who could otherwise write.
 */
export async function sweepCallers(ctx: TestContext): Promise<SweepCallers> {
  const practitioner = await signUpPractitioner(ctx);
  return {
    headersFor: (path) => (path.startsWith('/api/v1/public') || path.startsWith('/api/v1/me') ? {} : practitioner.headers),
    pathParam: (name) => (name === 'slug' ? practitioner.practice.slug : 'no-such-id'),
  };
}
