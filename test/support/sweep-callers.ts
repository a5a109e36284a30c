import type { TestContext } from './app.js';

export interface SweepCallers {
  headersFor(path: string): Record<string, string>;
  pathParam(name: string, path: string): string;
}

/** Who calls each route in the sweep: no routes need a caller yet. */
export async function sweepCallers(_ctx: TestContext): Promise<SweepCallers> {
  return { headersFor: () => ({}), pathParam: () => 'no-such-id' };
}
