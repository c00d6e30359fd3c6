import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'dist/', '.test-dist-*/', '.wrangler/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
  {
    // Plain Node scripts (bin/, scripts/) run outside TypeScript's view of globals.
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // The core runs on Node and Workers alike: runtime APIs belong in src/runtime/ only.
    files: ['src/**/*.ts'],
    ignores: ['src/runtime/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'cloudflare:*', 'fs', 'path', 'crypto', 'postgres', '@electric-sql/*'] }],
      'no-restricted-globals': ['error', 'process', 'Buffer', '__dirname', 'require'],
    },
  },
);
