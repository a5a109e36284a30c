import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'web/dist/', 'docs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Plain Node scripts run before the build (scripts/build-if-stale.mjs).
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The domain is pure: no frameworks, no database, no environment, no clock.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['fastify', '@fastify/*', 'kysely', 'better-sqlite3', 'pg', 'nodemailer', 'stripe', 'node:*'], message: 'the domain is pure' },
            { group: ['../app/*', '../db/*', '../http/*', '../mail/*', '../payments/*', '../jobs/*'], message: 'the domain depends on nothing else' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'the domain never reads the environment' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'time is a parameter in the domain' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'time is a parameter in the domain' },
        { selector: "CallExpression[callee.object.name='DateTime'][callee.property.name='now']", message: 'time is a parameter in the domain' },
      ],
    },
  },
);
