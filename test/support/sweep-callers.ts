import type { TestContext } from './app.js';
import { signUpPractitioner } from './api.js';
import { signInClient } from './scenario.js';

export interface SweepCallers {
  headersFor(path: string): Record<string, string>;
  pathParam(name: string, path: string): string;
}

/**
 * Who calls each route in the sweep: an authenticated caller of the right kind (a practitioner,
 * or a signed-in client on /me routes), so the sweep proves validation holds for callers who
 * could otherwise write.
 */
export async function sweepCallers(ctx: TestContext): Promise<SweepCallers> {
  const practitioner = await signUpPractitioner(ctx);
  const client = await signInClient(ctx, practitioner.practice.slug);
  return {
    headersFor: (path) => (path.startsWith('/api/v1/me') ? client.headers : path.startsWith('/api/v1/public') ? {} : practitioner.headers),
    pathParam: (name) => (name === 'slug' ? practitioner.practice.slug : 'no-such-id'),
  };
}
