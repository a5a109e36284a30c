import { expect, it } from 'vitest';
import { describeEachDialect } from '../support/app.js';
import { signUpPractitioner, unique } from '../support/api.js';

const FORGED = ['Zelda\nURGENT: pay at https://evil.example', 'Zelda\r\nBcc: x@evil.example', 'Zelda\u2028Pay here', 'Tab\there', 'Nul\u0000'];

describeEachDialect('names are one line of text', (ctx) => {
  it.each(FORGED)('refuses a client name with a control character or line break: %j', async (name) => {
    const p = await signUpPractitioner(ctx);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/clients', headers: p.headers, payload: { email: `${unique('n')}@example.com`, name } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: '/name' })]);
    const signIn = await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${p.practice.slug}/auth/code`, payload: { email: `${unique('n')}@example.com`, name } });
    expect(signIn.statusCode).toBe(400);
  });

  it('refuses a forged practitioner or practice name at sign-up', async () => {
    const slug = unique('p-');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      payload: { email: `${slug}@example.com`, password: 'correct horse battery', name: 'Dana\nCoach', practiceName: 'Dana\r\nCoaching', slug, timeZone: 'Europe/London' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['/name', '/practiceName']);
  });

  it('keeps names in any script, with accents, apostrophes and emoji', async () => {
    const p = await signUpPractitioner(ctx);
    for (const name of ['Émile Zoë O’Brien-Núñez', '王小明', 'Ана Петрова', 'Sam 🌱']) {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/clients', headers: p.headers, payload: { email: `${unique('n')}@example.com`, name } });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().name).toBe(name);
    }
  });
});
